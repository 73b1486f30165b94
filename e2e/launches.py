"""Launch an account and wait for ITS outcome, by launch id, within the extension's own limits.

The extension writes one record per launch to `chrome.storage.session` under `launches` (newest
first; docs/extension.md, "The launch record"). A launch is told from the others by its
`launchId`: note the ids known before the launch, start it (open the broker's launch URL, click a
chiclet), take the first record that is new, then wait for that record's outcome. The waits are
the extension's: a step may take 20 s and the whole login 120 s (extension/lib/flow.js `LIMITS`),
so a slow site ends as the extension says (`timed_out`) rather than as the harness guesses.

    known = known_launch_ids(extension)
    page.goto(broker.launch_url("single"))
    record = wait_for_outcome(extension, wait_for_new_launch(extension, known)["launchId"])

`launch()` does the three, with an optional per-site `before` step: what a person does on the
login page before the form shows (`click_to_open("text=Log in")` for a login behind a button).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

from e2e.browser import LoadedExtension

# extension/lib/flow.js LIMITS: one page to show its next step, and the whole login.
STEP_LIMIT_S = 20.0
LOGIN_LIMIT_S = 120.0
# The extension ends a launch at its limit; the record is written just after. A little slack.
_SLACK_S = 5.0
_POLL_S = 0.1

Before = Callable[[Page], None]
Record = dict[str, Any]


class LaunchNotEnded(AssertionError):
    """The extension recorded no launch, or no outcome for it, within its own limits."""


def launch_records(extension: LoadedExtension) -> list[Record]:
    """The extension's launch record, newest first (never a secret: docs/extension.md)."""
    found: list[Record] = extension.worker.evaluate(
        "chrome.storage.session.get('launches').then((r) => r.launches || [])"
    )
    return found


def known_launch_ids(extension: LoadedExtension) -> set[str]:
    return {str(r.get("launchId")) for r in launch_records(extension)}


def wait_for_new_launch(
    extension: LoadedExtension, known: set[str], *, timeout_s: float = STEP_LIMIT_S
) -> Record:
    """The oldest launch not in `known`, once the extension has recorded it."""
    deadline = time.monotonic() + timeout_s
    while True:
        fresh = [r for r in launch_records(extension) if str(r.get("launchId")) not in known]
        if fresh:
            return fresh[-1]
        if time.monotonic() > deadline:
            raise LaunchNotEnded(f"the extension recorded no launch within {timeout_s:.0f} s")
        time.sleep(_POLL_S)


def find_launch(extension: LoadedExtension, launch_id: str) -> Record | None:
    return next(
        (r for r in launch_records(extension) if r.get("launchId") == launch_id),
        None,
    )


def wait_for_outcome(
    extension: LoadedExtension,
    launch_id: str,
    *,
    timeout_s: float = LOGIN_LIMIT_S + _SLACK_S,
) -> Record:
    """The record of launch `launch_id` once it has an outcome (the extension's whole-login limit
    bounds the wait by default)."""
    deadline = time.monotonic() + timeout_s
    record: Record | None = None
    while time.monotonic() <= deadline:
        record = find_launch(extension, launch_id)
        if record is not None and record.get("outcome"):
            return record
        time.sleep(_POLL_S)
    raise LaunchNotEnded(f"launch {launch_id} has no outcome after {timeout_s:.0f} s: {record}")


def wait_for_phase(
    extension: LoadedExtension,
    launch_id: str,
    phase: str | tuple[str, ...],
    *,
    timeout_s: float = STEP_LIMIT_S,
) -> Record:
    """The record of launch `launch_id` once its flow reached `phase` (e.g. awaiting_password),
    or one of several: a phase the extension leaves within milliseconds can pass between polls."""
    phases = (phase,) if isinstance(phase, str) else phase
    deadline = time.monotonic() + timeout_s
    record: Record | None = None
    while time.monotonic() <= deadline:
        record = find_launch(extension, launch_id)
        if record is not None and record.get("phase") in phases:
            return record
        time.sleep(_POLL_S)
    raise LaunchNotEnded(f"launch {launch_id} never reached {phase}: {record}")


def click_to_open(selector: str) -> Before:
    """A `before` step: click `selector` (a "Log in" button that opens the login dialog)."""

    def before(page: Page) -> None:
        page.locator(selector).first.click(timeout=STEP_LIMIT_S * 1000)

    return before


def launch(
    page: Page,
    extension: LoadedExtension,
    start: str | Callable[[], object],
    *,
    before: Before | None = None,
    timeout_s: float = LOGIN_LIMIT_S + _SLACK_S,
) -> Record:
    """Start a launch in `page` (a launch URL to open, or a callable such as a chiclet's click)
    and return its record once it has an outcome.

    `before` runs on the account's login page as soon as the tab is there: the extension waits
    (a first step gets 2 s after the page loaded to show a login) while a person would click."""
    known = known_launch_ids(extension)
    if isinstance(start, str):
        page.goto(start)
    else:
        start()
    record = wait_for_new_launch(extension, known)
    if before is not None and record.get("origin"):
        origin = str(record["origin"])
        page.wait_for_url(lambda url: url.startswith(origin), timeout=STEP_LIMIT_S * 1000)
        before(page)
    return wait_for_outcome(extension, str(record["launchId"]), timeout_s=timeout_s)
