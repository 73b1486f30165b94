"""The shared budget's rules, one transaction at a time (`sync/budget.py`), on PostgreSQL: what a
reservation gets in a window, at its end, past it (the probe), and what Okta's answers change.
Times are Okta's clock; the window here ends at 1000."""

from __future__ import annotations

import pytest

from sync.budget import Budgets, TokenBudget
from sync.okta.budget import Grant
from sync.okta.headers import RateLimitHeaders
from tests.conftest import Database

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("db", ["postgresql"], indirect=True)]

ALLOWANCE, MARGIN, PROBE_FOR = 40, 1.0, 10.0


async def ask(budget: TokenBudget, calls: int, now: float) -> Grant:
    return await budget.reserve(
        "apps", calls, allowance=ALLOWANCE, now=now, margin=MARGIN, probe_for=PROBE_FOR
    )


def answer(remaining: int, *, reset: float = 1000.0, limit: int = 50) -> RateLimitHeaders:
    return RateLimitHeaders(limit=limit, remaining=remaining, reset=reset)


@pytest.fixture
def budget(db: Database) -> TokenBudget:
    return Budgets(db.sessions).for_token("https://acme.okta.com", "00token")


async def learnt(budget: TokenBudget) -> None:
    """A probe at 940 learns the window ending at 1000 (its own call counted)."""
    assert await ask(budget, 5, 940.0) == Grant(1, None, 0)
    assert await budget.observe("apps", answer(49), now=941.0) == 1


async def test_one_probe_learns_a_window_while_the_others_wait(budget: TokenBudget) -> None:
    assert await ask(budget, 5, 940.0) == Grant(1, None, 0)  # nothing known: one call goes
    assert await ask(budget, 5, 940.5) == Grant(0, None, 0)  # another worker waits for it
    assert await budget.observe("apps", answer(49), now=941.0) == 1
    assert await ask(budget, 5, 941.0) == Grant(5, 1000.0, 6)


async def test_a_window_grants_its_allowance_and_no_more(budget: TokenBudget) -> None:
    await learnt(budget)
    assert await ask(budget, 30, 950.0) == Grant(30, 1000.0, 31)
    assert await ask(budget, 30, 950.0) == Grant(9, 1000.0, 40)
    assert await ask(budget, 1, 950.0) == Grant(0, 1000.0, 40, retry_at=1000.0)


async def test_okta_s_lower_limit_wins_over_the_allowance(budget: TokenBudget) -> None:
    assert await ask(budget, 1, 940.0) == Grant(1, None, 0)
    await budget.observe("apps", answer(9, limit=10), now=941.0)
    assert await ask(budget, 30, 950.0) == Grant(9, 1000.0, 10)


async def test_nothing_is_granted_too_close_to_the_reset_to_arrive_in_time(
    budget: TokenBudget,
) -> None:
    await learnt(budget)
    assert await ask(budget, 1, 999.5) == Grant(0, 1000.0, 1, retry_at=1000.0)


async def test_past_the_reset_the_next_window_is_probed(budget: TokenBudget) -> None:
    await learnt(budget)
    await ask(budget, 39, 950.0)
    assert await ask(budget, 5, 1000.0) == Grant(1, None, 40)
    assert await budget.observe("apps", answer(48, reset=1060.0), now=1000.5) == 2  # Okta's count
    assert await ask(budget, 50, 1001.0) == Grant(38, 1060.0, 40)


async def test_a_probe_from_a_clock_ahead_of_okta_s_lands_in_the_window_and_keeps_its_count(
    budget: TokenBudget,
) -> None:
    await learnt(budget)
    await ask(budget, 29, 950.0)
    # A worker that has no answer yet reads Okta's time from its own clock, 60 s ahead.
    assert await ask(budget, 1, 1010.0) == Grant(1, None, 30)
    assert await budget.observe("apps", answer(19), now=1010.0) == 31  # the window it knew
    assert await ask(budget, 40, 955.0) == Grant(9, 1000.0, 40)


async def test_a_probe_nobody_answers_expires_and_one_given_up_frees_at_once(
    budget: TokenBudget,
) -> None:
    assert await ask(budget, 1, 940.0) == Grant(1, None, 0)
    assert await ask(budget, 1, 949.0) == Grant(0, None, 0)
    assert await ask(budget, 1, 950.0) == Grant(1, None, 0)  # the first one's worker died
    await budget.abandon_probe("apps")  # that one was never sent
    assert await ask(budget, 1, 950.5) == Grant(1, None, 0)
    assert await budget.observe("apps", answer(47), now=951.0) == 3  # Okta saw all three


async def test_okta_s_count_is_the_truth(budget: TokenBudget) -> None:
    await learnt(budget)
    await ask(budget, 10, 950.0)
    # Another integration on the org spent 20 more: Okta counts 31.
    assert await budget.observe("apps", answer(19), now=951.0) == 31
    assert await ask(budget, 40, 952.0) == Grant(9, 1000.0, 40)
    # An answer from a window that is over teaches nothing.
    assert await budget.observe("apps", answer(0, reset=940.0), now=952.0) == 40


async def test_a_429_spends_the_window(budget: TokenBudget) -> None:
    await learnt(budget)
    assert await budget.observe("apps", answer(0), now=942.0) == 50
    assert await ask(budget, 1, 943.0) == Grant(0, 1000.0, 50, retry_at=1000.0)
