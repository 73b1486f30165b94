"""What leaves the vault: only for the grant's member, with access now, and never twice."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta

import anyio
import pytest
from sqlalchemy import select, update

from broker import sessions
from broker.actions.launch import exact_origin
from broker.db import transaction
from broker.ext_tables import FillTicket, LaunchGrant
from broker.grants import GRANT_TTL
from broker.models import ItemRole, WorkspaceRole, utcnow
from broker.services import members, shares
from broker.services.shares import Subject, Target
from tests.broker.ext_api.conftest import TOTP_SECRET, Launch, Scene, error_of
from tests.broker.ext_api.extension import Extension

pytestmark = pytest.mark.anyio


async def _redeem(launch: Launch, grant: str | None = None) -> dict[str, object]:
    answer = await launch.extension.post("/grants/redeem", {"grant": grant or launch.grant})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _grant_spent(scene: Scene) -> list[bool]:
    with scene.ctx.sessions() as session:
        return [g.redeemed_at is not None for g in session.scalars(select(LaunchGrant))]


def _expired(scene: Scene, launch: Launch) -> str:
    with transaction(scene.ctx.sessions) as session:
        session.execute(update(LaunchGrant).values(expires_at=utcnow() - timedelta(seconds=1)))
    return launch.grant


def _tamper(grant: str) -> str:
    return grant[:-1] + ("A" if grant[-1] != "A" else "B")


GRANT_CASES: list[tuple[str, Callable[[Scene, Launch], str], str]] = [
    ("tampered", lambda scene, launch: _tamper(launch.grant), "unknown"),
    ("made up", lambda scene, launch: "x" * 43, "unknown"),
    ("expired", _expired, "expired"),
]


@pytest.mark.parametrize(
    ("make", "reason"), [c[1:] for c in GRANT_CASES], ids=[c[0] for c in GRANT_CASES]
)
async def test_a_bad_grant_is_refused_and_audited(
    scene: Scene, launch: Launch, make: Callable[[Scene, Launch], str], reason: str
) -> None:
    refused = await launch.extension.post("/grants/redeem", {"grant": make(scene, launch)})
    assert (refused.status_code, error_of(refused)) == (400, "invalid_grant")
    (event,) = scene.events("grant.rejected")
    assert event.details["reason"] == reason
    assert scene.events("credential.released") == []
    assert _grant_spent(scene) == [False]


async def test_a_grant_redeems_once(scene: Scene, launch: Launch) -> None:
    await _redeem(launch)
    again = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
    assert error_of(again) == "invalid_grant"
    assert scene.events("grant.rejected")[0].details["reason"] == "used"
    assert len(scene.events("credential.released")) == 1


async def test_another_members_grant_is_refused_and_stays_theirs(
    scene: Scene, launch: Launch, extension: Extension
) -> None:
    # A second member, with access to the same account, signed in with an extension of their own.
    intruder = scene.member()
    with transaction(scene.ctx.sessions) as session:
        shares.share(
            session,
            scene.workspace.id,
            Subject(member_id=intruder.id),
            Target(account_id=launch.account_id),
            ItemRole.OWNER,
        )
    cookie, _ = scene.sign_in(intruder)
    theirs = Extension(extension.client)
    assert (await theirs.register(cookie)).status_code == 201
    refused = await theirs.post("/grants/redeem", {"grant": launch.grant})
    assert (refused.status_code, error_of(refused)) == (400, "invalid_grant")
    (event,) = scene.events("grant.rejected")
    assert (event.actor_id, event.details["reason"]) == (intruder.id, "foreign")
    assert _grant_spent(scene) == [False]
    await _redeem(launch)  # the rightful member still can


async def test_a_grant_dies_with_the_sign_in_it_was_made_in(scene: Scene, launch: Launch) -> None:
    with transaction(scene.ctx.sessions) as session:
        sessions.revoke(session, launch.session_id)
    refused = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
    assert error_of(refused) == "invalid_grant"
    assert scene.events("grant.rejected")[0].details["reason"] == "session_ended"
    assert _grant_spent(scene) == [False]


def _unshare(scene: Scene, launch: Launch) -> None:
    with transaction(scene.ctx.sessions) as session:
        shares.unshare(
            session,
            scene.workspace.id,
            Subject(member_id=launch.member.id),
            Target(account_id=launch.account_id),
        )


def _make_login_only(scene: Scene, launch: Launch) -> None:
    with transaction(scene.ctx.sessions) as session:
        members.set_role(session, scene.workspace.id, launch.member.id, WorkspaceRole.LOGIN_ONLY)


def _delete_account(scene: Scene, launch: Launch) -> None:
    from broker.services import accounts

    with transaction(scene.ctx.sessions) as session:
        accounts.delete_account(session, scene.workspace.id, launch.account_id)


RBAC_CASES: list[tuple[str, Callable[[Scene, Launch], None], str, str]] = [
    ("share removed", _unshare, "no_access", "no_access"),
    ("made login-only", _make_login_only, "login_only", "login_only"),
    ("account deleted", _delete_account, "no_access", "unknown_account"),
]


@pytest.mark.parametrize(
    ("change", "reason", "denial"), [c[1:] for c in RBAC_CASES], ids=[c[0] for c in RBAC_CASES]
)
async def test_rbac_is_asked_again_at_redemption(
    scene: Scene,
    launch: Launch,
    change: Callable[[Scene, Launch], None],
    reason: str,
    denial: str,
) -> None:
    change(scene, launch)  # after the launch page handed out the grant
    refused = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
    assert (refused.status_code, error_of(refused)) == (403, "access_denied")
    assert refused.json()["reason"] == reason
    assert "password" not in refused.json()
    (event,) = scene.events("launch.blocked")
    assert event.details["reason"] == denial
    assert event.details["stage"] == "redeem"
    assert (event.actor_id, event.target_id) == (launch.member.id, launch.account_id)
    assert scene.events("credential.released") == []
    assert _grant_spent(scene) == [False]  # a refusal changes nothing


@pytest.mark.parametrize(
    ("change", "reason", "denial"), [c[1:] for c in RBAC_CASES], ids=[c[0] for c in RBAC_CASES]
)
async def test_rbac_is_asked_again_at_every_code_request(
    scene: Scene,
    launch: Launch,
    change: Callable[[Scene, Launch], None],
    reason: str,
    denial: str,
) -> None:
    ticket = (await _redeem(launch))["ticket"]
    assert (await launch.extension.post("/code", {"ticket": ticket})).status_code == 200
    change(scene, launch)
    refused = await launch.extension.post("/code", {"ticket": ticket})
    assert (refused.status_code, error_of(refused)) == (403, "access_denied")
    assert refused.json()["reason"] == reason
    (event,) = scene.events("launch.blocked")
    assert (event.details["reason"], event.details["stage"]) == (denial, "code")
    assert len(scene.events("code.released")) == 1


async def test_a_login_only_member_gets_no_credentials(scene: Scene, extension: Extension) -> None:
    member = scene.member(WorkspaceRole.LOGIN_ONLY)
    account_id = scene.account_for(member)
    cookie, session_id = scene.sign_in(member)
    assert (await extension.register(cookie)).status_code == 201
    grant = scene.grant(member, account_id, session_id)
    refused = await extension.post("/grants/redeem", {"grant": grant})
    assert (refused.status_code, refused.json()["reason"]) == (403, "login_only")


async def test_a_ticket_works_only_for_the_credential_it_was_issued_to(
    scene: Scene, launch: Launch, extension: Extension
) -> None:
    ticket = (await _redeem(launch))["ticket"]
    # The same member's second browser: another key, another credential.
    second = Extension(extension.client)
    assert (await second.register(launch.cookie)).status_code == 201
    refused = await second.post("/code", {"ticket": ticket})
    assert (refused.status_code, error_of(refused)) == (400, "invalid_ticket")
    assert scene.events("ticket.rejected")[0].details["reason"] == "foreign"


async def test_an_expired_or_made_up_ticket_is_refused(scene: Scene, launch: Launch) -> None:
    ticket = (await _redeem(launch))["ticket"]
    made_up = await launch.extension.post("/code", {"ticket": "nope"})
    assert error_of(made_up) == "invalid_ticket"
    with transaction(scene.ctx.sessions) as session:
        session.execute(update(FillTicket).values(expires_at=utcnow()))
    expired = await launch.extension.post("/code", {"ticket": ticket})
    assert error_of(expired) == "invalid_ticket"
    assert [e.details["reason"] for e in scene.events("ticket.rejected")] == ["unknown", "expired"]
    assert scene.events("code.released") == []


async def test_two_concurrent_redemptions_of_one_grant_release_once(
    scene: Scene, launch: Launch
) -> None:
    statuses: list[int] = []

    async def redeem() -> None:
        answer = await launch.extension.post("/grants/redeem", {"grant": launch.grant})
        statuses.append(answer.status_code)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(redeem)
        tasks.start_soon(redeem)
    assert sorted(statuses) == [200, 400]
    assert len(scene.events("credential.released")) == 1


async def test_no_secret_reaches_the_audit_trail_or_the_logs(
    scene: Scene, launch: Launch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    released = await _redeem(launch)
    code = (await launch.extension.post("/code", {"ticket": released["ticket"]})).json()["code"]
    await launch.extension.post("/grants/redeem", {"grant": launch.grant})  # refused: used
    await launch.extension.post("/code", {"ticket": "made-up-ticket"})
    secrets_seen = [
        launch.grant,
        str(released["password"]),
        str(released["ticket"]),
        code,
        TOTP_SECRET,
        str(launch.extension.credential),
        launch.cookie,
    ]
    trail = json.dumps([[e.action, e.target_id, e.details] for e in scene.events()], default=str)
    logs = caplog.text
    for secret in secrets_seen:
        assert secret not in trail
        assert secret not in logs
    assert {"credential.released", "code.released", "grant.rejected", "ticket.rejected"} <= {
        e.action for e in scene.events()
    }


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://demo.example.com/login", "https://demo.example.com"),
        ("https://Demo.Example.com:443/a?b#c", "https://demo.example.com"),
        ("https://demo.example.com:8443/login", "https://demo.example.com:8443"),
        ("http://127.0.0.1:8420/single/login", "http://127.0.0.1:8420"),
        ("http://[::1]:80/x", "http://[::1]"),
    ],
)
def test_the_login_origin_is_scheme_host_and_port(url: str, origin: str) -> None:
    assert exact_origin(url) == origin


def test_grants_live_no_longer_than_a_minute() -> None:
    assert timedelta(0) < GRANT_TTL <= timedelta(seconds=60)
