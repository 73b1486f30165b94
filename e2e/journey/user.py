"""What a person does in the browser, step by step, and what they see (DESIGN.md steps 5-6).

Every step drives only the pages a person would use: the extension's options and popup, the
Okta dashboard and its sign-in form, the chiclet, and whatever the browser is then sent to. The
steps take URLs and names, not in-process objects, so they run against any org and broker that
serve these pages. `follow_launch` watches the tab while a launch happens and reports the hops
it took, whether the broker's sign-in with Okta needed the form, whether the launch was granted
or blocked, which kinds of field the site received (never their values) and what the site said.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Page, Request, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from e2e.browser import LoadedExtension
from e2e.launches import known_launch_ids, launch_records, wait_for_new_launch, wait_for_outcome

BLOCKED_TITLE = "This login is not available to you"
SIGNED_IN_AS = "#signed-in-as"
_TIMEOUT_MS = 30_000
_SETTLE_MS = 750  # how long a blocked launch is watched for anything opening after it
_USERNAME = re.compile(r"user|login|email|identifier", re.IGNORECASE)
_PASSWORD = re.compile(r"pass|pwd", re.IGNORECASE)
_CODE = re.compile(r"otp|code|totp|passcode", re.IGNORECASE)
_NOT_A_FIELD = re.compile(r"csrf|token|authenticity", re.IGNORECASE)


class StepFailed(AssertionError):
    """The browser did not show what the step expects (with what it showed instead)."""


def configure_extension(extension: LoadedExtension, page: Page, broker_url: str) -> None:
    """Enter the broker URL in the extension's options, as a person does after installing it."""
    page.goto(extension.url("options/options.html"))
    saved = page.locator("#status", has_text="Saved.")
    for _ in range(10):
        # The page fills the field with the stored URL once storage answers: that may land
        # after our typing, so type again until the page confirms.
        page.fill("#broker-url", broker_url)
        page.click("#save")
        try:
            saved.wait_for(timeout=1_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        raise StepFailed(f"the options page did not save the broker URL: {page.inner_text('body')}")
    # The launch-page script is registered for the new broker in the background; wait for it.
    extension.worker.evaluate(
        """async (url) => {
            const want = `${new URL(url).protocol}//${new URL(url).hostname}/launch/*`;
            for (let i = 0; i < 200; i++) {
                const found = await chrome.scripting.getRegisteredContentScripts();
                if (found.length && found[0].matches[0] === want) return;
                await new Promise((r) => setTimeout(r, 50));
            }
            throw new Error("the launch script was not registered");
        }""",
        broker_url,
    )


def sign_out_everywhere(extension: LoadedExtension, page: Page) -> None:
    """A new person at this browser: the extension signed out (popup), every cookie gone."""
    page.goto(extension.url("popup/popup.html"))
    member = page.locator("#member")
    member.filter(has_not_text="…").wait_for(timeout=_TIMEOUT_MS)
    if page.locator("#sign-out").is_visible():
        page.click("#sign-out")
        page.locator("#message", has_text="Signed out.").wait_for(timeout=_TIMEOUT_MS)
    page.context.clear_cookies()


def sign_in_to_org(page: Page, dashboard_url: str, login: str, password: str) -> list[str]:
    """Open the Okta dashboard, sign in through its form; the chiclets' labels it then shows."""
    page.goto(dashboard_url)
    if not _is(page.url, dashboard_url):
        _fill_sign_in(page, login, password)
        try:
            page.wait_for_url(lambda url: _is(url, dashboard_url), timeout=_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise StepFailed(
                f"the sign-in did not reach the dashboard (a wrong password, or a second "
                f"factor?): {page.url}"
            ) from None
    return chiclets(page)


def _is(url: str, page_url: str) -> bool:
    """The same page: scheme, host, port and path (Okta may add a query)."""
    a, b = urlsplit(url), urlsplit(page_url)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def _fill_sign_in(page: Page, login: str, password: str) -> None:
    classic, identifier = "#okta-signin-username", 'input[name="identifier"]'
    page.locator(f"{classic}, {identifier}").first.wait_for(timeout=_TIMEOUT_MS)
    if page.locator(classic).count():  # the sandbox's form: the ids of Okta's Classic widget
        page.fill(classic, login)
        page.fill("#okta-signin-password", password)
        page.click("#okta-signin-submit")
        return
    # Okta Identity Engine's widget: the identifier, Next, then the password, Verify; then,
    # where the org offers optional security methods, "Set up later".
    passcode = 'input[name="credentials.passcode"]'
    page.fill(identifier, login)
    if not page.locator(passcode).count():
        with page.expect_navigation(timeout=_TIMEOUT_MS):
            page.click('input[type="submit"]')
        page.locator(passcode).wait_for(timeout=_TIMEOUT_MS)
    page.fill(passcode, password)
    with page.expect_navigation(timeout=_TIMEOUT_MS):
        page.click('input[type="submit"]')
    _choose_authenticator(page)


def _choose_authenticator(page: Page) -> None:
    """Identity Engine's authenticator choice after the password: an optional enrollment is put
    off ("Set up later"); a second factor the org requires cannot be passed without a person,
    so the step stops, naming the methods offered."""
    methods = page.locator('[data-se="authenticator-button"]')
    if not methods.count():
        return
    later = page.locator('[data-se="button"]', has_text=re.compile("set up later", re.I))
    if later.count():
        with page.expect_navigation(timeout=_TIMEOUT_MS):
            later.first.click()
        return
    offered = [
        t.strip()
        for t in page.locator(
            "[data-se=authenticator-enroll-list] li, [data-se=authenticator-verify-list] li"
        ).all_inner_texts()
    ]
    raise StepFailed(f"Okta asks for a second factor this run cannot give: {offered}")


def chiclets(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("li.chiclet a").all_inner_texts()]


@dataclass
class LaunchReport:
    hops: list[str] = field(default_factory=list)  # URLs the tab's top frame was sent to
    # The broker's answers on the way (launch page 200; blocked page 403, at the launch or, for
    # a member the sign-in refuses, at the sign-in's callback), by URL.
    statuses: dict[str, int] = field(default_factory=dict)
    pages_shown: list[str] = field(default_factory=list)  # documents the tab showed (200s)
    filled: list[str] = field(default_factory=list)  # kinds of field the site received
    other_fields: list[str] = field(default_factory=list)  # names of other filled fields
    signed_in_as: str | None = None  # the site's success text
    last_launch: dict[str, Any] | None = None  # the extension's record (no secrets in it)
    final_url: str = ""

    def went_through(self, url_prefix: str, path_prefix: str = "") -> bool:
        return any(h.startswith(url_prefix) and _path(h).startswith(path_prefix) for h in self.hops)

    def broker_signin(self, broker_url: str, org_url: str) -> str:
        """How the broker signed the person in: `none needed`, `silent` or `with the form`."""
        if not self.went_through(broker_url, "/auth/callback"):
            return "none needed"
        shown = any(url.startswith(org_url) for url in self.pages_shown)
        return "with the form" if shown else "silent"

    @property
    def granted(self) -> bool:
        return 200 in self.statuses.values()

    @property
    def blocked(self) -> bool:
        return 403 in self.statuses.values()


def _path(url: str) -> str:
    return urlsplit(url).path


def _form_fields(request: Request) -> list[tuple[str, str]]:
    body = request.post_data or ""
    if "json" in (request.headers.get("content-type") or ""):
        try:
            data = json.loads(body)
        except ValueError:
            return []
        return [(str(k), str(v)) for k, v in data.items()] if isinstance(data, dict) else []
    return parse_qsl(body, keep_blank_values=True)


def _kind(name: str) -> str | None:
    if _NOT_A_FIELD.search(name):
        return None
    if _PASSWORD.search(name):
        return "password"
    if _CODE.search(name):
        return "code"
    if _USERNAME.search(name):
        return "username"
    return ""


def follow_launch(
    page: Page,
    extension: LoadedExtension,
    start: Callable[[], object],
    *,
    broker_url: str,
    site_origin: str | None = None,
    timeout_ms: int = _TIMEOUT_MS,
) -> LaunchReport:
    """Run `start` (a click, a `goto`) and watch the tab until the site says who is signed in or
    the broker's blocked page shows (then a moment longer, to see that nothing opens)."""
    report = LaunchReport()
    watched = ("/launch/", "/auth/callback")

    def on_request(request: Request) -> None:
        try:
            frame = request.frame
        except Exception:  # a service worker's request has no frame
            return
        if frame != page.main_frame:
            return
        if request.is_navigation_request():
            report.hops.append(request.url)
        if request.method == "POST" and (
            site_origin is None or request.url.startswith(site_origin)
        ):
            for name, value in _form_fields(request):
                kind = _kind(name)
                if kind is None or not value:
                    continue
                if kind:
                    if kind not in report.filled:
                        report.filled.append(kind)
                elif name not in report.other_fields:
                    report.other_fields.append(name)

    def on_response(response: Response) -> None:
        request = response.request
        if request.is_navigation_request() and response.status == 200:
            with contextlib.suppress(Exception):  # a service worker's request has no frame
                if request.frame == page.main_frame:
                    report.pages_shown.append(response.url)
        if response.url.startswith(broker_url) and _path(response.url).startswith(watched):
            report.statuses[response.url] = response.status

    known = known_launch_ids(extension)
    page.on("request", on_request)
    page.on("response", on_response)
    try:
        start()
        ended = page.locator(f"{SIGNED_IN_AS}, h1:text-is('{BLOCKED_TITLE}')").first
        ended.wait_for(timeout=timeout_ms)
        if page.locator(SIGNED_IN_AS).count():
            report.signed_in_as = page.locator(SIGNED_IN_AS).inner_text().strip()
            started = wait_for_new_launch(extension, known)
            report.last_launch = wait_for_outcome(extension, str(started["launchId"]))
        else:
            page.wait_for_timeout(_SETTLE_MS)
            fresh = [r for r in launch_records(extension) if str(r["launchId"]) not in known]
            report.last_launch = fresh[-1] if fresh else None
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("response", on_response)
    report.final_url = page.url
    return report


def click_chiclet(
    page: Page,
    extension: LoadedExtension,
    label: str,
    *,
    broker_url: str,
    site_origin: str | None = None,
) -> LaunchReport:
    link = page.locator("li.chiclet a").filter(has_text=re.compile(f"^{re.escape(label)}$"))
    if link.count() != 1:
        raise StepFailed(f"no chiclet labelled {label!r} on the dashboard: {chiclets(page)}")
    return follow_launch(
        page, extension, link.click, broker_url=broker_url, site_origin=site_origin
    )


def extension_storage(extension: LoadedExtension) -> dict[str, Any]:
    """Everything in the extension's `chrome.storage.session` (for checks; never printed)."""
    found: dict[str, Any] = extension.worker.evaluate("chrome.storage.session.get(null)")
    return found
