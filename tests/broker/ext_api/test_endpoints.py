"""The journey the extension makes: register → redeem → code, and what it leaves in the audit."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest
from openapi_schema_validator import OAS31Validator

from broker import totp
from broker.context import BrokerContext
from broker.ext_api import openapi_document
from broker.ext_api.endpoints import public_url
from tests.broker.ext_api.conftest import TOTP_SECRET, Launch, Scene, error_of
from tests.broker.ext_api.extension import Extension

pytestmark = pytest.mark.anyio


async def test_register_redeem_and_fetch_a_code(scene: Scene, launch: Launch) -> None:
    ext = launch.extension
    released = await ext.post("/grants/redeem", {"grant": launch.grant})
    assert released.status_code == 200, released.text
    body = released.json()
    number = int(body["account"]["name"].split()[-1])
    assert body["account"] == {
        "id": launch.account_id,
        "name": f"Account {number}",
        "app_name": "Demo",
        "login_url": "https://demo.example.com/login",
        "origin": "https://demo.example.com",
    }
    assert body["username"] == f"user{number}"
    assert body["password"] == f"pw-{number}"
    assert body["has_code_step"] is True
    assert body["ticket_expires_in"] <= 300
    assert released.headers["cache-control"] == "no-store"
    assert released.headers["access-control-allow-origin"] == ext.origin

    code = await ext.post("/code", {"ticket": body["ticket"]})
    assert code.status_code == 200, code.text
    now = time.time()
    around_now = {totp.code_at(TOTP_SECRET, now + step) for step in (-30, 0, 30)}
    assert code.json()["code"] in around_now
    assert 0 < code.json()["expires_in"] <= 30
    assert "secret" not in code.text.lower()

    actions = [e.action for e in scene.events()]
    assert actions.count("credential.registered") == 1
    assert actions.count("credential.released") == 1
    assert actions.count("code.released") == 1


async def test_an_account_without_a_code_step_says_so_and_has_no_code(
    scene: Scene, extension: Extension
) -> None:
    member = scene.member()
    account_id = scene.account_for(member)
    cookie, session_id = scene.sign_in(member)
    assert (await extension.register(cookie)).status_code == 201
    grant = scene.grant(member, account_id, session_id)
    body = (await extension.post("/grants/redeem", {"grant": grant})).json()
    assert body["has_code_step"] is False
    code = await extension.post("/code", {"ticket": body["ticket"]})
    assert (code.status_code, error_of(code)) == (400, "invalid_request")


async def test_revoking_the_credential_signs_the_extension_out(launch: Launch) -> None:
    ext = launch.extension
    revoked = await ext.post("/keys/revoke", {})
    assert revoked.json() == {"revoked": True}
    refused = await ext.post("/grants/redeem", {"grant": launch.grant})
    assert (refused.status_code, error_of(refused)) == (401, "invalid_token")
    assert refused.headers["www-authenticate"].startswith("DPoP ")


async def test_the_openapi_document_is_served(extension: Extension) -> None:
    answer = await extension.client.get("openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/keys", "/keys/revoke", "/grants/redeem", "/code"}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "grants/redeem", 405, "method_not_allowed"),
        ("PUT", "keys", 405, "method_not_allowed"),
        ("POST", "nowhere", 404, "not_found"),
    ],
)
async def test_unknown_paths_and_methods_answer_in_the_error_shape(
    extension: Extension, method: str, path: str, status: int, code: str
) -> None:
    answer = await extension.client.request(
        method, path, headers={"Origin": extension.origin, "Content-Type": "application/json"}
    )
    assert (answer.status_code, error_of(answer)) == (status, code)


def _conforms(answer: httpx.Response, schema: str) -> None:
    document = openapi_document()
    OAS31Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    ).validate(answer.json())


async def test_answers_match_the_openapi_document(scene: Scene, launch: Launch) -> None:
    ext = launch.extension
    document = openapi_document()
    OAS31Validator.check_schema(document["components"]["schemas"]["Release"])
    released = await ext.post("/grants/redeem", {"grant": launch.grant})
    _conforms(released, "Release")
    _conforms(await ext.post("/code", {"ticket": released.json()["ticket"]}), "Code")
    _conforms(await ext.post("/grants/redeem", {"grant": launch.grant}), "Error")
    second = Extension(ext.client)
    _conforms(await second.register(launch.cookie), "Registration")
    _conforms(await ext.post("/keys/revoke", {}), "Revoked")
    for path, spec in document["paths"].items():
        assert set(spec["post"]["responses"]) >= {"400", "401", "403"}, path


@pytest.mark.parametrize(
    ("broker_url", "htu"),
    [
        ("http://127.0.0.1:8400", "http://127.0.0.1:8400/api/ext/v1/code"),
        ("http://127.0.0.1:8400/", "http://127.0.0.1:8400/api/ext/v1/code"),
        ("HTTPS://Latchkey.Example.com:443", "https://latchkey.example.com/api/ext/v1/code"),
        ("https://corp.example.com/latchkey/", "https://corp.example.com/latchkey/api/ext/v1/code"),
    ],
)
def test_proofs_name_the_url_as_a_browser_writes_it(
    ctx: BrokerContext, broker_url: str, htu: str
) -> None:
    settings = dataclasses.replace(ctx.settings, broker_url=broker_url)
    assert public_url(dataclasses.replace(ctx, settings=settings), "/code") == htu
