"""A service worker stopped in the middle of a multi-step login resumes it: the flow lives in
`chrome.storage.session`, not in the worker's memory (issue 6).

The login's next page is held (its form post waits in `page.route`) while the worker is stopped
through the DevTools protocol (`e2e.service_worker`: `Target.closeTarget` on its target). Letting
the post through is the event that starts a fresh worker, which must find the flow in storage,
fill the next step (fetching the code from the broker when that is the step) and finish the
login, then wipe the secrets.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Route, expect

from e2e.broker import RunningBroker
from e2e.browser import LoadedExtension
from e2e.launches import known_launch_ids, wait_for_new_launch, wait_for_outcome, wait_for_phase
from e2e.service_worker import running_worker_targets, stop_extension_worker
from sandbox.apps.sites import site_by_key
from tests.e2e.conftest import DemoSites, session_storage

_MARK = "__latchkeyWorkerRestartMark"


def _hold_submit(page: Page, url: str) -> list[Route]:
    """Keep the first form post to `url` waiting until the test lets it through.

    The post, not the page it redirects to: Playwright does not route a redirect's target.
    """
    held: list[Route] = []

    def keep(route: Route) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)
        else:
            route.fallback()

    page.route(url, keep)
    return held


def _wait_until_held(page: Page, held: list[Route]) -> Route:
    for _ in range(200):
        if held:
            return held[0]
        page.wait_for_timeout(50)  # lets Playwright dispatch the route handler
    raise AssertionError(f"the held request never came (page at {page.url})")


def _mark_worker(extension: LoadedExtension) -> float:
    """Leave a global in the running worker; answer its start time."""
    started: float = extension.worker.evaluate(f"globalThis.{_MARK} = true; performance.timeOrigin")
    return started


def _worker_identity(extension: LoadedExtension) -> tuple[float, bool]:
    """The running worker's start time, and whether it still has the global left by the test."""
    found: list[Any] = extension.worker.evaluate(
        f"[performance.timeOrigin, globalThis.{_MARK} === true]"
    )
    return float(found[0]), bool(found[1])


def _stop_between_steps(
    extension: LoadedExtension, page: Page, launch_id: str, phase: str, held: list[Route]
) -> float:
    """With the flow in `phase` and the step's form post held: stop the worker, then let it go."""
    wait_for_phase(extension, launch_id, phase)
    route = _wait_until_held(page, held)
    record = next(v for k, v in session_storage(extension).items() if k.startswith("flow:"))
    assert record["flow"]["phase"] == phase
    started = _mark_worker(extension)
    stop_extension_worker(extension.context)
    page.wait_for_timeout(300)  # nothing wakes it while the page is held
    assert running_worker_targets(extension.context) == [], "the worker stayed stopped"
    route.continue_()
    return started


def _assert_new_worker(extension: LoadedExtension, before: float) -> float:
    started, marked = _worker_identity(extension)
    assert started > before, "a fresh worker instance (later start time)"
    assert not marked, "a fresh worker instance (the old globals are gone)"
    return started


def test_stopped_worker_resumes_before_the_password_step(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker, demo: DemoSites
) -> None:
    account = demo.accounts["stepwise"]
    held = _hold_submit(signed_in, f"{demo.url}{site_by_key('stepwise').login_path}")
    known = known_launch_ids(extension)
    signed_in.goto(broker.launch_url("stepwise"))
    launch_id = str(wait_for_new_launch(extension, known)["launchId"])

    before = _stop_between_steps(extension, signed_in, launch_id, "awaiting_password", held)

    expect(signed_in.locator("#signed-in-as")).to_contain_text(account.username, timeout=20_000)
    last = wait_for_outcome(extension, launch_id)
    assert (last["phase"], last["outcome"]) == ("done", "signed_in")
    _assert_new_worker(extension, before)
    stored = session_storage(extension)
    assert not any(key.startswith("flow:") for key in stored), "the flow ended and was dropped"
    assert account.password not in repr(stored)
    assert account.username not in repr(stored)


def test_stopped_worker_resumes_twice_through_the_code_step(
    extension: LoadedExtension, signed_in: Page, broker: RunningBroker, demo: DemoSites
) -> None:
    """Email, Next, password, code: stopped before the password page and again before the code
    page; the second fresh worker fetches the code from the broker with its stored credential."""
    account = demo.accounts["totp-split"]
    site = site_by_key("totp-split")
    held_username = _hold_submit(signed_in, f"{demo.url}{site.login_path}")
    held_password = _hold_submit(signed_in, f"{demo.url}{site.password_path}")
    known = known_launch_ids(extension)
    signed_in.goto(broker.launch_url("totp-split"))
    launch_id = str(wait_for_new_launch(extension, known)["launchId"])

    first = _stop_between_steps(extension, signed_in, launch_id, "awaiting_password", held_username)
    second = _stop_between_steps(extension, signed_in, launch_id, "submitted", held_password)
    assert second > first, "the password step ran in a restarted worker"

    expect(signed_in.locator("#signed-in-as")).to_contain_text(account.username, timeout=20_000)
    last = wait_for_outcome(extension, launch_id)
    assert (last["phase"], last["outcome"]) == ("done", "signed_in")
    _assert_new_worker(extension, second)
    stored = session_storage(extension)
    assert not any(key.startswith("flow:") for key in stored), "the flow ended and was dropped"
    assert account.password not in repr(stored)
    assert account.username not in repr(stored)
