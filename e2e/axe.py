"""Accessibility checks with axe-core (npm, installed by `make test-extension` into
`extension/node_modules`) in a real page.

The broker's pages forbid every script (CSP `script-src 'none'`), so the page's browser context
must be made with `bypass_csp=True` for axe to be injected; nothing else about the page changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from e2e.browser import REPO

AXE_SCRIPT = REPO / "extension" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def installed() -> Path | None:
    return AXE_SCRIPT if AXE_SCRIPT.is_file() else None


def violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations of the page as it is now, of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("() => window.axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def summary(found: list[dict[str, Any]]) -> str:
    """One line per violation: its rule, impact and the first offending element."""
    lines = []
    for v in found:
        target = v["nodes"][0]["target"] if v.get("nodes") else "?"
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {target}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    found = violations(page)
    assert not found, f"axe-core on {page.url}:\n{summary(found)}"
