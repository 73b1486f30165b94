"""An Okta domain that answers HTML (a proxy's sign-in page, a captive portal, a typo'd domain
landing on a web site), even with 200, is a temporary error the account shows: the worker lives
on, and `latchkey sync` says so and exits 1."""

from __future__ import annotations

import httpx
import pytest

from broker.models import SyncState
from tests.sync.conftest import Env

pytestmark = pytest.mark.anyio

_PAGE = "<!doctype html><html><body>Sign in to continue</body></html>"


def html_everywhere(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, html=_PAGE)


@pytest.mark.parametrize("pass_kind", ["round", "full pass"])
async def test_an_html_answer_is_a_temporary_error_the_account_shows(
    env: Env, pass_kind: str
) -> None:
    owner = env.person()
    account = env.extended(owner)
    worker = env.make_worker(transport=httpx.MockTransport(html_everywhere))
    try:
        tally = await (env.sync(worker) if pass_kind == "round" else worker.full_pass())
    finally:
        await worker.aclose()

    assert (tally.retrying, tally.failed) == (1, 0)
    extension = env.extension(account)
    assert extension is not None
    assert extension.sync_state is SyncState.PENDING
    assert extension.last_error == (
        "Okta answered 200: expected JSON from Okta, got text/html (is the Okta domain right?)"
    )
    assert env.queued() == {account.id}  # tried again later, by a worker still running
