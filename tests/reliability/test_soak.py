"""The soak's machinery for ~20 s, so `bench/soak.py` cannot rot: the same processes (the sandbox,
two brokers, two workers, the load generator) on PostgreSQL, launches, SCIM changes and share
changes at once, then Okta exactly in step with no error. Skips, saying why, without PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest

from bench.soak import Plan, Store, World, model_mismatches, org_state, soak, wrong_now

pytestmark = pytest.mark.slow

SHORT = Plan(
    minutes=20 / 60,
    rate=2.0,
    launchers=2,
    accounts=3,
    people=4,
    groups=2,
    share_every=1.5,
    scim_every=1.5,
    warmup_s=5.0,
    settle_s=240.0,
)


def test_a_short_soak_ends_with_okta_exact_and_no_error(
    postgres_schema_url: tuple[str, str],
) -> None:
    url, _ = postgres_schema_url  # the soak makes (and drops) a schema of its own
    seen: dict[str, list[str]] = {}

    def drift_is_seen(store: Store, world: World, org_url: str) -> None:
        """The check can fail: an assignment removed by hand in Okta is reported, then restored."""
        app = next(a for a in org_state(org_url)["apps"] if a["name"] == "bookmark" and a["users"])
        path = f"{org_url}/_sandbox/apps/{app['id']}/users/{app['users'][0]}"
        httpx.delete(path, timeout=30).raise_for_status()
        seen["drift"] = wrong_now(store, world, org_url)
        seen["drift_from_record"] = model_mismatches(world, store.settings.broker_url, org_url)
        httpx.put(path, timeout=30).raise_for_status()
        seen["restored"] = wrong_now(store, world, org_url)

    result = soak(SHORT, url, say=lambda _line: None, probe=drift_is_seen)

    summary, details = result["summary"], result["details"]
    assert summary["errors"] == 0, details
    assert summary["lost_outbox_rows"] == 0, details["still_wrong"]
    assert summary["duplicate_apps"] == 0, details["duplicates"]
    assert summary["launches"] > 0
    assert summary["scim_changes"] >= 3
    assert summary["share_changes"] >= 3
    assert len(seen["drift"]) == 1
    assert "1 missing" in seen["drift"][0]
    assert len(seen["drift_from_record"]) == 1
    assert "1 missing" in seen["drift_from_record"][0]
    assert seen["restored"] == []
    processes = {"sandbox", "broker1", "broker2", "worker1", "worker2", "generator"}
    assert set(summary["rss_growth_pct"]) == processes
