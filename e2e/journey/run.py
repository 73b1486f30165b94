"""One chiclet login, told step by step: what `latchkey demo` runs in headless Chromium, and what
`python -m e2e.journey` runs against a real deployment.

`chiclet_login` signs a person in to the Okta dashboard, clicks one chiclet and follows it to the
site's success page, calling `say` with each step as it happens; it fails with `StepFailed` when
the browser shows anything else. It checks, and says, that the extension's session storage holds
no flow (and none of the secrets it is told about) once the login ended; with the broker's audit
trail at hand (the sandbox stack), it also says which releases the launch used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

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

Say = Callable[[str], None]
_RELEASES = ("credential.released", "code.released")


class AuditTrail(Protocol):
    def mark(self) -> int: ...

    def since(self, mark: int) -> list[str]: ...


@dataclass(frozen=True)
class Target:
    """Where the journey runs and who walks it: the sandbox stack, or any deployment."""

    org_url: str
    broker_url: str
    login: str
    password: str = field(repr=False)
    label: str  # the chiclet to click
    site_origin: str | None = None  # the login site's origin: what it receives is reported
    secrets: tuple[str, ...] = field(default=(), repr=False)  # must not stay in the extension
    audit: AuditTrail | None = None

    @property
    def dashboard_url(self) -> str:
        return f"{self.org_url}/app/UserHome"


@dataclass(frozen=True)
class BrokerAudit:
    """The broker's audit trail, read from its database (the sandbox stack's broker)."""

    stack: Stack

    def mark(self) -> int:
        with self.stack.broker.sessions() as db:
            found = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
            return found or 0

    def since(self, mark: int) -> list[str]:
        with self.stack.broker.sessions() as db:
            rows = db.execute(
                select(AuditEvent.action).where(AuditEvent.id > mark).order_by(AuditEvent.id)
            )
            return [action for (action,) in rows]


def stack_target(stack: Stack, login: str, password: str, site: str) -> Target:
    """The sandbox stack's chiclet of `site`'s account, clicked by the org user `login`."""
    entry = next(s for s in stack.sites if s.site == site)
    return Target(
        org_url=stack.org_url,
        broker_url=stack.broker_url,
        login=login,
        password=password,
        label=stack.accounts[site].label,
        site_origin=stack.sites_url,
        secrets=(entry.password,),
        audit=BrokerAudit(stack),
    )


@dataclass(frozen=True)
class LoginResult:
    report: LaunchReport
    chiclets: list[str]
    screenshot: Path
    audit: list[str]  # the broker's audit actions during the launch (empty without a trail)


def _no_secret_left(target: Target, extension: LoadedExtension) -> None:
    stored = repr(extension_storage(extension))
    if "'flow:" in stored or any(secret in stored for secret in target.secrets):
        raise StepFailed("the extension kept the login's secrets after it ended")


def chiclet_login(
    target: Target, extension: LoadedExtension, *, screenshot: Path, say: Say
) -> LoginResult:
    """Sign in to the dashboard as `target.login` and click the chiclet `target.label`."""
    # Left open if a step fails: what it shows is what a recorder (e2e.artifacts) keeps.
    page = extension.context.new_page()
    configure_extension(extension, page, target.broker_url)
    say(f"extension: broker URL set to {target.broker_url} (options page)")
    shown = sign_in_to_org(page, target.dashboard_url, target.login, target.password)
    say(f"org dashboard: signed in as {target.login} through the Okta sign-in form")
    say(f"org dashboard: {len(shown)} chiclets ({', '.join(shown)})")
    before = target.audit.mark() if target.audit else 0
    say(f'clicked "{target.label}"')
    report = click_chiclet(
        page,
        extension,
        target.label,
        broker_url=target.broker_url,
        site_origin=target.site_origin,
    )
    say(f"broker sign-in with Okta: {report.broker_signin(target.broker_url, target.org_url)}")
    audit = target.audit.since(before) if target.audit else []
    if not report.granted:
        raise StepFailed(f"the broker did not grant the launch: {report.final_url}")
    say("launch granted (the broker's launch page carried a single-use grant)")
    if "credential.registered" in audit:
        say("extension registered its key with the broker (first use)")
    if target.audit:
        released = [a for a in audit if a in _RELEASES]
        say(f"broker released: {', '.join(released) or 'nothing'}")
    if report.signed_in_as is None:
        raise StepFailed(f"the site did not sign in: {report.final_url}")
    say(f"extension filled {'/'.join(report.filled) or 'the login'} and submitted")
    say(f'site says "{report.signed_in_as}"')
    _no_secret_left(target, extension)
    say("extension storage: the login's secrets were wiped when it ended")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return LoginResult(report, shown, screenshot, audit)


def run_in_chromium(
    target: Target, *, executable: str, profile_dir: Path, screenshot: Path, say: Say
) -> LoginResult:
    """Chromium (headless, the real extension loaded) for one chiclet login, then closed."""
    with (
        sync_playwright() as playwright,
        launch_with_extension(playwright, profile_dir, executable=executable) as extension,
    ):
        say(f"Chromium started with the extension {extension.id}")
        return chiclet_login(target, extension, screenshot=screenshot, say=say)
