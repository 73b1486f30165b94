"""Okta's error bodies and the codes the sandbox answers with.

Every failure of the Management API is an `OktaApiError`; one function (`error_response`) turns it
into Okta's wire shape `{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}`.

    OktaApiError(status, code, summary, causes)
      raised by the endpoints; built by the helpers below, named after Okta's E-codes
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse

_ERROR_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


class OktaApiError(Exception):
    def __init__(self, status: int, code: str, summary: str, causes: Sequence[str] = ()) -> None:
        super().__init__(f"{status} {code}: {summary}")
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = tuple(causes)


def error_body(code: str, summary: str, causes: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + "".join(secrets.choice(_ERROR_ID_ALPHABET) for _ in range(22)),
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }


def error_response(error: OktaApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.summary, error.causes), error.status, headers=headers
    )


def validation_failed(field: str, *causes: str) -> OktaApiError:
    """400 E0000001, e.g. `Api validation failed: label` with `label: ...` causes."""
    return OktaApiError(400, "E0000001", f"Api validation failed: {field}", causes)


def malformed_body() -> OktaApiError:
    return OktaApiError(400, "E0000003", "The request body was not well-formed.")


def access_denied() -> OktaApiError:
    return OktaApiError(
        403, "E0000006", "You do not have permission to perform the requested action"
    )


def not_found(resource_id: str, kind: str) -> OktaApiError:
    return OktaApiError(404, "E0000007", f"Not found: Resource not found: {resource_id} ({kind})")


def internal_error() -> OktaApiError:
    return OktaApiError(500, "E0000009", "Internal Server Error")


def invalid_token() -> OktaApiError:
    return OktaApiError(401, "E0000011", "Invalid token provided")


def method_not_allowed() -> OktaApiError:
    return OktaApiError(405, "E0000022", "The endpoint does not support the provided HTTP method")


def invalid_search(detail: str) -> OktaApiError:
    return OktaApiError(400, "E0000031", "Invalid search criteria.", [detail])


def rate_limited() -> OktaApiError:
    return OktaApiError(429, "E0000047", "API call exceeded rate limit due to too many requests.")


def app_delete_forbidden(app_id: str) -> OktaApiError:
    # Okta refuses to delete an ACTIVE app; it must be deactivated first.
    return OktaApiError(
        403, "E0000056", "Delete application forbidden.", [f"Application {app_id} is active."]
    )


def assigned_through_group(user_id: str) -> OktaApiError:
    # https://developer.okta.com/docs/reference/error-codes/ "E0000046: Deactivate application
    # for user forbidden": a user a group grants the app cannot lose it one by one, even when
    # also assigned directly; the Admin Console's "Convert assignments" has no public API.
    return OktaApiError(
        403,
        "E0000046",
        "Deactivate application for user forbidden.",
        [f"User {user_id} is assigned to the application through a group."],
    )


def already_assigned(user_id: str) -> OktaApiError:
    return OktaApiError(
        409,
        "E0000062",
        "The specified user is already assigned to the application.",
        [f"User {user_id} is already assigned."],
    )


def injected(status: int) -> OktaApiError:
    """The error an injected fault answers with, by status."""
    if status == 429:
        return rate_limited()
    if status == 401:
        return invalid_token()
    if status == 403:
        return access_denied()
    if status == 404:
        return OktaApiError(404, "E0000007", "Not found: Resource not found")
    if status == 503:
        return OktaApiError(503, "E0000010", "Service is in read only mode")
    return OktaApiError(status, "E0000009", "Internal Server Error")
