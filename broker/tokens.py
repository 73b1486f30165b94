"""Random bearer tokens (sessions, grants, credentials, tickets, OIDC binders) and what is kept.

Tables keep a token's SHA-256 hex digest, never the token. Unsalted is fine: a token has 256
random bits, so there is nothing to guess from its digest.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits of randomness per token


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
