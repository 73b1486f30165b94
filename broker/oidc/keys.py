"""The provider's signing keys (RFC 7517), cached and re-fetched when a token names a new `kid`.

Okta rotates its keys and publishes the new one before using it, so an unknown `kid` usually means
our copy is stale: fetch again (OIDC Core §10.1.1). A forged token can name any `kid` it likes,
so re-fetching is limited to once per cooldown, and a `kid` still unknown afterwards is refused.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from broker.oidc.errors import IdTokenInvalid, ProviderError

ALGORITHM = "RS256"


def _signing_keys(jwks: Any) -> dict[str, RSAKey]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ProviderError("The provider's key set is not a JWKS.", reason="jwks")
    keys: dict[str, RSAKey] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", ALGORITHM) != ALGORITHM:
            continue
        try:
            keys[str(jwk["kid"])] = RSAKey.import_key(jwk)
        except (JoseError, ValueError, TypeError):
            continue  # one bad entry does not spoil the keys beside it
    return keys


class KeyCache:
    def __init__(
        self,
        fetch: Callable[[], Awaitable[Any]],
        *,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._keys: dict[str, RSAKey] = {}
        self._fetched_at: float | None = None
        self._lock = anyio.Lock()

    async def key(self, kid: str) -> RSAKey:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            fetched = self._fetched_at
            if kid not in self._keys and (
                fetched is None or self._clock() - fetched >= self._cooldown_s
            ):
                self._keys = _signing_keys(await self._fetch())
                self._fetched_at = self._clock()
        if kid not in self._keys:
            raise IdTokenInvalid("The ID token is signed by a key we do not know.", reason="kid")
        return self._keys[kid]
