"""Every bad request gets an RFC 7644 §3.12 error body, and changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from broker.scim import PREFIX, routes
from broker.scim.wire import MAX_BODY_BYTES
from sandbox.org.scim_client import ScimClient, user_body
from tests.broker.scim.harness import Broker, org_user

pytestmark = pytest.mark.anyio

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
KNOWN = "{known}"  # replaced by the SCIM id of a user that exists


def _user(**changes: Any) -> bytes:
    body = user_body(org_user(), active=True) | changes
    return json.dumps(body).encode()


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str
    status: int
    scim_type: str | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    token: str | None = None  # None: the right one; "": none at all


CASES = [
    Bad("no token", "GET", "Users", 401, token=""),
    Bad("wrong token", "POST", "Users", 401, body=_user(), token="not-the-token"),
    Bad("not JSON", "POST", "Users", 400, "invalidSyntax", b'{"userName": '),
    Bad("a JSON array", "POST", "Users", 400, "invalidSyntax", b"[]"),
    Bad("not UTF-8", "POST", "Users", 400, "invalidSyntax", b"\xff\xfe{}"),
    Bad("too large", "POST", "Users", 413, None, b" " * (MAX_BODY_BYTES + 1) + _user()),
    Bad("form body", "POST", "Users", 415, body=_user(), headers={"Content-Type": "text/plain"}),
    Bad("userName missing", "POST", "Users", 400, "invalidValue", _user(userName=None)),
    Bad("userName not an email", "POST", "Users", 400, "invalidValue", _user(userName="ada")),
    Bad("active not a boolean", "POST", "Users", 400, "invalidValue", _user(active="perhaps")),
    Bad(
        "duplicate userName",
        "POST",
        "Users",
        409,
        "uniqueness",
        _user(userName="Known@Example.com"),
    ),
    Bad("duplicate externalId", "POST", "Users", 409, "uniqueness", _user(externalId="00uknown")),
    Bad("filter operator", "GET", "Users?filter=userName%20co%20%22a%22", 400, "invalidFilter"),
    Bad("filter attribute", "GET", "Users?filter=title%20eq%20%22a%22", 400, "invalidFilter"),
    Bad("filter unquoted", "GET", "Users?filter=userName%20eq%20ada", 400, "invalidFilter"),
    Bad(
        "filter compound",
        "GET",
        'Users?filter=userName eq "a" or userName eq "b"',
        400,
        "invalidFilter",
    ),
    Bad("startIndex text", "GET", "Users?startIndex=one", 400, "invalidValue"),
    Bad("count text", "GET", "Groups?count=1.5", 400, "invalidValue"),
    Bad("unknown user", "GET", "Users/nobody", 404),
    Bad("unknown user put", "PUT", "Users/nobody", 404, None, _user()),
    Bad("unknown group delete", "DELETE", "Groups/nobody", 404),
    Bad("user delete", "DELETE", f"Users/{KNOWN}", 405),
    Bad("unknown endpoint", "GET", "Bulk", 404),
    Bad(
        "patch path naming nothing",
        "PATCH",
        f"Users/{KNOWN}",
        400,
        "invalidPath",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "shoeSize", "value": 44}],
            }
        ).encode(),
    ),
    Bad(
        "patch without operations",
        "PATCH",
        f"Users/{KNOWN}",
        400,
        "invalidValue",
        json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}).encode(),
    ),
    Bad(
        "group with an unknown member",
        "POST",
        "Groups",
        400,
        "invalidValue",
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Ghosts",
                "members": [{"value": "nobody"}],
            }
        ).encode(),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_bad_request_is_refused_in_scim_terms_and_changes_nothing(
    broker: Broker, okta: ScimClient, case: Bad
) -> None:
    known = org_user()
    known.login = known.email = "known@example.com"
    known.id = "00uknown"
    known_id = await okta.push_user(known)
    before = broker.snapshot()
    headers = {"Content-Type": SCIM_JSON} | case.headers
    if case.token == "":
        headers["Authorization"] = ""

    async with broker.raw(token=case.token) as http:
        response = await http.request(
            case.method,
            case.path.replace(KNOWN, known_id),
            content=case.body,
            headers=headers,
        )

    body = response.json()
    assert response.status_code == case.status, body
    assert response.headers["content-type"].startswith(SCIM_JSON)
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(case.status)  # RFC 7644 §3.12: a string
    assert body.get("scimType") == case.scim_type
    assert broker.snapshot() == before
    if case.status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_without_a_configured_token_nobody_gets_in(broker: Broker) -> None:
    settings = replace(broker.ctx.settings, scim_token=None)
    broker.app = Starlette(
        routes=[Mount(PREFIX, routes=routes(replace(broker.ctx, settings=settings)))]
    )

    async with broker.raw() as http:
        response = await http.get("Users")

    assert response.status_code == 401
    assert response.json()["detail"] == "SCIM provisioning is not configured on this broker."
