"""A create that waits for its rate-limit slot longer than its send window marks again in the slot
and leaves: every slot the limiter counts is a call Okta received."""

from __future__ import annotations

import pytest

from broker.models import Account
from sandbox.org.limits import rate_limiter
from sync.apply import ApplySettings
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


async def test_creates_held_past_their_send_window_spend_one_slot_each(env: Env) -> None:
    owner = env.person()
    # More creates than the apps bucket's 50 a window: the last ones wait for the next window
    # (60 ms at the tests' x1000), far past a send window of 5 ms.
    accounts: list[Account] = [env.extended(owner) for _ in range(60)]
    worker = env.make_worker(apply=ApplySettings(create_send_window=0.005))
    rate_limiter(env.org).reset()

    tally = await env.sync(worker)

    assert tally.apps_created == 60
    assert tally.synced == 60
    for account in accounts:
        assert env.assigned(account) == okta_ids(owner)
    received = rate_limiter(env.org).counts()["apps"].calls
    assert tally.calls["apps"] == received  # no slot given back yet counted
    assert received == 1 + 60 + 60  # the listing, the creates, the assignments
    for account in accounts:
        extension = env.extension(account)
        assert extension is not None
        assert extension.create_started_at is None  # synced: the mark is cleared
