"""The org authorization server's signing keys, published as a JWKS (RFC 7517 §5).

Okta signs ID tokens with RS256 and publishes every key a relying party may still meet at
`/oauth2/v1/keys`; a rotation makes a new key current and keeps the previous ones published until
they are retired, so tokens signed just before a rotation still verify.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: RSAKey

    @classmethod
    def generate(cls) -> SigningKey:
        # Okta's kids are 43 URL-safe characters.
        kid = secrets.token_urlsafe(32)
        key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
        return cls(kid=kid, key=key)

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.key.as_dict(private=False))
        return {k: jwk[k] for k in ("kty", "alg", "kid", "use", "e", "n")}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """A compact JWS over `claims`; `kid` overrides the header's key id (misbehaviour only)."""
        header = {"kid": kid or self.kid, "alg": ALGORITHM}
        return jwt.encode(header, claims, self.key, [ALGORITHM], default_type=None)


class KeyRing:
    """The current signing key first, then older keys still published."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = [SigningKey.generate()]

    @property
    def current(self) -> SigningKey:
        return self._keys[0]

    @property
    def kids(self) -> list[str]:
        return [k.kid for k in self._keys]

    def rotate(self, *, retire_previous: bool = False) -> SigningKey:
        new = SigningKey.generate()
        with self._lock:
            self._keys = [new] if retire_previous else [new, *self._keys]
        return new

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self._keys]}
