"""The JSON Okta returns for apps, app users, app groups, users and groups.

Pure functions of the state objects and the org URL; the shapes follow Okta's responses (the
Bookmark app of `BookmarkAppResponseEx`, `AppUserSSOResponse`, ...) and validate against its OpenAPI
description.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.org.state import OrgApp, OrgGroup, OrgUser

Json = dict[str, Any]


def timestamp(moment: datetime) -> str:
    """Okta's timestamps: UTC, milliseconds, `Z` (`2023-01-21T14:11:24.000Z`)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _href(url: str, **extra: Any) -> Json:
    return {"href": url, **extra}


def app_json(base_url: str, app: OrgApp) -> Json:
    api = f"{base_url}/api/v1/apps/{app.id}"
    settings: Json = dict(app.settings)
    app_settings: Json = {"requestIntegration": False, **_dict(settings.get("app"))}
    lifecycle = "deactivate" if app.status == "ACTIVE" else "activate"
    return {
        "id": app.id,
        "orn": f"orn:okta:idp:00o1sandbox0000000000:apps:{app.name}:{app.id}",
        "name": app.name,
        "label": app.label,
        "status": app.status,
        "created": timestamp(app.created),
        "lastUpdated": timestamp(app.last_updated),
        "accessibility": {"selfService": False},
        "visibility": {
            "autoLaunch": False,
            "autoSubmitToolbar": False,
            "hide": {"iOS": False, "web": False},
            "appLinks": {"login": True},
        },
        "features": [],
        "signOnMode": app.sign_on_mode,
        "credentials": {
            "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
            "signing": {},
        },
        "settings": {
            **settings,
            "app": app_settings,
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            "manualProvisioning": False,
            "implicitAssignment": False,
            "notes": {},
        },
        "_links": {
            "uploadLogo": _href(f"{api}/logo", hints={"allow": ["POST"]}),
            "appLinks": [
                {
                    "name": "login",
                    "href": f"{base_url}/home/{app.name}/{app.id}/{app.link_id}",
                    "type": "text/html",
                }
            ],
            "groups": _href(f"{api}/groups"),
            "logo": [],
            "users": _href(f"{api}/users"),
            lifecycle: _href(f"{api}/lifecycle/{lifecycle}"),
            "self": _href(api),
        },
    }


def app_user_json(
    base_url: str, app: OrgApp, user: OrgUser, assigned: datetime, scope: str = "USER"
) -> Json:
    return {
        "id": user.id,
        "created": timestamp(assigned),
        "lastUpdated": timestamp(assigned),
        "scope": scope,
        "status": "ACTIVE",
        "statusChanged": timestamp(assigned),
        "passwordChanged": None,
        "syncState": "DISABLED",
        "credentials": {"userName": user.login},
        "profile": {},
        "_links": {
            "app": _href(f"{base_url}/api/v1/apps/{app.id}"),
            "user": _href(f"{base_url}/api/v1/users/{user.id}"),
        },
    }


def app_group_json(base_url: str, app: OrgApp, group: OrgGroup, assigned: datetime) -> Json:
    priority = list(app.group_ids).index(group.id) if group.id in app.group_ids else 0
    return {
        "id": group.id,
        "priority": priority,
        "lastUpdated": timestamp(assigned),
        "profile": {},
        "_links": {
            "app": _href(f"{base_url}/api/v1/apps/{app.id}"),
            "self": _href(f"{base_url}/api/v1/apps/{app.id}/groups/{group.id}"),
            "group": _href(f"{base_url}/api/v1/groups/{group.id}"),
        },
    }


def user_json(base_url: str, user: OrgUser) -> Json:
    api = f"{base_url}/api/v1/users/{user.id}"
    return {
        "id": user.id,
        "status": user.status,
        "created": timestamp(user.created),
        "activated": timestamp(user.created) if user.status == "ACTIVE" else None,
        "statusChanged": timestamp(user.last_updated),
        "lastLogin": None,
        "lastUpdated": timestamp(user.last_updated),
        "passwordChanged": timestamp(user.created) if user.password else None,
        "type": {"id": "oty1sandbox000000000"},
        "profile": {
            "firstName": user.first_name,
            "lastName": user.last_name,
            "email": user.email,
            "login": user.login,
            "mobilePhone": None,
            "secondEmail": None,
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": _href(api)},
    }


def group_json(base_url: str, group: OrgGroup) -> Json:
    api = f"{base_url}/api/v1/groups/{group.id}"
    return {
        "id": group.id,
        "created": timestamp(group.created),
        "lastUpdated": timestamp(group.last_updated),
        "lastMembershipUpdated": timestamp(group.last_membership_updated),
        "objectClass": ["okta:user_group"],
        "type": group.type,
        "profile": {"name": group.name, "description": group.description},
        "_links": {
            "logo": [],
            "users": _href(f"{api}/users"),
            "apps": _href(f"{api}/apps"),
            "self": _href(api),
        },
    }


def _dict(value: object) -> Json:
    return dict(value) if isinstance(value, dict) else {}
