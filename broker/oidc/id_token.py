"""ID token validation, OIDC Core §3.1.3.7, stricter than the defaults of the libraries.

The signature is checked with RS256 only (steps 6-7: the algorithm is ours to choose, never the
token's), then each claim: `iss` identical to the configured issuer (step 2), `aud` containing our
client id and `azp` naming us when there are several audiences (steps 3-5), `exp` in the future
(step 9), `iat` recent (step 10, with a maximum age we set), `nonce` equal to the one we sent
(step 11), and `at_hash` matching the access token when present (§3.1.3.8).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from authlib.oidc.core.util import create_half_hash
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from broker.oidc.errors import IdTokenInvalid
from broker.oidc.keys import ALGORITHM, KeyCache


@dataclass(frozen=True)
class IdTokenPolicy:
    issuer: str
    client_id: str
    max_age_s: int = 300  # how old `iat` may be: a token minted long ago is not a fresh sign-in
    leeway_s: int = 60  # clock skew we forgive on `exp` and on an `iat` in the future


@dataclass(frozen=True)
class UnverifiedHeader:
    alg: str
    kid: str


def read_header(token: str) -> UnverifiedHeader:
    try:
        compact = jws.extract_compact(token.encode())
    except (JoseError, ValueError) as exc:
        raise IdTokenInvalid("The ID token is not a compact JWS.", reason="malformed") from exc
    header = compact.protected
    alg, kid = header.get("alg"), header.get("kid")
    if alg != ALGORITHM:
        raise IdTokenInvalid("The ID token is not signed with RS256.", reason="alg")
    if not isinstance(kid, str) or not kid:
        raise IdTokenInvalid("The ID token names no key.", reason="kid")
    return UnverifiedHeader(alg, kid)


def verify_signature(token: str, key: RSAKey) -> dict[str, Any]:
    try:
        compact = jws.deserialize_compact(token, key, algorithms=[ALGORITHM])
        claims = json.loads(compact.payload)
    except (JoseError, ValueError) as exc:
        raise IdTokenInvalid("The ID token signature does not verify.", reason="signature") from exc
    if not isinstance(claims, dict):
        raise IdTokenInvalid("The ID token carries no claims.", reason="malformed")
    return claims


def _number(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise IdTokenInvalid(f"The ID token has no numeric {name!r}.", reason=name)
    return int(value)


def validate_claims(
    claims: dict[str, Any],
    policy: IdTokenPolicy,
    *,
    nonce: str,
    access_token: str | None,
    now: float,
) -> None:
    if claims.get("iss") != policy.issuer:
        raise IdTokenInvalid("The ID token comes from another issuer.", reason="iss")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or policy.client_id not in audiences:
        raise IdTokenInvalid("The ID token is meant for another client.", reason="aud")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != policy.client_id:
        raise IdTokenInvalid("The ID token was issued to another party.", reason="azp")
    if _number(claims, "exp") <= now - policy.leeway_s:
        raise IdTokenInvalid("The ID token has expired.", reason="exp")
    issued_at = _number(claims, "iat")
    if issued_at > now + policy.leeway_s or now - issued_at > policy.max_age_s:
        raise IdTokenInvalid("The ID token was not issued just now.", reason="iat")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise IdTokenInvalid("The ID token answers another request.", reason="nonce")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise IdTokenInvalid("The ID token names no subject.", reason="sub")
    at_hash = claims.get("at_hash")
    if at_hash is not None and access_token is not None:
        expected = create_half_hash(access_token, ALGORITHM)
        if expected is None or not hmac.compare_digest(str(at_hash).encode(), expected):
            raise IdTokenInvalid("The ID token belongs to another access token.", reason="at_hash")


async def validate(
    token: str,
    keys: KeyCache,
    policy: IdTokenPolicy,
    *,
    nonce: str,
    access_token: str | None,
    now: float,
) -> dict[str, Any]:
    """The verified claims of `token`, or IdTokenInvalid naming the first check that failed."""
    header = read_header(token)
    claims = verify_signature(token, await keys.key(header.kid))
    validate_claims(claims, policy, nonce=nonce, access_token=access_token, now=now)
    return claims
