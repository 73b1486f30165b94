"""Run the extension's pure modules in a real page, as its background and agent would.

`install(page, lib_url)` imports `lib/` into the page (from the test server's `/_lib/`) and
exposes a small `window.__latchkeyTest` object on that page only. `run_login` then plays the
background's part from Python: it holds the flow state between pages (as chrome.storage.session
does), asks the page what it shows, carries out fill and submit actions through `lib/page.js`
(which re-checks the live origin at each one), and answers `fetch_code` with `code_for()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

_MODULE = """
import * as flow from "{lib}/flow.js";
import {{ domView, findLoginFields }} from "{lib}/fields.js";
import {{ perform, readPage }} from "{lib}/page.js";
import {{ fillCode, setValue }} from "{lib}/fill.js";
import {{ matchOrigin }} from "{lib}/origin.js";
const view = domView(window);
window.__latchkeyTest = {{
  start: (launch) => flow.start(launch, Date.now()),
  observe: (state, expected) => flow.observe(state, readPage(document, view, expected), Date.now()),
  code: (state, code) => flow.codeReceived(state, code, Date.now()),
  perform: (action, expected) => perform(action, document, view, expected),
  readPage: (expected) => readPage(document, view, expected),
  matchOrigin: (url, expected) => matchOrigin(url, expected),
  fields: () => findLoginFields(document, view),
  setValue, fillCode, findLoginFields, view,
}};
"""

TERMINAL = frozenset({"done", "failed", "timed_out"})


def install(page: Page, lib_url: str) -> None:
    """Import `lib/` into `page`; wait until it is ready."""
    page.add_script_tag(content=_MODULE.format(lib=lib_url.rstrip("/")), type="module")
    page.wait_for_function("() => window.__latchkeyTest !== undefined")


@dataclass
class LoginRun:
    state: dict[str, Any]
    trace: list[tuple[str, list[str]]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def phase(self) -> str:
        return str(self.state["phase"])


_NAVIGATING = ("Execution context was destroyed", "navigat", "Target closed")


def _ensure_installed(page: Page, lib_url: str) -> None:
    """After a navigation the new document has no harness yet: wait for it to load, install."""
    for _ in range(10):
        try:
            page.wait_for_load_state("load")
            if page.evaluate("() => window.__latchkeyTest === undefined"):
                install(page, lib_url)
            return
        except PlaywrightError as exc:
            if not any(text in str(exc) for text in _NAVIGATING):
                raise
            page.wait_for_timeout(100)
    raise AssertionError("the page never settled")


def _call(page: Page, lib_url: str, script: str, arg: Any) -> Any:
    for _ in range(10):
        _ensure_installed(page, lib_url)
        try:
            return page.evaluate(script, arg)
        except PlaywrightError as exc:
            if not any(text in str(exc) for text in _NAVIGATING):
                raise
            page.wait_for_timeout(100)
    raise AssertionError("the page kept navigating")


def run_login(
    page: Page,
    lib_url: str,
    launch: dict[str, Any],
    *,
    code_for: Callable[[], str] | None = None,
    max_rounds: int = 12,
    timeout_s: float = 20.0,
    resume: LoginRun | None = None,
) -> LoginRun:
    """Drive one login on the page's current document until the flow ends (or rounds run out).

    `resume` continues an earlier run (its state, as a restarted service worker would).
    """
    run = resume or LoginRun(_call(page, lib_url, "(l) => window.__latchkeyTest.start(l)", launch))
    expected = launch["origin"]
    deadline = time.monotonic() + timeout_s
    for _ in range(max_rounds):
        if run.phase in TERMINAL or time.monotonic() > deadline:
            break
        result = _call(
            page, lib_url, "([s, o]) => window.__latchkeyTest.observe(s, o)", [run.state, expected]
        )
        actions: list[dict[str, Any]] = result["actions"]
        if any(a["type"] == "fetch_code" for a in actions):
            assert code_for is not None, "the flow asked for a code this test cannot give"
            result = _call(
                page,
                lib_url,
                "([s, c]) => window.__latchkeyTest.code(s, c)",
                [result["state"], code_for()],
            )
            actions = result["actions"]
        run.state = result["state"]
        run.trace.append((run.phase, [f"{a['type']}:{a.get('field', '')}" for a in actions]))
        for action in (a for a in actions if a["type"] in ("fill", "submit")):
            try:
                outcome = page.evaluate(
                    "([a, o]) => window.__latchkeyTest.perform(a, o)", [action, expected]
                )
            except PlaywrightError as exc:  # a submit that navigated before it could answer
                if action["type"] != "submit" or not any(t in str(exc) for t in _NAVIGATING):
                    raise
                outcome = {"ok": True, "reason": None}
            if not outcome["ok"]:
                run.refusals.append({"action": action["type"], **outcome})
                return run
        # Let a submit's navigation start and finish, or a script show the next step.
        page.wait_for_timeout(300)
    return run
