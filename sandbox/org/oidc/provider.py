"""The OIDC provider's runtime state, kept in `ctx.parts["oidc"]`: keys, sessions, codes, tokens.

Everything the protocol code (`server.py`) and the web layer (`endpoints.py`, `signin.py`) share
lives here, so the control plane can rotate keys or switch on a misbehaviour without knowing the
Authlib side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.org.context import OrgContext
from sandbox.org.oidc.id_token import Misbehaviour
from sandbox.org.oidc.keys import KeyRing
from sandbox.org.oidc.sessions import SessionStore

PART = "oidc"

# The org authorization server accepts only the OIDC scopes (Okta: "org AS scopes").
SCOPES = ["openid", "profile", "email", "address", "phone", "offline_access", "groups"]


@dataclass
class OidcSettings:
    code_lifetime: int = 300  # Okta's authorization code lifetime, in seconds
    id_token_lifetime: int = 3600
    access_token_lifetime: int = 3600
    # Okta's "Require PKCE" app setting; the broker always sends S256, so the sandbox insists.
    require_pkce: bool = True
    # RFC 9207: add `iss` to every authorization response.
    issuer_parameter: bool = True


@dataclass
class AuthorizationCode:
    """An issued code; kept after use so that a replay can be told apart and its tokens revoked."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    auth_time: int
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    used: bool = False

    # authlib.oidc.core.AuthorizationCodeMixin
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str]:
        return ["pwd"]


@dataclass
class AccessToken:
    access_token: str
    client_id: str
    user_id: str
    scope: str
    expires_at: float
    code: str | None
    clock: Callable[[], float] = field(repr=False)
    revoked: bool = False

    # authlib.oauth2.rfc6749.TokenMixin
    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.expires_at - self.clock()))

    def is_expired(self) -> bool:
        return self.expires_at <= self.clock()

    def is_revoked(self) -> bool:
        return self.revoked


class OidcProvider:
    def __init__(
        self,
        ctx: OrgContext,
        settings: OidcSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ctx = ctx
        self.settings = settings or OidcSettings()
        self.clock = clock
        self.keys = KeyRing()
        self.sessions = SessionStore(ctx.state, lambda: self.clock())
        self.lock = threading.Lock()
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, AccessToken] = {}
        self._misbehaviour: Misbehaviour | None = None
        self._misbehaviour_left: int | None = None

    @property
    def issuer(self) -> str:
        return self.ctx.base_url.rstrip("/")

    def misbehave(self, mode: Misbehaviour | None, times: int | None = None) -> None:
        """Spoil the next `times` ID tokens (every one when None) with `mode`; None heals."""
        with self.lock:
            self._misbehaviour = mode
            self._misbehaviour_left = times if mode is not None else None

    @property
    def misbehaviour(self) -> Misbehaviour | None:
        return self._misbehaviour

    def take_misbehaviour(self, *modes: Misbehaviour) -> Misbehaviour | None:
        """The active mode if it is one of `modes`, counting one use of it."""
        with self.lock:
            mode = self._misbehaviour
            if mode is None or mode not in modes:
                return None
            if self._misbehaviour_left is not None:
                self._misbehaviour_left -= 1
                if self._misbehaviour_left <= 0:
                    self._misbehaviour, self._misbehaviour_left = None, None
            return mode

    def revoke_tokens_of_code(self, code: str) -> None:
        # RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens it produced.
        with self.lock:
            for token in self.tokens.values():
                if token.code == code:
                    token.revoked = True


def provider_of(ctx: OrgContext) -> OidcProvider:
    """The org's provider, created on first use."""
    provider = ctx.parts.get(PART)
    if provider is None:
        provider = ctx.parts.setdefault(PART, OidcProvider(ctx))
    assert isinstance(provider, OidcProvider)
    return provider
