"""Extended accounts reach Okta: the app, its label and its assignments, kept in step."""

from __future__ import annotations

import httpx
import pytest

from broker.models import Account, OktaExtension, SyncState
from broker.services import accounts, extensions
from sandbox.org.faults import Fault, fault_injector
from sandbox.org.state import OrgApp
from tests.sync.conftest import Env, okta_ids

pytestmark = pytest.mark.anyio


async def test_extended_account_becomes_an_app_with_its_owner_assigned(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)

    tally = await env.sync()

    app = env.app(account)
    assert app.label == f"{account.name} - Demo"
    assert app.status == "ACTIVE"
    assert set(app.user_ids) == okta_ids(owner)
    extension = env.extension(account)
    assert extension is not None
    assert extension.okta_app_id == app.id
    assert extension.sync_state is SyncState.SYNCED
    assert extension.last_synced_at is not None
    assert env.queued() == set()
    assert (tally.apps_created, tally.assignments_added) == (1, 1)


async def test_share_added_to_a_user_assigns_them(env: Env) -> None:
    owner, reader = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()

    with env.change() as world:
        world.share(reader, account)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner, reader)


async def test_rename_changes_the_label_with_one_call(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()

    with env.change() as world:
        accounts.rename_account(world.session, world.workspace.id, account.id, name="Payroll")
    tally = await env.sync()

    assert env.app(account).label == "Payroll - Demo"
    assert tally.apps_updated == 1
    assert tally.calls == {"app": 2, "apps": 1}  # read the app, its users; replace the app
    extension = env.extension(account)
    assert extension is not None
    assert extension.label == "Payroll - Demo"


async def test_deleted_account_loses_its_app_and_its_tombstone(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()

    with env.change() as world:
        accounts.delete_account(world.session, world.workspace.id, account.id)
    tally = await env.sync()

    assert env.apps(account) == []
    assert tally.apps_deleted == 1
    with env.db.sessions() as session:
        assert session.get(Account, account.id) is None
        assert session.get(OktaExtension, account.id) is None
    assert env.queued() == set()


async def test_remove_from_okta_deletes_the_app_and_keeps_the_account(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()

    with env.change() as world:
        extensions.remove_from_okta(world.session, world.session.merge(owner), account.id)
    await env.sync()

    assert env.apps(account) == []
    assert env.extension(account) is None
    with env.db.sessions() as session:
        kept = session.get(Account, account.id)
        assert kept is not None
        assert kept.deleted_at is None


async def test_extending_again_after_removal_makes_a_new_app(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()
    with env.change() as world:
        extensions.remove_from_okta(world.session, world.session.merge(owner), account.id)
    await env.sync()

    with env.change() as world:
        extensions.extend_account(world.session, world.session.merge(owner), account.id)
    await env.sync()

    assert env.assigned(account) == okta_ids(owner)


async def test_manual_sync_repairs_what_was_changed_by_hand(env: Env) -> None:
    owner, stranger = env.person(), env.person()
    account = env.extended(owner)
    await env.sync()
    with env.org.state.locked():
        app = env.app(account)
        app.label = "Renamed by hand"
        app.user_ids[stranger.external_id or ""] = app.created

    with env.change() as world:
        extensions.sync_account(world.session, world.session.merge(owner), account.id)
    await env.sync()

    assert env.app(account).label == f"{account.name} - Demo"
    assert env.assigned(account) == okta_ids(owner)


async def test_full_pass_repairs_drift_without_an_outbox_row(env: Env) -> None:
    owner, stranger = env.person(), env.person()
    kept, relabelled, deleted, moved = (env.extended(owner) for _ in range(4))
    await env.sync()
    with env.org.state.locked() as state:
        env.app(kept).user_ids[stranger.external_id or ""] = env.app(kept).created
        env.app(kept).user_ids.pop(owner.external_id or "")
        env.app(relabelled).label = "Renamed by hand"
        del state.apps[env.app(deleted).id]
        env.app(moved).settings = {"app": {"url": "https://elsewhere.example/"}}
        recorded = env.extension(moved)
        assert recorded is not None
    assert env.queued() == set()

    await env.worker.full_pass()

    assert env.assigned(kept) == okta_ids(owner)
    assert env.app(relabelled).label == f"{relabelled.name} - Demo"
    assert env.assigned(deleted) == okta_ids(owner)
    # Found by its recorded id although its URL changed: restored, not duplicated.
    assert env.app(moved).id == recorded.okta_app_id


async def test_second_app_with_the_same_launch_url_is_deleted(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()
    with env.org.state.locked() as state:
        original = env.app(account)
        twin = OrgApp("0oatwin", "bookmark", "twin", "BOOKMARK", settings=original.settings)
        state.apps[twin.id] = twin

    await env.worker.full_pass()

    assert env.app(account).id == original.id


async def test_duplicate_names_are_numbered_and_keep_their_number(env: Env) -> None:
    owner = env.person()
    first, second, third = (env.extended(owner, name="Mail") for _ in range(3))
    await env.sync()
    assert [env.app(a).label for a in (first, second, third)] == [
        "Mail - Demo",
        "Mail - Demo (2)",
        "Mail - Demo (3)",
    ]

    with env.change() as world:
        accounts.delete_account(world.session, world.workspace.id, first.id)
    await env.sync()
    await env.worker.full_pass()

    assert [env.app(a).label for a in (second, third)] == ["Mail - Demo (2)", "Mail - Demo (3)"]


async def test_permanent_error_marks_the_account_failed_with_okta_reason(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    fault_injector(env.org).add(Fault("/api/v1/apps", method="POST", status=403))

    tally = await env.sync()

    extension = env.extension(account)
    assert extension is not None
    assert extension.sync_state is SyncState.FAILED
    assert "403" in (extension.last_error or "")
    assert tally.failed == 1
    assert env.queued() == set()


async def test_app_deactivated_by_hand_is_activated_again(env: Env) -> None:
    owner = env.person()
    account = env.extended(owner)
    await env.sync()
    with env.org.state.locked():
        env.app(account).status = "INACTIVE"

    tally = await env.worker.full_pass()

    assert env.app(account).status == "ACTIVE"
    assert env.assigned(account) == okta_ids(owner)
    assert tally.apps_activated == 1


def bookmark_listings(calls: list[httpx.Request]) -> int:
    return sum(1 for r in calls if r.method == "GET" and r.url.path == "/api/v1/apps")


async def test_a_full_pass_lists_the_apps_once_whatever_was_changed_by_hand(env: Env) -> None:
    owner = env.person()
    made = [env.extended(owner) for _ in range(5)]
    await env.sync()
    with env.org.state.locked() as state:
        for account in made[:3]:
            del state.apps[env.app(account).id]
    recorder = Recorder(env.transport)

    await env.make_worker(transport=recorder).full_pass()

    assert bookmark_listings(recorder.sent) == 1
    assert all(env.assigned(account) == okta_ids(owner) for account in made)


async def test_a_round_whose_apps_were_deleted_by_hand_lists_the_apps_once(env: Env) -> None:
    owner, reader = env.person(), env.person()
    made = [env.extended(owner) for _ in range(4)]
    await env.sync()
    with env.org.state.locked() as state:
        for account in made:
            del state.apps[env.app(account).id]  # each still has its recorded id
    with env.change() as world:
        for account in made:
            world.share(reader, account)
    recorder = Recorder(env.transport)

    await env.sync(env.make_worker(transport=recorder))

    assert bookmark_listings(recorder.sent) == 1
    assert all(env.assigned(account) == okta_ids(owner, reader) for account in made)


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)
