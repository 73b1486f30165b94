"""Small builders for the OpenAPI parts of the vault's admin API families (collections, teams):
each family's module describes its own paths with them, and `openapi.py` merges the parts."""

from __future__ import annotations

from typing import Any

TIME = {"type": ["string", "null"], "format": "date-time"}
ERROR = "AdminError"

_ERROR_TEXT = {
    400: "Malformed call, or a value a rule refuses (`field` names it).",
    401: "No signed-in broker session.",
    403: "No CSRF token on a write, or RBAC refuses the action.",
    404: "Unknown, or not visible to the caller.",
    409: "The state forbids it (see `error_description`).",
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


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def op(
    summary: str,
    ok: tuple[int, str],
    errors: tuple[int, ...],
    *,
    write: bool = False,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    status, schema = ok
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["admin"],
        "responses": {
            str(status): _json(ref(schema), "Done."),
            **{str(s): _json(ref(ERROR), _ERROR_TEXT[s]) for s in errors},
        },
    }
    parameters = list(params or []) + ([_CSRF] if write else [])
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation
