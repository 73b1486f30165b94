"""axe-core (Deque's accessibility engine, from npm: `extension/node_modules/axe-core`) run on the
page a browser test has open.

The source is evaluated through the DevTools protocol, which a page's Content-Security-Policy does
not govern: the broker's pages allow no script at all and still get checked as they are served,
and so do the extension's own pages. `make test-extension` (and so `make test`) installs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from e2e.browser import EXTENSION_DIR

AXE_JS = EXTENSION_DIR / "node_modules" / "axe-core" / "axe.min.js"
# What a failing page must not have; "moderate" and "minor" findings are reported, not failed.
BLOCKING = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} at {', '.join(self.targets)}"


def installed() -> Path | None:
    """axe-core's script when `make test-extension` has installed it, else None."""
    return AXE_JS if AXE_JS.is_file() else None


@cache
def _source() -> str:
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `make test-extension` (npm ci) first")
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Page) -> list[Violation]:
    """Every axe violation on the page as it is now (WCAG 2.x A and AA, and best practice)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
            (v) => ({rule: v.id, impact: v.impact || "minor", help: v.help,
                     targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)}))"""
    )
    return [Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"])) for v in found]


def assert_accessible(page: Page, state: str = "this page") -> None:
    """No serious or critical axe violation on the page in this state (named for the message)."""
    blocking = [v for v in violations(page) if v.impact in BLOCKING]
    assert not blocking, f"axe on {state} ({page.url}):\n" + "\n".join(map(str, blocking))
