from __future__ import annotations

import pytest

from sandbox.apps import SITES, SiteSeed
from sandbox.apps.sessions import PENDING_STEP_SECONDS
from tests.sandbox.apps.conftest import FakeClock
from tests.sandbox.apps.demo_browser import Browser, log_in

pytestmark = pytest.mark.anyio

ALL_SITES = [site.key for site in SITES]
CODE_SITES = [site.key for site in SITES if site.code is not None]
WRONG_CREDENTIALS = "Incorrect email or password."


@pytest.mark.parametrize("key", ALL_SITES)
async def test_following_the_forms_signs_in_and_names_the_user(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock, key: str
) -> None:
    entry = seeds[key]
    page = await log_in(
        browser,
        entry.login_path,
        entry.username,
        entry.password,
        code=clock.code(entry) if entry.totp_secret else None,
    )
    assert page.path == f"/{key}/account"
    assert page.signed_in_user == entry.username
    assert page.texts["signed-in-as"] == f"Signed in as {entry.username}."


@pytest.mark.parametrize("key", ALL_SITES)
async def test_username_is_matched_without_case(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock, key: str
) -> None:
    entry = seeds[key]
    code = clock.code(entry) if entry.totp_secret else None
    page = await log_in(
        browser, entry.login_path, entry.username.upper(), entry.password, code=code
    )
    assert page.signed_in_user == entry.username


@pytest.mark.parametrize("key", ALL_SITES)
@pytest.mark.parametrize("wrong", ["password", "username"])
async def test_wrong_username_or_password_is_refused_with_the_same_message(
    browser: Browser, seeds: dict[str, SiteSeed], key: str, wrong: str
) -> None:
    entry = seeds[key]
    username = "mallory@demo.test" if wrong == "username" else entry.username
    password = entry.password + "x" if wrong == "password" else entry.password
    page = await log_in(browser, entry.login_path, username, password, code="000000")
    assert page.status == 401
    assert page.error == WRONG_CREDENTIALS
    assert page.signed_in_user is None
    assert (await browser.get(f"/{key}/account")).path == f"/{key}/login"


@pytest.mark.parametrize("key", CODE_SITES)
async def test_wrong_code_is_refused_and_the_code_step_stays(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock, key: str
) -> None:
    entry = seeds[key]
    good = clock.code(entry)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    page = await log_in(browser, entry.login_path, entry.username, entry.password, code=wrong)
    assert page.status == 401
    assert page.path == f"/{key}/verify"
    assert page.error is not None
    assert "code didn't work" in page.error
    assert (await browser.get(f"/{key}/account")).path == f"/{key}/login"


@pytest.mark.parametrize("key", CODE_SITES)
@pytest.mark.parametrize(
    ("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
async def test_code_is_accepted_within_one_step_either_side(
    browser: Browser,
    seeds: dict[str, SiteSeed],
    clock: FakeClock,
    key: str,
    offset: int,
    accepted: bool,
) -> None:
    entry = seeds[key]
    code = clock.code(entry, offset)
    page = await log_in(browser, entry.login_path, entry.username, entry.password, code=code)
    assert (page.signed_in_user == entry.username) is accepted


async def test_five_wrong_codes_send_the_user_back_to_the_start(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    entry = seeds["totp"]
    page = await log_in(browser, entry.login_path, entry.username, entry.password, code="000000")
    for _ in range(4):
        form = page.form("verify-form")
        form.fill_code("000000")
        page = await browser.submit(page, form)
    assert page.error == "Too many attempts. Sign in again."
    assert (await browser.get("/totp/verify")).path == "/totp/login"


@pytest.mark.parametrize(("key", "box_count"), [("totp", 1), ("totp-split", 6)])
async def test_code_step_markup_asks_for_a_one_time_code(
    browser: Browser, seeds: dict[str, SiteSeed], key: str, box_count: int
) -> None:
    entry = seeds[key]
    page = await log_in(browser, entry.login_path, entry.username, entry.password)
    form = page.form("verify-form")
    boxes = [i for i in form.inputs if i.fillable]
    assert len(boxes) == box_count
    assert boxes[0].autocomplete == ["one-time-code"]
    assert all(b.attrs["inputmode"] == "numeric" for b in boxes)


async def test_password_field_appears_only_after_next_on_the_round_trip_site(
    browser: Browser, seeds: dict[str, SiteSeed]
) -> None:
    page = await browser.get("/stepwise/login")
    form = page.form("identifier-form")
    assert [i.name for i in form.inputs if i.fillable] == ["login"]
    form.fill_autocomplete("username", seeds["stepwise"].username)
    page = await browser.submit(page, form)
    assert page.path == "/stepwise/login/password"
    assert page.texts["identity"].startswith(seeds["stepwise"].username)
    assert [i.name for i in page.form("password-form").inputs if i.fillable] == ["passwd"]


async def test_password_field_of_the_script_site_is_not_in_the_page_until_next(
    browser: Browser,
) -> None:
    page = await browser.get("/stepwise-js/login")
    assert not [i for i in page.all_inputs() if i.type == "password"]
    template = page.templates["password-template"]
    assert [(i.name, i.autocomplete) for i in template] == [("password", ["current-password"])]


async def test_script_site_without_script_asks_for_the_password(
    browser: Browser, seeds: dict[str, SiteSeed]
) -> None:
    page = await browser.get("/stepwise-js/login")
    form = page.form("login-form")
    form.fill_autocomplete("username", seeds["stepwise-js"].username)
    page = await browser.submit(page, form)
    assert page.status == 400
    assert page.error == "Enter your password."
    assert page.form("login-form").by_autocomplete("current-password")


async def test_password_step_without_the_username_step_goes_back_to_the_start(
    browser: Browser,
) -> None:
    assert (await browser.get("/stepwise/login/password")).path == "/stepwise/login"
    assert (await browser.get("/totp/verify")).path == "/totp/login"


async def test_a_pending_step_expires(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    entry = seeds["totp"]
    page = await log_in(browser, entry.login_path, entry.username, entry.password)
    assert page.path == "/totp/verify"
    clock.now += PENDING_STEP_SECONDS + 1
    page = await browser.get("/totp/verify")
    assert page.path == "/totp/login"
    assert page.notice == "Your sign-in took too long. Please start again."


async def test_honeypot_filled_refuses_the_login(
    browser: Browser, seeds: dict[str, SiteSeed]
) -> None:
    entry = seeds["single"]
    page = await browser.get("/single/login")
    form = page.form("login-form")
    (honeypot,) = form.named("email_confirm")
    assert honeypot.concealed
    assert not honeypot.fillable
    form.fill_autocomplete("username", entry.username)
    form.fill_autocomplete("current-password", entry.password)
    honeypot.value = entry.username
    page = await browser.submit(page, form)
    assert page.status == 401
    assert page.signed_in_user is None


@pytest.mark.parametrize("key", ALL_SITES)
async def test_a_form_without_its_csrf_token_is_refused(
    browser: Browser, seeds: dict[str, SiteSeed], key: str
) -> None:
    page = await browser.get(f"/{key}/login")
    form = page.forms[0]
    csrf = [i for i in form.inputs if i.type == "hidden"]
    assert len(csrf) == 1
    csrf[0].value = "forged"
    form.fill_autocomplete("username", seeds[key].username)
    page = await browser.submit(page, form)
    assert page.status == 403
    assert page.error == "Your session expired. Please try again."


async def test_logout_ends_the_session(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    entry = seeds["single"]
    page = await log_in(browser, entry.login_path, entry.username, entry.password)
    page = await browser.submit(page, page.form("logout-form"))
    assert page.path == "/single/login"
    assert page.notice == "You have signed out."
    assert (await browser.get("/single/account")).path == "/single/login"


async def test_each_site_keeps_its_own_session_cookie(
    browser: Browser, seeds: dict[str, SiteSeed], clock: FakeClock
) -> None:
    for key in ALL_SITES:
        entry = seeds[key]
        code = clock.code(entry) if entry.totp_secret else None
        await log_in(browser, entry.login_path, entry.username, entry.password, code=code)
    names = {cookie.name for cookie in browser.client.cookies.jar}
    assert names == {f"demo_{key.replace('-', '_')}_session" for key in ALL_SITES}
    page = await browser.get("/single/logout")
    assert page.status == 405  # logging out needs the form's POST and token
    for key in ALL_SITES:
        assert (await browser.get(f"/{key}/account")).signed_in_user == seeds[key].username


async def test_signing_in_replaces_the_session_id(
    browser: Browser, seeds: dict[str, SiteSeed]
) -> None:
    entry = seeds["single"]
    await browser.get("/single/login")
    before = browser.client.cookies["demo_single_session"]
    await log_in(browser, entry.login_path, entry.username, entry.password)
    assert browser.client.cookies["demo_single_session"] != before


async def test_index_lists_every_site(browser: Browser) -> None:
    page = await browser.get("/")
    for site in SITES:
        assert f'href="{site.login_path}"' in page.response.text
