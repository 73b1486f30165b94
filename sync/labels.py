"""Okta labels of extended accounts: `<account name> - <app name>`, 1-100 characters, unique.

Okta does not reject duplicate labels, so two accounts named alike would show two identical
chiclets: within a workspace the second one extended gets ` (2)`, the third ` (3)`, and so on, in
the order they were extended (then by account id). A label already given keeps its number while
its base is unchanged, so removing or renaming one account never renumbers the others' chiclets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

MAX_LABEL = 100  # Okta's limit on an app label
_SEPARATOR = " - "
_ELLIPSIS = "…"
_NUMBERED = re.compile(r" \((\d+)\)$")


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)].rstrip() + _ELLIPSIS


def base_label(account_name: str, app_name: str, *, width: int = MAX_LABEL) -> str:
    """`<account name> - <app name>` in `width` characters, shortening the longer part first."""
    full = f"{account_name}{_SEPARATOR}{app_name}"
    if len(full) <= width:
        return full
    room = width - len(_SEPARATOR)
    # Each part keeps at least half the room; a short part gives its spare room to the other.
    half = room // 2
    if len(app_name) <= half:
        return f"{_cut(account_name, room - len(app_name))}{_SEPARATOR}{app_name}"
    if len(account_name) <= room - half:
        return f"{account_name}{_SEPARATOR}{_cut(app_name, room - len(account_name))}"
    return f"{_cut(account_name, room - half)}{_SEPARATOR}{_cut(app_name, half)}"


def numbered_label(account_name: str, app_name: str, number: int) -> str:
    """The label of the `number`-th account with this base (1: no suffix), within 100 chars."""
    if number <= 1:
        return base_label(account_name, app_name)
    suffix = f" ({number})"
    return base_label(account_name, app_name, width=MAX_LABEL - len(suffix)) + suffix


@dataclass(frozen=True)
class LabelRequest:
    """One extended account, as the naming needs it."""

    account_id: str
    account_name: str
    app_name: str
    extended_at: datetime
    current: str | None  # the label given at the last sync, if any


def _number_of(request: LabelRequest) -> int | None:
    """The number the current label carries, if it is still a label of this account's base."""
    current = request.current
    if current is None:
        return None
    match = _NUMBERED.search(current)
    number = int(match.group(1)) if match else 1
    if numbered_label(request.account_name, request.app_name, number) == current:
        return number
    return None


def assign_labels(requests: Iterable[LabelRequest]) -> dict[str, str]:
    """The label of every account: unique within the requests, stable across calls."""
    groups: dict[str, list[LabelRequest]] = defaultdict(list)
    for request in requests:
        groups[base_label(request.account_name, request.app_name)].append(request)
    labels: dict[str, str] = {}
    for members in groups.values():
        members.sort(key=lambda r: (r.extended_at, r.account_id))
        taken: set[int] = set()
        fresh: list[LabelRequest] = []
        # Earlier-extended accounts win a contested number; later ones are renumbered.
        for request in members:
            number = _number_of(request)
            if number is None or number in taken:
                fresh.append(request)
            else:
                taken.add(number)
                labels[request.account_id] = numbered_label(
                    request.account_name, request.app_name, number
                )
        number = 1
        for request in fresh:
            while number in taken:
                number += 1
            taken.add(number)
            labels[request.account_id] = numbered_label(
                request.account_name, request.app_name, number
            )
    return labels
