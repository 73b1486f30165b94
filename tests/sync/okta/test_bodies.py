"""Request bodies validate against Okta's OpenAPI description of the endpoints they go to.

The description is Okta's own (`../shared/okta/management-openapi-5.1.0.yaml`); the test skips,
saying so, where that folder is absent.
"""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30WriteValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from sync.okta.bodies import (
    app_user_body,
    bookmark_app_body,
    group_body,
    updated_app_body,
)

BASE = "urn:okta-management"
LAUNCH = "https://latchkey.example/launch/acc1"


@pytest.fixture(scope="module")
def spec(okta_openapi: dict[str, Any]) -> dict[str, Any]:
    return okta_openapi


_registries: dict[int, Registry[Any]] = {}


def validate(spec: dict[str, Any], path: str, method: str, body: Any) -> None:
    schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    registry = _registries.get(id(spec))
    if registry is None:
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        registry = _registries[id(spec)] = Registry().with_resource(BASE, resource)
    OAS30WriteValidator(_rebase(schema), registry=registry).validate(body)


def _rebase(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: BASE + v if k == "$ref" else _rebase(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def test_the_bookmark_app_body_is_an_okta_bookmark_application(spec: dict[str, Any]) -> None:
    body = bookmark_app_body("Shared mailbox - Gmail", LAUNCH)

    validate(spec, "/api/v1/apps", "post", body)
    assert body == {
        "name": "bookmark",
        "label": "Shared mailbox - Gmail",
        "signOnMode": "BOOKMARK",
        "settings": {"app": {"url": LAUNCH, "requestIntegration": False}},
    }


def test_the_updated_body_keeps_the_app_and_drops_its_links(spec: dict[str, Any]) -> None:
    current: dict[str, Any] = {
        **bookmark_app_body("Old - Site", LAUNCH),
        "id": "0oa1",
        "status": "ACTIVE",
        "visibility": {"autoLaunch": False, "hide": {"iOS": False, "web": False}},
        "_links": {"self": {"href": "https://acme.okta.com/api/v1/apps/0oa1"}},
    }

    body = updated_app_body(current, "New - Site", LAUNCH + "moved")

    validate(spec, "/api/v1/apps/{appId}", "put", body)
    assert body["label"] == "New - Site"
    assert body["settings"]["app"] == {"url": LAUNCH + "moved", "requestIntegration": False}
    assert {"id", "status", "_links"}.isdisjoint(body)
    assert body["visibility"] == current["visibility"]
    # The app read from Okta is left as it was.
    assert (current["label"], current["settings"]["app"]["url"]) == ("Old - Site", LAUNCH)


def test_group_and_assignment_bodies_match_their_endpoints(spec: dict[str, Any]) -> None:
    validate(spec, "/api/v1/groups", "post", group_body("Latchkey acc1", "Managed by Latchkey"))
    validate(spec, "/api/v1/apps/{appId}/users", "post", app_user_body("00u1"))


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
def test_labels_okta_refuses_are_refused_here(label: str) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        bookmark_app_body(label, LAUNCH)
