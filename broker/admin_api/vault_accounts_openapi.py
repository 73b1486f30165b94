"""OpenAPI paths and schemas of `vault_accounts` (accounts, shares, activity); `openapi` merges
them into the admin API's document. Secrets appear only as `writeOnly` request fields."""

from __future__ import annotations

from typing import Any

_ERROR_TEXT = {
    400: "Malformed call, or a value a rule refuses (`field` names it).",
    401: "No signed-in broker session.",
    403: "No CSRF token on a write, or RBAC refuses the action.",
    404: "Unknown item, or one the caller cannot see.",
    409: "The state forbids it (the last Owner, a share already gone).",
    413: "Body over 16 KiB.",
    415: "Body not application/json.",
}
_CSRF = {
    "name": "X-CSRF-Token",
    "in": "header",
    "required": True,
    "description": "The session's CSRF token (`csrf_token` of `GET /me`).",
    "schema": {"type": "string"},
}
_ROLE = {"type": "string", "enum": ["owner", "collaborator"]}
_STATE = {
    "type": ["string", "null"],
    "enum": ["pending", "synced", "failed", "removing", None],
    "description": "The Okta sync state; null: not extended to Okta.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": kind}}


def _op(
    summary: str,
    ok: tuple[int, str],
    errors: tuple[int, ...],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    write: bool = False,
) -> dict[str, Any]:
    status, schema = ok
    responses: dict[str, Any] = {
        str(status): {
            "description": summary,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    }
    for code in errors:
        responses[str(code)] = {
            "description": _ERROR_TEXT[code],
            "content": {"application/json": {"schema": _ref("AdminError")}},
        }
    operation: dict[str, Any] = {"summary": summary, "tags": ["admin"], "responses": responses}
    params = list(parameters or []) + ([_CSRF] if write else [])
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


_ACCOUNT_ID = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
_TARGET_QUERY = [
    _query("account_id", "The account (or give collection_id)."),
    _query("collection_id", "The collection (or give account_id)."),
]
_SUBJECT_QUERY = [
    _query("member_id", "The member (or give team_id)."),
    _query("team_id", "The team (or give member_id)."),
]

PATHS: dict[str, Any] = {
    "/accounts": {
        "get": _op(
            "The accounts the caller can see, searched and paged",
            (200, "AdminAccountList"),
            (400, 401),
            parameters=[
                _query("q", "Part of the name, app name or login URL (any case)."),
                _query("page", "From 1.", "integer"),
                _query("per_page", "1-200, default 50.", "integer"),
            ],
        ),
        "post": _op(
            "Add an account; the caller becomes its Owner",
            (201, "AdminAccountSaved"),
            (400, 401, 403, 413, 415),
            body="AdminAccountInput",
            write=True,
        ),
    },
    "/accounts/{account_id}": {
        "patch": _op(
            "Rename, change the login, replace the password or the code (Owners)",
            (200, "AdminAccountSaved"),
            (400, 401, 403, 404, 413, 415),
            parameters=[_ACCOUNT_ID],
            body="AdminAccountChange",
            write=True,
        ),
        "delete": _op(
            "Delete the account; its Okta app is removed by sync (Owners)",
            (200, "AdminDeleted"),
            (401, 403, 404),
            parameters=[_ACCOUNT_ID],
            write=True,
        ),
    },
    "/shares": {
        "get": _op(
            "Who has access to an account or collection, through which path",
            (200, "AdminAccess"),
            (400, 401, 404),
            parameters=_TARGET_QUERY,
        ),
        "put": _op(
            "Share with a member or a team, or change their role (Owners)",
            (200, "AdminAccess"),
            (400, 401, 403, 404, 409, 413, 415),
            body="AdminShareInput",
            write=True,
        ),
        "delete": _op(
            "Remove a share (Owners; never the last Owner)",
            (200, "AdminAccess"),
            (400, 401, 403, 404, 409),
            parameters=_TARGET_QUERY + _SUBJECT_QUERY,
            write=True,
        ),
    },
    "/shares/preview": {
        "post": _op(
            "How many people a share would give a chiclet; nothing is written",
            (200, "AdminSharePreview"),
            (400, 401, 403, 404, 413, 415),
            body="AdminShareInput",
            write=True,
        ),
    },
    "/activity": {
        "get": _op(
            "Audit events, newest first (admins: all; others: items they own)",
            (200, "AdminActivity"),
            (400, 401, 403),
            parameters=[
                _query("account_id", "Events about this account."),
                _query("member_id", "Events by or about this member."),
                _query("kind", "account, share, collection, team, okta, launch, …"),
                _query("page", "From 1.", "integer"),
            ],
        ),
    },
}

_WRITE_ONLY = {"type": "string", "writeOnly": True}

SCHEMAS: dict[str, Any] = {
    "AdminAccountRow": {
        "type": "object",
        "required": ["id", "name", "app_name", "login_origin", "role", "sync_state"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "app_name": {"type": "string"},
            "login_origin": {"type": "string"},
            "role": _ROLE,
            "sync_state": _STATE,
        },
    },
    "AdminAccountList": {
        "type": "object",
        "required": ["accounts", "total", "page", "pages", "per_page"],
        "properties": {
            "accounts": {"type": "array", "items": _ref("AdminAccountRow")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
        },
    },
    "AdminVaultAccount": {
        "type": "object",
        "description": "An account without its secrets: only whether a code is set.",
        "required": [
            "id",
            "name",
            "app_name",
            "login_url",
            "username",
            "has_code",
            "role",
            "can_manage",
            "sync_state",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "app_name": {"type": "string"},
            "login_url": {"type": "string"},
            "username": {"type": "string"},
            "has_code": {"type": "boolean"},
            "role": _ROLE,
            "can_manage": {"type": "boolean"},
            "sync_state": _STATE,
        },
    },
    "AdminAccountSaved": {
        "type": "object",
        "required": ["account", "current_code"],
        "properties": {
            "account": _ref("AdminVaultAccount"),
            "current_code": {
                "description": "The code now, once, when this call set a verification secret.",
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["code", "valid_for_s"],
                        "properties": {
                            "code": {"type": "string"},
                            "valid_for_s": {"type": "integer"},
                        },
                    },
                ],
            },
        },
    },
    "AdminAccountInput": {
        "type": "object",
        "required": ["name", "app_name", "login_url", "username", "password"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "app_name": {"type": "string", "maxLength": 200},
            "login_url": {
                "type": "string",
                "description": "https:// (plain http only on loopback); no user@host.",
            },
            "username": {"type": "string", "maxLength": 320},
            "password": _WRITE_ONLY,
            "totp_secret": {
                "type": ["string", "null"],
                "writeOnly": True,
                "description": "An otpauth://totp/ URI or a base32 secret.",
            },
        },
    },
    "AdminAccountChange": {
        "type": "object",
        "description": "Each field given is changed, all or nothing; secrets are replaced.",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "app_name": {"type": "string"},
            "login_url": {"type": "string"},
            "username": {"type": "string"},
            "password": _WRITE_ONLY,
            "totp_secret": _WRITE_ONLY,
            "remove_code": {"type": "boolean"},
        },
    },
    "AdminDeleted": {
        "type": "object",
        "required": ["deleted"],
        "properties": {"deleted": {"type": "string"}},
    },
    "AdminShareInput": {
        "type": "object",
        "description": "Exactly one of account_id / collection_id and of member_id / team_id.",
        "required": ["role"],
        "additionalProperties": False,
        "properties": {
            "account_id": {"type": "string"},
            "collection_id": {"type": "string"},
            "member_id": {"type": "string"},
            "team_id": {"type": "string"},
            "role": _ROLE,
        },
    },
    "AdminAccess": {
        "type": "object",
        "required": ["kind", "id", "name", "can_manage", "extended_accounts", "people", "shares"],
        "properties": {
            "kind": {"type": "string", "enum": ["account", "collection"]},
            "id": {"type": "string"},
            "name": {"type": "string"},
            "can_manage": {"type": "boolean"},
            "extended_accounts": {"type": "integer", "minimum": 0},
            "people": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["member_id", "name", "email", "role", "paths"],
                    "properties": {
                        "member_id": {"type": "string"},
                        "name": {"type": "string"},
                        "email": {"type": "string"},
                        "role": _ROLE,
                        "paths": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "shares": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["member_id", "team_id", "name", "role", "collection_id"],
                    "properties": {
                        "member_id": {"type": ["string", "null"]},
                        "team_id": {"type": ["string", "null"]},
                        "name": {"type": "string"},
                        "role": _ROLE,
                        "collection_id": {
                            "type": ["string", "null"],
                            "description": "Set when inherited from this collection.",
                        },
                    },
                },
            },
        },
    },
    "AdminSharePreview": {
        "type": "object",
        "required": ["new_share", "extended_accounts", "new_people"],
        "properties": {
            "new_share": {"type": "boolean"},
            "extended_accounts": {"type": "integer", "minimum": 0},
            "new_people": {
                "type": "integer",
                "minimum": 0,
                "description": "People who would get a chiclet they do not have now.",
            },
        },
    },
    "AdminActivity": {
        "type": "object",
        "required": ["events", "total", "page", "pages", "all_events"],
        "properties": {
            "events": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "at", "actor", "action", "target", "details"],
                    "properties": {
                        "id": {"type": "integer"},
                        "at": {"type": "string", "format": "date-time"},
                        "actor": {"type": ["string", "null"]},
                        "action": {"type": "string"},
                        "target": {"type": ["string", "null"]},
                        "details": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "all_events": {"type": "boolean"},
        },
    },
}


def merge_into(document: dict[str, Any]) -> None:
    """Add these paths (operations beside existing ones on a shared path) and components."""
    for path, operations in PATHS.items():
        item = document["paths"].setdefault(path, {})
        for method, operation in operations.items():
            if method in item:
                raise ValueError(f"{method.upper()} {path} is described twice")
            item[method] = operation
    components = document["components"]
    for name, schema in SCHEMAS.items():
        if name in components["schemas"]:
            raise ValueError(f"components.schemas.{name} is defined twice")
        components["schemas"][name] = schema
