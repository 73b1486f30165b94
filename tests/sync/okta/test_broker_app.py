"""Test connection's question about the broker's own OIDC app: may the token keep it assigned?"""

from __future__ import annotations

import pytest

from sandbox.seed import BROKER_CLIENT, seed_user
from sync.okta.broker_app import check_broker_app
from sync.okta.client import OktaClient
from tests.sync.okta.sandbox_org import Org

pytestmark = pytest.mark.anyio


async def test_with_someone_assigned_directly_the_token_is_shown_able_to_manage(
    okta: OktaClient, org: Org
) -> None:
    app = org.ctx.state.apps[BROKER_CLIENT.client_id]
    owner = seed_user("owner").id
    app.user_ids[owner] = app.created
    before = dict(app.user_ids)

    access = await check_broker_app(okta, BROKER_CLIENT.client_id)

    assert (access.readable, access.manageable) == (True, True)
    assert "can keep Latchkey's app" in access.summary
    assert app.user_ids == before  # asked without changing anything (409 E0000062)


async def test_with_everyone_assigned_through_groups_the_answer_stays_open(
    okta: OktaClient,
) -> None:
    access = await check_broker_app(okta, BROKER_CLIENT.client_id)

    assert (access.readable, access.manageable) == (True, None)
    assert "assigned to it directly" in access.summary


async def test_an_unknown_client_id_is_named(okta: OktaClient) -> None:
    access = await check_broker_app(okta, "0oanotthebroker00000")

    assert (access.readable, access.manageable) == (False, False)
    assert "0oanotthebroker00000" in access.summary
