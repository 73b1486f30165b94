"""Only the extension gets an answer: web pages, forms and big bodies are refused up front."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from broker.ext_api.guard import MAX_BODY_BYTES
from tests.broker.ext_api.conftest import Launch, Scene, error_of
from tests.broker.ext_api.extension import EXTENSION_ORIGIN, Extension

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://127.0.0.1:8400",  # the broker's own pages are not the extension either
        "chrome-extension://someotherextensionid",
        "null",
        EXTENSION_ORIGIN + "/",
        None,
    ],
    ids=["web-page", "broker-page", "other-extension", "null", "trailing-slash", "no-origin"],
)
async def test_a_call_from_anywhere_but_the_extension_is_refused_even_with_the_users_cookie(
    scene: Scene, launch: Launch, origin: str | None
) -> None:
    refused = await launch.extension.post(
        "/grants/redeem",
        {"grant": launch.grant},
        headers={"Origin": origin},
        session_cookie=launch.cookie,
    )
    assert (refused.status_code, error_of(refused)) == (403, "invalid_origin")
    assert "access-control-allow-origin" not in refused.headers
    assert scene.events("credential.released") == []
    # Nothing was spent: the extension itself can still redeem the grant.
    assert (await launch.extension.post("/grants/redeem", {"grant": launch.grant})).is_success


async def test_registration_from_a_web_page_holding_the_session_cookie_is_refused(
    scene: Scene, extension: Extension
) -> None:
    cookie, _ = scene.sign_in(scene.member())
    extension.origin = "https://evil.example"
    refused = await extension.register(cookie)
    assert (refused.status_code, error_of(refused)) == (403, "invalid_origin")
    assert scene.events("credential.registered") == []


async def test_two_origin_headers_are_refused(launch: Launch) -> None:
    client = launch.extension.client
    refused = await client.post(
        "grants/redeem",
        content=b"{}",
        headers=[
            ("Origin", EXTENSION_ORIGIN),
            ("Origin", "https://evil.example"),
            ("Content-Type", "application/json"),
        ],
    )
    assert error_of(refused) == "invalid_origin"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/jsonp",
        None,
    ],
)
async def test_anything_but_json_is_refused(launch: Launch, content_type: str | None) -> None:
    refused = await launch.extension.post(
        "/grants/redeem", {"grant": launch.grant}, headers={"Content-Type": content_type}
    )
    assert (refused.status_code, error_of(refused)) == (415, "unsupported_media_type")


async def test_json_with_a_charset_is_json(launch: Launch) -> None:
    answer = await launch.extension.post(
        "/grants/redeem",
        {"grant": launch.grant},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{not json", "invalid_request"), (b"[]", "invalid_request"), (b'"x"', "invalid_request")],
)
async def test_a_body_that_is_not_a_json_object_is_refused(
    launch: Launch, raw: bytes, code: str
) -> None:
    refused = await launch.extension.post("/grants/redeem", raw=raw)
    assert (refused.status_code, error_of(refused)) == (400, code)


async def test_an_oversized_body_is_refused(scene: Scene, launch: Launch) -> None:
    padding = "x" * MAX_BODY_BYTES
    refused = await launch.extension.post(
        "/grants/redeem", {"grant": launch.grant, "padding": padding}
    )
    assert (refused.status_code, error_of(refused)) == (413, "request_too_large")
    assert scene.events("credential.released") == []


async def test_an_oversized_chunked_body_is_refused_while_reading(launch: Launch) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"grant": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    refused = await launch.extension.client.post(
        "grants/redeem",
        content=chunks(),
        headers={"Origin": EXTENSION_ORIGIN, "Content-Type": "application/json"},
    )
    assert "content-length" not in refused.request.headers
    assert (refused.status_code, error_of(refused)) == (413, "request_too_large")


async def test_a_cors_preflight_from_a_web_origin_is_refused(extension: Extension) -> None:
    refused = await extension.client.options(
        "grants/redeem",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, dpop, authorization",
        },
    )
    assert (refused.status_code, error_of(refused)) == (403, "invalid_origin")
    assert not any(h.startswith("access-control-") for h in refused.headers)


async def test_a_cors_preflight_from_the_extension_is_answered(extension: Extension) -> None:
    answer = await extension.client.options(
        "grants/redeem",
        headers={"Origin": EXTENSION_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == EXTENSION_ORIGIN
    assert answer.headers["access-control-allow-methods"] == "POST"
    assert "dpop" in answer.headers["access-control-allow-headers"]
