"""The org authorization server on Authlib's framework-agnostic server components.

Authlib supplies the protocol (RFC 6749 §4.1 authorization code, RFC 7636 PKCE, OIDC Core §3.1,
RP-Initiated Logout); this module binds it to Starlette requests and to the sandbox's state, and
adds Okta's own rules: `state` is required, the `openid` scope is required, PKCE is S256 only.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Payload,
    OAuth2Request,
    ResourceProtector,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest
from joserfc.jwk import KeySet
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.org.oidc import claims
from sandbox.org.oidc.id_token import Misbehaviour, mint, new_jti
from sandbox.org.oidc.keys import ALGORITHM
from sandbox.org.oidc.provider import SCOPES, AccessToken, AuthorizationCode, OidcProvider
from sandbox.org.oidc.sessions import SESSION_COOKIE, OktaSession
from sandbox.org.state import OidcClient, OrgUser

_ID_TOKEN_DEFECTS = tuple(m for m in Misbehaviour if m is not Misbehaviour.WRONG_RESPONSE_ISS)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """A request read in full beforehand, since Authlib's server API is synchronous."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Headers,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
        session_id: str | None,
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload(query + form)
        self.session_id = session_id

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def read_request(request: Request, issuer: str) -> StarletteOAuth2Request:
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        async with request.form() as data:
            form = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
    # The issuer, not the Host header, names the server: Authlib refuses plain http except on
    # loopback, and the org is the issuer whatever name a test client connects with.
    uri = issuer + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return StarletteOAuth2Request(
        request.method,
        uri,
        request.headers,
        list(request.query_params.multi_items()),
        form,
        request.cookies.get(SESSION_COOKIE),
    )


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, registered: OidcClient) -> None:
        self.registered = registered
        self.client_id = registered.client_id
        self.client_metadata = {"post_logout_redirect_uris": registered.post_logout_redirect_uris}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # Okta requires `redirect_uri` on every authorization request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        wanted = scope_to_list(scope) or []
        return " ".join(s for s in wanted if s in SCOPES) or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.registered.redirect_uris  # exact match, RFC 6749 §3.1.2.3

    def check_client_secret(self, client_secret: str) -> bool:
        secret = self.registered.client_secret
        return secret is not None and secrets.compare_digest(secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.registered.client_secret is None:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class _S256Only(CodeChallenge):  # type: ignore[misc]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]


class OktaRequestRules:
    """Okta's checks on an authorization request beyond RFC 6749, in one hook so that a request
    with several defects always gets the same error."""

    def __init__(self, provider: OidcProvider) -> None:
        self._provider = provider
        self._pkce = _S256Only(required=True)

    def __call__(self, grant: AuthorizationCodeGrant) -> None:
        grant.register_hook(
            "after_validate_authorization_request_payload", self.validate_authorization_request
        )
        grant.register_hook("after_validate_token_request", self._pkce.validate_code_verifier)

    def validate_authorization_request(self, grant: AuthorizationCodeGrant, _: object) -> None:
        payload = grant.request.payload
        if not payload.data.get("state"):
            raise InvalidRequestError("The authorization request is missing the 'state' parameter.")
        if "openid" not in (scope_to_list(payload.scope) or []):
            raise InvalidScopeError("The authentication request must include the 'openid' scope.")
        challenge = payload.data.get("code_challenge")
        method = payload.data.get("code_challenge_method")
        if not challenge and self._provider.settings.require_pkce:
            raise InvalidRequestError("PKCE is required: send 'code_challenge' (S256).")
        if challenge and method != "S256":
            raise InvalidRequestError("The 'code_challenge_method' must be 'S256'.")
        self._pkce.validate_code_challenge(grant, None)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    @property
    def provider(self) -> OidcProvider:
        provider: OidcProvider = self.server.provider
        return provider

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        session: OktaSession = request.user
        data = request.payload.data
        record = AuthorizationCode(
            code=code,
            client_id=request.client.get_client_id(),
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            user_id=session.user_id,
            auth_time=session.auth_time,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            expires_at=self.provider.clock() + self.provider.settings.code_lifetime,
        )
        with self.provider.lock:
            self.provider.codes[code] = record

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        provider = self.provider
        with provider.lock:
            record = provider.codes.get(code)
            if record is None or record.client_id != client.client_id:
                return None
            replayed, record.used = record.used, True  # single use, even if the exchange fails
        if replayed:
            provider.revoke_tokens_of_code(code)
            return None
        if record.expires_at <= provider.clock():
            return None
        return record

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        pass  # marked used on lookup, and kept so that a replay is recognised

    def authenticate_user(self, authorization_code: AuthorizationCode) -> OrgUser | None:
        user = self.provider.ctx.state.users.get(authorization_code.user_id)
        return user if user is not None and user.status == "ACTIVE" else None


class OrgOpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, provider: OidcProvider) -> None:
        super().__init__(require_nonce=False)
        self._provider = provider

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # Okta does not refuse a repeated nonce in the code flow

    def generate_user_info(self, user: OrgUser, scope: str) -> dict[str, Any]:
        return claims.user_info(user, scope)

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        """OIDC Core §2 and §3.1.3.6, with Okta's claims; spoiled when a misbehaviour is on."""
        provider = self._provider
        code: AuthorizationCode = request.authorization_code
        now = int(provider.clock())
        body: dict[str, Any] = {
            "sub": request.user.id,
            "ver": 1,
            "iss": provider.issuer,
            "aud": request.client.get_client_id(),
            "iat": now,
            "exp": now + provider.settings.id_token_lifetime,
            "jti": new_jti(),
            "amr": code.get_amr(),
            "auth_time": code.auth_time,
        }
        if code.nonce:
            body["nonce"] = code.nonce
        at_hash = create_half_hash(token["access_token"], ALGORITHM)
        if at_hash is not None:
            body["at_hash"] = at_hash.decode("ascii")
        body.update(claims.id_token_claims(request.user, token["scope"]))
        defect = provider.take_misbehaviour(*_ID_TOKEN_DEFECTS)
        return mint(body, provider.keys.current, defect)


class OrgEndSession(EndSessionEndpoint):  # type: ignore[misc]
    def __init__(self, provider: OidcProvider) -> None:
        super().__init__()
        self._provider = provider

    def get_server_jwks(self) -> KeySet:
        return KeySet.import_key_set(self._provider.keys.jwks())  # type: ignore[arg-type]

    def get_algorithms(self) -> list[str]:
        return [ALGORITHM]

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        request: StarletteOAuth2Request = end_session_request.request
        self._provider.sessions.end(request.session_id)


class _BearerValidator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, provider: OidcProvider) -> None:
        super().__init__()
        self._provider = provider

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        token = self._provider.tokens.get(token_string)
        if token is None:
            return None
        user = self._provider.ctx.state.users.get(token.user_id)
        return token if user is not None and user.status == "ACTIVE" else None


class OrgAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, provider: OidcProvider) -> None:
        super().__init__(scopes_supported=SCOPES)
        self.provider = provider
        self.resource_protector = ResourceProtector()
        self.resource_protector.register_token_validator(_BearerValidator(provider))
        generator = BearerTokenGenerator(
            access_token_generator=lambda **_: generate_token(48),
            expires_generator=lambda client, grant_type: provider.settings.access_token_lifetime,
        )
        self.register_token_generator("default", generator)
        self.register_grant(CodeGrant, [OktaRequestRules(provider), OrgOpenIDCode(provider)])
        self.register_endpoint(OrgEndSession(provider))

    def query_client(self, client_id: str) -> Client | None:
        registered = self.provider.ctx.state.oidc_clients.get(client_id)
        return None if registered is None else Client(registered)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        provider = self.provider
        record = AccessToken(
            access_token=token["access_token"],
            client_id=request.client.get_client_id(),
            user_id=request.user.id,
            scope=token.get("scope", ""),
            expires_at=provider.clock() + int(token["expires_in"]),
            code=request.authorization_code.code if request.authorization_code else None,
            clock=provider.clock,
        )
        with provider.lock:
            provider.tokens[record.access_token] = record

    def create_oauth2_request(self, request: object) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("read the request with `read_request` first")

    def handle_response(
        self, status: int, body: object, headers: list[tuple[str, str]]
    ) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body if isinstance(body, str | bytes) else "", status, dict(headers))

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        pass  # no signal system in the sandbox
