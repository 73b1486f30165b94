"""Okta labels: `<account name> - <app name>`, at most 100 characters, duplicates numbered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.labels import MAX_LABEL, LabelRequest, assign_labels, base_label, numbered_label

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def req(account_id: str, name: str, minute: int, current: str | None = None) -> LabelRequest:
    return LabelRequest(account_id, name, "Demo", T0 + timedelta(minutes=minute), current)


@pytest.mark.parametrize(
    ("name", "app", "expected_start", "expected_end"),
    [
        ("Payroll", "ADP", "Payroll - ADP", "Payroll - ADP"),
        ("A" * 200, "ADP", "AAAA", "… - ADP"),
        ("Payroll", "B" * 200, "Payroll - BBB", "B…"),
        ("A" * 200, "B" * 200, "AAAA", "B…"),
    ],
)
def test_label_fits_okta_limit_shortening_the_longer_part(
    name: str, app: str, expected_start: str, expected_end: str
) -> None:
    label = base_label(name, app)
    assert 1 <= len(label) <= MAX_LABEL
    assert label.startswith(expected_start)
    assert label.endswith(expected_end)


def test_numbered_label_of_a_long_name_still_fits() -> None:
    label = numbered_label("A" * 200, "Demo", 12)
    assert len(label) <= MAX_LABEL
    assert label.endswith("… - Demo (12)")


def test_duplicates_are_numbered_in_the_order_they_were_extended() -> None:
    labels = assign_labels([req("c", "Mail", 3), req("a", "Mail", 1), req("b", "Mail", 2)])
    assert labels == {"a": "Mail - Demo", "b": "Mail - Demo (2)", "c": "Mail - Demo (3)"}


def test_same_instant_falls_back_to_account_id() -> None:
    labels = assign_labels([req("b", "Mail", 0), req("a", "Mail", 0)])
    assert labels == {"a": "Mail - Demo", "b": "Mail - Demo (2)"}


def test_numbers_stay_when_an_earlier_duplicate_goes_away() -> None:
    labels = assign_labels([req("b", "Mail", 2, "Mail - Demo (2)"), req("c", "Mail", 3, None)])
    assert labels == {"b": "Mail - Demo (2)", "c": "Mail - Demo"}


def test_a_renamed_account_gets_a_fresh_number_in_its_new_group() -> None:
    labels = assign_labels([req("a", "Mail", 1, "Mail - Demo"), req("b", "Mail", 2, "Chat - Demo")])
    assert labels == {"a": "Mail - Demo", "b": "Mail - Demo (2)"}


def test_contested_number_goes_to_the_earlier_extended() -> None:
    labels = assign_labels([req("b", "Mail", 2, "Mail - Demo"), req("a", "Mail", 1, "Mail - Demo")])
    assert labels == {"a": "Mail - Demo", "b": "Mail - Demo (2)"}


def test_distinct_names_keep_plain_labels() -> None:
    assert assign_labels([req("a", "Mail", 1), req("b", "Chat", 1)]) == {
        "a": "Mail - Demo",
        "b": "Chat - Demo",
    }
