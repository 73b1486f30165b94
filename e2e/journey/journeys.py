"""The journeys QA walks on the sandbox stack (`stack.serve_stack`), each a function of the stack,
the browser with the extension, and a tab already pointed at the broker. A journey raises
`StepFailed` saying what the browser showed instead of what a person must see.

`JOURNEYS` lists them in the order they run on one stack: the ones that only look first, then
the ones that change the stack (an account removed from Okta, the feature turned off, a password
rotated), each leaving what the later ones rely on. `run_journeys` runs a selection, each under
the recorder (`e2e.artifacts`) so a failure leaves its trace and screenshots.

The fail-safe journeys say how soon Okta is put right. A chiclet assigned by hand in Okta is
drift: only a full pass of the sync worker sees it (`latchkey worker --full-pass-interval`,
3600 s by default), so it stays on the person's dashboard up to that long; the broker blocks its
launch all the while. Here "the next sync" is `Stack.sync()`, one full pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from playwright.sync_api import Page
from sqlalchemy import select

from broker.actions import extended_access
from broker.db import transaction
from broker.models import OktaExtension
from broker.rotation.demo_sites import DemoSitesDriver
from broker.rotation.drivers import Drivers
from broker.rotation.runner import RotationRunner
from broker.seed import OWNER
from broker.services import workspaces
from e2e.artifacts import Recorder
from e2e.browser import LoadedExtension
from e2e.journey.stack import Stack, _run
from e2e.journey.user import (
    BLOCKED_TITLE,
    LaunchReport,
    StepFailed,
    click_chiclet,
    configure_extension,
    extension_storage,
    follow_launch,
    sign_in_to_org,
    sign_out_everywhere,
)
from sandbox.seed import seed_user

JourneyFn = Callable[[Stack, LoadedExtension, Page], None]


@dataclass(frozen=True)
class Journey:
    name: str
    story: str
    run: JourneyFn
    long: bool = False  # run by `make e2e`; `make test` runs the others


def _expect(condition: bool, failure: str) -> None:
    if not condition:
        raise StepFailed(failure)


def _as(page: Page, extension: LoadedExtension, stack: Stack, person: str) -> list[str]:
    """A new person at the browser: everyone signed out, then `person` signs in to Okta."""
    sign_out_everywhere(extension, page)
    user = seed_user(person)
    return sign_in_to_org(page, stack.dashboard_url, user.login, user.password)


def _click(page: Page, extension: LoadedExtension, stack: Stack, site: str) -> LaunchReport:
    label = stack.accounts[site].label
    return click_chiclet(
        page, extension, label, broker_url=stack.broker_url, site_origin=stack.sites_url
    )


def _signed_in(report: LaunchReport, stack: Stack, site: str) -> None:
    want = f"Signed in as {stack.accounts[site].username}."
    _expect(report.signed_in_as == want, f"the site did not sign in: {report.final_url}")
    outcome = (report.last_launch or {}).get("outcome")
    _expect(outcome == "signed_in", f"the extension's outcome was {outcome}")


def _blocked(page: Page, extension: LoadedExtension, stack: Stack, report: LaunchReport) -> None:
    _expect(report.blocked and not report.granted, f"not blocked: {report.statuses}")
    _expect(page.locator("h1").inner_text() == BLOCKED_TITLE, "the blocked page did not show")
    _expect(not report.went_through(stack.sites_url), "a site was opened")
    _expect(report.filled == [] and report.other_fields == [], "something was filled")
    _expect(report.last_launch is None, "the extension started a launch")
    stored = extension_storage(extension)
    _expect(not any(key.startswith("flow:") for key in stored), "a flow was left")


def _chiclet(site: str) -> JourneyFn:
    def journey(stack: Stack, extension: LoadedExtension, page: Page) -> None:
        shown = _as(page, extension, stack, "owner")
        _expect(stack.accounts[site].label in shown, f"no chiclet for {site}: {shown}")
        _signed_in(_click(page, extension, stack, site), stack, site)

    return journey


def identity_engine_signin(stack: Stack, extension: LoadedExtension, page: Page) -> None:
    """The org's sign-in page as Okta Identity Engine draws it (identifier, password, then the
    authenticator choice): the sign-in step gets through it; the chiclet then logs in."""
    stack.control("PUT", "/oidc/signin", {"style": "identity_engine"})
    try:
        shown = _as(page, extension, stack, "member")
        _expect(shown == [stack.accounts["stepwise-js"].label], f"member's chiclets: {shown}")
        _signed_in(_click(page, extension, stack, "stepwise-js"), stack, "stepwise-js")
    finally:
        stack.control("PUT", "/oidc/signin", {"style": "classic"})


def login_only(stack: Stack, extension: LoadedExtension, page: Page) -> None:
    """Login-only holds a Collaborator share on `stepwise`: still no chiclet, still blocked."""
    shown = _as(page, extension, stack, "loginonly")
    _expect(shown == [], f"Login-only sees chiclets: {shown}")
    report = follow_launch(
        page,
        extension,
        lambda: page.goto(stack.launch_url("stepwise")),
        broker_url=stack.broker_url,
        site_origin=stack.sites_url,
    )
    _blocked(page, extension, stack, report)


def _app_id(stack: Stack, site: str) -> str:
    with stack.broker.sessions() as db:
        found = db.scalar(
            select(OktaExtension.okta_app_id).where(
                OktaExtension.account_id == stack.accounts[site].account_id
            )
        )
    if not found:
        raise StepFailed(f"{site} has no Okta app")
    return found


def hand_assigned(stack: Stack, extension: LoadedExtension, page: Page) -> None:
    """An Okta admin assigns a chiclet by hand to someone with no share: it shows, the broker
    blocks its launch, and the next full pass of sync removes it."""
    site, outsider = "totp", seed_user("outsider")
    stack.control("PUT", f"/apps/{_app_id(stack, site)}/users/{outsider.login}")
    shown = _as(page, extension, stack, "outsider")
    _expect(shown == [stack.accounts[site].label], f"the hand-assigned chiclet: {shown}")
    _blocked(page, extension, stack, _click(page, extension, stack, site))
    tally = stack.sync()
    _expect(tally.assignments_removed >= 1, f"sync removed no assignment: {tally}")
    shown = _as(page, extension, stack, "outsider")
    _expect(shown == [], f"the chiclet stayed after sync: {shown}")


def scim_deactivated_mid_session(stack: Stack, extension: LoadedExtension, page: Page) -> None:
    """Okta deprovisions a member from Latchkey (SCIM active:false) while they are signed in:
    their next launch is blocked at once; the next sync removes the chiclet."""
    site, collab = "single", seed_user("collab")
    label = stack.accounts[site].label
    _expect(_as(page, extension, stack, "collab") == [label], "the collaborator's chiclet")
    _signed_in(_click(page, extension, stack, site), stack, site)
    stack.unassign_from_latchkey(collab.login)
    _expect(
        sign_in_to_org(page, stack.dashboard_url, collab.login, collab.password) == [label],
        "the chiclet went before sync",
    )
    _blocked(page, extension, stack, _click(page, extension, stack, site))
    tally = stack.sync()
    _expect(tally.assignments_removed >= 1, f"sync removed no assignment: {tally}")
    _expect(_as(page, extension, stack, "collab") == [], "the chiclet stayed after sync")


def extended_account_removed(stack: Stack, extension: LoadedExtension, page: Page) -> None:
    """The owner removes an account from Okta: after the next sync its chiclet is gone."""
    site = "stepwise"
    label = stack.accounts[site].label
    owner_id = stack.demo.member_ids[OWNER]
    extended_access.remove(stack.broker, owner_id, stack.accounts[site].account_id)
    stack.sync()
    shown = _as(page, extension, stack, "owner")
    _expect(label not in shown, f"the removed account's chiclet stayed: {shown}")
    _expect(bool(shown), "every chiclet went")


def feature_turned_off(stack: Stack, extension: LoadedExtension, page: Page) -> None:
    """Extended access turned off: the chiclets already in Okta stay through a sync and keep
    working for those with access."""
    site = "totp-split"
    owner_id = stack.demo.member_ids[OWNER]
    with transaction(stack.broker.sessions) as db:
        workspaces.set_extended_access(db, stack.demo.workspace_id, False, actor_id=owner_id)
    try:
        stack.sync()
        shown = _as(page, extension, stack, "owner")
        _expect(stack.accounts[site].label in shown, f"the chiclet went: {shown}")
        _signed_in(_click(page, extension, stack, site), stack, site)
    finally:
        with transaction(stack.broker.sessions) as db:
            workspaces.set_extended_access(db, stack.demo.workspace_id, True, actor_id=owner_id)


def _site_accepts(stack: Stack, site: str, password: str) -> bool:
    """Whether the demo site takes `password` for the account. Its password API, asked to keep
    the same password, changes nothing: 401 invalid_credentials for a wrong one, else a refusal
    of the reuse (sandbox/apps/password_change.py)."""
    entry = next(s for s in stack.sites if s.site == site)
    body = {"username": entry.username, "current_password": password, "new_password": password}
    answer = httpx.post(f"{stack.sites_url}/{site}/api/password", json=body, timeout=30)
    return answer.status_code != 401


def password_rotated_after_deactivation(
    stack: Stack, extension: LoadedExtension, page: Page
) -> None:
    """A member who could use `stepwise-js` is deactivated in Okta (SCIM): the rotation worker
    changes its password on the site; the old one no longer works there, the owner's chiclet
    still logs in (with the new one, from the vault)."""
    site = "stepwise-js"
    old = next(s for s in stack.sites if s.site == site).password
    _expect(_site_accepts(stack, site, old), "the site refused the seeded password already")
    stack.deactivate_in_okta(seed_user("member").login)
    runner = RotationRunner(
        stack.broker.sessions, stack.broker.vault, Drivers([DemoSitesDriver([stack.sites_url])])
    )
    summary = _run(runner.run_once)
    _expect(summary.rotated >= 1, f"nothing was rotated: {summary}")
    _expect(not _site_accepts(stack, site, old), "the old password still works on the site")
    shown = _as(page, extension, stack, "owner")
    _expect(stack.accounts[site].label in shown, f"the owner's chiclet: {shown}")
    _signed_in(_click(page, extension, stack, site), stack, site)


def journeys(sites: Iterable[str]) -> list[Journey]:
    """Every journey, in the order they run on one stack."""
    found = [
        Journey(
            f"chiclet {site}",
            f"the owner logs in to the {site} demo site from its chiclet",
            _chiclet(site),
            long=True,  # `make test`: the code-step chiclet in detail (test_journey.py)
        )
        for site in sites
    ]
    return [
        *found,
        Journey(
            "identity-engine-signin",
            "Okta Identity Engine's sign-in page, then a chiclet",
            identity_engine_signin,
        ),
        Journey("login-only", "Login-only: no chiclet, the launch URL blocked", login_only),
        Journey(
            "hand-assigned", "a chiclet assigned by hand: blocked, gone after sync", hand_assigned
        ),
        Journey(
            "scim-deactivated",
            "deactivated over SCIM mid-session: blocked, then gone",
            scim_deactivated_mid_session,
        ),
        Journey(
            "extended-removed",
            "an account removed from Okta: chiclet gone after sync",
            extended_account_removed,
            long=True,
        ),
        Journey(
            "feature-off",
            "the feature turned off: existing chiclets keep working",
            feature_turned_off,
            long=True,
        ),
        Journey(
            "password-rotated",
            "a password rotated after a deactivation",
            password_rotated_after_deactivation,
            long=True,
        ),
    ]


def run_journeys(
    stack: Stack,
    extension: LoadedExtension,
    selected: Iterable[Journey],
    recorder: Recorder,
    say: Callable[[str], None],
) -> None:
    """Run each journey in a fresh tab under the recorder; a failure does not stop the rest."""
    for journey in selected:
        page = extension.context.new_page()
        try:
            configure_extension(extension, page, stack.broker_url)
            with recorder.journey(journey.name, extension.context, extension):
                journey.run(stack, extension, page)
            say(f"{journey.name}: passed")
        except Exception as exc:
            say(f"{journey.name}: FAILED ({str(exc).splitlines()[0] if str(exc) else exc!r})")
        finally:
            page.close()
