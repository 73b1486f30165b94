"""The field finder and the filler on real Chromium layout: the same fixture pages as the Node
tests (their `data-expect` marks say the answer), plus pages only a browser runs (frames, a
React-style controlled input)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from e2e.driver import install
from e2e.pages import FIXTURE_DIRS

SHARED = sorted(p.name for p in FIXTURE_DIRS[0].glob("*.html"))

# In the page: what the finder chose and what the marks expect, as names, through shadow roots.
_COMPARE = """() => {
  const t = window.__latchkeyTest;
  const marked = (role) => {
    const found = [];
    const visit = (root) => {
      for (const el of root.querySelectorAll("*")) {
        if (el.getAttribute("data-expect") === role) found.push(el);
        if (el.shadowRoot) visit(el.shadowRoot);
      }
    };
    visit(document);
    return found;
  };
  const name = (el) => el && (el.getAttribute("name") || el.getAttribute("aria-label"));
  const fields = t.fields();
  const chosen = [fields.username, fields.password, ...fields.code].filter(Boolean);
  return {
    actual: {username: name(fields.username), password: name(fields.password),
             code: fields.code.map(name)},
    expected: {username: name(marked("username")[0] || null),
               password: name(marked("password")[0] || null), code: marked("code").map(name)},
    trapsChosen: marked("never").filter((el) => chosen.includes(el)).map(name),
  };
}"""


@pytest.mark.parametrize("fixture", SHARED)
def test_finder_chooses_the_marked_fields(
    page: Page, pages_url: str, lib_url: str, fixture: str
) -> None:
    page.goto(f"{pages_url}/fixtures/{fixture}")
    install(page, lib_url)
    result: dict[str, Any] = page.evaluate(_COMPARE)
    assert result["actual"] == result["expected"]
    assert result["trapsChosen"] == []


def test_controlled_input_notices_the_native_setter(
    page: Page, pages_url: str, lib_url: str
) -> None:
    page.goto(f"{pages_url}/fixtures/react-controlled.html")
    install(page, lib_url)
    page.evaluate(
        """() => {
          const t = window.__latchkeyTest;
          t.setValue(document.getElementById("email"), "alice@demo.test");
          const pw = document.getElementById("password");
          pw.value = "assigned";  // what a naive filler does: the framework never hears of it
          pw.dispatchEvent(new Event("input", {bubbles: true}));
        }"""
    )
    assert page.inner_text("#state-email") == "alice@demo.test"
    assert page.inner_text("#state-password") == ""
    page.evaluate(
        "() => window.__latchkeyTest.setValue(document.getElementById('password'), 'pw-1')"
    )
    assert page.inner_text("#state-password") == "pw-1"


@pytest.mark.parametrize(
    ("fixture", "shows_login"),
    [
        ("frame-same-origin.html", True),
        # Sandboxed but keeping its origin and its forms (allow-same-origin allow-forms): usable.
        ("frame-sandboxed.html", True),
        ("frame-sandboxed-no-forms.html", False),
        ("frame-cross-origin.html", False),
    ],
)
def test_frames_only_same_origin_with_forms(
    page: Page, pages_url: str, lib_url: str, fixture: str, shows_login: bool
) -> None:
    page.goto(f"{pages_url}/fixtures/{fixture}")
    page.frame_locator("#f").locator("#pw").wait_for()
    install(page, lib_url)
    origin = page.evaluate("location.origin")
    steps = page.evaluate("(o) => window.__latchkeyTest.readPage(o)", origin)
    assert (steps["username"], steps["password"]) == (shows_login, shows_login)
    filled = page.evaluate(
        "(o) => window.__latchkeyTest.perform({type: 'fill', field: 'password', value: 'x'}, o)",
        origin,
    )
    assert filled["ok"] is shows_login
    frame_value = page.frame_locator("#f").locator("#pw").input_value()
    assert frame_value == ("x" if shows_login else "")
