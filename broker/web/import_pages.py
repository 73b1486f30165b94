"""Import (`/import`): a member who may create items uploads an export, previews what it would do
(a dry run: every row checked, nothing written), then confirms (docs/owner.md, "Import").

The pages run no script and keep no file between the two steps: the uploaded file holds
passwords, and the broker stores none it was not asked to keep. So *Confirm* asks for the file
again, and the preview's SHA-256 digest (of the file, its format and the collection) travels in
the confirm form: a different file or choice than the one previewed is refused, and nothing is
written. The member is the Owner of what is imported.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from broker import rbac
from broker.actions import imports
from broker.errors import DomainError, PermissionDenied
from broker.imports import FORMATS
from broker.models import Member
from broker.sessions import csrf_ok, current_member
from broker.web import forms
from broker.web.templating import page, templates

PATH = "/import"
_WHAT = "import"
# The file plus a handful of short fields.
_MAX_REQUEST = imports.MAX_FILE_BYTES + 64 * 1024

# The header links to Import only for members who may create items.
templates.env.globals["can_create_items"] = rbac.can_create_items


@dataclass(frozen=True)
class _Upload:
    member: Member
    format: str
    collection: str
    digest: str
    data: bytes
    previewed: str  # the digest the preview page put in the confirm form ("" on a preview)


def _form_page(
    request: Request,
    member: Member,
    status_code: int = 200,
    *,
    errors: dict[str, str] | None = None,
    chosen: str = "",
    collection: str = "",
) -> Response:
    return page(
        request,
        "import.html",
        status_code,
        member=member,
        formats=[(key, name) for key, (name, _parse) in FORMATS.items()],
        errors=errors or {},
        chosen=chosen,
        collection=collection,
    )


async def import_page(request: Request) -> Response:
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    if not rbac.can_create_items(member):
        return forms.not_allowed(request, member, what=_WHAT)
    return _form_page(request, member)


async def _upload(request: Request) -> _Upload | Response:
    """The posted file and fields, or the page that refuses them."""
    member = await current_member(request)
    if member is None:
        return forms.sign_in_needed(request)
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > _MAX_REQUEST:
        return _form_page(
            request,
            member,
            413,
            errors={"file": f"The file must be at most {imports.MAX_FILE_BYTES // 2**20} MiB."},
        )
    async with request.form(max_files=1, max_fields=8) as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= 4096}
        if not csrf_ok(request, fields.get("csrf_token")):
            return forms.refused(request, member)
        upload = form.get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
    chosen = fields.get("format", "")
    collection = fields.get("collection", "").strip()
    errors = {}
    if chosen not in FORMATS:
        errors["format"] = "Choose the format of the file."
    if not data:
        errors["file"] = "Choose the export file to import."
    if errors:
        return _form_page(request, member, 400, errors=errors, chosen=chosen, collection=collection)
    # The digest binds the format and collection too: confirming must do what the preview said.
    bound = f"{chosen}\0{collection}\0".encode() + data
    digest = hashlib.sha256(bound).hexdigest()
    return _Upload(member, chosen, collection, digest, data, fields.get("digest", ""))


async def _run(
    request: Request, upload: _Upload, *, dry_run: bool
) -> imports.ImportReport | Response:
    ask = imports.ImportRequest(upload.format, upload.data, upload.collection or None, dry_run)
    try:
        return await run_in_threadpool(
            imports.run, forms.context_of(request), upload.member.id, ask
        )
    except PermissionDenied:
        return forms.not_allowed(request, upload.member, what=_WHAT)
    except DomainError as exc:
        field = exc.field if exc.field in ("format", "collection") else "file"
        return _form_page(
            request,
            upload.member,
            400,
            errors={field: exc.message},
            chosen=upload.format,
            collection=upload.collection,
        )


async def preview(request: Request) -> Response:
    upload = await _upload(request)
    if isinstance(upload, Response):
        return upload
    report = await _run(request, upload, dry_run=True)
    if isinstance(report, Response):
        return report
    return page(
        request,
        "import_preview.html",
        400 if report.failed else 200,
        member=upload.member,
        report=report,
        totals=report.totals(),
        upload=upload,
        format_key=upload.format,
    )


async def confirm(request: Request) -> Response:
    upload = await _upload(request)
    if isinstance(upload, Response):
        return upload
    if not hmac.compare_digest(upload.previewed, upload.digest):
        return forms.stale(
            request,
            PATH,
            "That is not the file, format or collection you previewed; nothing was imported. "
            "Preview it first.",
        )
    report = await _run(request, upload, dry_run=False)
    if isinstance(report, Response):
        return report
    if report.failed:  # the vault changed between preview and confirm
        return forms.stale(
            request, PATH, f"{report.failed} row(s) are no longer valid; nothing was imported."
        )
    totals = report.totals()
    return forms.done(
        request,
        PATH,
        f"Imported {totals['imported']}, updated {totals['updated']} and skipped "
        f"{totals['skipped']} from the {report.format_name} file.",
    )


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, import_page, methods=["GET"]),
        Route(f"{PATH}/preview", preview, methods=["POST"]),
        Route(f"{PATH}/confirm", confirm, methods=["POST"]),
    ]
