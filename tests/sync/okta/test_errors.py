"""`error_from_response`: Okta's answers, mapped to one error tree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sync.okta.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    OktaError,
    OktaTimeout,
    PermanentError,
    RateLimited,
    ServerError,
    TemporaryError,
    TransportError,
    error_from_response,
    transport_error,
)


def okta_body(code: str, summary: str, *causes: str) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaeAbC123",
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }


CASES = [
    (
        400,
        okta_body(
            "E0000001", "Api validation failed: label", "label: The field cannot be left blank"
        ),
        BadRequest,
        PermanentError,
    ),
    (401, okta_body("E0000011", "Invalid token provided"), InvalidToken, PermanentError),
    (403, okta_body("E0000006", "You do not have permission"), Forbidden, PermanentError),
    (403, okta_body("E0000056", "Delete application forbidden."), Forbidden, PermanentError),
    (
        404,
        okta_body("E0000007", "Not found: Resource not found: 0oa1 (AppInstance)"),
        NotFound,
        PermanentError,
    ),
    (
        409,
        okta_body("E0000062", "The specified user is already assigned"),
        Conflict,
        PermanentError,
    ),
    (429, okta_body("E0000047", "API call exceeded rate limit"), RateLimited, TemporaryError),
    (500, okta_body("E0000009", "Internal Server Error"), ServerError, TemporaryError),
    (503, okta_body("E0000010", "Service is in read only mode"), ServerError, TemporaryError),
    (
        405,
        okta_body("E0000022", "The endpoint does not support the method"),
        PermanentError,
        PermanentError,
    ),
]


@pytest.mark.parametrize(("status", "body", "kind", "family"), CASES)
def test_okta_error_bodies_map_to_their_class_with_their_fields(
    status: int, body: dict[str, Any], kind: type[OktaError], family: type[OktaError]
) -> None:
    error = error_from_response(httpx.Response(status, json=body))

    assert type(error) is kind
    assert isinstance(error, family)
    assert (error.status, error.error_code, error.summary, error.error_id) == (
        status,
        body["errorCode"],
        body["errorSummary"],
        "oaeAbC123",
    )
    assert error.causes == tuple(c["errorSummary"] for c in body["errorCauses"])
    assert body["errorCode"] in str(error)


def test_a_400_carries_its_causes_into_the_message() -> None:
    body = okta_body("E0000001", "Api validation failed: label", "label: too long")

    error = error_from_response(httpx.Response(400, json=body))

    assert str(error) == "400 E0000001: Api validation failed: label (label: too long)"


def test_a_429_carries_the_reset_and_the_wait_read_against_date() -> None:
    headers = {
        "Date": "Mon, 23 Nov 2026 11:00:00 GMT",
        "X-Rate-Limit-Limit": "50",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": "1795431637",  # 11:00:37 on Okta's clock
    }
    body = okta_body("E0000047", "API call exceeded rate limit")

    error = error_from_response(httpx.Response(429, headers=headers, json=body))

    assert isinstance(error, RateLimited)
    assert (error.reset_at, error.retry_after, error.concurrency) == (1795431637, 37, False)


def test_a_concurrency_429_is_told_apart_by_limit_0() -> None:
    headers = {"X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "9"}
    body = okta_body("E0000047", "API call exceeded rate limit")

    error = error_from_response(httpx.Response(429, headers=headers, json=body))

    assert isinstance(error, RateLimited)
    assert error.concurrency
    assert error.retry_after is None  # no Date: no wait can be read from the reset


def test_the_token_endpoints_oauth_errors_are_read_too() -> None:
    body = {"error": "invalid_client", "error_description": "The client_assertion is invalid."}

    error = error_from_response(httpx.Response(401, json=body))

    assert isinstance(error, InvalidToken)
    assert (error.error_code, error.summary) == (
        "invalid_client",
        "The client_assertion is invalid.",
    )


@pytest.mark.parametrize(
    ("status", "kind"), [(502, ServerError), (404, NotFound), (418, PermanentError)]
)
def test_an_answer_that_is_not_okta_json_still_maps_by_status(
    status: int, kind: type[OktaError]
) -> None:
    error = error_from_response(httpx.Response(status, text="<html>Bad Gateway</html>"))

    assert type(error) is kind
    assert error.error_code is None
    assert error.summary


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ReadTimeout("read timed out"), OktaTimeout),
        (httpx.ConnectTimeout("connect timed out"), OktaTimeout),
        (httpx.ConnectError("connection refused"), TransportError),
    ],
)
def test_a_call_without_an_answer_is_a_temporary_transport_error(
    exc: httpx.TransportError, kind: type[OktaError]
) -> None:
    error = transport_error(exc)

    assert type(error) is kind
    assert isinstance(error, TemporaryError)
    assert error.status is None
