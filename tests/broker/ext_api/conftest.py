"""A broker with only the extension API mounted, on each engine, and a world committed to it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from broker import sessions
from broker.context import BrokerContext
from broker.db import transaction
from broker.ext_api import MOUNT_PATH, routes
from broker.grants import issue_grant
from broker.models import AuditEvent, ItemRole, Member, Workspace, WorkspaceRole
from broker.services import workspaces
from broker.settings import Settings
from broker.vault import Vault
from tests.broker.builders import World
from tests.broker.ext_api.extension import API, BROKER_URL, EXTENSION_ORIGIN, Extension

if TYPE_CHECKING:
    from tests.conftest import Database

T = TypeVar("T")
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def ctx(db: Database, vault: Vault, tmp_path: Path) -> BrokerContext:
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(db.engine.url),
        master_key_file=tmp_path / "master.keys",
        broker_url=BROKER_URL,
        extension_origins=(EXTENSION_ORIGIN,),
    )
    return BrokerContext(settings=settings, sessions=db.sessions, vault=vault)


@pytest.fixture
def app(ctx: BrokerContext) -> Starlette:
    application = Starlette(routes=[Mount(MOUNT_PATH, routes=routes(ctx))])
    application.state.ctx = ctx  # what `broker.sessions` reads the store from
    return application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=API + "/") as http:
        yield http


@pytest.fixture
def extension(client: httpx.AsyncClient) -> Extension:
    return Extension(client)


@dataclass
class Scene:
    """A workspace committed to the test database, changed one transaction at a time."""

    ctx: BrokerContext
    workspace: Workspace

    count: int = 0  # carried from one World to the next, so names stay unique

    def build(self, step: Callable[[World], T]) -> T:
        with transaction(self.ctx.sessions) as session:
            world = World(session, self.ctx.vault, self.workspace, _count=self.count)
            result = step(world)
        self.count = world._count
        return result

    def member(self, role: WorkspaceRole = WorkspaceRole.USER) -> Member:
        return self.build(lambda w: w.member(role))

    def account_for(
        self, member: Member, *, totp: str | None = None, role: ItemRole = ItemRole.COLLABORATOR
    ) -> str:
        """A new account the member holds `role` on, through a direct share."""

        def step(world: World) -> str:
            account = world.account(totp=totp)
            world.share(member, account, role)
            return account.id

        return self.build(step)

    def sign_in(self, member: Member) -> tuple[str, str]:
        """(cookie token, session id) of a new broker session, made by `broker.sessions`."""
        with transaction(self.ctx.sessions) as session:
            token, row = sessions.open_session(session, member.id, ttl_s=3600)
            return token, row.id

    def grant(self, member: Member, account_id: str, session_id: str) -> str:
        with transaction(self.ctx.sessions) as session:
            return issue_grant(
                session, member_id=member.id, account_id=account_id, session_id=session_id
            )

    def events(self, *actions: str) -> list[AuditEvent]:
        with self.ctx.sessions() as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if actions:
                query = query.where(AuditEvent.action.in_(actions))
            return list(session.scalars(query))


@pytest.fixture
def scene(ctx: BrokerContext) -> Scene:
    with transaction(ctx.sessions) as session:
        workspace = workspaces.create_workspace(session, f"Acme {secrets.token_hex(3)}")
    return Scene(ctx, workspace)


@dataclass
class Launch:
    """A member who may use an account, signed in, with a fresh grant and a registered extension."""

    member: Member
    account_id: str
    cookie: str
    session_id: str
    grant: str
    extension: Extension


@pytest.fixture
async def launch(scene: Scene, extension: Extension) -> Launch:
    member = scene.member()
    account_id = scene.account_for(member, totp=TOTP_SECRET)
    cookie, session_id = scene.sign_in(member)
    answer = await extension.register(cookie)
    assert answer.status_code == 201, answer.text
    return Launch(
        member,
        account_id,
        cookie,
        session_id,
        scene.grant(member, account_id, session_id),
        extension,
    )


def error_of(answer: httpx.Response) -> Any:
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()["error"]
