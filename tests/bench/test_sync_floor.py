"""The sync benchmark's floor: Okta's fixed windows, the start phase and the calls' dependencies."""

from __future__ import annotations

import pytest

from bench.sync_floor import Plan, Usage, Windows, bound, schedule


def test_windows_start_where_the_org_clock_says() -> None:
    windows = Windows(start=1_000_030.0)  # a minute starts at 1,000,020
    assert windows.phase == pytest.approx(1 / 6)  # 10 s into its minute
    assert windows.begins(0) == 0.0
    assert windows.begins(1) == pytest.approx(50.0)
    assert windows.begins(3) == pytest.approx(170.0)
    assert windows.index(1_000_079.0) == 0
    assert windows.index(1_000_080.0) == 1


def test_a_bucket_ends_at_the_start_of_the_window_its_last_call_falls_in() -> None:
    plan = Plan()
    plan.add_many("apps", 120)
    budgets = {"apps": 50}
    # Starting half-way through a window: 50 calls now, 50 at +30 s, the last 20 at +90 s.
    late = Windows(start=30.0)
    assert bound(plan, budgets, late, 0.5) == pytest.approx(90.5)
    assert schedule(plan, budgets, late, 0.5) == pytest.approx(90.5)
    # From a window's start the same calls need two whole windows first.
    early = Windows(start=0.0)
    assert schedule(plan, budgets, early, 0.5) == pytest.approx(120.5)


def test_calls_that_need_others_wait_for_their_answers() -> None:
    plan = Plan()
    listing = plan.add("apps")
    app = plan.add("apps", listing)
    plan.add("apps", app)
    # Budget to spare: only the chain of three answers counts.
    assert schedule(plan, {"apps": 50}, Windows(0.0), 0.25) == pytest.approx(0.75)
    assert bound(plan, {"apps": 50}, Windows(0.0), 0.25) == pytest.approx(0.75)


def test_the_schedule_sends_first_what_unlocks_other_calls() -> None:
    plan = Plan()
    plan.add_many("apps", 2)  # unlock nothing
    create = plan.add("apps")
    plan.add("groups", create)
    plan.add("apps", create)
    budgets = {"apps": 2, "groups": 10}
    # The create goes in the first window, so its dependents are not pushed to a third.
    assert schedule(plan, budgets, Windows(0.0), 1.0) == pytest.approx(61.0)
    assert bound(plan, budgets, Windows(0.0), 1.0) == pytest.approx(61.0)


def test_across_buckets_the_slowest_bucket_sets_the_floor() -> None:
    plan = Plan()
    listing = plan.add("apps")
    for _ in range(40):
        app = plan.add("apps", listing)
        group = plan.add("groups", listing)
        plan.add("apps", app, group)
        plan.add_many("groups", 25, group)
    budgets = {"apps": 50, "groups": 250}
    # 81 app calls fit in two windows; 1,040 group calls need five: the fifth starts at 240 s.
    assert schedule(plan, budgets, Windows(0.0), 0.1) == pytest.approx(240.1)


def test_a_plan_refuses_a_call_that_needs_a_later_one() -> None:
    plan = Plan()
    with pytest.raises(ValueError, match="added before"):
        plan.add("apps", 0)


def test_usage_shows_budget_left_unspent_before_the_last_window() -> None:
    windows = Windows(start=0.0)
    calls = [(0.0, "apps")] * 50 + [(60.0, "apps")] * 30 + [(120.0, "apps")] * 10
    usage = Usage.of(calls, {"apps": 50}, windows)
    assert usage.windows_used("apps") == 3
    assert usage.unspent("apps") == 20
    assert usage.over() == []
    assert Usage.of([(0.0, "apps")] * 51, {"apps": 50}, windows).over() == [("apps", 0, 51)]
