"""The admin API's OpenAPI 3.1 description, and the broker's one document for both of its APIs.

`admin_document()` is served at `/api/admin/v1/openapi.json`; `broker_document()`, at
`/api/openapi.json`, joins it with the extension API's (`broker.ext_api.openapi_document`, used as
its module gives it): each API's paths under its mount path, one `servers` entry for the broker,
components merged (a name defined twice must mean the same thing, or building fails loudly), and a
tag per API. Built as data so tests can check real answers against the schemas.
"""

from __future__ import annotations

import copy
from typing import Any

from broker import ext_api
from broker.admin_api import collections_openapi, imports_api, tokens_api, vault_accounts_openapi
from broker.admin_api import teams as teams_api
from broker.admin_api.errors import ERROR_CODES

MOUNT_PATH = "/api/admin/v1"  # also endpoints.MOUNT_PATH; here to keep the imports one way


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR_TEXT = {
    400: "Malformed call, or a value a rule refuses (`field` names it).",
    401: "No signed-in broker session, or a Bearer token that is not live (`invalid_token`).",
    403: "No CSRF token on a session write, or RBAC refuses the action.",
    404: "Unknown account, or one the caller cannot open.",
    409: "The state forbids it: already extended, not extended, or the feature is off.",
    413: "Body over 16 KiB.",
    415: "Body not application/json.",
}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _json(_ref("AdminError"), _ERROR_TEXT[s]) for s in statuses}


_CSRF = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": True,
    "description": "The session's CSRF token (`csrf_token` of `GET /me`).",
    "schema": {"type": "string"},
}
_ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
_TIME = {"type": ["string", "null"], "format": "date-time"}


def _op(
    summary: str,
    ok: tuple[int, str, str],
    errors: tuple[int, ...],
    *,
    write: bool = False,
    account: bool = False,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    status, schema, text = ok
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["admin"],
        "responses": {str(status): _json(_ref(schema), text), **_errors(*errors)},
    }
    parameters = ([_ACCOUNT_ID] if account else []) + ([_CSRF] if write else [])
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


_SCHEMAS: dict[str, Any] = {
    **tokens_api.SCHEMAS,
    **imports_api.SCHEMAS,
    "AdminError": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {
            "error": {"type": "string", "enum": ERROR_CODES},
            "error_description": {"type": "string"},
            "field": {"type": "string", "description": "The input field at fault, if one is."},
        },
    },
    "AdminMember": {
        "type": "object",
        "required": ["id", "name", "email", "role", "active", "okta_user_id"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "role": {
                "type": "string",
                "enum": ["owner", "super_admin", "admin", "user", "login_only", "guest"],
            },
            "active": {"type": "boolean"},
            "okta_user_id": {
                "type": ["string", "null"],
                "description": "The SCIM external id; null: not from Okta (cannot be assigned).",
            },
        },
    },
    "AdminMe": {
        "type": "object",
        "required": ["member", "csrf_token", "can_edit_settings"],
        "properties": {
            "member": _ref("AdminMember"),
            "csrf_token": {"type": "string", "description": "Send it as X-CSRF-Token."},
            "can_edit_settings": {"type": "boolean"},
        },
    },
    "AdminMembers": {
        "type": "object",
        "required": ["members"],
        "properties": {"members": {"type": "array", "items": _ref("AdminMember")}},
    },
    "AdminSyncQueued": {
        "type": "object",
        "required": ["queued", "account_ids"],
        "properties": {
            "queued": {"type": "integer", "minimum": 0},
            "account_ids": {"type": "array", "items": {"type": "string"}},
        },
    },
    "AdminSettings": {
        "type": "object",
        "required": ["extended_access", "okta_domain", "okta_token"],
        "properties": {
            "extended_access": {"type": "boolean"},
            "okta_domain": {"type": ["string", "null"]},
            "okta_token": {
                "type": "object",
                "description": "What is known of the API token; the token itself is write-only.",
                "required": ["set", "set_at", "status", "checked_at", "error", "needs_update"],
                "properties": {
                    "set": {"type": "boolean"},
                    "set_at": _TIME,
                    "status": {"type": "string", "enum": ["unset", "unchecked", "ok", "invalid"]},
                    "checked_at": _TIME,
                    "error": {"type": ["string", "null"]},
                    "needs_update": {
                        "type": "boolean",
                        "description": "Okta refused the token: enter a new one (*Update*).",
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "AdminSettingsChange": {
        "type": "object",
        "description": "Each field given is set; a field left out stays as it is.",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "extended_access": {"type": "boolean"},
            "okta_domain": {
                "type": "string",
                "description": "https://… (plain http only for a loopback sandbox).",
            },
            "okta_token": {"type": "string", "writeOnly": True},
        },
    },
    "AdminConnection": {
        "type": "object",
        "required": ["ok", "summary", "recorded", "settings"],
        "properties": {
            "ok": {"type": "boolean"},
            "summary": {"type": "string", "description": '"Connected." or Okta\'s error.'},
            "recorded": {
                "type": "boolean",
                "description": "Whether the token's status changed (not for timeouts or 5xx).",
            },
            "settings": _ref("AdminSettings"),
        },
    },
    "AdminAccount": {
        "type": "object",
        "required": [
            "id",
            "name",
            "app_name",
            "login_url",
            "username",
            "extended_access_enabled",
            "okta",
            "allowed",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "app_name": {"type": "string"},
            "login_url": {"type": "string"},
            "username": {"type": "string"},
            "extended_access_enabled": {"type": "boolean"},
            "okta": {
                "oneOf": [{"type": "null"}, _ref("AdminOktaExtension")],
                "description": "null: not extended to Okta.",
            },
            "allowed": {
                "type": "object",
                "required": ["extend", "sync", "remove"],
                "properties": {
                    "extend": {"type": "boolean"},
                    "sync": {"type": "boolean"},
                    "remove": {"type": "boolean"},
                },
            },
        },
    },
    "AdminOktaExtension": {
        "type": "object",
        "required": [
            "extended_at",
            "extended_by",
            "last_synced_at",
            "sync_state",
            "last_error",
            "okta_app_id",
        ],
        "properties": {
            "extended_at": {"type": "string", "format": "date-time"},
            "extended_by": {"type": ["string", "null"]},
            "last_synced_at": _TIME,
            "sync_state": {
                "type": "string",
                "enum": ["pending", "synced", "failed", "removing"],
                "description": "pending: waiting for sync; synced; failed: see last_error; "
                "removing: the app is being deleted from Okta.",
            },
            "last_error": {"type": ["string", "null"]},
            "okta_app_id": {"type": ["string", "null"]},
        },
    },
}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Latchkey admin API",
        "version": "1",
        "description": "The actions of the broker's pages, for scripts. Authenticated by a "
        "personal API token (Authorization: Bearer lk_…) or the signed-in broker session, whose "
        "writes carry X-CSRF-Token (see docs/admin.md).",
    },
    "servers": [{"url": MOUNT_PATH}],
    "security": [{"bearerToken": []}, {"brokerSession": []}],
    "paths": {
        "/me": {
            "get": _op("Who is signed in, and the CSRF token", (200, "AdminMe", "Me."), (401,))
        },
        "/me/sync": {
            "post": _op(
                "Sync with Okta: queue every extended account the caller may sync",
                (202, "AdminSyncQueued", "Queued."),
                (401, 403),
                write=True,
            )
        },
        "/settings": {
            "get": _op(
                "The workspace's extended-access settings",
                (200, "AdminSettings", "Settings."),
                (401, 403),
            ),
            "put": _op(
                "Change the switch, the IDP Domain or the API token (all or nothing)",
                (200, "AdminSettings", "The settings after the change."),
                (400, 401, 403, 413, 415),
                write=True,
                body=_ref("AdminSettingsChange"),
            ),
        },
        "/settings/test-connection": {
            "post": _op(
                "Test connection: one Okta call with the stored domain and token",
                (200, "AdminConnection", "What Okta answered."),
                (401, 403),
                write=True,
            )
        },
        "/accounts/{account_id}": {
            "get": _op(
                "An account and its extended access for Okta",
                (200, "AdminAccount", "The account."),
                (401, 404),
                account=True,
            )
        },
        "/accounts/{account_id}/extension": {
            "post": _op(
                "Extend the account to Okta",
                (201, "AdminAccount", "Extended; sync state pending."),
                (401, 403, 404, 409),
                write=True,
                account=True,
            ),
            "delete": _op(
                "Remove the account from Okta (the account stays)",
                (202, "AdminAccount", "Removal queued; sync state removing."),
                (401, 403, 404, 409),
                write=True,
                account=True,
            ),
        },
        "/accounts/{account_id}/extension/sync": {
            "post": _op(
                "Sync the account manually",
                (202, "AdminAccount", "Sync queued."),
                (401, 403, 404, 409),
                write=True,
                account=True,
            )
        },
        "/members": {
            "get": _op(
                "Members with their role and Okta user id",
                (200, "AdminMembers", "Members."),
                (401, 403),
            )
        },
        **tokens_api.paths(_op),
        **imports_api.paths(_op),
    },
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {
            "brokerSession": {"type": "apiKey", "in": "cookie", "name": "latchkey_session"},
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API token (lk_…), created on /profile/tokens.",
            },
        },
    },
}


vault_accounts_openapi.merge_into(_DOCUMENT)

# Each vault family describes its own paths and schemas (one line each).
for _family in (collections_openapi, teams_api):
    _DOCUMENT["paths"].update(_family.PATHS)
    _SCHEMAS.update(_family.SCHEMAS)


def admin_document() -> dict[str, Any]:
    return copy.deepcopy(_DOCUMENT)


def merge_components(into: dict[str, Any], part: dict[str, Any], source: str) -> None:
    for kind, entries in part.get("components", {}).items():
        target = into.setdefault(kind, {})
        for name, value in entries.items():
            if name in target and target[name] != value:
                raise ValueError(f"{source} redefines components.{kind}.{name}")
            target[name] = value


def broker_document() -> dict[str, Any]:
    """One OpenAPI document for the extension API and the admin API."""
    parts = (
        ("extension", ext_api.MOUNT_PATH, ext_api.openapi_document()),
        ("admin", MOUNT_PATH, admin_document()),
    )
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {}
    tags = []
    for tag, prefix, part in parts:
        tags.append({"name": tag, "description": part["info"]["description"]})
        for path, item in part["paths"].items():
            for operation in item.values():
                operation.setdefault("tags", [tag])
                if "security" not in operation and "security" in part:
                    operation["security"] = part["security"]
            paths[prefix + path] = item
        merge_components(components, part, part["info"]["title"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Latchkey broker APIs",
            "version": "1",
            "description": "The extension API (tag `extension`) and the admin API (tag `admin`).",
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": components,
    }
