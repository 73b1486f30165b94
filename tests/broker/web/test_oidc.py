"""The relying party's own checks, case by case (`broker.oidc`): ID token claims, key cache,
discovery and transactions."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import utcnow
from broker.oidc import transactions
from broker.oidc.discovery import parse_metadata
from broker.oidc.errors import IdTokenInvalid, IssuerMismatch, ProviderError, TransactionInvalid
from broker.oidc.id_token import IdTokenPolicy, read_header, validate_claims
from broker.oidc.keys import KeyCache
from broker.session_models import SignInTransaction

ISSUER = "https://acme.okta.example"
CLIENT = "0oaClient"
NOW = 1_800_000_000.0
POLICY = IdTokenPolicy(issuer=ISSUER, client_id=CLIENT, max_age_s=300, leeway_s=60)


def good_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "00uAda",
        "iat": int(NOW) - 5,
        "exp": int(NOW) + 3600,
        "nonce": "n-1",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_good_claims_pass() -> None:
    validate_claims(good_claims(), POLICY, nonce="n-1", access_token=None, now=NOW)
    validate_claims(
        good_claims(aud=[CLIENT, "api://other"], azp=CLIENT),
        POLICY,
        nonce="n-1",
        access_token=None,
        now=NOW,
    )


# OIDC Core §3.1.3.7, one broken claim at a time, and the check that names it.
BROKEN = [
    ({"iss": ISSUER + "/oauth2/default"}, "iss"),
    ({"iss": None}, "iss"),
    ({"aud": "0oaSomeoneElse"}, "aud"),
    ({"aud": ["0oaSomeoneElse", "api://x"]}, "aud"),
    ({"aud": [CLIENT, "api://other"]}, "azp"),  # several audiences and no azp
    ({"aud": [CLIENT, "api://other"], "azp": "api://other"}, "azp"),
    ({"exp": int(NOW) - 61}, "exp"),
    ({"exp": "tomorrow"}, "exp"),
    ({"iat": int(NOW) - 301}, "iat"),  # older than the maximum age
    ({"iat": int(NOW) + 61}, "iat"),  # from the future
    ({"iat": None}, "iat"),
    ({"nonce": "n-2"}, "nonce"),
    ({"nonce": None}, "nonce"),
    ({"sub": ""}, "sub"),
    ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "at_hash"),
]


@pytest.mark.parametrize(("changes", "reason"), BROKEN)
def test_each_broken_claim_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(IdTokenInvalid) as caught:
        validate_claims(good_claims(**changes), POLICY, nonce="n-1", access_token="at-123", now=NOW)
    assert caught.value.reason == reason


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none", "kid": "k1"}, "alg"),
        ({"alg": "HS256", "kid": "k1"}, "alg"),  # the public key misused as an HMAC secret
        ({"alg": "RS512", "kid": "k1"}, "alg"),
        ({"alg": "RS256"}, "kid"),
    ],
)
def test_only_rs256_with_a_key_id_is_read(header: dict[str, str], reason: str) -> None:
    token = f"{_b64(header)}.{_b64(good_claims())}.c2lnbmF0dXJl"
    with pytest.raises(IdTokenInvalid) as caught:
        read_header(token)
    assert caught.value.reason == reason


class FakeJwks:
    def __init__(self) -> None:
        self.keys: list[RSAKey] = []
        self.fetches = 0

    def publish(self, kid: str) -> RSAKey:
        key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
        self.keys.append(key)
        return key

    async def fetch(self) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


@pytest.mark.anyio
async def test_an_unknown_kid_refetches_once_per_cooldown() -> None:
    jwks = FakeJwks()
    jwks.publish("k1")
    clock = [100.0]
    cache = KeyCache(jwks.fetch, cooldown_s=60, clock=lambda: clock[0])

    assert (await cache.key("k1")).kid == "k1"
    assert jwks.fetches == 1
    for _ in range(5):  # a flood of forged kids costs at most one fetch per cooldown
        with pytest.raises(IdTokenInvalid):
            await cache.key("forged")
    assert jwks.fetches == 1

    jwks.publish("k2")  # Okta rotates
    clock[0] += 61
    assert (await cache.key("k2")).kid == "k2"
    assert jwks.fetches == 2
    assert (await cache.key("k1")).kid == "k1"  # still cached, no fetch
    assert jwks.fetches == 2


def discovery(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/oauth2/v1/authorize",
        "token_endpoint": f"{ISSUER}/oauth2/v1/token",
        "userinfo_endpoint": f"{ISSUER}/oauth2/v1/userinfo",
        "jwks_uri": f"{ISSUER}/oauth2/v1/keys",
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "authorization_response_iss_parameter_supported": True,
    }
    doc.update(changes)
    return doc


def test_discovery_must_name_the_configured_issuer() -> None:
    assert parse_metadata(discovery(), ISSUER).sends_response_iss
    with pytest.raises(IssuerMismatch):
        parse_metadata(discovery(issuer=ISSUER + "/oauth2/default"), ISSUER)


@pytest.mark.parametrize(
    "changes",
    [
        {"token_endpoint": None},
        {"jwks_uri": "ftp://keys"},
        {"code_challenge_methods_supported": ["plain"]},
        {"id_token_signing_alg_values_supported": ["HS256"]},
    ],
)
def test_discovery_without_what_we_need_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ProviderError):
        parse_metadata(discovery(**changes), ISSUER)


def test_a_transaction_is_single_use_and_bound_to_its_browser(session: Session) -> None:
    started = transactions.begin(session, binder=None, return_to="/")
    assert len(started.code_verifier) == 43  # RFC 7636 §4.1

    pending = transactions.check(transactions.take(session, started.state), started.binder)
    assert pending.code_verifier == started.code_verifier
    assert pending.return_to == "/"
    with pytest.raises(TransactionInvalid):
        transactions.check(transactions.take(session, started.state), started.binder)


def test_a_transaction_refuses_another_browser_and_old_age(session: Session) -> None:
    first = transactions.begin(session, binder=None, return_to="/")
    second = transactions.begin(session, binder=first.binder, return_to="/")
    assert second.binder == first.binder  # parallel sign-ins in one browser both finish

    with pytest.raises(TransactionInvalid) as foreign:
        transactions.check(transactions.take(session, first.state), "another-browser")
    assert foreign.value.reason == "state_foreign"
    with pytest.raises(TransactionInvalid) as late:
        transactions.check(
            transactions.take(session, second.state),
            second.binder,
            now=utcnow() + timedelta(minutes=10, seconds=1),
        )
    assert late.value.reason == "state_expired"


def test_nothing_secret_is_stored_for_a_transaction(session: Session) -> None:
    started = transactions.begin(session, binder=None, return_to="/")
    row = session.scalars(select(SignInTransaction)).one()
    stored = " ".join(str(v) for v in row.__dict__.values())
    for value in (started.state, started.binder, started.code_verifier):
        assert value not in stored
