"""ID tokens (OIDC Core §2) and the defects the sandbox can put in them on purpose.

A relying party must reject a token whose issuer, audience, signature, algorithm, lifetime, nonce
or key id is wrong (OIDC Core §3.1.3.7). `Misbehaviour` names each defect; `mint` applies at most
one, so a negative test knows exactly which check it is exercising.
"""

from __future__ import annotations

import base64
import json
import secrets
from enum import StrEnum
from typing import Any

from sandbox.org.oidc.keys import SigningKey


class Misbehaviour(StrEnum):
    WRONG_ISS = "wrong_iss"
    WRONG_AUD = "wrong_aud"
    BAD_SIGNATURE = "bad_signature"
    ALG_NONE = "alg_none"
    EXPIRED = "expired"
    WRONG_NONCE = "wrong_nonce"
    UNKNOWN_KID = "unknown_kid"
    # RFC 9207 §2: the `iss` authorization-response parameter names another issuer.
    WRONG_RESPONSE_ISS = "wrong_response_iss"


# What each claim-level defect puts in the token, fixed so that tests can assert on it. The wrong
# issuer is the one a confused client most often expects: a custom authorization server's.
WRONG_ISSUER_SUFFIX = "/oauth2/default"
WRONG_AUDIENCE = "0oaWrongAudience0000"
WRONG_NONCE = "not-the-nonce-you-sent"
EXPIRED_BY = 3600  # seconds in the past


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _tamper_claims(claims: dict[str, Any], defect: Misbehaviour | None) -> dict[str, Any]:
    claims = dict(claims)
    if defect is Misbehaviour.WRONG_ISS:
        claims["iss"] = f"{claims['iss']}{WRONG_ISSUER_SUFFIX}"
    elif defect is Misbehaviour.WRONG_AUD:
        claims["aud"] = WRONG_AUDIENCE
    elif defect is Misbehaviour.WRONG_NONCE:
        claims["nonce"] = WRONG_NONCE
    elif defect is Misbehaviour.EXPIRED:
        lifetime = int(claims["exp"]) - int(claims["iat"])
        claims["exp"] = int(claims["iat"]) - EXPIRED_BY
        claims["iat"] = claims["exp"] - lifetime
        claims["auth_time"] = min(int(claims.get("auth_time", claims["iat"])), claims["iat"])
    return claims


def mint(claims: dict[str, Any], key: SigningKey, defect: Misbehaviour | None = None) -> str:
    """Sign `claims` with `key`, spoiled by `defect` when one is given."""
    claims = _tamper_claims(claims, defect)
    if defect is Misbehaviour.ALG_NONE:
        # RFC 7519 §6.1: an Unsecured JWT has an empty signature part.
        header = json.dumps({"kid": key.kid, "alg": "none"}, separators=(",", ":")).encode()
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return f"{_b64(header)}.{_b64(payload)}."
    if defect is Misbehaviour.UNKNOWN_KID:
        # Signed correctly, but by a key the JWKS never publishes, under a kid nobody knows.
        return SigningKey.generate().sign(claims)
    token = key.sign(claims)
    if defect is Misbehaviour.BAD_SIGNATURE:
        head, body, signature = token.split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[len(raw) // 2] ^= 0xFF
        token = f"{head}.{body}.{_b64(bytes(raw))}"
    return token


def new_jti() -> str:
    return "ID." + secrets.token_urlsafe(32)
