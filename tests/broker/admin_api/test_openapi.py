"""`/api/openapi.json`: one OpenAPI 3.1 document for the extension API and the admin API, whose
schemas are valid and describe the answers the admin API really gives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator

from broker.admin_api import broker_document
from broker.admin_api.openapi import merge_components
from broker.models import ItemRole, WorkspaceRole
from tests.broker.admin_api.conftest import Api
from tests.broker.web.conftest import BROKER

pytestmark = pytest.mark.anyio

_METHODS = {"get", "put", "post", "delete", "patch"}


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def conforms(document: dict[str, Any], answer: httpx.Response, schema: str) -> None:
    OAS31Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    ).validate(answer.json())


def test_the_document_is_well_formed_and_lists_both_apis() -> None:
    document = broker_document()

    assert document["openapi"] == "3.1.0"
    assert {t["name"] for t in document["tags"]} == {"extension", "admin"}
    assert {"/api/ext/v1/keys", "/api/ext/v1/grants/redeem", "/api/ext/v1/code"} <= set(
        document["paths"]
    )
    assert {
        "/api/admin/v1/settings",
        "/api/admin/v1/settings/test-connection",
        "/api/admin/v1/accounts/{account_id}/extension",
        "/api/admin/v1/me/sync",
        "/api/admin/v1/members",
    } <= set(document["paths"])
    for schema in document["components"]["schemas"].values():
        OAS31Validator.check_schema(schema)
    for ref in refs(document):
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in document["components"][kind], ref
    for path, item in document["paths"].items():
        declared = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            assert method in _METHODS, (path, method)
            assert operation["tags"], (path, method)
            assert operation["responses"], (path, method)
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == declared, (path, method)
            for scheme in operation.get("security", document.get("security", [])):
                assert set(scheme) <= set(document["components"]["securitySchemes"])


def test_a_name_defined_twice_with_two_meanings_fails_loudly() -> None:
    merged: dict[str, Any] = {}
    merge_components(merged, {"components": {"schemas": {"Error": {"type": "object"}}}}, "a")
    merge_components(merged, {"components": {"schemas": {"Error": {"type": "object"}}}}, "b")
    with pytest.raises(ValueError, match=re.escape("components.schemas.Error")):
        merge_components(merged, {"components": {"schemas": {"Error": {"type": "array"}}}}, "c")


async def test_the_broker_serves_the_document_and_answers_conform(api: Api) -> None:
    served = await api.site.browser.get(f"{BROKER}/api/openapi.json")
    assert served.status_code == 200
    document = served.json()
    assert document == broker_document()
    admin_only = await api.site.browser.get(f"{BROKER}/api/admin/v1/openapi.json")
    assert set(admin_only.json()["paths"]) >= {"/settings", "/members"}

    conforms(document, await api.call("GET", "/me"), "AdminError")
    admin = await api.site.sign_in(WorkspaceRole.ADMIN)
    api.site.connect_okta()
    account = api.site.account((admin, ItemRole.OWNER))
    conforms(document, await api.call("GET", "/me"), "AdminMe")
    conforms(document, await api.call("GET", "/settings"), "AdminSettings")
    conforms(document, await api.call("PUT", "/settings", {"okta_domain": "x"}), "AdminError")
    conforms(document, await api.call("POST", "/settings/test-connection"), "AdminConnection")
    conforms(document, await api.call("GET", f"/accounts/{account.id}"), "AdminAccount")
    extended = await api.call("POST", f"/accounts/{account.id}/extension")
    assert extended.status_code == 201
    conforms(document, extended, "AdminAccount")
    conforms(document, await api.call("POST", "/me/sync"), "AdminSyncQueued")
    conforms(document, await api.call("GET", "/members"), "AdminMembers")
