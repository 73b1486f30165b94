"""The pure diff: what to do in Okta, in a safe order, and nothing whose result is known."""

from __future__ import annotations

import pytest

from sync.plan import (
    AddGroupMember,
    AssignGroup,
    AssignUser,
    CreateApp,
    CreateGroup,
    DeleteApp,
    DeleteGroup,
    Op,
    RemoveGroupMember,
    UnassignUser,
    UpdateApp,
    diff,
    phases,
)
from sync.state import ActualApp, ActualGroup, DesiredApp, Strategy

URL = "http://broker/launch/acc"


def want(*users: str, label: str = "Mail - Demo", remove: bool = False) -> DesiredApp:
    return DesiredApp("acc", label, URL, frozenset(users), remove)


def have(
    *users: str,
    label: str = "Mail - Demo",
    status: str = "ACTIVE",
    url: str = URL,
    group: ActualGroup | None = None,
    duplicates: tuple[str, ...] = (),
) -> ActualApp:
    return ActualApp("0oa1", label, status, url, frozenset(users), group, duplicates)


@pytest.mark.parametrize(
    ("desired", "actual", "expected"),
    [
        pytest.param(
            want("u1", "u2"),
            None,
            [
                CreateApp("acc", "Mail - Demo", URL),
                AssignUser("acc", None, "u1"),
                AssignUser("acc", None, "u2"),
            ],
            id="new app: create, then assign without reading",
        ),
        pytest.param(want("u1"), have("u1"), [], id="in step: nothing"),
        pytest.param(
            want("u2"),
            have("u1"),
            [AssignUser("acc", "0oa1", "u2"), UnassignUser("acc", "0oa1", "u1")],
            id="assign the new user before unassigning the old",
        ),
        pytest.param(
            want("u1", label="Inbox - Demo"),
            have("u1"),
            [UpdateApp("acc", "0oa1", "Inbox - Demo", URL)],
            id="rename: label",
        ),
        pytest.param(
            want("u1"),
            have("u1", url="http://elsewhere/"),
            [UpdateApp("acc", "0oa1", "Mail - Demo", URL)],
            id="url changed by hand: restored",
        ),
        pytest.param(
            want(remove=True),
            have("u1"),
            [DeleteApp("acc", "0oa1", deactivate=True)],
            id="removal: deactivate and delete, no unassigning",
        ),
        pytest.param(
            want(remove=True),
            have(status="INACTIVE"),
            [DeleteApp("acc", "0oa1", deactivate=False)],
            id="removal of an inactive app: no deactivation call",
        ),
        pytest.param(want(remove=True), None, [], id="removal of a gone app: nothing"),
        pytest.param(
            want("u1"),
            have("u1", duplicates=("0oa2",)),
            [DeleteApp("acc", "0oa2")],
            id="a second app with our launch URL is deleted",
        ),
    ],
)
def test_individual_plan(desired: DesiredApp, actual: ActualApp | None, expected: list[Op]) -> None:
    assert diff(desired, actual) == expected


@pytest.mark.parametrize(
    ("desired", "actual", "expected"),
    [
        pytest.param(
            want("u1"),
            None,
            [
                CreateApp("acc", "Mail - Demo", URL),
                CreateGroup("acc", "Latchkey acc", "Mail - Demo"),
                AddGroupMember("acc", None, "u1"),
                AssignGroup("acc", None, None),
            ],
            id="new app and group",
        ),
        pytest.param(
            want("u1", "u3"),
            have("u9", group=ActualGroup("00g1", frozenset({"u1", "u2"}), True)),
            [
                AddGroupMember("acc", "00g1", "u3"),
                RemoveGroupMember("acc", "00g1", "u2"),
                UnassignUser("acc", "0oa1", "u9"),
            ],
            id="membership through the group; hand assignment removed",
        ),
        pytest.param(
            want("u1"),
            have(group=ActualGroup("00g1", frozenset({"u1"}), False)),
            [AssignGroup("acc", "0oa1", "00g1")],
            id="group unassigned by hand: assigned again",
        ),
        pytest.param(
            want(remove=True),
            have(group=ActualGroup("00g1", frozenset({"u1"}), True)),
            [DeleteApp("acc", "0oa1"), DeleteGroup("acc", "00g1")],
            id="removal deletes the group after the app",
        ),
    ],
)
def test_group_plan(desired: DesiredApp, actual: ActualApp | None, expected: list[Op]) -> None:
    assert diff(desired, actual, Strategy.GROUP) == expected


def test_phases_keep_dependent_operations_apart() -> None:
    ops = diff(want("u1", "u2"), None, Strategy.GROUP)
    runs = phases(ops)
    assert [type(op) for op in runs[0]] == [CreateApp, CreateGroup]
    assert {type(op) for op in runs[1]} == {AddGroupMember, AssignGroup}
