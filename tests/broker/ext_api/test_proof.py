"""The proof JWT's checks (RFC 9449 §4.3) and key thumbprints (RFC 7638), without a database."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from broker.ext_api.errors import InvalidKey, InvalidProof
from broker.ext_api.proof import (
    MAX_AGE_S,
    PublicKey,
    access_token_hash,
    thumbprint,
    verify_proof,
)
from tests.broker.ext_api.extension import b64url, public_jwk, sign_jwt

URL = "http://127.0.0.1:8400/api/ext/v1/grants/redeem"
CREDENTIAL = "a-credential-made-up-for-this-test"


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _proof(
    key: ec.EllipticCurvePrivateKey,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    head: dict[str, Any] = {"typ": "dpop+jwt", "alg": "ES256", "jwk": public_jwk(key)}
    body: dict[str, Any] = {
        "htm": "POST",
        "htu": URL,
        "iat": int(time.time()),
        "jti": "jti-1",
        "ath": access_token_hash(CREDENTIAL),
    }
    head.update(header or {})
    body.update(claims or {})
    drop = {k for k, v in {**head, **body}.items() if v is None}
    return sign_jwt(
        key,
        {k: v for k, v in head.items() if k not in drop},
        {k: v for k, v in body.items() if k not in drop},
    )


def _verify(proof: str, key: ec.EllipticCurvePrivateKey, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "method": "POST",
        "url": URL,
        "now": datetime.now(UTC),
        "registered": PublicKey.from_jwk(public_jwk(key)),
        "credential": CREDENTIAL,
    }
    args.update(overrides)
    return verify_proof(proof, **args)


def test_a_good_proof_verifies_with_jwk_or_with_the_thumbprint_as_kid(
    key: ec.EllipticCurvePrivateKey,
) -> None:
    registered = PublicKey.from_jwk(public_jwk(key))
    assert _verify(_proof(key), key).jti == "jti-1"
    by_kid = _proof(key, header={"jwk": None, "kid": registered.thumbprint})
    assert _verify(by_kid, key).key.thumbprint == registered.thumbprint


def _resigned(key: ec.EllipticCurvePrivateKey) -> str:
    """A valid proof whose claims were edited after signing."""
    header, _claims, signature = _proof(key).split(".")
    forged = b64url(b'{"htm":"POST","htu":"%s","iat":%d,"jti":"x"}' % (URL.encode(), time.time()))
    return f"{header}.{forged}.{signature}"


CASES: list[tuple[str, Callable[[ec.EllipticCurvePrivateKey], str], str]] = [
    ("wrong typ", lambda k: _proof(k, header={"typ": "JWT"}), "typ"),
    ("no typ", lambda k: _proof(k, header={"typ": None}), "typ"),
    ("alg none", lambda k: _proof(k, header={"alg": "none"}), "alg"),
    ("alg HS256", lambda k: _proof(k, header={"alg": "HS256"}), "alg"),
    ("crit header", lambda k: _proof(k, header={"crit": ["exp"]}), "critical"),
    ("no key", lambda k: _proof(k, header={"jwk": None}), "registered key"),
    ("wrong kid", lambda k: _proof(k, header={"jwk": None, "kid": "nope"}), "registered key"),
    ("other method", lambda k: _proof(k, claims={"htm": "GET"}), "method"),
    ("other URL", lambda k: _proof(k, claims={"htu": URL.replace("redeem", "x")}), "URL"),
    ("URL with query", lambda k: _proof(k, claims={"htu": URL + "?a=1"}), "URL"),
    ("too old", lambda k: _proof(k, claims={"iat": int(time.time()) - MAX_AGE_S - 2}), "old"),
    ("from the future", lambda k: _proof(k, claims={"iat": int(time.time()) + 60}), "future"),
    ("iat a string", lambda k: _proof(k, claims={"iat": str(int(time.time()))}), "iat"),
    ("iat a boolean", lambda k: _proof(k, claims={"iat": True}), "iat"),
    ("no jti", lambda k: _proof(k, claims={"jti": None}), "jti"),
    ("long jti", lambda k: _proof(k, claims={"jti": "j" * 129}), "jti"),
    ("no ath", lambda k: _proof(k, claims={"ath": None}), "ath"),
    ("other ath", lambda k: _proof(k, claims={"ath": access_token_hash("other")}), "ath"),
    ("edited claims", _resigned, "signature"),
    ("not a JWS", lambda k: "abc.def", "compact"),
    ("garbage parts", lambda k: "!!.??.**", "well-formed"),
    ("padded base64", lambda k: _proof(k).replace(".", "=.", 1), "well-formed"),
    ("DER signature", lambda k: _proof(k).rsplit(".", 1)[0] + "." + b64url(b"\x30" * 70), "ES256"),
    ("too long", lambda k: "a" * 5000, "too long"),
]


@pytest.mark.parametrize(("make", "complaint"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_proof_is_refused(
    key: ec.EllipticCurvePrivateKey,
    make: Callable[[ec.EllipticCurvePrivateKey], str],
    complaint: str,
) -> None:
    with pytest.raises(InvalidProof, match=complaint) as refused:
        _verify(make(key), key)
    assert refused.value.code == "invalid_proof"


def test_a_proof_signed_by_another_key_is_refused(key: ec.EllipticCurvePrivateKey) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidProof, match="other than the registered"):
        _verify(_proof(other), key)
    # The other key named as the registered one's kid: the signature gives it away.
    kid = PublicKey.from_jwk(public_jwk(key)).thumbprint
    with pytest.raises(InvalidProof, match="signature"):
        _verify(_proof(other, header={"jwk": None, "kid": kid}), key)


def test_registration_needs_the_key_in_the_header(key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(InvalidProof, match="jwk header"):
        _verify(_proof(key, header={"jwk": None, "kid": "x"}), key, registered=None)
    assert _verify(_proof(key), key, registered=None, credential=None).jti == "jti-1"


def test_the_thumbprint_is_rfc_7638s(key: ec.EllipticCurvePrivateKey) -> None:
    jwk = public_jwk(key)
    as_joserfc: dict[str, str | list[str]] = {**jwk}
    expected = ECKey.import_key(as_joserfc).thumbprint()  # joserfc's own RFC 7638 implementation
    assert thumbprint(jwk) == PublicKey.from_jwk({**jwk, "kid": "ignored"}).thumbprint == expected


def _private_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    d = key.private_numbers().private_value.to_bytes(32, "big")
    return {**public_jwk(key), "d": b64url(d)}


KEY_CASES: list[tuple[str, Callable[[dict[str, str], ec.EllipticCurvePrivateKey], object], str]] = [
    ("not an object", lambda j, k: "EC", "JSON Web Key"),
    ("RSA", lambda j, k: {**j, "kty": "RSA"}, "P-256"),
    ("P-384", lambda j, k: {**j, "crv": "P-384"}, "P-256"),
    ("private", lambda j, k: _private_jwk(k), "private"),
    ("for encryption", lambda j, k: {**j, "use": "enc"}, "ES256"),
    ("other alg", lambda j, k: {**j, "alg": "ES384"}, "ES256"),
    ("short x", lambda j, k: {**j, "x": b64url(b"\x01" * 31)}, "32 bytes"),
    ("x not base64url", lambda j, k: {**j, "x": "+/+/"}, "base64url"),
    ("off the curve", lambda j, k: {**j, "y": b64url(b"\x01" * 32)}, "point"),
]


@pytest.mark.parametrize(
    ("make", "complaint"), [c[1:] for c in KEY_CASES], ids=[c[0] for c in KEY_CASES]
)
def test_only_an_es256_public_key_on_p256_is_accepted(
    key: ec.EllipticCurvePrivateKey,
    make: Callable[[dict[str, str], ec.EllipticCurvePrivateKey], object],
    complaint: str,
) -> None:
    with pytest.raises(InvalidKey, match=complaint):
        PublicKey.from_jwk(make(public_jwk(key), key))
