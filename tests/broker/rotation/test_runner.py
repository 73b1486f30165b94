"""Rotating demo-site passwords: the site and the vault agree after every run, crash or not."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from broker.db import transaction
from broker.rotation.demo_sites import DemoSitesDriver
from broker.rotation.drivers import Drivers
from broker.rotation.models import PasswordRotation, RotationStatus
from broker.rotation.runner import Policy, RotationRunner, RunSummary
from broker.services import accounts
from tests.broker.rotation.harness import SITES_URL, Clock, Sites

pytestmark = pytest.mark.anyio


def _job(sites: Sites, account_id: str) -> PasswordRotation:
    with sites.db.sessions() as session:
        job = session.scalar(
            select(PasswordRotation).where(PasswordRotation.account_id == account_id)
        )
        assert job is not None
        return job


@pytest.mark.parametrize("site", ["single", "stepwise", "totp", "totp-split"])
async def test_the_site_takes_the_new_password_and_the_vault_holds_it(
    sites: Sites, runner: RotationRunner, site: str
) -> None:
    old = sites.seed[site].password
    account_id = sites.account(site)

    assert await runner.run_once() == RunSummary(rotated=1)

    new = sites.vault_password(account_id)
    assert new != old
    assert len(new) >= 20
    assert sites.site_accepts(site, new)
    assert not sites.site_accepts(site, old)
    assert _job(sites, account_id).status is RotationStatus.DONE
    assert sites.audit_actions(account_id)[-2:] == ["account.secret_changed", "password.rotated"]
    assert sites.candidate_secrets() == 0


async def test_a_totp_site_refuses_a_rotation_without_the_code(
    sites: Sites, runner: RotationRunner
) -> None:
    old = sites.seed["totp"].password
    account_id = sites.account("totp", with_totp=False)

    assert await runner.run_once() == RunSummary(failed=1)

    assert sites.site_accepts("totp", old)
    assert sites.vault_password(account_id) == old
    assert _job(sites, account_id).status is RotationStatus.FAILED
    assert sites.audit_actions(account_id)[-1] == "password.rotation_failed"


class _PowerCut(Exception):
    pass


class _DiesAfterTheSiteChanged:
    """The real driver, then the broker dies before it can record what happened."""

    def __init__(self, driver: DemoSitesDriver) -> None:
        self.driver = driver

    def handles(self, login_url: str) -> bool:
        return self.driver.handles(login_url)

    async def rotate(self, *args: str | None) -> None:
        await self.driver.rotate(*args)  # type: ignore[arg-type]
        raise _PowerCut


@pytest.mark.parametrize("site", ["single", "totp"])
async def test_a_crash_after_the_site_changed_is_recovered_on_retry(
    sites: Sites, runner: RotationRunner, clock: Clock, site: str
) -> None:
    old = sites.seed[site].password
    account_id = sites.account(site)
    real = DemoSitesDriver([SITES_URL], transport=httpx.ASGITransport(app=sites.app))
    dying = RotationRunner(
        sites.db.sessions, sites.vault, Drivers([_DiesAfterTheSiteChanged(real)]), clock=clock.now
    )

    with pytest.raises(_PowerCut):
        await dying.run_once()

    # The site has a password the vault does not hold: only the sealed candidate knows it.
    assert not sites.site_accepts(site, old)
    assert sites.vault_password(account_id) == old
    assert sites.candidate_secrets() == 1
    assert await runner.run_once() == RunSummary()  # the dead runner's lease still holds

    clock.offset += Policy().lease
    assert await runner.run_once() == RunSummary(rotated=1)

    current = sites.vault_password(account_id)
    assert sites.site_accepts(site, current)
    assert _job(sites, account_id).attempts == 2
    assert sites.candidate_secrets() == 0


async def test_a_password_changed_behind_the_vault_fails_the_job_for_an_admin(
    sites: Sites, runner: RotationRunner
) -> None:
    account_id = sites.account("single")
    sites.app.state.ctx.book.change_password(
        "single", sites.seed["single"].username, sites.seed["single"].password, "changed-by-hand"
    )

    assert await runner.run_once() == RunSummary(failed=1)

    job = _job(sites, account_id)
    assert job.status is RotationStatus.FAILED
    assert (job.last_error or "").startswith("invalid_credentials")
    assert sites.site_accepts("single", "changed-by-hand")
    assert sites.candidate_secrets() == 0


async def test_an_unreachable_site_is_retried_with_backoff_then_given_up(
    sites: Sites, clock: Clock
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    driver = DemoSitesDriver([SITES_URL], transport=httpx.MockTransport(refuse))
    policy = Policy(max_attempts=3)
    runner = RotationRunner(
        sites.db.sessions, sites.vault, Drivers([driver]), policy=policy, clock=clock.now
    )
    account_id = sites.account("single")

    assert await runner.run_once() == RunSummary(retrying=1)
    assert await runner.run_once() == RunSummary()  # not due yet
    clock.offset += policy.delay(1)
    assert await runner.run_once() == RunSummary(retrying=1)
    clock.offset += policy.delay(2)
    assert await runner.run_once() == RunSummary(failed=1)

    job = _job(sites, account_id)
    assert (job.status, job.attempts) == (RotationStatus.FAILED, 3)
    assert (job.last_error or "").startswith("unreachable")
    # The site might have taken any of them: the candidates stay sealed for an admin.
    assert sites.candidate_secrets() == 3


async def test_an_account_no_driver_knows_is_failed_without_calling_anyone(
    sites: Sites, runner: RotationRunner
) -> None:
    account_id = sites.account("single")
    with transaction(sites.db.sessions) as session:
        accounts.update_login(
            session, sites.workspace_id, account_id, login_url="https://elsewhere.example/login"
        )

    assert await runner.run_once() == RunSummary(failed=1)
    assert (_job(sites, account_id).last_error or "").startswith("no_driver")


def test_backoff_doubles_up_to_its_cap() -> None:
    policy = Policy(backoff=timedelta(seconds=30), max_backoff=timedelta(minutes=5))
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 300]
