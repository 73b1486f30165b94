"""Which user claims each scope releases (OIDC Core §5.4), in the ID token and at /userinfo."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import scope_to_list

from sandbox.org.state import OrgUser


def _full_name(user: OrgUser) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part) or user.login


def id_token_claims(user: OrgUser, scope: str) -> dict[str, Any]:
    """The profile claims Okta puts in an ID token issued alongside an access token."""
    scopes = set(scope_to_list(scope) or [])
    out: dict[str, Any] = {}
    if "profile" in scopes:
        out["name"] = _full_name(user)
        out["preferred_username"] = user.login
    if "email" in scopes:
        out["email"] = user.email
    return out


def user_info(user: OrgUser, scope: str) -> dict[str, Any]:
    scopes = set(scope_to_list(scope) or [])
    out: dict[str, Any] = {"sub": user.id}
    if "profile" in scopes:
        out |= {
            "name": _full_name(user),
            "preferred_username": user.login,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "locale": "en_US",
            "zoneinfo": "America/Los_Angeles",
            "updated_at": int(user.last_updated.timestamp()),
        }
    if "email" in scopes:
        out |= {"email": user.email, "email_verified": True}
    return out
