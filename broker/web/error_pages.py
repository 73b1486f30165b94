"""The broker's own pages for 404, 405 and 500, in place of Starlette's bare text.

The APIs (`/api/...`, `/scim/v2/...`) answer their own errors in their own JSON formats through
catch-all routes, so these handlers only ever see the pages' paths. A 500 page touches neither the
database nor the session (either may be what failed) and names the request id the log line
carries, so a person can quote it to an administrator.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from broker.sessions import current_member
from broker.web.observe import REQUEST_ID_STATE
from broker.web.templating import page


async def _not_found(request: Request, exc: Exception) -> Response:
    return page(request, "not_found.html", 404, member=await current_member(request))


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    allow = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) and exc.headers else ""
    response = page(request, "method_not_allowed.html", 405, member=await current_member(request))
    if allow:
        response.headers["Allow"] = allow
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    # Starlette logs the traceback itself once this answer is sent; nothing is swallowed here.
    request_id = getattr(request.state, REQUEST_ID_STATE, None)
    return page(
        request,
        "server_error.html",
        500,
        member=None,
        csrf_token="",
        flash=None,
        request_id=request_id,
    )


def handlers() -> dict[int | type[Exception], ExceptionHandler]:
    return {404: _not_found, 405: _method_not_allowed, 500: _server_error}
