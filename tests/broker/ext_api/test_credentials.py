"""Registering a key, and a credential that works only with its key, once per proof."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from broker import sessions
from broker.db import transaction
from broker.ext_api import credentials
from broker.ext_api.proof import PublicKey
from broker.ext_tables import ExtensionCredential, ProofJti, hash_token, revoke_credentials
from broker.models import utcnow
from broker.services import members
from tests.broker.ext_api.conftest import Launch, Scene, error_of
from tests.broker.ext_api.extension import API, Extension, b64url, public_jwk

pytestmark = pytest.mark.anyio


def _credentials(scene: Scene) -> list[ExtensionCredential]:
    with scene.ctx.sessions() as session:
        return list(session.scalars(select(ExtensionCredential)))


async def test_registration_binds_a_hashed_credential_to_the_key_and_the_member(
    scene: Scene, extension: Extension
) -> None:
    member = scene.member()
    cookie, session_id = scene.sign_in(member)
    answer = await extension.register(cookie)
    assert answer.status_code == 201
    body = answer.json()
    assert body["token_type"] == "DPoP"
    assert body["member"] == {"id": member.id, "email": member.email, "name": member.name}
    (row,) = _credentials(scene)
    assert row.token_hash == hash_token(body["credential"]) != body["credential"]
    assert row.jkt == PublicKey.from_jwk(extension.jwk).thumbprint
    assert (row.member_id, row.session_id, row.origin) == (member.id, session_id, extension.origin)
    assert [e.target_id for e in scene.events("credential.registered")] == [row.id]


@pytest.mark.parametrize("cookie", ["", "not-a-session"], ids=["no-cookie", "unknown-cookie"])
async def test_registration_without_a_broker_session_asks_to_sign_in(
    scene: Scene, extension: Extension, cookie: str
) -> None:
    refused = await extension.register(cookie)
    assert (refused.status_code, error_of(refused)) == (401, "login_required")
    assert _credentials(scene) == []


async def test_registration_after_sign_out_asks_to_sign_in(
    scene: Scene, extension: Extension
) -> None:
    cookie, session_id = scene.sign_in(scene.member())
    with transaction(scene.ctx.sessions) as session:
        sessions.revoke(session, session_id)
    refused = await extension.register(cookie)
    assert error_of(refused) == "login_required"


Case = Callable[[Extension], tuple[dict[str, Any], dict[str, str | None]]]


def _private_key(ext: Extension) -> tuple[dict[str, Any], dict[str, str | None]]:
    d = ext.key.private_numbers().private_value.to_bytes(32, "big")
    return {"jwk": {**ext.jwk, "d": b64url(d)}}, {}


def _signed_by_another_key(ext: Extension) -> tuple[dict[str, Any], dict[str, str | None]]:
    other = ec.generate_private_key(ec.SECP256R1())
    return {"jwk": ext.jwk}, {"DPoP": ext.proof("POST", API + "/keys", key=other)}


REGISTRATION_CASES: list[tuple[str, Case, int, str]] = [
    ("no key", lambda ext: ({}, {}), 400, "invalid_key"),
    ("a private key", _private_key, 400, "invalid_key"),
    ("proof by another key", _signed_by_another_key, 401, "invalid_proof"),
    ("no proof", lambda ext: ({"jwk": ext.jwk}, {"DPoP": None}), 401, "invalid_proof"),
]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [c[1:] for c in REGISTRATION_CASES],
    ids=[c[0] for c in REGISTRATION_CASES],
)
async def test_registration_needs_a_public_key_and_a_proof_signed_by_it(
    scene: Scene, extension: Extension, case: Case, status: int, code: str
) -> None:
    cookie, _ = scene.sign_in(scene.member())
    body, headers = case(extension)
    refused = await extension.post("/keys", body, headers=headers, session_cookie=cookie)
    assert (refused.status_code, error_of(refused)) == (status, code)
    assert _credentials(scene) == []


async def test_a_copied_credential_is_useless_without_the_key(launch: Launch) -> None:
    thief = Extension(launch.extension.client, credential=launch.extension.credential)
    refused = await thief.post("/grants/redeem", {"grant": launch.grant})
    assert (refused.status_code, error_of(refused)) == (401, "invalid_proof")
    assert (await launch.extension.post("/grants/redeem", {"grant": launch.grant})).is_success


async def test_a_replayed_proof_is_refused(scene: Scene, launch: Launch) -> None:
    ext = launch.extension
    proof = ext.proof("POST", API + "/grants/redeem")
    first = await ext.post("/grants/redeem", {"grant": launch.grant}, proof=proof)
    assert first.status_code == 200
    grant = scene.grant(launch.member, launch.account_id, launch.session_id)
    replayed = await ext.post("/grants/redeem", {"grant": grant}, proof=proof)
    assert (replayed.status_code, error_of(replayed)) == (401, "invalid_proof")
    (event,) = scene.events("proof.rejected")
    assert event.details["reason"] == "replayed"


async def test_a_proof_is_spent_even_by_a_refused_call(scene: Scene, launch: Launch) -> None:
    ext = launch.extension
    proof = ext.proof("POST", API + "/grants/redeem")
    refused = await ext.post("/grants/redeem", {"grant": "made-up"}, proof=proof)
    assert error_of(refused) == "invalid_grant"
    replayed = await ext.post("/grants/redeem", {"grant": launch.grant}, proof=proof)
    assert error_of(replayed) == "invalid_proof"


PROOF_CASES: list[tuple[str, dict[str, Any]]] = [
    ("for another URL", {"claims": {"htu": API + "/code"}}),
    ("for another method", {"claims": {"htm": "PUT"}}),
    ("expired", {"claims": {"iat": int(time.time()) - 120}}),
    ("without ath", {"claims": {"ath": None}}),
    ("for another credential", {"credential": "someone-elses"}),
]


@pytest.mark.parametrize("case", [c[1] for c in PROOF_CASES], ids=[c[0] for c in PROOF_CASES])
async def test_a_proof_made_for_something_else_is_refused(
    scene: Scene, launch: Launch, case: dict[str, Any]
) -> None:
    ext = launch.extension
    proof = ext.proof(
        "POST", API + "/grants/redeem", claims=case.get("claims"), credential=case.get("credential")
    )
    refused = await ext.post("/grants/redeem", {"grant": launch.grant}, proof=proof)
    assert (refused.status_code, error_of(refused)) == (401, "invalid_proof")
    assert scene.events("credential.released") == []
    assert len(scene.events("proof.rejected")) == 1


@pytest.mark.parametrize(
    "headers",
    [{"DPoP": None}, {"Authorization": None}, {"Authorization": "Bearer x"}],
    ids=["no-proof", "no-credential", "bearer-scheme"],
)
async def test_a_call_without_proof_or_credential_is_refused(
    launch: Launch, headers: dict[str, str | None]
) -> None:
    refused = await launch.extension.post(
        "/grants/redeem", {"grant": launch.grant}, headers=headers
    )
    assert refused.status_code == 401
    assert error_of(refused) in {"invalid_proof", "invalid_token"}
    assert refused.headers["www-authenticate"].startswith("DPoP error=")


async def test_two_proofs_are_refused(launch: Launch) -> None:
    ext = launch.extension
    url = API + "/grants/redeem"
    refused = await ext.client.post(
        "grants/redeem",
        json={"grant": launch.grant},
        headers=[
            ("Origin", ext.origin),
            ("Authorization", f"DPoP {ext.credential}"),
            ("DPoP", ext.proof("POST", url)),
            ("DPoP", ext.proof("POST", url)),
        ],
    )
    assert error_of(refused) == "invalid_proof"


async def test_a_proof_naming_the_key_by_thumbprint_works(launch: Launch) -> None:
    ext = launch.extension
    kid = PublicKey.from_jwk(public_jwk(ext.key)).thumbprint
    proof = ext.proof("POST", API + "/grants/redeem", header={"jwk": None, "kid": kid})
    assert (await ext.post("/grants/redeem", {"grant": launch.grant}, proof=proof)).is_success


async def test_a_deactivated_members_credential_stops_working_at_once(
    scene: Scene, launch: Launch
) -> None:
    with transaction(scene.ctx.sessions) as session:
        members.set_inactive(session, scene.workspace.id, launch.member.id)
    refused = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
    assert (refused.status_code, error_of(refused)) == (401, "invalid_token")
    (event,) = scene.events("credential.rejected")
    assert event.details == {"reason": "member_deactivated"}


async def test_revoking_every_credential_of_a_member(scene: Scene, launch: Launch) -> None:
    with transaction(scene.ctx.sessions) as session:
        assert revoke_credentials(session, launch.member.id, now=utcnow()) == 1
    refused = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
    assert error_of(refused) == "invalid_token"


async def test_an_expired_credential_is_refused(scene: Scene, launch: Launch) -> None:
    with transaction(scene.ctx.sessions) as session:
        for row in session.scalars(select(ExtensionCredential)):
            row.expires_at = utcnow()
    refused = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
    assert error_of(refused) == "invalid_token"


def test_expired_proof_ids_are_pruned(scene: Scene) -> None:
    with transaction(scene.ctx.sessions) as session:
        old = int(time.time()) - 3600
        assert credentials.remember_jti(session, "jkt", "old", old)
        assert credentials.remember_jti(session, "jkt", "new", int(time.time()))
        assert not credentials.remember_jti(session, "jkt", "new", int(time.time()))
        assert credentials.remember_jti(session, "other-key", "new", int(time.time()))
        assert credentials.prune_jtis(session, utcnow()) == 1
        assert {r.jti_hash for r in session.scalars(select(ProofJti))} == {hash_token("new")}
