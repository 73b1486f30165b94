"""Applying a plan through the Okta client, phase by phase, idempotently.

Every operation can run twice without harm: assigning an assigned user (409) and unassigning or
deleting what is gone (404) count as done. Creating is the one operation that cannot be repeated
blindly; the plan only holds `CreateApp` after a lookup by launch URL found nothing
(`sync/actual.py`). Right before the create leaves (and again if its answer is lost),
`on_create_started` commits a mark on the account: Okta's listing may not show the new app for a
while, and the mark tells a later sync that "not found" may mean "not listed yet"
(`sync/reconcile.py`). The new app's id is handed to `on_created` (which records it in its own
transaction) before anything else happens.

The mark is written before the create waits for its rate-limit slot, so that database work stays
out of the slot (the slot is Okta's budget, not a place to wait on the database) in the common
case. Should the wait outlast `create_send_window`, the create marks again inside its slot, right
before it leaves, so a create always leaves within that window of its mark. It does not give the
slot back to mark outside: the limiter counts a slot given back as a call of its window, and the
create would queue again behind every call of its bucket (in a full bucket, for ever: the bench
saw 13,286 slots spent on 401 calls). Before every write, `guard` may stop the plan (the worker's
lock of the account was lost).

Okta is eventually consistent: right after a create, the new app or group may answer 404 for a
moment; the client (`sync/okta/client.py`) alone retries that, so this module does not.

Okta keeps a direct assignment while a group grants the user the app (403 `E0000046`): moving a
user into the group treats it as "the group grants it already", and an unassign that meets it
leaves the account to the next pass (`StillGrantedByGroup`, a temporary error), never a failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sync.okta import (
    Forbidden,
    InvalidToken,
    OktaApp,
    OktaClient,
    OktaError,
    PermanentError,
    ServerError,
    TemporaryError,
    TransportError,
)
from sync.plan import (
    ActivateApp,
    AddGroupMember,
    AssignGroup,
    AssignUser,
    CreateApp,
    CreateGroup,
    DeleteApp,
    DeleteGroup,
    MoveToGroup,
    Op,
    RemoveGroupMember,
    RevokeGroup,
    UnassignGroup,
    UnassignUser,
    UpdateApp,
    phases,
)
from sync.report import Tally

OnCreated = Callable[[str, str, str], Awaitable[None]]  # account id, app id, label
OnCreateStarted = Callable[[str], Awaitable[None]]  # account id


# Okta's "the user is assigned to the app through a group" (Application Users API, "Unassign an
# App User"; DESIGN.md "Okta facts").
GRANTED_BY_GROUP = "E0000046"


class StillGrantedByGroup(TemporaryError):
    """An unassign Okta refused because a group still grants the user the app: the next pass
    removes it, once the group's grant is gone (or shows as gone)."""

    @classmethod
    def of(cls, error: Forbidden) -> StillGrantedByGroup:
        return cls(error.status, error.error_code, error.summary, error.error_id, error.causes)


@dataclass(frozen=True)
class ApplySettings:
    concurrency: int = 8  # operations of one phase in flight at once
    # A create leaves at most this many seconds after its mark was committed.
    create_send_window: float = 1.0


class Applier:
    def __init__(
        self,
        client: OktaClient,
        tally: Tally,
        *,
        on_created: OnCreated,
        on_create_started: OnCreateStarted | None = None,
        settings: ApplySettings | None = None,
        guard: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.tally = tally
        self.on_created = on_created
        self.on_create_started = on_create_started
        self.settings = settings or ApplySettings()
        self.guard = guard
        # Users this plan assigned and unassigned (Okta's listing may not show it for a while).
        self.assigned: set[str] = set()
        self.unassigned: set[str] = set()
        self.created_group: str | None = None  # Latchkey's group, when this plan made it
        self._gate = asyncio.Semaphore(self.settings.concurrency)

    async def apply(self, ops: Sequence[Op], app: OktaApp | None) -> str | None:
        """Run `ops`; returns the id of the account's app afterwards (None once deleted)."""
        run = _Run(app.id if app else None, None, app)
        for phase in phases(ops):
            await self._phase(phase, run)
        return run.app_id

    async def _phase(self, ops: list[Op], run: _Run) -> None:
        if len(ops) == 1:
            await self._one(ops[0], run)
            return
        results = await asyncio.gather(*(self._one(op, run) for op in ops), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise _worst(errors)

    async def _one(self, op: Op, run: _Run) -> None:
        async with self._gate:
            await self._do(op, run)

    async def _do(self, op: Op, run: _Run) -> None:
        client, tally = self.client, self.tally
        if self.guard is not None:
            self.guard()
        if isinstance(op, CreateApp):
            created = await self._create_app(op)
            run.app_id, run.app = created.id, created
            tally.apps_created += 1
            await self.on_created(op.account_id, created.id, created.label)
        elif isinstance(op, CreateGroup):
            group = await client.create_group(op.name, op.description)
            run.group_id = self.created_group = group.id
            tally.groups_created += 1
        elif isinstance(op, UpdateApp):
            assert run.app is not None
            run.app = await client.update_app(run.app, op.label, op.url)
            tally.apps_updated += 1
        elif isinstance(op, ActivateApp):
            await client.activate_app(op.app_id)
            if run.app is not None and run.app.id == op.app_id:
                run.app = dataclasses.replace(run.app, status="ACTIVE")
            tally.apps_activated += 1
        elif isinstance(op, AssignUser):
            await client.assign_user(op.app_id or run.created_app(), op.user_id)
            self.assigned.add(op.user_id)
            tally.assignments_added += 1
        elif isinstance(op, UnassignUser):
            try:
                await client.unassign_user(op.app_id, op.user_id)
            except Forbidden as exc:
                if exc.error_code != GRANTED_BY_GROUP:
                    raise
                raise StillGrantedByGroup.of(exc) from exc
            self.unassigned.add(op.user_id)
            tally.assignments_removed += 1
        elif isinstance(op, MoveToGroup):
            try:
                if await client.unassign_user(op.app_id, op.user_id):
                    tally.assignments_removed += 1
            except Forbidden as exc:
                if exc.error_code != GRANTED_BY_GROUP:
                    raise
                # The group grants it already (joined meanwhile): the direct one stays for good.
            await client.add_group_member(op.group_id or run.created_group(), op.user_id)
            tally.members_added += 1
        elif isinstance(op, AssignGroup):
            app_id = op.app_id or run.created_app()
            await client.assign_group_to_app(app_id, op.group_id or run.created_group())
            tally.groups_assigned += 1
        elif isinstance(op, AddGroupMember):
            await client.add_group_member(op.group_id or run.created_group(), op.user_id)
            tally.members_added += 1
        elif isinstance(op, UnassignGroup | RevokeGroup):
            await client.unassign_group_from_app(op.app_id, op.group_id)
            tally.groups_unassigned += 1
        elif isinstance(op, RemoveGroupMember):
            await client.remove_group_member(op.group_id, op.user_id)
            tally.members_removed += 1
        elif isinstance(op, DeleteApp):
            known = run.app if run.app is not None and run.app.id == op.app_id else None
            # Given the app as read, the client skips deactivating one that is INACTIVE already.
            await client.delete_app(known or op.app_id)
            if op.app_id == run.app_id:
                run.app_id = run.app = None
            tally.apps_deleted += 1
        elif isinstance(op, DeleteGroup):
            await client.delete_group(op.group_id)
            tally.groups_deleted += 1
        else:  # pragma: no cover - the plan holds only the operations above
            raise TypeError(f"unknown operation {op!r}")

    async def _create_app(self, op: CreateApp) -> OktaApp:
        started = self.on_create_started
        if started is None:
            return await self.client.create_bookmark_app(op.label, op.url)
        window = self.settings.create_send_window
        marked = 0.0

        async def mark() -> None:
            nonlocal marked
            await started(op.account_id)
            marked = time.monotonic()

        async def sending() -> None:
            # In the slot, right before each attempt leaves. After a wait for the slot longer than
            # the send window the create marks again here rather than give the slot back: the
            # limiter would still count it in Okta's window, and the create, back at the end of
            # its bucket's line, would wait as long again (for ever, in a bucket kept full).
            if time.monotonic() - marked > window:
                await mark()

        await mark()
        try:
            return await self.client.create_bookmark_app(op.label, op.url, sending=sending)
        except (ServerError, TransportError):
            # Okta may have made the app before the answer was lost: its lag starts no earlier.
            await mark()
            raise


@dataclass
class _Run:
    app_id: str | None
    group_id: str | None
    app: OktaApp | None

    def created_app(self) -> str:
        assert self.app_id is not None, "CreateApp runs in an earlier phase"
        return self.app_id

    def created_group(self) -> str:
        assert self.group_id is not None, "CreateGroup runs in an earlier phase"
        return self.group_id


def _worst(errors: list[BaseException]) -> BaseException:
    """The error that decides what happens next: a refused token, then permanent, then any."""
    for kind in (InvalidToken, PermanentError, OktaError):
        for error in errors:
            if isinstance(error, kind):
                return error
    return errors[0]
