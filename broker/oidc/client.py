"""The broker as an OIDC relying party of Okta: authorization code flow with PKCE S256.

Built on Authlib's protocol helpers (RFC 6749 request and RFC 7636 challenge) and joserfc, driving
our own `httpx.AsyncClient`, rather than on Authlib's Starlette client: that client (and its httpx
client) import a shim that raises a DeprecationWarning with httpx (this suite fails on warnings),
keep the transaction in a cookie-backed `request.session` instead of server-side, accept whatever
algorithms the discovery document lists, and re-fetch keys on every unknown `kid` without a
cooldown. Here each of those is ours to decide, and the HTTP transport can be injected, so tests
drive the sandbox org in process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from broker.oidc import id_token
from broker.oidc.discovery import ProviderMetadata, discovery_url, parse_metadata
from broker.oidc.errors import IdTokenInvalid, IssuerMismatch, ProviderError
from broker.oidc.keys import KeyCache
from broker.settings import Secret, Settings

SCOPES = "openid email profile"
_METADATA_TTL_S = 3600.0
_TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: Secret | None
    redirect_uri: str
    max_id_token_age_s: int = 300
    jwks_cooldown_s: float = 60.0

    @classmethod
    def of(cls, settings: Settings) -> OidcConfig:
        return cls(
            issuer=settings.oidc_issuer.rstrip("/"),
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            redirect_uri=settings.oidc_redirect_uri,
        )


@dataclass(frozen=True)
class Identity:
    """Who Okta says signed in: `subject` is the Okta user id."""

    subject: str
    email: str | None
    name: str | None


class RelyingParty:
    def __init__(
        self,
        config: OidcConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._http = httpx.AsyncClient(
            transport=transport, timeout=_TIMEOUT, follow_redirects=False
        )
        self._clock = clock
        self._monotonic = monotonic
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self.keys = KeyCache(self._fetch_jwks, cooldown_s=config.jwks_cooldown_s, clock=monotonic)
        self.policy = id_token.IdTokenPolicy(
            issuer=config.issuer,
            client_id=config.client_id,
            max_age_s=config.max_id_token_age_s,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get_json(self, url: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.get(url, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderError(f"Okta could not be reached ({type(exc).__name__}).") from exc
        if response.status_code != 200:
            raise ProviderError(f"Okta answered {response.status_code} at {url}.")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError(f"Okta answered with no JSON at {url}.") from exc

    async def metadata(self) -> ProviderMetadata:
        now = self._monotonic()
        if self._metadata is None or now - self._metadata_at > _METADATA_TTL_S:
            doc = await self._get_json(discovery_url(self.config.issuer))
            self._metadata = parse_metadata(doc, self.config.issuer)
            self._metadata_at = now
        return self._metadata

    async def _fetch_jwks(self) -> Any:
        return await self._get_json((await self.metadata()).jwks_uri)

    async def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        """OIDC Core §3.1.2.1 with PKCE (RFC 7636 §4.3); no `prompt`, so a user who already has
        an Okta session comes straight back."""
        metadata = await self.metadata()
        url: str = prepare_grant_uri(
            metadata.authorization_endpoint,
            self.config.client_id,
            "code",
            redirect_uri=self.config.redirect_uri,
            scope=SCOPES,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    async def check_response_issuer(self, iss: str | None) -> None:
        """RFC 9207 §2.4: the authorization response's `iss` must name our issuer; when the
        provider advertises the parameter, a response without it is refused too."""
        metadata = await self.metadata()
        if iss is None:
            if metadata.sends_response_iss:
                raise IssuerMismatch("The authorization response does not name its issuer.")
            return
        if iss != metadata.issuer:
            raise IssuerMismatch("The authorization response comes from another issuer.")

    def _client_auth(self) -> httpx.BasicAuth | None:
        if self.config.client_secret is None:
            return None
        # RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
        return httpx.BasicAuth(
            quote(self.config.client_id, safe=""),
            quote(self.config.client_secret.reveal(), safe=""),
        )

    async def _exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        """The token request, OIDC Core §3.1.3.1 / RFC 7636 §4.5."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "code_verifier": code_verifier,
        }
        auth = self._client_auth()
        if auth is None:
            form["client_id"] = self.config.client_id
        try:
            response = await self._http.post(
                metadata.token_endpoint,
                data=form,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise ProviderError(f"Okta could not be reached ({type(exc).__name__}).") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            # RFC 6749 §5.2: the error code is safe to keep; the description may not be.
            error = body.get("error") if isinstance(body, dict) else None
            raise ProviderError(
                f"Okta refused the code ({response.status_code} {error or 'no error code'}).",
                reason="token_refused",
            )
        if str(body.get("token_type", "")).lower() != "bearer" or not isinstance(
            body.get("access_token"), str
        ):
            raise ProviderError("Okta's token response has no bearer token.", reason="token")
        if not isinstance(body.get("id_token"), str):
            raise ProviderError("Okta's token response has no ID token.", reason="token")
        return body

    async def _userinfo(self, access_token: str) -> dict[str, Any]:
        metadata = await self.metadata()
        info = await self._get_json(
            metadata.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}
        )
        if not isinstance(info, dict):
            raise ProviderError("Okta's userinfo is not a JSON object.", reason="userinfo")
        return info

    async def redeem(self, code: str, *, code_verifier: str, nonce: str) -> Identity:
        """Exchange the code, validate the ID token, and read userinfo for the same subject."""
        token = await self._exchange(code, code_verifier)
        claims = await id_token.validate(
            token["id_token"],
            self.keys,
            self.policy,
            nonce=nonce,
            access_token=token["access_token"],
            now=self._clock(),
        )
        info = await self._userinfo(token["access_token"])
        # OIDC Core §5.3.2: the userinfo `sub` MUST match the ID token's, or it is not used.
        if info.get("sub") != claims["sub"]:
            raise IdTokenInvalid("Userinfo describes another user.", reason="userinfo_sub")
        email = info.get("email", claims.get("email"))
        name = info.get("name", claims.get("name"))
        return Identity(
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            name=name if isinstance(name, str) else None,
        )
