"""What sync reads back from Okta: apps and groups as frozen values, their raw JSON typed.

The `TypedDict`s name the fields Latchkey reads of Okta's JSON (`Application` /
`BookmarkApplication`, `Group`, `AppUser`, `ApplicationGroupAssignment` in Okta's OpenAPI
description); Okta sends more, and `raw` keeps all of it, so that a full `PUT` of an app sends
back what it did not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict


class BookmarkSettingsJson(TypedDict, total=False):
    url: str
    requestIntegration: bool


class AppSettingsJson(TypedDict, total=False):
    app: BookmarkSettingsJson


class AppJson(TypedDict, total=False):
    id: str
    name: str  # "bookmark" for a Bookmark app
    label: str
    status: str  # ACTIVE, INACTIVE
    signOnMode: str  # BOOKMARK
    settings: AppSettingsJson


class GroupProfileJson(TypedDict, total=False):
    name: str
    description: str | None


class GroupJson(TypedDict, total=False):
    id: str
    type: str  # OKTA_GROUP, APP_GROUP, BUILT_IN
    profile: GroupProfileJson


class AppUserJson(TypedDict, total=False):
    id: str
    scope: str  # USER: assigned directly; GROUP: through a group


class AppGroupJson(TypedDict, total=False):
    id: str
    priority: int


@dataclass(frozen=True)
class OktaApp:
    id: str
    label: str
    status: str
    url: str | None  # settings.app.url of a Bookmark app (the launch URL)
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def name(self) -> str:
        return str(self.raw.get("name", ""))

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> OktaApp:
        settings = body.get("settings")
        app_settings = settings.get("app") if isinstance(settings, dict) else None
        url = app_settings.get("url") if isinstance(app_settings, dict) else None
        return cls(
            id=str(body["id"]),
            label=str(body.get("label", "")),
            status=str(body.get("status", "")),
            url=url if isinstance(url, str) else None,
            raw=body,
        )


@dataclass(frozen=True)
class OktaGroup:
    id: str
    name: str
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def description(self) -> str:
        profile = self.raw.get("profile")
        value = profile.get("description") if isinstance(profile, dict) else None
        return value if isinstance(value, str) else ""

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> OktaGroup:
        profile = body.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        return cls(id=str(body["id"]), name=name if isinstance(name, str) else "", raw=body)
