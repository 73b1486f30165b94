"""`/collections…` and `/teams…` of the admin API, called as a script calls them; every answer is
checked against the schema the OpenAPI document gives for it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broker.admin_api import broker_document
from broker.db import transaction
from broker.models import Collection, ItemRole, Member, OktaExtension, WorkspaceRole
from broker.services import teams
from tests.broker.admin_api.conftest import Api, error_of
from tests.broker.admin_api.test_openapi import conforms

pytestmark = pytest.mark.anyio
DOCUMENT = broker_document()


async def test_an_owner_runs_a_collection_through_the_api(api: Api) -> None:
    site = api.site
    site.connect_okta()
    owner = await site.sign_in(WorkspaceRole.USER)
    account = site.account((owner, ItemRole.OWNER))

    made = await api.call("POST", "/collections", {"name": "Engineering"})
    assert made.status_code == 201, made.text
    conforms(DOCUMENT, made, "AdminCollection")
    cid = made.json()["id"]
    child = await api.call("POST", "/collections", {"name": "Infra", "parent_id": cid})
    assert child.status_code == 201
    child_id = child.json()["id"]

    put = await api.call("PUT", f"/collections/{child_id}/accounts/{account.id}")
    assert put.status_code == 200
    conforms(DOCUMENT, put, "AdminCollectionAccount")
    extended = await api.call("POST", f"/collections/{cid}/extension")
    assert extended.status_code == 201
    conforms(DOCUMENT, extended, "AdminCollectionExtended")
    assert extended.json()["extended"] == 1
    got = await api.call("GET", f"/collections/{child_id}")
    conforms(DOCUMENT, got, "AdminCollection")
    assert got.json()["accounts"][0]["sync_state"] == "pending"
    assert got.json()["extended_through"] == cid
    listing = await api.call("GET", "/collections")
    conforms(DOCUMENT, listing, "AdminCollections")
    assert [(c["name"], c["depth"]) for c in listing.json()["collections"]] == [
        ("Engineering", 0),
        ("Infra", 1),
    ]
    queued = await api.call("POST", f"/collections/{cid}/extension/sync")
    assert (queued.status_code, queued.json()) == (202, {"queued": 1})
    removed = await api.call("DELETE", f"/collections/{cid}/extension")
    assert removed.status_code == 202
    conforms(DOCUMENT, removed, "AdminCollectionRemoval")
    assert removed.json() == {"removing": [account.id], "kept": []}
    deleted = await api.call("DELETE", f"/collections/{cid}")
    conforms(DOCUMENT, deleted, "AdminCollectionDeleted")
    assert deleted.json() == {"deleted": "Engineering", "accounts": 1, "adopted": 0}


async def test_bad_collection_calls_get_the_api_error_and_change_nothing(api: Api) -> None:
    site = api.site
    await site.sign_in(WorkspaceRole.USER)
    cid = (await api.call("POST", "/collections", {"name": "Engineering"})).json()["id"]
    child = (await api.call("POST", "/collections", {"name": "C", "parent_id": cid})).json()

    cases = [
        ("PATCH", f"/collections/{cid}", {"parent_id": cid}, 400, "moved under itself"),
        ("PATCH", f"/collections/{cid}", {"parent_id": child["id"]}, 400, "descendants"),
        ("PATCH", f"/collections/{cid}", {"name": "New", "parent_id": cid}, 400, "under itself"),
        ("PATCH", f"/collections/{cid}", {"name": ""}, 400, "must not be empty"),
        ("PATCH", f"/collections/{cid}", {"colour": "red"}, 400, "Unknown field"),
        ("POST", "/collections", {"name": "x" * 201}, 400, "longer than 200"),
        ("POST", "/collections", {"name": "Engineering"}, 409, "already exists"),
        ("GET", "/collections/no-such-collection", None, 404, "No such collection"),
        ("POST", f"/collections/{cid}/extension", None, 409, "turned off"),
    ]
    for method, path, body, status, says in cases:
        answer = await api.call(method, path, body)
        assert answer.status_code == status, (path, body, answer.text)
        assert says in answer.json()["error_description"]
        conforms(DOCUMENT, answer, "AdminError")
    got = (await api.call("GET", f"/collections/{cid}")).json()
    assert (got["name"], got["parent_id"]) == ("Engineering", None), "a refused PATCH is whole"
    no_token = await api.call("DELETE", f"/collections/{cid}", csrf=None)
    assert (no_token.status_code, error_of(no_token)) == (403, "invalid_csrf_token")


async def test_a_collaborator_reads_but_cannot_change_and_an_outsider_sees_nothing(
    api: Api,
) -> None:
    site = api.site
    await site.sign_in(WorkspaceRole.USER)
    cid = (await api.call("POST", "/collections", {"name": "Engineering"})).json()["id"]
    collaborator = await site.sign_in(WorkspaceRole.USER)
    with site.harness.build() as world:
        world.share(
            world.session.get_one(Member, collaborator.id), world.session.get_one(Collection, cid)
        )
    got = await api.call("GET", f"/collections/{cid}")
    assert got.json()["allowed"] == {"manage": False, "extend": False, "remove_from_okta": False}
    refused = await api.call("PATCH", f"/collections/{cid}", {"name": "Mine"})
    assert (refused.status_code, error_of(refused)) == (403, "permission_denied")
    await site.sign_in(WorkspaceRole.ADMIN)
    hidden = await api.call("DELETE", f"/collections/{cid}")
    assert (hidden.status_code, error_of(hidden)) == (404, "not_found")
    with site.harness.ctx.sessions() as s:
        assert s.scalars(select(OktaExtension)).all() == []


async def test_teams_through_the_api_and_okta_teams_refused_with_409(api: Api) -> None:
    site = api.site
    await site.sign_in(WorkspaceRole.ADMIN)
    colleague = site.colleague()
    with transaction(site.harness.ctx.sessions) as s:
        pushed = teams.create_team(s, site.harness.workspace_id, "From Okta", external_id="00g2")

    made = await api.call("POST", "/teams", {"name": "Support"})
    assert made.status_code == 201
    conforms(DOCUMENT, made, "AdminTeam")
    tid = made.json()["id"]
    joined = await api.call("PUT", f"/teams/{tid}/members/{colleague.id}")
    assert [m["email"] for m in joined.json()["members"]] == [colleague.email]
    renamed = await api.call("PATCH", f"/teams/{tid}", {"name": "Help desk"})
    assert renamed.json()["name"] == "Help desk"
    listing = await api.call("GET", "/teams")
    conforms(DOCUMENT, listing, "AdminTeams")
    assert [(t["name"], t["managed_by_okta"]) for t in listing.json()["teams"]] == [
        ("From Okta", True),
        ("Help desk", False),
    ]
    for method, path, body in [
        ("PATCH", f"/teams/{pushed.id}", {"name": "Mine"}),
        ("PUT", f"/teams/{pushed.id}/members/{colleague.id}", None),
        ("DELETE", f"/teams/{pushed.id}", None),
    ]:
        answer = await api.call(method, path, body)
        assert (answer.status_code, error_of(answer)) == (409, "conflict"), path
        assert "managed by Okta" in answer.json()["error_description"]
    gone = await api.call("DELETE", f"/teams/{tid}")
    assert gone.json() == {"deleted": "Help desk"}

    await site.sign_in(WorkspaceRole.USER)
    refused = await api.call("GET", "/teams")
    assert (refused.status_code, error_of(refused)) == (403, "permission_denied")
