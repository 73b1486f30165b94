"""Stop the extension's MV3 service worker on demand, as Chromium does when it goes idle.

How (Chromium 156, Playwright for Python): a browser-level CDP session, `Target.getTargets`, and
`Target.closeTarget` on the extension's `service_worker` target, which stops the worker (its
target leaves the list). The next extension event (a tab update, a runtime message) starts a
fresh instance: new globals, a new `performance.timeOrigin`; `chrome.storage.session` is kept.

Also works: on a page's CDP session, `ServiceWorker.enable`, then `ServiceWorker.stopWorker` with
the version id from `ServiceWorker.workerVersionUpdated` (or `ServiceWorker.stopAllWorkers`,
refused until the domain is enabled); but detaching that page session hung while the page had a
request held by `page.route`, so the browser-level target is used here.

Pitfalls: Chromium gives the restarted worker the same target id, so Playwright keeps the same
`Worker` object (no `close` event, no new `serviceworker` event) and that object evaluates in the
new instance. "Is it a new worker?" is therefore answered from inside it (its `timeOrigin`, a
global left in the old one), never from Playwright's worker list. Evaluating in the worker while
it is stopped hangs rather than waking it: wake it with an extension event first.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import BrowserContext, CDPSession

from e2e.browser import EXTENSION_ID

_TIMEOUT_S = 10.0


def _browser_session(context: BrowserContext) -> CDPSession:
    browser = context.browser
    if browser is None:
        raise RuntimeError("no browser-level CDP session for this context")
    return browser.new_browser_cdp_session()


def _worker_targets(session: CDPSession, extension_id: str) -> list[str]:
    infos: list[dict[str, Any]] = session.send("Target.getTargets")["targetInfos"]
    prefix = f"chrome-extension://{extension_id}/"
    return [
        str(info["targetId"])
        for info in infos
        if info["type"] == "service_worker" and str(info["url"]).startswith(prefix)
    ]


def running_worker_targets(context: BrowserContext, extension_id: str = EXTENSION_ID) -> list[str]:
    """The ids of the extension's service-worker targets now: none while it is stopped."""
    session = _browser_session(context)
    try:
        return _worker_targets(session, extension_id)
    finally:
        session.detach()


def stop_extension_worker(context: BrowserContext, extension_id: str = EXTENSION_ID) -> str:
    """Stop the extension's running service worker; answer its target id.

    Returns once the target is gone. Opens and closes no tab: that would itself be an event
    that wakes the worker.
    """
    session = _browser_session(context)
    try:
        targets = _worker_targets(session, extension_id)
        if len(targets) != 1:
            raise AssertionError(f"expected one running extension worker, found {targets}")
        closed = session.send("Target.closeTarget", {"targetId": targets[0]})
        if not closed.get("success", True):
            raise AssertionError(f"Target.closeTarget refused: {closed}")
        deadline = time.monotonic() + _TIMEOUT_S
        while _worker_targets(session, extension_id):
            if time.monotonic() > deadline:
                raise AssertionError("the extension's service worker did not stop")
            time.sleep(0.05)
    finally:
        session.detach()
    return targets[0]
