"""The extension API's OpenAPI 3.1 description, served at `/api/ext/v1/openapi.json`.

Built as data (not scraped from docstrings) so tests can check real answers against its schemas.
"""

from __future__ import annotations

import copy
from typing import Any

_ERROR_CODES = [
    "invalid_request",
    "invalid_origin",
    "unsupported_media_type",
    "request_too_large",
    "login_required",
    "invalid_token",
    "invalid_proof",
    "invalid_key",
    "invalid_grant",
    "invalid_ticket",
    "access_denied",
    "not_found",
    "method_not_allowed",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Malformed call, bad key, or an unusable grant or ticket.",
        401: "No session (register), or a bad credential or proof.",
        403: "Not the extension's origin, or RBAC refuses the account.",
        413: "Body over 16 KiB.",
        415: "Body not application/json.",
    }
    return {str(s): _json(_ref("Error"), texts[s]) for s in statuses}


_ORIGIN = {
    "name": "Origin",
    "in": "header",
    "required": True,
    "description": "One of the configured `chrome-extension://<id>` origins.",
    "schema": {"type": "string"},
}
_PROOF = {
    "name": "DPoP",
    "in": "header",
    "required": True,
    "description": "The proof JWT for this call (see docs/extension-api.md).",
    "schema": {"type": "string"},
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {
            "error": {"type": "string", "enum": _ERROR_CODES},
            "error_description": {"type": "string"},
            "reason": {
                "type": "string",
                "enum": ["no_access", "login_only", "deactivated"],
                "description": "With `access_denied` only: why, for the person launching.",
            },
        },
    },
    "PublicJwk": {
        "type": "object",
        "required": ["kty", "crv", "x", "y"],
        "properties": {
            "kty": {"const": "EC"},
            "crv": {"const": "P-256"},
            "x": {"type": "string"},
            "y": {"type": "string"},
        },
    },
    "Registration": {
        "type": "object",
        "required": ["credential", "token_type", "expires_in", "member"],
        "properties": {
            "credential": {"type": "string"},
            "token_type": {"const": "DPoP"},
            "expires_in": {"type": "integer"},
            "member": {
                "type": "object",
                "required": ["id", "email", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "email": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
        },
    },
    "Release": {
        "type": "object",
        "required": [
            "account",
            "username",
            "password",
            "has_code_step",
            "ticket",
            "ticket_expires_in",
        ],
        "properties": {
            "account": {
                "type": "object",
                "required": ["id", "name", "app_name", "login_url", "origin"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "app_name": {"type": "string"},
                    "login_url": {"type": "string"},
                    "origin": {
                        "type": "string",
                        "description": "The only origin the extension may fill.",
                    },
                },
            },
            "username": {"type": "string"},
            "password": {"type": "string"},
            "has_code_step": {"type": "boolean"},
            "ticket": {"type": "string"},
            "ticket_expires_in": {"type": "integer"},
        },
    },
    "Code": {
        "type": "object",
        "required": ["code", "expires_in"],
        "properties": {
            "code": {"type": "string", "pattern": "^[0-9]{6,8}$"},
            "expires_in": {"type": "integer", "description": "Seconds until the code changes."},
        },
    },
    "Revoked": {
        "type": "object",
        "required": ["revoked"],
        "properties": {"revoked": {"type": "boolean"}},
    },
}


def _post(
    summary: str,
    request: dict[str, Any],
    ok: tuple[int, str, str],
    *,
    security: list[dict[str, list[str]]],
    errors: tuple[int, ...],
) -> dict[str, Any]:
    status, schema, text = ok
    return {
        "post": {
            "summary": summary,
            "parameters": [_ORIGIN, _PROOF],
            "security": security,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": request}},
            },
            "responses": {str(status): _json(_ref(schema), text), **_errors(*errors)},
        }
    }


_CREDENTIAL: list[dict[str, list[str]]] = [{"extensionCredential": []}]

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Latchkey extension API",
        "version": "1",
        "description": "What the Latchkey browser extension calls. Only the configured extension "
        "origins are answered; every call carries a proof JWT (see docs/extension-api.md).",
    },
    "servers": [{"url": "/api/ext/v1"}],
    "paths": {
        "/keys": _post(
            "Register the extension's public key for the signed-in member",
            {
                "type": "object",
                "required": ["jwk"],
                "properties": {"jwk": _ref("PublicJwk")},
            },
            (201, "Registration", "The credential, bound to the key."),
            security=[{"brokerSession": []}],
            errors=(400, 401, 403, 413, 415),
        ),
        "/keys/revoke": _post(
            "Revoke the calling credential (sign out)",
            {"type": "object"},
            (200, "Revoked", "Whether a live credential was revoked."),
            security=_CREDENTIAL,
            errors=(400, 401, 403, 413, 415),
        ),
        "/grants/redeem": _post(
            "Redeem a launch grant for the account's login",
            {"type": "object", "required": ["grant"], "properties": {"grant": {"type": "string"}}},
            (200, "Release", "The login to fill, and a fill ticket for codes."),
            security=_CREDENTIAL,
            errors=(400, 401, 403, 413, 415),
        ),
        "/code": _post(
            "The account's current verification code",
            {
                "type": "object",
                "required": ["ticket"],
                "properties": {"ticket": {"type": "string"}},
            },
            (200, "Code", "The current TOTP code."),
            security=_CREDENTIAL,
            errors=(400, 401, 403, 413, 415),
        ),
    },
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {
            "brokerSession": {"type": "apiKey", "in": "cookie", "name": "latchkey_session"},
            "extensionCredential": {
                "type": "http",
                "scheme": "DPoP",
                "description": "`Authorization: DPoP <credential>` plus a `DPoP` proof header "
                "signed by the registered key (RFC 9449).",
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """A copy of the document: callers may merge it into a larger one."""
    return copy.deepcopy(_DOCUMENT)
