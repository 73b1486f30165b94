"""What a launch costs the store: SQL statements and transactions per step, counted.

A full launch is the launch page, the extension's redemption of its grant and its code request,
all through the broker's app as the browser and the extension call it. The counts are
deterministic (no timing): a lookup per row, an ORM load or a second transaction creeping back
into the hot path fails here, on each engine.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import event

from broker import sessions
from broker.context import BrokerContext
from broker.db import transaction
from broker.ext_api import endpoints
from broker.models import ItemRole
from broker.services import workspaces
from broker.vault import Vault
from broker.web.app import create_app
from tests.broker.builders import World
from tests.broker.ext_api.extension import API, EXTENSION_ORIGIN, Extension
from tests.broker.web.conftest import BROKER, WORKSPACE, make_settings

if TYPE_CHECKING:
    from tests.conftest import Database

pytestmark = pytest.mark.anyio

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_GRANT = re.compile(r'<meta name="latchkey-grant" content="([^"]+)">')

# The most each step may take. Page: the session with its member; the account with its workspace
# and RBAC's strongest role of the member on it; the grant. Redemption: the credential with its
# member, the proof id, the grant with its broker session, the account with its password and
# RBAC's role, the spend, the fill ticket, the audit event (+1 on a credential's first call of the
# minute: `last_used_at`). Code: the credential, the proof id, the ticket, the account with its
# TOTP secret and RBAC's role, the audit event.
PAGE, REDEEM, CODE = 3, 7, 5


@dataclass
class Stage:
    browser: httpx.AsyncClient
    extension: Extension
    account_id: str
    seen: list[str]
    commits: list[int]


@pytest.fixture
async def stage(db: Database, vault: Vault, tmp_path: Path) -> AsyncIterator[Stage]:
    settings = replace(
        make_settings(tmp_path), extension_origins=(EXTENSION_ORIGIN,), workspace_name=WORKSPACE
    )
    ctx = BrokerContext(settings, db.sessions, vault)
    with transaction(db.sessions) as s:
        world = World(s, vault, workspaces.create_workspace(s, WORKSPACE))
        member, account = world.member(), world.account(totp=TOTP_SECRET)
        world.share(member, account, ItemRole.COLLABORATOR)
        cookie, _ = sessions.open_session(s, member.id, ttl_s=3600)
    app = create_app(ctx)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(
            transport=transport, base_url=BROKER, cookies={sessions.SESSION_COOKIE: cookie}
        ) as browser,
        httpx.AsyncClient(transport=transport, base_url=API + "/") as api,
    ):
        extension = Extension(api)
        assert (await extension.register(cookie)).status_code == 201
        seen: list[str] = []
        commits = [0]

        def statement(*args: Any) -> None:
            seen.append(args[2])

        def commit(_conn: Any) -> None:
            commits[0] += 1

        event.listen(db.engine, "before_cursor_execute", statement)
        event.listen(db.engine, "commit", commit)
        try:
            yield Stage(browser, extension, account.id, seen, commits)
        finally:
            event.remove(db.engine, "before_cursor_execute", statement)
            event.remove(db.engine, "commit", commit)
    await app.state.relying_party.aclose()


async def _counted(
    stage: Stage, call: Awaitable[httpx.Response]
) -> tuple[httpx.Response, int, int]:
    """The response of `call`, the statements it ran and the transactions it committed."""
    del stage.seen[:]
    stage.commits[0] = 0
    answer = await call
    return answer, len(stage.seen), stage.commits[0]


async def test_a_full_launch_runs_few_statements_in_one_transaction_per_step(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The housekeeping DELETE of old proof ids that one call in 64 adds, left out of the count.
    monkeypatch.setattr(endpoints, "PRUNE_ONE_IN", 2**62)
    for launch in range(2):
        page, page_statements, page_commits = await _counted(
            stage, stage.browser.get(f"/launch/{stage.account_id}")
        )
        assert page.status_code == 200, page.text
        found = _GRANT.search(page.text)
        assert found is not None

        released, redeem_statements, redeem_commits = await _counted(
            stage, stage.extension.post("/grants/redeem", {"grant": found.group(1)})
        )
        assert released.status_code == 200, released.text
        assert released.json()["has_code_step"] is True

        code, code_statements, code_commits = await _counted(
            stage, stage.extension.post("/code", {"ticket": released.json()["ticket"]})
        )
        assert code.status_code == 200, code.text
        assert re.fullmatch(r"\d{6}", code.json()["code"])

        first_use = 1 if launch == 0 else 0  # the credential's `last_used_at`, once a minute
        assert page_statements <= PAGE, stage.seen
        assert redeem_statements <= REDEEM + first_use
        assert code_statements <= CODE
        assert (page_commits, redeem_commits, code_commits) == (1, 1, 1)


async def test_a_refused_redemption_commits_its_audit_event_with_the_proof_id(
    stage: Stage,
) -> None:
    refused, statements, commits = await _counted(
        stage, stage.extension.post("/grants/redeem", {"grant": "x" * 43})
    )
    assert refused.status_code == 400
    # The credential, the proof id (+ `last_used_at`), the grant looked up, the audit event.
    assert statements <= 5
    assert commits == 1
