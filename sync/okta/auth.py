"""How the client proves who it is to the Management API: an API token, or an OAuth 2.0 service app.

- `SSWS`: `Authorization: SSWS <token>`, Okta's API token scheme.
- `ServiceAppAuth`: an OAuth 2.0 service app (Okta: "Implement OAuth for Okta with a service
  app"). It asks the org authorization server `{org}/oauth2/v1/token` for an access token with the
  client credentials grant (RFC 6749 §4.4), authenticating with `private_key_jwt` (OIDC Core §9,
  RFC 7523 §2.2): a JWT signed with the app's private key (RS256 or ES256), then sends
  `Authorization: Bearer <token>` until shortly before the token expires.

Both keep their secret out of `repr`. The token request goes through the same transport as the
API calls (an httpx auth flow yields it), so a test transport sees it too.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from sync.okta.errors import InvalidToken, error_from_response

DEFAULT_SCOPES = ("okta.apps.manage", "okta.users.read", "okta.groups.read")
# RFC 7523 §2.2.
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds; Okta refuses assertions that live more than an hour
EXPIRY_LEEWAY = 60  # seconds before `expires_in` runs out that a token is renewed


class SSWS(httpx.Auth):
    def __init__(self, token: str) -> None:
        if not token or any(c.isspace() for c in token):
            raise ValueError("an Okta API token is one non-empty word")
        self._token = token

    def __repr__(self) -> str:
        return "SSWS('**********')"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"SSWS {self._token}"
        yield request


PrivateKey = RSAKey | ECKey


def load_private_key(key: str | bytes | dict[str, Any], key_id: str | None = None) -> PrivateKey:
    """An RSA or EC (P-256) private key, from the PEM or JWK of the service app's config."""
    parameters: dict[str, Any] | None = {"kid": key_id} if key_id else None
    loaded: PrivateKey
    if isinstance(key, dict):
        if key.get("kty") == "EC":
            loaded = ECKey.import_key(key, parameters)  # type: ignore[arg-type]
        else:
            loaded = RSAKey.import_key(key, parameters)  # type: ignore[arg-type]
    else:
        pem = key.encode() if isinstance(key, str) else key
        try:
            native = serialization.load_pem_private_key(pem, password=None)
        except ValueError:
            raise ValueError("the service app needs its private key, as a PEM or a JWK") from None
        if isinstance(native, rsa.RSAPrivateKey):
            loaded = RSAKey.import_key(native, parameters)  # type: ignore[arg-type]
        elif isinstance(native, ec.EllipticCurvePrivateKey):
            loaded = ECKey.import_key(native, parameters)  # type: ignore[arg-type]
        else:
            raise ValueError("the service app key must be RSA or EC (P-256)")
    if not loaded.is_private:
        raise ValueError("the service app needs its private key, not the public one")
    return loaded


def signing_algorithm(key: PrivateKey) -> str:
    if isinstance(key, RSAKey):
        return "RS256"
    if key.curve_name != "P-256":
        raise ValueError(f"ES256 needs a P-256 key, not {key.curve_name}")
    return "ES256"


def client_assertion(
    client_id: str, token_url: str, key: PrivateKey, *, now: float, jti: str | None = None
) -> str:
    """The signed JWT of `private_key_jwt` (RFC 7523 §3): iss = sub = client id, aud = token URL."""
    header: dict[str, Any] = {"alg": signing_algorithm(key)}
    if key.kid:
        header["kid"] = key.kid
    issued = int(now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
        # Okta refuses an assertion whose jti it has seen.
        "jti": jti or secrets.token_urlsafe(24),
    }
    return jwt.encode(header, claims, key)


def token_request_form(assertion: str, scopes: Sequence[str]) -> dict[str, str]:
    """The client credentials grant's form (RFC 6749 §4.4.2) with the client assertion."""
    return {
        "grant_type": "client_credentials",
        "scope": " ".join(scopes),
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion,
    }


@dataclass(frozen=True)
class _AccessToken:
    value: str
    expires_at: float  # epoch seconds, local clock (Okta counts `expires_in` from issuing)

    def __repr__(self) -> str:
        return f"_AccessToken('**********', expires_at={self.expires_at})"


class ServiceAppAuth(httpx.Auth):
    requires_response_body = True

    def __init__(
        self,
        org_url: str,
        client_id: str,
        private_key: str | bytes | dict[str, Any],
        *,
        key_id: str | None = None,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = org_url.rstrip("/") + "/oauth2/v1/token"
        self.client_id = client_id
        self.scopes = tuple(scopes)
        self._key = load_private_key(private_key, key_id)
        self._clock = clock
        self._token: _AccessToken | None = None
        self._lock = anyio.Lock()
        self.tokens_issued = 0

    def __repr__(self) -> str:
        return f"ServiceAppAuth({self.token_url!r}, client_id={self.client_id!r})"

    def build_token_request(self) -> httpx.Request:
        assertion = client_assertion(self.client_id, self.token_url, self._key, now=self._clock())
        return httpx.Request(
            "POST",
            self.token_url,
            data=token_request_form(assertion, self.scopes),
            headers={"Accept": "application/json"},
        )

    def _valid(self) -> _AccessToken | None:
        token = self._token
        if token is None or self._clock() >= token.expires_at - EXPIRY_LEEWAY:
            return None
        return token

    def _accept(self, response: httpx.Response, issued_at: float) -> _AccessToken:
        if not response.is_success:
            error = error_from_response(response)
            # A refused client (RFC 6749 §5.2 `invalid_client`) is a refused credential.
            if error.error_code == "invalid_client" and not isinstance(error, InvalidToken):
                raise InvalidToken(
                    error.status, error.error_code, error.summary, error.error_id, error.causes
                )
            raise error
        body = response.json()
        if str(body.get("token_type", "")).lower() != "bearer" or not body.get("access_token"):
            raise InvalidToken(response.status_code, None, "the token endpoint sent no Bearer")
        token = _AccessToken(
            str(body["access_token"]), issued_at + float(body.get("expires_in", 3600))
        )
        self._token = token
        self.tokens_issued += 1
        return token

    def _authorize(self, request: httpx.Request, token: _AccessToken) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token.value}"
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._valid()
        if token is None:
            issued_at = self._clock()
            token = self._accept((yield self.build_token_request()), issued_at)
        response = yield self._authorize(request, token)
        if response.status_code == 401:
            # Revoked or expired early: one fresh token, one more try.
            self._token = None
            issued_at = self._clock()
            token = self._accept((yield self.build_token_request()), issued_at)
            yield self._authorize(request, token)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # One token request at a time: concurrent calls at start-up share the first token.
        token = self._valid()
        if token is None:
            async with self._lock:
                token = self._valid()
                if token is None:
                    issued_at = self._clock()
                    response = yield self.build_token_request()
                    await response.aread()
                    token = self._accept(response, issued_at)
        response = yield self._authorize(request, token)
        if response.status_code == 401:
            self._token = None
            issued_at = self._clock()
            refreshed = yield self.build_token_request()
            await refreshed.aread()
            yield self._authorize(request, self._accept(refreshed, issued_at))
