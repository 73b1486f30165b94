"""The org authorization server's HTTP endpoints (Okta: "org authorization server", `/oauth2/v1`).

Discovery (OIDC Discovery §4), authorize (OIDC Core §3.1.2), token (§3.1.3), keys (RFC 7517),
userinfo (§5.3) and logout (RP-Initiated Logout §2).

Okta signs a user in to an OIDC app only when they are assigned to it, directly or through a
group; anyone else comes back to the redirect URI with `error=access_denied` and "User is not
assigned to the client application." (DESIGN.md "Okta facts"; Okta returns every authorize error
to the redirect URI, https://support.okta.com/help/s/article/Why-am-I-redirected-back-to-my-app-
instead-of-being-shown-the-OktaHosted-Error-Pages-when-my-OpenID-Connect-app-returns-an-error),
with `prompt=none` too. A `prompt=none` request without an Okta session
ends with `login_required` and Okta's own description.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import AccessDeniedError, OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.oidc import claims
from sandbox.org.oidc.id_token import WRONG_ISSUER_SUFFIX, Misbehaviour
from sandbox.org.oidc.keys import ALGORITHM
from sandbox.org.oidc.provider import SCOPES, OidcProvider, provider_of
from sandbox.org.oidc.server import OrgAuthorizationServer, StarletteOAuth2Request, read_request
from sandbox.org.oidc.sessions import OktaSession
from sandbox.org.oidc.signin import sign_out, signin_redirect
from sandbox.org.templating import error_page, page

V1 = "/oauth2/v1"
CLAIMS_SUPPORTED = [
    "iss",
    "ver",
    "sub",
    "aud",
    "iat",
    "exp",
    "jti",
    "auth_time",
    "amr",
    "nonce",
    "at_hash",
    "name",
    "preferred_username",
    "given_name",
    "family_name",
    "locale",
    "zoneinfo",
    "updated_at",
    "email",
    "email_verified",
]


def discovery(issuer: str) -> dict[str, object]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}{V1}/authorize",
        "token_endpoint": f"{issuer}{V1}/token",
        "userinfo_endpoint": f"{issuer}{V1}/userinfo",
        "jwks_uri": f"{issuer}{V1}/keys",
        "end_session_endpoint": f"{issuer}{V1}/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": SCOPES,
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "claims_supported": CLAIMS_SUPPORTED,
        "code_challenge_methods_supported": ["S256"],
        "request_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


def _needs_signin(
    provider: OidcProvider, req: StarletteOAuth2Request, session: OktaSession | None
) -> bool:
    if session is None:
        return True
    data = req.payload.data
    if "login" in (data.get("prompt") or "").split():
        return True
    max_age = data.get("max_age")
    # OIDC Core §3.1.2.1: max_age asks for a fresh sign-in when the last one is older.
    return bool(
        max_age and max_age.isdigit() and provider.clock() - session.auth_time > int(max_age)
    )


NOT_ASSIGNED = "User is not assigned to the client application."
NOT_SIGNED_IN = "The client specified not to prompt, but the user is not logged in."


def _assigned(ctx: OrgContext, client_id: str, user_id: str) -> bool:
    """Whether the user may sign in to the client's app (an ACTIVE app they are assigned to)."""
    with ctx.state.locked() as state:
        app = state.apps.get(client_id)
        return app is not None and app.status == "ACTIVE" and state.is_assigned(app, user_id)


def _return_path(request: Request) -> str:
    """The authorize URL to come back to once signed in, without what forced the sign-in."""
    items = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k != "max_age" and not (k == "prompt" and "login" in v.split())
    ]
    return f"{request.url.path}?{urlencode(items)}"


def routes(ctx: OrgContext) -> list[BaseRoute]:
    provider = provider_of(ctx)
    server = OrgAuthorizationServer(provider)

    def with_issuer(response: Response) -> Response:
        # RFC 9207 §2: every authorization response, errors included, names its issuer.
        location = response.headers.get("location")
        if location and provider.settings.issuer_parameter:
            iss = provider.issuer
            if provider.take_misbehaviour(Misbehaviour.WRONG_RESPONSE_ISS):
                iss += WRONG_ISSUER_SUFFIX
            response.headers["location"] = add_params_to_uri(location, [("iss", iss)])
        return response

    def authorize_error(
        request: Request, req: StarletteOAuth2Request, error: OAuth2Error
    ) -> Response:
        if error.redirect_uri:
            if error.error == "login_required" and not error.description:
                error.description = NOT_SIGNED_IN
            return with_issuer(server.handle_error_response(req, error))
        # No redirect URI we can trust (unknown client, unregistered redirect_uri): tell the user.
        return error_page(request, 400, "Bad request", error.description or error.error)

    async def openid_configuration(request: Request) -> Response:
        return JSONResponse(discovery(provider.issuer))

    async def authorize(request: Request) -> Response:
        req = await read_request(request, provider.issuer)
        session = provider.sessions.of_request(request)
        try:
            grant = server.get_consent_grant(req, end_user=session)
        except OAuth2Error as error:
            return authorize_error(request, req, error)
        if _needs_signin(provider, req, session):
            return signin_redirect(_return_path(request))
        assert session is not None
        if not _assigned(ctx, grant.client.get_client_id(), session.user_id):
            denied = AccessDeniedError(
                NOT_ASSIGNED,
                state=req.payload.state,
                redirect_uri=grant.redirect_uri,
            )
            return authorize_error(request, req, denied)
        response = server.create_authorization_response(req, grant_user=session, grant=grant)
        assert isinstance(response, Response)
        return with_issuer(response)

    async def token(request: Request) -> Response:
        response = server.create_token_response(await read_request(request, provider.issuer))
        assert isinstance(response, Response)
        return response

    async def keys(request: Request) -> Response:
        return JSONResponse(
            provider.keys.jwks(), headers={"Cache-Control": "max-age=300, must-revalidate"}
        )

    async def userinfo(request: Request) -> Response:
        req = await read_request(request, provider.issuer)
        try:
            access = server.resource_protector.validate_request(["openid"], req)
        except OAuth2Error as error:
            response = server.handle_error_response(req, error)
            assert isinstance(response, Response)
            return response
        user = ctx.state.users[access.user_id]
        return JSONResponse(claims.user_info(user, access.scope))

    async def logout(request: Request) -> Response:
        req = await read_request(request, provider.issuer)
        if not req.payload.data.get("id_token_hint"):
            return error_page(
                request, 400, "Bad request", "The 'id_token_hint' parameter is required."
            )
        try:
            validated = server.validate_endpoint_request("end_session", req)
        except OAuth2Error as error:
            return error_page(request, 400, "Bad request", error.description or error.error)
        response = server.create_endpoint_response("end_session", validated)
        return sign_out(provider, request, response or page(request, "signed_out.html"))

    return [
        Route("/.well-known/openid-configuration", openid_configuration),
        Route(f"{V1}/authorize", authorize, methods=["GET"]),
        Route(f"{V1}/token", token, methods=["POST"]),
        Route(f"{V1}/keys", keys),
        Route(f"{V1}/userinfo", userinfo, methods=["GET", "POST"]),
        Route(f"{V1}/logout", logout, methods=["GET", "POST"]),
    ]
