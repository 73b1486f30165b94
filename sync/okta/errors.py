"""What can go wrong talking to Okta, as one tree, and the one function that reads a failed answer.

    OktaError(status, error_code, summary, error_id, causes)
    ├── TemporaryError             the same call may succeed later: retry after a wait
    │   ├── RateLimited(reset_at)      429 E0000047: a bucket's rate limit or the concurrency limit
    │   ├── ServerError                5xx (E0000009, E0000010 read-only mode, a proxy's 502, ...)
    │   ├── TransportError             no answer at all: the connection failed ...
    │   │   └── OktaTimeout            ... or the answer took too long
    │   └── NotOktaAnswer              an answer that is not Okta's JSON, whatever its status (a
    │                                  proxy's or captive portal's HTML page, even with 200)
    └── PermanentError             retrying the same call will not help: someone must act
        ├── BadRequest                 400 (E0000001 "Api validation failed" with errorCauses, ...)
        ├── InvalidToken               401 E0000011 (or the token endpoint's `invalid_client`)
        ├── Forbidden                  403 E0000006, E0000056 (deleting an ACTIVE app)
        ├── NotFound                   404 E0000007
        └── Conflict                   409 E0000062 (user already assigned)

Okta's error body is `{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses":
[{"errorSummary"}]}`; the OAuth 2.0 token endpoint answers RFC 6749 §5.2 `{"error",
"error_description"}` instead. `error_from_response` reads either; `is_readable` tells a success
the client can read from one it must turn into an error.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from sync.okta.headers import response_date


class OktaError(Exception):
    def __init__(
        self,
        status: int | None,
        error_code: str | None,
        summary: str,
        error_id: str | None = None,
        causes: tuple[str, ...] = (),
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.summary = summary
        self.error_id = error_id
        self.causes = tuple(causes)
        super().__init__(self._message())

    def _message(self) -> str:
        head = " ".join(str(part) for part in (self.status, self.error_code) if part is not None)
        text = f"{head}: {self.summary}" if head else self.summary
        if self.causes:
            text += " (" + "; ".join(self.causes) + ")"
        return text


class TemporaryError(OktaError):
    pass


class PermanentError(OktaError):
    pass


class RateLimited(TemporaryError):
    def __init__(
        self,
        status: int | None,
        error_code: str | None,
        summary: str,
        error_id: str | None = None,
        causes: tuple[str, ...] = (),
        *,
        reset_at: float | None = None,
        retry_after: float | None = None,
        concurrency: bool = False,
    ) -> None:
        super().__init__(status, error_code, summary, error_id, causes)
        # `X-Rate-Limit-Reset`: epoch seconds on Okta's clock, not ours.
        self.reset_at = reset_at
        # `reset_at - Date`: seconds to wait, as Okta counts them (a time-scaled sandbox counts
        # org seconds: divide by its scale for real seconds).
        self.retry_after = retry_after
        # Okta answers a concurrency 429 with `X-Rate-Limit-Limit: 0` (its SDKs tell them apart so).
        self.concurrency = concurrency


class ServerError(TemporaryError):
    pass


class TransportError(TemporaryError):
    pass


class OktaTimeout(TransportError):
    pass


class NotOktaAnswer(TemporaryError):
    pass


class BadRequest(PermanentError):
    pass


class InvalidToken(PermanentError):
    pass


class Forbidden(PermanentError):
    pass


class NotFound(PermanentError):
    pass


class Conflict(PermanentError):
    pass


_BY_STATUS: dict[int, type[OktaError]] = {
    400: BadRequest,
    401: InvalidToken,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


def error_from_response(response: httpx.Response) -> OktaError:
    """The error a failed (or unreadable) answer stands for."""
    status = response.status_code
    if response.is_success:
        kind = (response.headers.get("Content-Type") or "no content type").split(";")[0]
        summary = f"expected JSON from Okta, got {kind} (is the Okta domain right?)"
        return NotOktaAnswer(status, None, summary)
    body = _json_object(response)
    code, summary, error_id, causes = _okta_fields(body) or _oauth_fields(body) or _bare(response)
    if status == 429:
        reset_at = _float_header(response, "X-Rate-Limit-Reset")
        date = response_date(response)
        return RateLimited(
            status,
            code,
            summary,
            error_id,
            causes,
            reset_at=reset_at,
            retry_after=None if reset_at is None or date is None else max(0.0, reset_at - date),
            concurrency=response.headers.get("X-Rate-Limit-Limit") == "0",
        )
    if status >= 500:
        return ServerError(status, code, summary, error_id, causes)
    kind = _BY_STATUS.get(status, PermanentError)
    return kind(status, code, summary, error_id, causes)


def is_readable(response: httpx.Response) -> bool:
    """Whether a success holds what Okta sends: JSON, or nothing at all (204)."""
    if not response.content:
        return True
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


def transport_error(exc: httpx.TransportError) -> TransportError:
    """The error for a call that got no answer (`httpx.TimeoutException` is an `OktaTimeout`)."""
    kind = OktaTimeout if isinstance(exc, httpx.TimeoutException) else TransportError
    return kind(None, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


Fields = tuple[str | None, str, str | None, tuple[str, ...]]


def _okta_fields(body: dict[str, Any] | None) -> Fields | None:
    if body is None or "errorCode" not in body:
        return None
    causes = tuple(
        str(cause.get("errorSummary", ""))
        for cause in body.get("errorCauses") or ()
        if isinstance(cause, dict)
    )
    error_id = body.get("errorId")
    return (
        str(body["errorCode"]),
        str(body.get("errorSummary") or ""),
        str(error_id) if error_id else None,
        causes,
    )


def _oauth_fields(body: dict[str, Any] | None) -> Fields | None:
    # RFC 6749 §5.2: the token endpoint's error response.
    if body is None or "error" not in body:
        return None
    return str(body["error"]), str(body.get("error_description") or body["error"]), None, ()


def _bare(response: httpx.Response) -> Fields:
    return None, response.reason_phrase or f"HTTP {response.status_code}", None, ()


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _float_header(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None
