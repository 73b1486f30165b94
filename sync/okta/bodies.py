"""Request bodies, built by pure functions (as terraform-provider-okta's `build*` functions do).

Okta facts (DESIGN.md): a Bookmark app is `name: "bookmark"`, `signOnMode: "BOOKMARK"`, a label of
1 to 100 characters and `settings.app.url`, with `requestIntegration: false`; a label change is a
full `PUT` of the app (Applications API, "Replace an application": partial updates are refused).
terraform-provider-okta's `resource_okta_app_bookmark.go` likewise sends the whole app on update.
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

from sync.okta.models import AppSettingsJson, GroupProfileJson

MAX_LABEL = 100


class BookmarkAppBody(TypedDict):
    name: str
    label: str
    signOnMode: str
    settings: AppSettingsJson


class GroupBody(TypedDict):
    profile: GroupProfileJson


class AppUserBody(TypedDict):
    id: str


def check_label(label: str) -> str:
    """The label, or ValueError for one Okta would refuse (a call whose answer is known)."""
    if not label.strip() or len(label) > MAX_LABEL:
        raise ValueError(f"an app label has 1 to {MAX_LABEL} characters, not {len(label)}")
    return label


def bookmark_app_body(label: str, url: str) -> BookmarkAppBody:
    return {
        "name": "bookmark",
        "label": check_label(label),
        "signOnMode": "BOOKMARK",
        "settings": {"app": {"url": url, "requestIntegration": False}},
    }


# Properties of `Application` the description marks read-only (or that only the lifecycle
# endpoints change): a `PUT` leaves them out.
_READ_ONLY = frozenset(
    {"id", "orn", "created", "lastUpdated", "features", "status", "_embedded", "_links"}
)


def updated_app_body(current: dict[str, Any], label: str, url: str) -> dict[str, Any]:
    """The app's whole current body with `label` and launch `url`, without its read-only
    properties: a full `PUT` restores both, and keeps whatever else the app holds."""
    body = {k: copy.deepcopy(v) for k, v in current.items() if k not in _READ_ONLY}
    body["label"] = check_label(label)
    settings = body.get("settings")
    if not isinstance(settings, dict):
        settings = body["settings"] = {}
    app_settings = settings.get("app")
    if not isinstance(app_settings, dict):
        app_settings = settings["app"] = {}
    app_settings["url"] = url
    return body


def group_body(name: str, description: str) -> GroupBody:
    return {"profile": {"name": name, "description": description}}


def app_user_body(user_id: str) -> AppUserBody:
    return {"id": user_id}


def filter_string(value: str) -> str:
    """A string literal in Okta's `filter` / `search` (SCIM-style, RFC 7644 §3.4.2.2)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
