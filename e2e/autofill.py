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
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from e2e.broker import RunningBroker, serve_broker
from e2e.launches import LOGIN_LIMIT_S, STEP_LIMIT_S
from e2e.probe import ProbeLog, Received, create_probe_app
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
    known_bug: str = ""  # a bug this case shows and nobody fixed yet (the tests mark it xfail)

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
        "slow-login",
        "a server that answers the login POST and the code POST 1.5 s later: one code, signed in",
        with_code=True,
        receives=(Expect("/probe/slow-code/slow", _LOGIN), Expect("/slow/done", {"otp": "code"})),
        steps=("password_sent", "code_sent", "code_accepted", "signed_in"),
        known_bug="a report read before the code's fill reads as code_rejected: a second code "
        "(docs/extension.md, Known issues)",
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


def case_params(cases: Sequence[Case]) -> list[Any]:
    """The cases as pytest parameters, a case with a known bug marked xfail (not strict: the
    bug is a race)."""
    import pytest  # the tests' own library, only where they ask for it

    return [
        pytest.param(
            c, id=c.page, marks=[pytest.mark.xfail(reason=c.known_bug)] if c.known_bug else []
        )
        for c in cases
    ]


class Tab(Protocol):
    def evaluate(self, expression: str) -> Any:
        """The JSON value of `expression` (a promise is awaited) in the tab's top document."""
        ...

    def url(self) -> str: ...

    def close(self) -> None: ...


class Launcher(Protocol):
    def open(self, url: str) -> Tab:
        """A new tab (with RECORDER in every document) that has started loading `url`."""
        ...

    def launches(self) -> list[dict[str, Any]]:
        """The extension's launch record, newest first."""
        ...


@dataclass
class World:
    url: str  # the demo sites (and a probe site for anything else)
    broker: RunningBroker
    log: ProbeLog  # what `url` received
    seeds: dict[str, SiteSeed] = field(default_factory=dict)  # by case key or demo site key
    # Each case's probe site runs on a port of its own, so its account has an origin of its own
    # and what its page sent is told apart from the other cases' while they run at once.
    case_urls: dict[str, str] = field(default_factory=dict)  # by case key
    case_logs: dict[str, ProbeLog] = field(default_factory=dict)  # by case key

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


def _by_port(apps: dict[int, ASGIApp], default: ASGIApp) -> ASGIApp:
    """Each request to the app of the port it came in on (lifespan events to `default`)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or ("", 0)
        await apps.get(server[1], default)(scope, receive, send)

    return app


@contextmanager
def _serve_probes(logs: dict[str, ProbeLog]) -> Iterator[dict[str, str]]:
    """A probe site per key, each on a loopback port of its own, all in one server (one start
    and one stop for them all): their URLs, by key."""
    sockets = {key: socket.create_server(("127.0.0.1", 0)) for key in logs}
    try:
        for sock in sockets.values():
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as sandbox.serve does
        ports: dict[str, int] = {key: sock.getsockname()[1] for key, sock in sockets.items()}
        apps: dict[int, ASGIApp] = {ports[key]: create_probe_app(log) for key, log in logs.items()}
        config = uvicorn.Config(
            _by_port(apps, create_probe_app(ProbeLog())),
            log_level="warning",
            lifespan="off",
            ws="none",
            http="h11",
            access_log=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": list(sockets.values())}, daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the probe sites did not start")
            time.sleep(0.01)
        try:
            yield {key: f"http://127.0.0.1:{port}" for key, port in ports.items()}
        finally:
            server.should_exit = True
            thread.join(10)
    finally:
        for sock in sockets.values():
            sock.close()


@contextmanager
def serve_world(data_dir: Path, extension_origins: tuple[str, ...]) -> Iterator[World]:
    """The demo sites (and a probe site) on one loopback server, each case's probe site on a
    port of its own, and a broker holding every account."""
    demo = demo_seed()
    probes = [_probe_seed(case) for case in CASES]
    log = ProbeLog()
    app = _combined(create_apps_app(demo), create_probe_app(log))
    case_logs = {case.key: ProbeLog() for case in CASES}
    with serve(lambda _url: app) as url, _serve_probes(case_logs) as case_urls:
        # The demo's three first (seed_demo shares them as the demo expects), then the probes.
        seeds = [*demo, *probes]
        assert len({s.site for s in seeds}) == len(seeds), "one account per key"
        with serve_broker(
            data_dir, url, seeds, extension_origins=extension_origins, site_urls=case_urls
        ) as broker:
            yield World(url, broker, log, {s.site: s for s in seeds}, case_urls, case_logs)


def _codes(secret: str, at: float) -> set[str]:
    """The codes valid at `at` (a request's arrival: the case is checked later), a step apart."""
    key = decode_secret(secret)
    return {totp(key, at - 30), totp(key, at), totp(key, at + 30)}


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


@dataclass
class Seen:
    """What one case's launch left behind, read while its tab was still open."""

    record: dict[str, Any] | None = None
    stored: str = ""  # the whole launch record once the case ended, as text
    received: list[Received] = field(default_factory=list)  # what the case's site received
    url: str = ""  # where the tab was
    changed: list[str] | None = None  # CHANGED_FIELDS in the tab
    events: list[str] | None = None  # RECORDER's events in the tab
    error: str | None = None  # the case could not be run or read to its end


# Launched at once, each in a tab of its own (the extension runs one flow per tab). Fewer than
# the extension's LAUNCH_HISTORY (20), so every record of a batch is still there to read.
AT_ONCE = 15


def run_cases(
    world: World, launcher: Launcher, cases: Sequence[Case], *, at_once: int = AT_ONCE
) -> dict[str, Seen]:
    """Launch the cases' accounts, `at_once` at a time, and read what each left behind, by
    case page; `check_case` then checks it. The cases' sites are apart (their own origins)."""
    if not 0 < at_once <= AT_ONCE:
        raise ValueError(f"at most {AT_ONCE} launches at once")
    seen: dict[str, Seen] = {}
    for start in range(0, len(cases), at_once):
        seen.update(_run_batch(world, launcher, cases[start : start + at_once]))
    return seen


def _run_batch(world: World, launcher: Launcher, cases: Sequence[Case]) -> dict[str, Seen]:
    seen = {case.page: Seen() for case in cases}
    for case in cases:
        world.case_logs[case.key].received.clear()
    known = {str(r.get("launchId")) for r in launcher.launches()}
    tabs: dict[str, Tab] = {}
    try:
        for case in cases:
            tabs[case.page] = launcher.open(world.launch_url(case.key))
        _wait_for_launches(world, launcher, known, cases, seen)
        elsewhere = [c for c in cases if c.ends_elsewhere and seen[c.page].record]
        if elsewhere:
            _wait_until_elsewhere(world, elsewhere, tabs)
            time.sleep(1.5)  # an agent, had one been let in, would have acted by now
        for case in cases:
            _read_tab(world, case, tabs[case.page], seen[case.page])
    finally:
        for tab in tabs.values():
            tab.close()
    return seen


def _wait_for_launches(
    world: World, launcher: Launcher, known: set[str], cases: Sequence[Case], seen: dict[str, Seen]
) -> None:
    """Each case's first launch not in `known`, once it has an outcome (by the account's name)."""
    by_account = {world.seeds[c.key].name: c for c in cases}
    deadline = time.monotonic() + _OUTCOME_TIMEOUT_S
    latest: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        records = launcher.launches()
        for record in reversed(records):  # oldest first: a case's first launch
            case = by_account.get(record.get("account", ""))
            if case and record.get("launchId") not in known:
                latest.setdefault(case.page, record)
        latest = {page: _newer(records, r) for page, r in latest.items()}
        if len(latest) == len(cases) and all(r.get("outcome") for r in latest.values()):
            break
        time.sleep(0.2)
    stored = repr(launcher.launches())
    for case in cases:
        record = latest.get(case.page)
        if record and record.get("outcome"):
            seen[case.page].record = record
            seen[case.page].stored = stored
        else:
            seen[case.page].error = f"the launch never ended: {record}"


def _newer(records: list[dict[str, Any]], record: dict[str, Any]) -> dict[str, Any]:
    """`record` as the extension's record holds it now."""
    found = [r for r in records if r.get("launchId") == record.get("launchId")]
    return found[0] if found else record


def _other_origin(world: World, case: Case) -> str:
    return world.case_urls[case.key].replace("127.0.0.1", "localhost")


def _wait_until_elsewhere(world: World, cases: Sequence[Case], tabs: dict[str, Tab]) -> None:
    deadline = time.monotonic() + 5
    for case in cases:
        tab, other = tabs[case.page], _other_origin(world, case)
        while not tab.url().startswith(other) and time.monotonic() < deadline:
            time.sleep(0.1)


def _read_tab(world: World, case: Case, tab: Tab, seen: Seen) -> None:
    seen.received = list(world.case_logs[case.key].received)
    if seen.error or (case.must_fill and not case.ends_elsewhere):
        return
    try:
        seen.url = tab.url()
        seen.changed = tab.evaluate(CHANGED_FIELDS)
        if not case.ends_elsewhere:
            seen.events = tab.evaluate("window.__probe")
    except Exception as exc:  # the case's own test reports it
        seen.error = f"the tab could not be read: {exc!r}"


def check_case(world: World, case: Case, seen: Seen) -> None:
    """Check what the case's launch left behind: what the site received, or that nothing
    happened."""
    assert seen.error is None, seen.error
    seed = world.seeds[case.key]
    record = seen.record
    assert record is not None
    if case.ends_elsewhere:
        _check_nothing_elsewhere(world, case, seen)
    else:
        assert (record["outcome"], record["reason"]) == (case.outcome, case.reason), record
    assert record["account"] == seed.name
    if case.steps:
        assert tuple(s["step"] for s in record["steps"]) == case.steps, record["steps"]
    assert seed.password not in seen.stored, "no password in the record"
    assert USERNAME not in seen.stored, "no username in the record"
    if case.must_fill:
        _check_received(case, seed, seen)
    else:
        _check_untouched(case, seen)


def _check_nothing_elsewhere(world: World, case: Case, seen: Seen) -> None:
    """The login ended as the tab left; the other origin's page got nothing, then or later."""
    other = _other_origin(world, case)
    assert seen.record is not None
    assert (seen.record["outcome"], seen.record["reason"]) == ("left_origin", other), seen.record
    assert seen.url.startswith(other), seen.url
    assert seen.changed == [], "nothing filled on the other origin"


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


def _check_received(case: Case, seed: SiteSeed, seen: Seen) -> None:
    posts = [r for r in seen.received if r.method == "POST"]
    assert [p.path for p in posts] == [e.path for e in case.receives], posts
    for post, expect in zip(posts, case.receives, strict=True):
        codes = _codes(seed.totp_secret, post.at) if seed.totp_secret else set()
        for name, kind in expect.fields.items():
            sent = post.form.get(name, [])
            assert len(sent) == 1, (name, sent)
            assert sent[0] in _value_for(kind, seed, codes), (name, kind)
        if any(kind.startswith("code:") for kind in expect.fields.values()):
            # Digit by digit, and the digits make one code: the whole code was verified.
            code = "".join(post.form[n][0] for n in expect.fields)
            assert code in codes


def _check_untouched(case: Case, seen: Seen) -> None:
    received = [(r.method, r.path) for r in seen.received]
    own = [("GET", f"/probe/{case.page}")]
    frames = [r for r in received if r[0] == "GET" and r[1].startswith("/fixtures/")]
    assert received == own + frames, f"a request left the page: {received}"
    assert seen.url.endswith(f"/probe/{case.page}"), "the page stayed where it was"
    assert seen.changed == [], "no field changed"
    assert seen.events == [], "no event: nothing typed, clicked or submitted"


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
