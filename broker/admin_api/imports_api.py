"""`POST /imports`: import a Bitwarden, 1Password or Chrome export as the caller (docs/admin.md).

The body is the export file itself, as it is (any content type, at most 10 MiB); the query says
how to read it: `format` (required), `collection`, `dry_run=true`. The caller becomes the Owner
of what is created, as on the /import page. All or nothing (`broker.actions.imports`): a file
with bad rows answers 400 `invalid_input` with every bad row in `rows` and writes nothing.
Secrets are never in an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from broker.actions import imports
from broker.admin_api.errors import AdminError, InvalidInput, RequestTooLarge
from broker.context import BrokerContext
from broker.imports import FORMATS
from broker.models import Member

Result = tuple[int, dict[str, Any]]
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def _ctx(request: Request) -> BrokerContext:
    ctx = request.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    return ctx


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > imports.MAX_FILE_BYTES:
        raise RequestTooLarge(f"The file is larger than {imports.MAX_FILE_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > imports.MAX_FILE_BYTES:
            raise RequestTooLarge(f"The file is larger than {imports.MAX_FILE_BYTES} bytes.")
    return bytes(body)


def report_json(report: imports.ImportReport) -> dict[str, Any]:
    return {
        **report.totals(),
        "format": report.format_name,
        "dry_run": report.dry_run,
        "written": report.written,
        "rows": [
            {"where": r.where, "name": r.name, "outcome": r.outcome, "reason": r.reason}
            for r in report.rows
        ],
    }


async def _import(request: Request, member: Member) -> Result:
    query = request.query_params
    unknown = sorted(set(query) - {"format", "collection", "dry_run"})
    if unknown:
        raise AdminError(f"Unknown query parameter: {unknown[0]}.", field=unknown[0])
    format_ = query.get("format", "")
    if format_ not in FORMATS:
        raise AdminError("format must be one of: " + ", ".join(FORMATS) + ".", field="format")
    dry_run = query.get("dry_run", "").lower()
    if dry_run not in _TRUE | _FALSE:
        raise AdminError("dry_run must be true or false.", field="dry_run")
    request_ = imports.ImportRequest(
        format_, await _body(request), query.get("collection") or None, dry_run in _TRUE
    )
    report = await run_in_threadpool(imports.run, _ctx(request), member.id, request_)
    if report.failed:
        raise InvalidInput(
            f"{report.failed} bad row(s): nothing was imported.",
            field="file",
            extra=report_json(report),
        )
    return (200 if report.dry_run else 201), report_json(report)


def routes(route: Callable[..., Route]) -> list[Route]:
    return [route("/imports", POST=_import)]


SCHEMAS: dict[str, Any] = {
    "AdminImportReport": {
        "type": "object",
        "required": ["imported", "updated", "skipped", "failed", "format", "dry_run", "rows"],
        "properties": {
            "imported": {"type": "integer"},
            "updated": {"type": "integer"},
            "skipped": {"type": "integer"},
            "failed": {"type": "integer"},
            "format": {"type": "string"},
            "dry_run": {"type": "boolean"},
            "written": {"type": "boolean"},
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["where", "name", "outcome", "reason"],
                    "properties": {
                        "where": {"type": "string", "description": '"line 12" or "item 3".'},
                        "name": {"type": "string"},
                        "outcome": {
                            "type": "string",
                            "enum": ["imported", "updated", "skipped", "failed", "ready"],
                        },
                        "reason": {"type": "string"},
                    },
                },
            },
        },
    }
}


def paths(op: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """This family's OpenAPI paths, built with the document's own operation helper."""
    operation = op(
        "Import an export file as the caller: all rows or none",
        (201, "AdminImportReport", "Imported (200 with dry_run=true: nothing written)."),
        (400, 401, 403, 413),
        write=True,
    )
    operation["parameters"] += [
        {
            "name": "format",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": list(FORMATS)},
        },
        {"name": "collection", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "dry_run", "in": "query", "required": False, "schema": {"type": "boolean"}},
    ]
    operation["requestBody"] = {
        "required": True,
        "description": "The export file as it is (at most 10 MiB).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
    operation["responses"]["200"] = operation["responses"]["201"]
    return {"/imports": {"post": operation}}
