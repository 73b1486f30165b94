"""The org authorization server, driven as the broker drives it: a relying party (httpx with
Authlib's RFC 6749 / RFC 7636 client helpers) and a browser (an httpx client keeping cookies), both
against the ASGI app.

Authlib's ready-made httpx client is not used: it warns (DeprecationWarning) when `httpx2` is
absent, and warnings fail the suite."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response, prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from starlette.applications import Starlette

from sandbox.org import oidc
from sandbox.org.context import OrgContext
from sandbox.org.state import OidcClient, OrgUser

ORG = "http://127.0.0.1:8410"
CLIENT_ID = "0oaBrokerClient00001"
SECRET = "broker-secret"
REDIRECT = "http://127.0.0.1:8400/auth/callback"
AFTER_LOGOUT = "http://127.0.0.1:8400/signed-out"
PASSWORD = "correct horse"

pytestmark = pytest.mark.anyio


@dataclass
class RelyingParty:
    """What the broker does as an OIDC client (OIDC Core §3.1.2.1, §3.1.3.1)."""

    http: httpx.AsyncClient
    scope: str = "openid email profile"
    access_token: str | None = None

    def authorization_url(self, **params: str) -> tuple[str, str, str]:
        verifier = generate_token(48)
        state = generate_token(20)
        url = prepare_grant_uri(
            f"{ORG}/oauth2/v1/authorize",
            CLIENT_ID,
            "code",
            redirect_uri=REDIRECT,
            scope=self.scope,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            **params,
        )
        return url, state, verifier

    async def fetch_token(self, callback: str, verifier: str) -> dict[str, Any]:
        code = parse_authorization_code_response(callback)["code"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        response = await self.http.post(
            f"{ORG}/oauth2/v1/token", data=form, auth=(CLIENT_ID, SECRET)
        )
        assert response.status_code == 200, response.text
        token: dict[str, Any] = response.json()
        self.access_token = token["access_token"]
        return token

    async def userinfo(self) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token}"}
        return await self.http.get(f"{ORG}/oauth2/v1/userinfo", headers=headers)


@dataclass
class Org:
    ctx: OrgContext
    user: OrgUser
    browser: httpx.AsyncClient
    rp: RelyingParty

    @property
    def provider(self) -> oidc.OidcProvider:
        return oidc.provider_of(self.ctx)

    def authorization_url(self, **params: str) -> tuple[str, str, str]:
        """(url, state, code verifier) for a fresh authorization request."""
        params.setdefault("nonce", "n-" + generate_token(16))
        return self.rp.authorization_url(**params)

    async def sign_in(self, response: httpx.Response, password: str = PASSWORD) -> httpx.Response:
        """Fill the sign-in page the browser was sent to."""
        assert response.status_code == 302, response.text
        signin = urlsplit(response.headers["location"])
        assert signin.path == "/login/login.htm"
        from_uri = parse_qs(signin.query)["fromURI"][0]
        form = {"username": self.user.login, "password": password, "fromURI": from_uri}
        return await self.browser.post("/login/login.htm", data=form)

    async def code_response(self, **params: str) -> tuple[str, str, str]:
        """Authorize, signing in first when the org asks: (callback URL, verifier, nonce)."""
        url, _, verifier = self.authorization_url(**params)
        callback = await self.browser.get(url)
        if urlsplit(callback.headers["location"]).path == "/login/login.htm":
            signed_in = await self.sign_in(callback)
            assert signed_in.status_code == 303
            callback = await self.browser.get(signed_in.headers["location"])
        assert callback.status_code == 302
        nonce = parse_qs(urlsplit(url).query)["nonce"][0]
        return callback.headers["location"], verifier, nonce

    async def tokens(self) -> tuple[dict[str, Any], str]:
        callback, verifier, nonce = await self.code_response()
        return await self.rp.fetch_token(callback, verifier), nonce

    async def jwks(self) -> KeySet:
        return KeySet.import_key_set((await self.browser.get("/oauth2/v1/keys")).json())


def params_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    ctx = OrgContext(base_url=ORG, api_token="t")
    ctx.state.add_oidc_client(
        OidcClient(CLIENT_ID, SECRET, [REDIRECT], post_logout_redirect_uris=[AFTER_LOGOUT])
    )
    user = ctx.state.add_user(
        "ada@example.com", first_name="Ada", last_name="Lovelace", password=PASSWORD
    )
    app = Starlette(routes=[*oidc.routes(ctx), *oidc.control_routes(ctx)])
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url=ORG) as browser,
        httpx.AsyncClient(transport=transport) as rp_http,  # no cookies shared with the browser
    ):
        yield Org(ctx, user, browser, RelyingParty(rp_http))


async def test_discovery_names_the_org_endpoints(org: Org) -> None:
    doc = (await org.browser.get("/.well-known/openid-configuration")).json()
    OpenIDProviderMetadata(doc).validate()
    assert doc["issuer"] == ORG
    assert doc["authorization_endpoint"] == f"{ORG}/oauth2/v1/authorize"
    assert doc["jwks_uri"] == f"{ORG}/oauth2/v1/keys"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


async def test_code_flow_with_pkce_yields_a_valid_id_token(org: Org) -> None:
    callback, verifier, nonce = await org.code_response()
    assert callback.startswith(REDIRECT + "?")
    assert params_of(callback)["iss"] == ORG  # RFC 9207
    token = await org.rp.fetch_token(callback, verifier)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert set(token["scope"].split()) == {"openid", "email", "profile"}

    decoded = jwt.decode(token["id_token"], await org.jwks(), algorithms=["RS256"])
    assert decoded.header["kid"] in org.provider.keys.kids
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ORG},
        aud={"essential": True, "value": CLIENT_ID},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True, "value": org.user.id},
    )
    registry.validate(decoded.claims)  # also checks exp and iat
    claims = decoded.claims
    assert claims["email"] == "ada@example.com"
    assert claims["preferred_username"] == "ada@example.com"
    assert claims["name"] == "Ada Lovelace"
    assert abs(claims["auth_time"] - time.time()) < 60
    assert claims["exp"] - claims["iat"] == 3600

    info = await org.rp.userinfo()
    assert info.status_code == 200
    assert info.json()["sub"] == org.user.id
    assert info.json()["email"] == "ada@example.com"


async def test_client_secret_post_is_accepted_and_a_wrong_secret_is_not(org: Org) -> None:
    callback, verifier, _ = await org.code_response()
    form = {
        "grant_type": "authorization_code",
        "code": params_of(callback)["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": CLIENT_ID,
        "client_secret": "wrong",
    }
    refused = await org.browser.post("/oauth2/v1/token", data=form)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"

    callback, verifier, _ = await org.code_response()
    form |= {"code": params_of(callback)["code"], "code_verifier": verifier}
    form["client_secret"] = SECRET
    accepted = await org.browser.post("/oauth2/v1/token", data=form)
    assert accepted.status_code == 200, accepted.text
    assert "id_token" in accepted.json()


async def test_a_signed_in_user_passes_silently(org: Org) -> None:
    await org.code_response()
    url, state, _ = org.authorization_url()
    response = await org.browser.get(url)
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT)
    assert params_of(response.headers["location"])["state"] == state
    assert "code" in params_of(response.headers["location"])

    url, _, _ = org.authorization_url(prompt="none")
    silent = await org.browser.get(url)
    assert "code" in params_of(silent.headers["location"])


async def test_prompt_none_without_a_session_returns_login_required(org: Org) -> None:
    url, state, _ = org.authorization_url(prompt="none")
    response = await org.browser.get(url)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    params = params_of(location)
    assert params["error"] == "login_required"
    assert params["error_description"] == (
        "The client specified not to prompt, but the user is not logged in."
    )
    assert params["state"] == state
    assert params["iss"] == ORG


def _unassign_everyone(org: Org) -> None:
    app = org.ctx.state.apps[CLIENT_ID]
    app.group_ids.pop(org.ctx.state.everyone().id)


@pytest.mark.parametrize("prompt", [None, "none"])
async def test_a_user_not_assigned_to_the_client_is_sent_back_with_access_denied(
    org: Org, prompt: str | None
) -> None:
    await org.code_response()  # signed in to Okta while still assigned (through Everyone)
    _unassign_everyone(org)

    url, state, _ = org.authorization_url(**({"prompt": prompt} if prompt else {}))
    response = await org.browser.get(url)

    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    params = params_of(location)
    assert params["error"] == "access_denied"
    assert params["error_description"] == "User is not assigned to the client application."
    assert (params["state"], params["iss"]) == (state, ORG)
    assert "code" not in params


async def test_an_assignment_directly_or_through_a_group_lets_the_user_in(org: Org) -> None:
    _unassign_everyone(org)
    app = org.ctx.state.apps[CLIENT_ID]
    app.user_ids[org.user.id] = org.ctx.state.users[org.user.id].created
    assert "code" in params_of((await org.code_response())[0])

    app.user_ids.clear()
    team = org.ctx.state.add_group("Latchkey users")
    team.member_ids.add(org.user.id)
    app.group_ids[team.id] = team.created
    url, _, _ = org.authorization_url()
    assert "code" in params_of((await org.browser.get(url)).headers["location"])


async def test_prompt_login_asks_a_signed_in_user_again(org: Org) -> None:
    await org.code_response()
    url, _, _ = org.authorization_url(prompt="login")
    response = await org.browser.get(url)
    assert urlsplit(response.headers["location"]).path == "/login/login.htm"
    again = await org.sign_in(response)
    back = await org.browser.get(again.headers["location"])
    assert "code" in params_of(back.headers["location"])


async def test_a_request_without_state_is_refused(org: Org) -> None:
    url, state, _ = org.authorization_url()
    url = url.replace(f"&state={state}", "").replace(f"state={state}&", "")
    assert "state=" not in url
    response = await org.browser.get(url)
    params = params_of(response.headers["location"])
    assert params["error"] == "invalid_request"
    assert "state" in params["error_description"]
    assert "code" not in params


@pytest.mark.parametrize(
    ("change", "described"),
    [
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": None, "code_challenge": None}, "PKCE"),
    ],
)
async def test_pkce_other_than_s256_is_refused(
    org: Org, change: dict[str, str | None], described: str
) -> None:
    url, state, _ = org.authorization_url()
    params = params_of(url)
    for key, value in change.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    response = await org.browser.get("/oauth2/v1/authorize", params=params)
    error = params_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert described in error["error_description"]
    assert error["state"] == state


async def test_an_unregistered_redirect_uri_gets_a_page_not_a_redirect(org: Org) -> None:
    url, _, _ = org.authorization_url()
    params = params_of(url) | {"redirect_uri": "https://evil.example/cb"}
    response = await org.browser.get("/oauth2/v1/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not supported by client" in response.text


async def test_a_code_works_once_and_its_replay_revokes_the_tokens(org: Org) -> None:
    callback, verifier, _ = await org.code_response()
    await org.rp.fetch_token(callback, verifier)
    assert (await org.rp.userinfo()).status_code == 200
    form = {
        "grant_type": "authorization_code",
        "code": params_of(callback)["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    replay = await org.browser.post("/oauth2/v1/token", data=form, auth=(CLIENT_ID, SECRET))
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert set(replay.json()) >= {"error", "error_description"}
    assert (await org.rp.userinfo()).status_code == 401


@pytest.mark.parametrize(
    ("verifier_of", "advance"),
    [
        (lambda verifier: "x" * 43, 0),  # wrong verifier
        (lambda verifier: verifier, 301),  # code older than 300 s
    ],
)
async def test_a_wrong_verifier_or_an_expired_code_is_invalid_grant(
    org: Org, verifier_of: Any, advance: int
) -> None:
    callback, verifier, _ = await org.code_response()
    now = time.time()
    org.provider.clock = lambda: now + advance
    form = {
        "grant_type": "authorization_code",
        "code": params_of(callback)["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier_of(verifier),
    }
    response = await org.browser.post("/oauth2/v1/token", data=form, auth=(CLIENT_ID, SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_a_wrong_password_opens_no_session(org: Org) -> None:
    url, _, _ = org.authorization_url()
    page = await org.sign_in(await org.browser.get(url), password="nope")
    assert page.status_code == 401
    assert "Unable to sign in" in page.text
    again = await org.browser.get(org.authorization_url(prompt="none")[0])
    assert params_of(again.headers["location"])["error"] == "login_required"


async def test_the_sign_in_page_never_redirects_off_the_org(org: Org) -> None:
    form = {"username": org.user.login, "password": PASSWORD, "fromURI": "//evil.example/x"}
    response = await org.browser.post("/login/login.htm", data=form)
    assert response.headers["location"] == "/app/UserHome"


async def test_deactivating_a_user_ends_their_session(org: Org) -> None:
    await org.code_response()
    org.user.status = "DEPROVISIONED"
    response = await org.browser.get(org.authorization_url(prompt="none")[0])
    assert params_of(response.headers["location"])["error"] == "login_required"


async def test_logout_ends_the_session_and_returns_to_the_registered_uri(org: Org) -> None:
    token, _ = await org.tokens()
    params = {
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": AFTER_LOGOUT,
        "state": "bye",
    }
    response = await org.browser.get("/oauth2/v1/logout", params=params)
    assert response.status_code == 302
    assert response.headers["location"] == f"{AFTER_LOGOUT}?state=bye"
    after = await org.browser.get(org.authorization_url(prompt="none")[0])
    assert params_of(after.headers["location"])["error"] == "login_required"


async def test_logout_never_redirects_to_an_unregistered_uri(org: Org) -> None:
    token, _ = await org.tokens()
    params = {
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": "https://evil.example",
    }
    response = await org.browser.get("/oauth2/v1/logout", params=params)
    assert response.status_code == 200
    assert "signed out" in response.text


async def test_the_control_plane_signs_a_user_in_without_the_form(org: Org) -> None:
    created = await org.browser.post("/_sandbox/oidc/sessions", json={"login": org.user.login})
    assert created.status_code == 201
    assert created.json()["cookie"] == oidc.SESSION_COOKIE == "okta_sandbox_sid"
    response = await org.browser.get(org.authorization_url(prompt="none")[0])
    assert "code" in params_of(response.headers["location"])


def _segment(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def defects(id_token: str, jwks: KeySet, nonce: str) -> set[str]:
    """Every check of OIDC Core §3.1.3.7 that `id_token` fails, each judged on its own."""
    head, body, _ = id_token.split(".")
    header, claims = _segment(head), _segment(body)
    found = set()
    if header["alg"] != "RS256":
        found.add("alg_none" if header["alg"] == "none" else "alg")
    elif header["kid"] not in {k.kid for k in jwks.keys}:
        found.add("unknown_kid")
    else:
        try:
            jwt.decode(id_token, jwks, algorithms=["RS256"])
        except BadSignatureError:
            found.add("bad_signature")
    if claims["iss"] != ORG:
        found.add("wrong_iss")
    if claims["aud"] != CLIENT_ID:
        found.add("wrong_aud")
    if claims["exp"] <= time.time():
        found.add("expired")
    if claims.get("nonce") != nonce:
        found.add("wrong_nonce")
    return found


async def test_a_healthy_id_token_has_no_defect(org: Org) -> None:
    token, nonce = await org.tokens()
    assert defects(token["id_token"], await org.jwks(), nonce) == set()


@pytest.mark.parametrize(
    "mode", [m for m in oidc.Misbehaviour if m is not oidc.Misbehaviour.WRONG_RESPONSE_ISS]
)
async def test_each_misbehaviour_produces_exactly_its_defect(
    org: Org, mode: oidc.Misbehaviour
) -> None:
    switched = await org.browser.put("/_sandbox/oidc/misbehaviour", json={"mode": mode.value})
    assert switched.json()["mode"] == mode.value
    token, nonce = await org.tokens()
    assert defects(token["id_token"], await org.jwks(), nonce) == {mode.value}
    await org.browser.delete("/_sandbox/oidc/misbehaviour")
    token, nonce = await org.tokens()
    assert defects(token["id_token"], await org.jwks(), nonce) == set()


async def test_a_misbehaviour_can_last_for_a_number_of_tokens(org: Org) -> None:
    await org.browser.put("/_sandbox/oidc/misbehaviour", json={"mode": "expired", "times": 1})
    spoiled, nonce = await org.tokens()
    healthy, nonce2 = await org.tokens()
    assert defects(spoiled["id_token"], await org.jwks(), nonce) == {"expired"}
    assert defects(healthy["id_token"], await org.jwks(), nonce2) == set()


async def test_wrong_response_iss_spoils_only_the_authorization_response(org: Org) -> None:
    await org.browser.put("/_sandbox/oidc/misbehaviour", json={"mode": "wrong_response_iss"})
    callback, _, _ = await org.code_response()
    assert params_of(callback)["iss"] == f"{ORG}/oauth2/default"


async def test_an_unknown_mode_is_refused(org: Org) -> None:
    response = await org.browser.put("/_sandbox/oidc/misbehaviour", json={"mode": "nonsense"})
    assert response.status_code == 400
    assert "wrong_iss" in response.json()["error"]


async def test_rotation_publishes_a_new_key_and_keeps_the_old_until_retired(org: Org) -> None:
    before, nonce = await org.tokens()
    old_kid = org.provider.keys.current.kid
    rotated = (await org.browser.post("/_sandbox/oidc/keys/rotate")).json()
    assert rotated["kids"] == [rotated["kid"], old_kid]

    after, nonce2 = await org.tokens()
    assert _segment(after["id_token"].split(".")[0])["kid"] == rotated["kid"]
    jwks = await org.jwks()
    assert defects(before["id_token"], jwks, nonce) == set()
    assert defects(after["id_token"], jwks, nonce2) == set()

    await org.browser.post("/_sandbox/oidc/keys/rotate", json={"retire_previous": True})
    assert defects(after["id_token"], await org.jwks(), nonce2) == {"unknown_kid"}
