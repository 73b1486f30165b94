"""The autofill cases every browser runs: fixture pages launched through a real broker with the
real extension, each either a login (the site must receive exactly the account's values) or a
page that is no login step (no field may change, nothing may be clicked or submitted, no
request may leave the page).

One loopback server holds both the probe site (`e2e.probe`: the fixture pages, and a log of every
request) and the demo sites (their own path prefixes), so one broker holds every account. The
browser side is abstracted as a `Launcher`, so Chromium (Playwright) and Firefox (WebDriver BiDi)
run the very same cases and checks.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from e2e.broker import RunningBroker, serve_broker
from e2e.launches import LOGIN_LIMIT_S, STEP_LIMIT_S
from e2e.probe import ProbeLog, create_probe_app
from sandbox.apps import SITES, SiteSeed, create_apps_app, demo_seed
from sandbox.apps.totp import decode_secret, new_secret, totp
from sandbox.serve import serve

USERNAME = "probe.user@fixture.test"
# The extension ends every launch within its whole-login limit (e2e.launches).
_OUTCOME_TIMEOUT_S = LOGIN_LIMIT_S + STEP_LIMIT_S

# Put in every page before its own scripts: what happened to its fields, as the page saw it.
RECORDER = """() => {
  const seen = [];
  Object.defineProperty(window, "__probe", { value: seen });
  const name = (t) =>
    (t && t.getAttribute && (t.getAttribute("name") || t.id)) || String(t && t.nodeName);
  for (const type of ["input", "change", "submit", "click", "keydown"]) {
    window.addEventListener(type, (e) => seen.push(`${type}:${name(e.target)}`), true);
  }
}"""

# Every input of the page and of its same-origin frames still holds what the page gave it.
CHANGED_FIELDS = """(() => {
  const docs = [document];
  for (const f of document.querySelectorAll("iframe")) {
    try { if (f.contentDocument) docs.push(f.contentDocument); } catch (e) {}
  }
  const changed = [];
  for (const doc of docs) {
    for (const i of doc.querySelectorAll("input")) {
      const box = i.type === "checkbox" || i.type === "radio";
      const now = box ? String(i.checked) : i.value;
      const was = box ? String(i.defaultChecked) : i.defaultValue;
      if (now !== was) changed.push(i.name || i.id);
    }
  }
  return changed;
})()"""


@dataclass(frozen=True)
class Expect:
    """One request the site must receive: `fields` maps a form name to what it must hold
    ("username", "password", "code", or "code:<n>" for digit n of the code)."""

    path: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Case:
    page: str  # the fixture's name: the account's login URL is /probe/<page>
    why: str
    with_code: bool = False
    receives: tuple[Expect, ...] = ()  # empty: a page where nothing may happen
    outcome: str = "signed_in"
    reason: str | None = None  # the record's reason beside the outcome
    steps: tuple[str, ...] = ()  # when given: the record's steps, in order
    ends_elsewhere: bool = False  # the site sends the tab to another origin mid-login

    @property
    def must_fill(self) -> bool:
        return bool(self.receives)

    @property
    def key(self) -> str:
        """The account's app name in the broker (apart from the demo sites' keys)."""
        return f"probe-{self.page}"


def _digits(names: Sequence[str]) -> dict[str, str]:
    return {n: f"code:{i}" for i, n in enumerate(names)}


_LOGIN = {"email": "username", "pw": "password"}
MUST_FILL: tuple[Case, ...] = (
    Case("single", "one form, with a search box beside it", receives=(Expect("/done", _LOGIN),)),
    Case(
        "login-beside-newsletter",
        "the username comes from the password's own form",
        receives=(Expect("/done", {"account_email": "username", "account_password": "password"}),),
    ),
    Case(
        "two-identifiers-username",
        "username, then email, then password",
        steps=("username_sent", "username_sent", "password_sent", "signed_in"),
        receives=(
            Expect("/probe/two-identifiers-email/next", {"user_name": "username"}),
            Expect("/probe/two-identifiers-password/next", {"contact_email": "username"}),
            Expect("/done", {"secret": "password"}),
        ),
    ),
    Case(
        "digits-number",
        "six type=number boxes without maxlength",
        with_code=True,
        receives=(Expect("/done", _digits([f"d{i}" for i in range(1, 7)])),),
    ),
    Case(
        "digits-inputmode",
        "six narrow inputmode=numeric boxes in a labelled group",
        with_code=True,
        receives=(Expect("/done", _digits([f"c{i}" for i in range(6)])),),
    ),
    Case(
        "password-type-code",
        "a code-only login whose code field is type=password",
        with_code=True,
        receives=(Expect("/done", {"security_code": "code"}),),
        steps=("code_sent", "code_accepted", "signed_in"),
    ),
    Case(
        "code-wrong",
        "a site that refuses every code: one fresh retry, then code_rejected",
        with_code=True,
        receives=(Expect("/probe/code-wrong-again/next", {"otp": "code"}),) * 2,
        outcome="code_rejected",
        steps=("code_sent", "code_rejected", "code_sent", "code_rejected"),
    ),
    Case(
        "redirect-away",
        "after the username the site redirects to another origin's password page",
        receives=(Expect("/probe/two-identifiers-password/elsewhere", {"user": "username"}),),
        outcome="left_origin",
        ends_elsewhere=True,
    ),
    Case(
        "closed-shadow",
        "a login inside a closed shadow root",
        receives=(Expect("/done", {"email": "username", "password": "password"}),),
    ),
    Case(
        "top-layer-dialog",
        "a modal dialog in a clipping box",
        receives=(Expect("/done", {"user": "username", "pass": "password"}),),
    ),
    Case(
        "top-layer-popover",
        "an open popover in a clipping box",
        receives=(Expect("/done", {"user": "username", "pass": "password"}),),
    ),
    Case(
        "frame-sandboxed-login",
        "a same-origin frame sandboxed with allow-same-origin and allow-forms",
        receives=(Expect("/done", _LOGIN),),
    ),
    Case(
        "formless-login-with-nav",
        "formless: the container's Log in, not the menu's Login",
        receives=(Expect("/done", {"u": "username", "p": "password"}),),
    ),
    Case(
        "late-login",
        "a page that builds itself, its login form inserted by script 1.2 s after load",
        receives=(Expect("/done", _LOGIN),),
    ),
    Case(
        "restless-login",
        "a DOM that never stops changing, the login form inserted 0.8 s after load",
        receives=(Expect("/done", _LOGIN),),
    ),
)

_NOT_LOGIN = "not_a_login_page"
MUST_NOT: tuple[Case, ...] = (
    Case("signup", "a sign-up form (no new-password token)", outcome=_NOT_LOGIN),
    Case("new-password", "a sign-up form with new-password fields", outcome=_NOT_LOGIN),
    Case(
        "change-password", "a change-password form, current password included", outcome=_NOT_LOGIN
    ),
    Case("reset-password", "a reset-password form", outcome=_NOT_LOGIN),
    Case("newsletter", "a newsletter form on the account's origin", outcome=_NOT_LOGIN),
    Case("search", "a search form on a page titled sign in", outcome=_NOT_LOGIN),
    Case("payment", "a payment form with a security code", outcome=_NOT_LOGIN),
    Case("address", "an address form with a postal code", outcome=_NOT_LOGIN),
    Case("profile", "a profile form", outcome=_NOT_LOGIN),
    Case("codes-not-ours", "promo, coupon, invite, area codes", with_code=True, outcome=_NOT_LOGIN),
    Case("lone-email", "a lone email field with no login evidence", outcome=_NOT_LOGIN),
    Case("formless-nav-login", "formless, with Login controls in the menu", outcome=_NOT_LOGIN),
    Case(
        "frame-sandboxed-no-forms", "a login in a frame sandboxed without forms", outcome=_NOT_LOGIN
    ),
    Case("code-one-box", "a code step for an account without a code", outcome="code_not_available"),
    Case(
        "restless",
        "no login step, and a DOM that never stops changing: the agent gives up, saying so",
        outcome=_NOT_LOGIN,
        reason="never_quiet",
    ),
)
CASES = MUST_FILL + MUST_NOT


class Tab(Protocol):
    def evaluate(self, expression: str) -> Any:
        """The JSON value of `expression` (a promise is awaited) in the tab's top document."""
        ...

    def url(self) -> str: ...

    def close(self) -> None: ...


class Launcher(Protocol):
    def open(self, url: str) -> Tab:
        """A new tab (with RECORDER in every document) that has loaded `url`."""
        ...

    def launches(self) -> list[dict[str, Any]]:
        """The extension's launch record, newest first."""
        ...


@dataclass
class World:
    url: str
    broker: RunningBroker
    log: ProbeLog
    seeds: dict[str, SiteSeed] = field(default_factory=dict)  # by case key or demo site key

    def launch_url(self, key: str) -> str:
        return self.broker.launch_url(key)


def _probe_seed(case: Case) -> SiteSeed:
    return SiteSeed(
        site=case.key,
        name=f"Probe {case.page}",
        login_path=f"/probe/{case.page}",
        username=USERNAME,
        password=secrets.token_urlsafe(12),
        totp_secret=new_secret() if case.with_code else None,
    )


def _combined(demo: ASGIApp, probe: ASGIApp) -> ASGIApp:
    """The demo sites under their own prefixes, the probe site everywhere else."""
    prefixes = tuple(f"/{site.key}/" for site in SITES)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
        target = demo if path.startswith(prefixes) else probe
        await target(scope, receive, send)

    return app


@contextmanager
def serve_world(data_dir: Path, extension_origins: tuple[str, ...]) -> Iterator[World]:
    """The probe and demo sites on one loopback server, and a broker holding every account."""
    demo = demo_seed()
    probes = [_probe_seed(case) for case in CASES]
    log = ProbeLog()
    app = _combined(create_apps_app(demo), create_probe_app(log))
    with serve(lambda _url: app) as url:
        # The demo's three first (seed_demo shares them as the demo expects), then the probes.
        seeds = [*demo, *probes]
        assert len({s.site for s in seeds}) == len(seeds), "one account per key"
        with serve_broker(data_dir, url, seeds, extension_origins=extension_origins) as broker:
            yield World(url, broker, log, {s.site: s for s in seeds})


def _codes(secret: str) -> set[str]:
    key = decode_secret(secret)
    now = time.time()
    return {totp(key, now - 30), totp(key, now), totp(key, now + 30)}


def wait_for_launch(launcher: Launcher, known: set[str]) -> dict[str, Any]:
    """The first launch not in `known` once it has an outcome."""
    deadline = time.monotonic() + _OUTCOME_TIMEOUT_S
    latest: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        fresh = [r for r in launcher.launches() if r.get("launchId") not in known]
        latest = fresh[-1] if fresh else None
        if latest and latest.get("outcome"):
            return latest
        time.sleep(0.2)
    raise AssertionError(f"the launch never ended: {latest}")


def run_case(world: World, launcher: Launcher, case: Case) -> None:
    """Launch the case's account and check what the site received, or that nothing happened."""
    seed = world.seeds[case.key]
    world.log.received.clear()
    known = {str(r.get("launchId")) for r in launcher.launches()}
    tab = launcher.open(world.launch_url(case.key))
    try:
        record = wait_for_launch(launcher, known)
        if case.ends_elsewhere:
            _check_nothing_elsewhere(world, tab, record)
        else:
            assert (record["outcome"], record["reason"]) == (case.outcome, case.reason), record
        assert record["account"] == seed.name
        if case.steps:
            assert tuple(s["step"] for s in record["steps"]) == case.steps, record["steps"]
        stored = repr(launcher.launches())
        assert seed.password not in stored, "no password in the record"
        assert USERNAME not in stored, "no username in the record"
        if case.must_fill:
            _check_received(world, case, seed)
        else:
            _check_untouched(world, case, tab)
    finally:
        tab.close()


def _check_nothing_elsewhere(world: World, tab: Tab, record: dict[str, Any]) -> None:
    """The login ended as the tab left; the other origin's page got nothing, then or later."""
    other = world.url.replace("127.0.0.1", "localhost")
    assert (record["outcome"], record["reason"]) == ("left_origin", other), record
    deadline = time.monotonic() + 5
    while not tab.url().startswith(other) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tab.url().startswith(other), tab.url()
    time.sleep(1.5)  # an agent, had one been let in, would have acted by now
    assert tab.evaluate(CHANGED_FIELDS) == [], "nothing filled on the other origin"


def _value_for(kind: str, seed: SiteSeed, codes: set[str]) -> set[str]:
    if kind == "username":
        return {seed.username}
    if kind == "password":
        return {seed.password}
    assert seed.totp_secret is not None
    if kind == "code":
        return codes
    digit = int(kind.split(":")[1])
    return {c[digit] for c in codes}


def _check_received(world: World, case: Case, seed: SiteSeed) -> None:
    posts = [r for r in world.log.received if r.method == "POST"]
    assert [p.path for p in posts] == [e.path for e in case.receives], posts
    codes = _codes(seed.totp_secret) if seed.totp_secret else set()
    for post, expect in zip(posts, case.receives, strict=True):
        for name, kind in expect.fields.items():
            sent = post.form.get(name, [])
            assert len(sent) == 1, (name, sent)
            assert sent[0] in _value_for(kind, seed, codes), (name, kind)
        if any(kind.startswith("code:") for kind in expect.fields.values()):
            # Digit by digit, and the digits make one code: the whole code was verified.
            code = "".join(post.form[n][0] for n in expect.fields)
            assert code in codes


def _check_untouched(world: World, case: Case, tab: Tab) -> None:
    received = [(r.method, r.path) for r in world.log.received]
    own = [("GET", f"/probe/{case.page}")]
    frames = [r for r in received if r[0] == "GET" and r[1].startswith("/fixtures/")]
    assert received == own + frames, f"a request left the page: {received}"
    assert tab.url().endswith(f"/probe/{case.page}"), "the page stayed where it was"
    assert tab.evaluate(CHANGED_FIELDS) == [], "no field changed"
    assert tab.evaluate("window.__probe") == [], "no event: nothing typed, clicked or submitted"


def check_demo_login(world: World, launcher: Launcher, site: str) -> None:
    """A demo site's login ends signed in, on the site's account page."""
    known = {str(r.get("launchId")) for r in launcher.launches()}
    tab = launcher.open(world.launch_url(site))
    try:
        record = wait_for_launch(launcher, known)
        assert record["outcome"] == "signed_in", record
        account = httpx.URL(tab.url()).path
        assert account == f"/{site}/account", account
        seed = world.seeds[site]
        assert seed.username in str(tab.evaluate("document.body.textContent"))
    finally:
        tab.close()
