"""Sign-in with Okta, driven through the sandbox org: the happy paths and every refusal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from broker.db import transaction
from broker.models import Account, WorkspaceRole
from broker.services import members
from broker.session_models import BrokerSession, SignInTransaction
from sandbox.org.oidc import Misbehaviour, provider_of
from tests.broker.web.conftest import BROKER, CLIENT_ID, ORG, Harness

pytestmark = pytest.mark.anyio


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def shared_account(
    harness: Harness, *, role: WorkspaceRole = WorkspaceRole.USER
) -> tuple[object, Account]:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user, role)
    with harness.build() as world:
        account = world.account()
        world.share(member, account)
    return user, account


async def test_interactive_sign_in_from_a_chiclet_comes_back_to_the_launch(
    harness: Harness,
) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    with harness.build() as world:
        account = world.account()

    journey = await harness.navigate(f"{BROKER}/launch/{account.id}")
    authorize = query_of(journey.hops[0].headers["location"])
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["response_type"] == "code"
    assert "prompt" not in authorize  # silent whenever Okta already knows the user
    assert journey.final.request.url.path == "/login/login.htm"

    after = await harness.fill_signin(journey.final, user)
    callback = after.hop_to("/auth/callback")
    assert callback.status_code == 303
    assert callback.headers["location"] == f"/launch/{account.id}"
    assert harness.session_cookie()
    assert str(after.final.request.url) == f"{BROKER}/launch/{account.id}"
    assert harness.audit("member.signed_in")[0].actor_id is not None


async def test_silent_sign_in_with_an_okta_session_shows_no_form(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)

    await harness.okta_session(user)
    journey = await harness.navigate(f"{BROKER}/auth/login")

    paths = [r.request.url.path for r in journey.hops]
    assert "/login/login.htm" not in paths
    assert paths == ["/auth/login", "/oauth2/v1/authorize", "/auth/callback", "/"]
    assert journey.final.status_code == 200
    assert "You are signed in as" in journey.final.text


async def test_session_cookie_is_httponly_lax_and_host_wide(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    journey = await harness.navigate(f"{BROKER}/auth/login")

    set_cookie = journey.hop_to("/auth/callback").headers["set-cookie"].lower()
    assert set_cookie.startswith("latchkey_session=")
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "path=/" in set_cookie
    assert "secure" not in set_cookie  # plain-http loopback development
    binder = journey.hops[0].headers["set-cookie"].lower()
    assert binder.startswith("latchkey_signin=")
    assert "httponly" in binder
    assert "path=/" in binder
    assert "max-age=600" in binder


async def test_session_token_is_stored_only_as_its_hash(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    await harness.navigate(f"{BROKER}/auth/login")
    token = harness.session_cookie()
    assert token

    with harness.ctx.sessions() as s:
        row = s.scalars(select(BrokerSession)).one()
    assert row.token_hash != token
    assert token not in repr(row.__dict__)


# Each defect the sandbox can put in a sign-in, and the check of ours that must catch it.
CAUGHT_BY = {
    Misbehaviour.WRONG_ISS: "iss",  # OIDC Core §3.1.3.7 step 2
    Misbehaviour.WRONG_AUD: "aud",  # step 3
    Misbehaviour.BAD_SIGNATURE: "signature",  # step 6
    Misbehaviour.ALG_NONE: "alg",  # step 7: the algorithm is ours to choose
    Misbehaviour.EXPIRED: "exp",  # step 9
    Misbehaviour.WRONG_NONCE: "nonce",  # step 11
    Misbehaviour.UNKNOWN_KID: "kid",  # a key the JWKS never published, even after a re-fetch
    Misbehaviour.WRONG_RESPONSE_ISS: "issuer_mismatch",  # RFC 9207 §2.4
}


def test_every_sandbox_misbehaviour_has_a_check() -> None:
    assert set(CAUGHT_BY) == set(Misbehaviour)


@pytest.mark.parametrize("mode", list(Misbehaviour))
async def test_every_misbehaving_provider_mode_is_refused(
    harness: Harness, mode: Misbehaviour
) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    harness.misbehave(mode)

    journey = await harness.navigate(f"{BROKER}/auth/login")

    assert journey.final.request.url.path == "/auth/callback"
    assert journey.final.status_code == 400
    assert "Sign-in could not be verified" in journey.final.text
    assert harness.session_cookie() is None
    assert [e.details["reason"] for e in harness.audit("signin.failed")] == [CAUGHT_BY[mode]]


async def test_a_response_without_iss_is_refused_when_the_provider_promises_it(
    harness: Harness,
) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    provider_of(harness.org_ctx).settings.issuer_parameter = False  # RFC 9207 §2.4

    journey = await harness.navigate(f"{BROKER}/auth/login")

    assert journey.final.status_code == 400
    assert harness.session_cookie() is None


async def test_a_rotated_signing_key_is_fetched_on_first_sight(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    await harness.navigate(f"{BROKER}/auth/login")  # caches the JWKS

    provider_of(harness.org_ctx).keys.rotate(retire_previous=True)
    harness.broker.state.relying_party.keys._fetched_at = None  # the cooldown has passed
    harness.browser.cookies.delete("latchkey_session")
    journey = await harness.navigate(f"{BROKER}/auth/login")

    assert journey.final.status_code == 200
    assert harness.session_cookie()


async def test_userinfo_for_another_subject_is_refused(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    original = harness.org_transport.handle_async_request

    async def lying_userinfo(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/v1/userinfo":
            return httpx.Response(200, json={"sub": "00uSomebodyElse00000"})
        return await original(request)

    harness.org_transport.handle_async_request = lying_userinfo  # type: ignore[method-assign]
    journey = await harness.navigate(f"{BROKER}/auth/login")

    assert journey.final.status_code == 400
    assert harness.session_cookie() is None
    assert harness.audit("signin.failed")[0].details["reason"] == "userinfo_sub"


async def test_forged_state_is_refused(harness: Harness) -> None:
    response = await harness.browser.get(
        f"{BROKER}/auth/callback?" + urlencode({"code": "abc", "state": "forged", "iss": ORG})
    )
    assert response.status_code == 400
    assert "This sign-in link has expired" in response.text
    assert harness.session_cookie() is None


async def test_a_replayed_callback_is_refused(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    journey = await harness.navigate(f"{BROKER}/auth/login")
    callback_url = str(journey.hop_to("/auth/callback").request.url)
    harness.browser.cookies.delete("latchkey_session")

    replay = await harness.browser.get(callback_url)

    assert replay.status_code == 400
    assert harness.session_cookie() is None


async def test_two_sign_ins_started_together_in_one_browser_both_finish(
    harness: Harness,
) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    with harness.build() as world:
        first, second = world.account(), world.account()
    await harness.okta_session(user)
    started = [await harness.browser.get(f"{BROKER}/launch/{a.id}") for a in (first, second)]
    callbacks = [await harness.browser.get(s.headers["location"]) for s in started]

    for callback, account in zip(callbacks, (first, second), strict=True):
        harness.browser.cookies.delete("latchkey_session")
        done = await harness.browser.get(callback.headers["location"])
        assert done.status_code == 303
        assert done.headers["location"] == f"/launch/{account.id}"


async def test_a_callback_from_another_browser_is_refused(harness: Harness) -> None:
    """Login CSRF: an attacker's own callback URL, sent to a victim, signs nobody in."""
    attacker = harness.okta_user("mallory@example.com")
    harness.member_for(attacker)
    await harness.okta_session(attacker)
    start = await harness.browser.get(f"{BROKER}/auth/login")
    authorized = await harness.browser.get(start.headers["location"])
    callback_url = authorized.headers["location"]
    assert urlsplit(callback_url).path == "/auth/callback"

    harness.browser.cookies.clear()  # the victim's browser: no binder cookie of that sign-in
    response = await harness.browser.get(callback_url)

    assert response.status_code == 400
    assert harness.session_cookie() is None


async def test_an_expired_transaction_is_refused(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    start = await harness.browser.get(f"{BROKER}/auth/login")
    authorized = await harness.browser.get(start.headers["location"])
    with transaction(harness.ctx.sessions) as s:
        row = s.scalars(select(SignInTransaction)).one()
        row.expires_at = row.created_at  # eleven minutes later, as far as it knows

    response = await harness.browser.get(authorized.headers["location"])

    assert response.status_code == 400
    assert harness.session_cookie() is None


async def test_a_callback_with_an_error_shows_a_readable_page(harness: Harness) -> None:
    start = await harness.browser.get(f"{BROKER}/auth/login")
    state = query_of(start.headers["location"])["state"]
    params = {
        "error": "server_error",
        "error_description": "<script>alert(1)</script>",
        "state": state,
    }
    response = await harness.browser.get(f"{BROKER}/auth/callback?{urlencode(params)}")

    assert response.status_code == 400
    assert "Okta did not sign you in" in response.text
    assert "server_error" in response.text
    assert "<script>" not in response.text
    with harness.ctx.sessions() as s:  # the transaction is spent
        assert s.scalar(select(func.count()).select_from(SignInTransaction)) == 0


async def test_an_okta_user_not_assigned_to_latchkey_is_told_what_to_ask_for(
    harness: Harness,
) -> None:
    # Okta refuses a user not assigned to the OIDC app, at the redirect URI (access_denied).
    user = harness.org_ctx.state.add_user("newcomer@example.com")
    harness.member_for(user)
    app = harness.org_ctx.state.apps[CLIENT_ID]
    app.group_ids.clear()
    await harness.okta_session(user)

    start = await harness.browser.get(f"{BROKER}/auth/login")
    authorized = await harness.browser.get(start.headers["location"])
    assert query_of(authorized.headers["location"])["error"] == "access_denied"
    response = await harness.browser.get(authorized.headers["location"])

    assert response.status_code == 403
    assert "You are not assigned to Latchkey in Okta" in response.text
    assert "Ask your Okta administrator" in response.text
    assert CLIENT_ID in response.text
    assert harness.session_cookie() is None

    app.user_ids[user.id] = user.created  # the admin assigns them: the next try signs them in
    start = await harness.browser.get(f"{BROKER}/auth/login")
    authorized = await harness.browser.get(start.headers["location"])
    signed_in = await harness.browser.get(authorized.headers["location"])
    assert signed_in.status_code == 303
    assert harness.session_cookie() is not None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/launch/x",
        "/launch/../admin",
        "javascript:alert(1)",
        "/\\evil.example",
    ],
)
async def test_sign_in_never_returns_to_a_url_from_the_request(
    harness: Harness, target: str
) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)

    journey = await harness.navigate(
        f"{BROKER}/auth/login?" + urlencode({"account": target, "next": target})
    )

    assert journey.hop_to("/auth/callback").headers["location"] == "/"
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in journey.urls())


@pytest.mark.parametrize(
    "target",
    ["/settings", "/profile", "/accounts/abc_DEF-123", "/members", "/"],
)
async def test_sign_in_returns_to_the_page_that_asked(harness: Harness, target: str) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)

    journey = await harness.navigate(f"{BROKER}/auth/login?" + urlencode({"next": target}))

    assert journey.hop_to("/auth/callback").headers["location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "/auth/logout",
        "/api/ext/v1/keys",
        "/scim/v2/Users",
        "/static/broker.css",
        "/settings/",
        "/settings?x=1",
        "/a/./b",
        "/%2F%2Fevil.example",
        "/" + "a" * 200,
    ],
)
async def test_sign_in_returns_only_to_page_paths(harness: Harness, target: str) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)

    journey = await harness.navigate(f"{BROKER}/auth/login?" + urlencode({"next": target}))

    assert journey.hop_to("/auth/callback").headers["location"] == "/"


async def test_an_okta_user_who_is_not_a_member_gets_a_clear_page(harness: Harness) -> None:
    stranger = harness.okta_user("stranger@example.com")
    await harness.okta_session(stranger)

    journey = await harness.navigate(f"{BROKER}/auth/login")

    assert journey.final.status_code == 403
    assert "Your Okta account cannot use Latchkey here" in journey.final.text
    assert harness.session_cookie() is None
    assert harness.audit("signin.refused")[0].details["reason"] == "unknown_member"


async def test_a_deactivated_member_gets_a_clear_page(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user, active=False)
    await harness.okta_session(user)

    journey = await harness.navigate(f"{BROKER}/auth/login")

    assert journey.final.status_code == 403
    assert "not an active member" in journey.final.text
    assert harness.session_cookie() is None


async def test_a_deactivated_members_live_session_is_refused_on_the_next_request(
    harness: Harness,
) -> None:
    user = harness.okta_user("ada@example.com")
    member = harness.member_for(user)
    await harness.okta_session(user)
    await harness.navigate(f"{BROKER}/auth/login")
    assert "You are signed in as" in (await harness.browser.get(f"{BROKER}/")).text

    with transaction(harness.ctx.sessions) as s:  # what SCIM deactivation does first
        members.set_inactive(s, harness.workspace_id, member.id)

    home = await harness.browser.get(f"{BROKER}/")
    assert "You are signed in as" not in home.text
    with harness.ctx.sessions() as s:
        assert s.scalars(select(BrokerSession)).one().revoked_at is not None


async def test_sign_out_needs_the_form_token_and_ends_the_session(harness: Harness) -> None:
    user = harness.okta_user("ada@example.com")
    harness.member_for(user)
    await harness.okta_session(user)
    await harness.navigate(f"{BROKER}/auth/login")

    forged = await harness.browser.post(f"{BROKER}/auth/logout", data={"csrf_token": "nope"})
    assert forged.status_code == 403
    assert "You are signed in as" in (await harness.browser.get(f"{BROKER}/")).text

    confirm = await harness.browser.get(f"{BROKER}/auth/logout")
    token = confirm.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = await harness.browser.post(f"{BROKER}/auth/logout", data={"csrf_token": token})
    assert done.status_code == 200
    assert "You are signed out" in done.text
    assert harness.session_cookie() is None
    assert "You are signed in as" not in (await harness.browser.get(f"{BROKER}/")).text
    assert len(harness.audit("member.signed_out")) == 1
