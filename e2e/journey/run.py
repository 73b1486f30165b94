"""One chiclet login, told step by step: what `latchkey demo` runs in headless Chromium.

`chiclet_login` signs a person in to the Okta dashboard, clicks one chiclet and follows it to the
site's success page, calling `say` with each step as it happens; it fails with `StepFailed` when
the browser shows anything else. It checks, and says, that no secret stayed in the extension's
session storage; the broker's audit trail tells which of its releases the launch used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from broker.models import AuditEvent
from e2e.browser import LoadedExtension, launch_with_extension
from e2e.journey.stack import Stack
from e2e.journey.user import (
    LaunchReport,
    StepFailed,
    click_chiclet,
    configure_extension,
    extension_storage,
    sign_in_to_org,
)
from sandbox.seed import SeedUser

Say = Callable[[str], None]
_RELEASES = ("credential.registered", "launch.granted", "credential.released", "code.released")


@dataclass(frozen=True)
class LoginResult:
    report: LaunchReport
    chiclets: list[str]
    screenshot: Path
    audit: list[str]  # the broker's audit actions recorded during the launch, in order


def _audit_since(stack: Stack, after_id: int) -> list[str]:
    with stack.broker.sessions() as db:
        rows = db.execute(
            select(AuditEvent.action).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
        )
        return [action for (action,) in rows]


def _last_audit_id(stack: Stack) -> int:
    with stack.broker.sessions() as db:
        found = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        return found or 0


def _no_secret_left(stack: Stack, extension: LoadedExtension, site: str) -> None:
    stored = repr(extension_storage(extension))
    entry = next(s for s in stack.sites if s.site == site)
    if "'flow:" in stored or entry.password in stored:
        raise StepFailed("the extension kept the login's secrets after it ended")


def chiclet_login(
    stack: Stack,
    extension: LoadedExtension,
    person: SeedUser,
    site: str,
    *,
    screenshot: Path,
    say: Say,
) -> LoginResult:
    """`person` signs in to the dashboard and clicks the chiclet of `site`'s account."""
    account = stack.accounts[site]
    page = extension.context.new_page()
    try:
        configure_extension(extension, page, stack.broker_url)
        say(f"extension: broker URL set to {stack.broker_url} (options page)")
        shown = sign_in_to_org(page, stack.dashboard_url, person.login, person.password)
        say(f"org dashboard: signed in as {person.login} through the Okta sign-in form")
        say(f"org dashboard: {len(shown)} chiclets ({', '.join(shown)})")
        before = _last_audit_id(stack)
        say(f'clicked "{account.label}"')
        report = click_chiclet(
            page, extension, account.label, broker_url=stack.broker_url, site_origin=stack.sites_url
        )
        say(f"broker sign-in with Okta: {report.broker_signin(stack.broker_url, stack.org_url)}")
        audit = _audit_since(stack, before)
        if not report.granted:
            raise StepFailed(f"the broker did not grant the launch: {report.final_url}")
        say("launch granted (the broker's launch page carried a single-use grant)")
        if "credential.registered" in audit:
            say("extension registered its key with the broker (first use)")
        said = [a for a in audit if a in _RELEASES[2:]]
        say(f"broker released: {', '.join(said) or 'nothing'}")
        if report.signed_in_as is None:
            raise StepFailed(f"the site did not sign in: {report.final_url}")
        say(f"extension filled {'/'.join(report.filled)} and submitted")
        say(f'site says "{report.signed_in_as}"')
        _no_secret_left(stack, extension, site)
        say("extension storage: the login's secrets were wiped when it ended")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
        return LoginResult(report, shown, screenshot, audit)
    finally:
        page.close()


def run_in_chromium(
    stack: Stack,
    person: SeedUser,
    site: str,
    *,
    executable: str,
    profile_dir: Path,
    screenshot: Path,
    say: Say,
) -> LoginResult:
    """Chromium (headless, the real extension loaded) for one chiclet login, then closed."""
    with (
        sync_playwright() as playwright,
        launch_with_extension(playwright, profile_dir, executable=executable) as extension,
    ):
        say(f"Chromium started with the extension {extension.id}")
        return chiclet_login(stack, extension, person, site, screenshot=screenshot, say=say)
