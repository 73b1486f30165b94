"""Every Management API answer of the sandbox validates against Okta's OpenAPI description.

The description is Okta's own (`../shared/okta/management-openapi-5.1.0.yaml`, from
okta/okta-sdk-python); the test skips, saying so, where that folder is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from sandbox.seed import seed_user
from sandbox.serve import RunningOrg
from tests.sandbox.org.management.okta_bodies import TOKEN, bookmark

BASE = "urn:okta-management"


@dataclass(frozen=True)
class Call:
    template: str  # the path as the description names it, e.g. /api/v1/apps/{appId}
    method: str
    response: httpx.Response


class Description:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(BASE, resource)

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.registry.resolver(BASE).lookup(BASE + node["$ref"]).contents
        return node

    def declared(self, call: Call) -> bool:
        responses = self.spec["paths"][call.template][call.method.lower()]["responses"]
        return str(call.response.status_code) in responses

    def schema_for(self, call: Call) -> dict[str, Any] | None:
        responses = self.spec["paths"][call.template][call.method.lower()]["responses"]
        status = str(call.response.status_code)
        if status not in responses:
            # Error statuses the description leaves out still carry Okta's error body.
            return {"$ref": "#/components/schemas/Error"} if status >= "400" else None
        content = self._resolve(responses[status]).get("content") or {}
        media = content.get("application/json")
        return None if media is None else media["schema"]

    def validate(self, instance: Any, schema: dict[str, Any]) -> None:
        resolved = self._resolve(schema)
        discriminator = resolved.get("discriminator")
        if discriminator and isinstance(instance, dict):
            # OpenAPI 3.0 §4.7.25: the discriminator names the concrete schema to check against.
            chosen = discriminator["mapping"][instance[discriminator["propertyName"]]]
            schema = {"$ref": chosen}
        if resolved.get("type") == "array" and isinstance(instance, list):
            for item in instance:
                self.validate(item, resolved["items"])
            return
        validator = OAS30ReadValidator(
            {"$ref": BASE + schema["$ref"]} if "$ref" in schema else schema,
            registry=self.registry,
            format_checker=OAS30ReadValidator.FORMAT_CHECKER,
        )
        validator.validate(instance)


@pytest.fixture(scope="module")
def description(okta_openapi: dict[str, Any]) -> Description:
    return Description(okta_openapi)


def _exercise(org: RunningOrg, control: httpx.Client) -> Iterator[Call]:
    """One call to every endpoint the sandbox serves, and its usual refusals."""
    api = httpx.Client(base_url=org.url, headers={"Authorization": f"SSWS {TOKEN}"})
    owner, member = seed_user("owner").id, seed_user("member").id
    engineering = "00gengineering000000"
    with api:

        def call(method: str, template: str, url: str, **kwargs: Any) -> Call:
            return Call(template, method, api.request(method, url, **kwargs))

        created = call("POST", "/api/v1/apps", "/api/v1/apps?activate=true", json=bookmark("A"))
        yield created
        app = f"/api/v1/apps/{created.response.json()['id']}"
        yield call("POST", "/api/v1/apps", "/api/v1/apps", json=bookmark(""))
        yield call("GET", "/api/v1/apps", "/api/v1/apps?limit=1")
        yield call("GET", "/api/v1/apps", "/api/v1/apps", params={"filter": 'status eq "ACTIVE"'})
        yield call("GET", "/api/v1/apps/{appId}", app)
        yield call("GET", "/api/v1/apps/{appId}", "/api/v1/apps/0oanothere0000000000")
        yield call("PUT", "/api/v1/apps/{appId}", app, json=bookmark("B"))
        yield call("PUT", "/api/v1/apps/{appId}", app, json=bookmark("x" * 101))
        yield call("POST", "/api/v1/apps/{appId}/users", f"{app}/users", json={"id": owner})
        yield call("POST", "/api/v1/apps/{appId}/users", f"{app}/users", json={"id": owner})
        yield call("GET", "/api/v1/apps/{appId}/users", f"{app}/users?limit=500")
        yield call("GET", "/api/v1/apps/{appId}/users/{userId}", f"{app}/users/{owner}")
        yield call("POST", "/api/v1/apps/{appId}/users/{userId}", f"{app}/users/{owner}", json={})
        yield call("DELETE", "/api/v1/apps/{appId}/users/{userId}", f"{app}/users/{owner}")
        yield call("DELETE", "/api/v1/apps/{appId}/users/{userId}", f"{app}/users/{owner}")
        group = f"{app}/groups/{engineering}"
        yield call("PUT", "/api/v1/apps/{appId}/groups/{groupId}", group, json={})
        yield call("GET", "/api/v1/apps/{appId}/groups/{groupId}", group)
        yield call("GET", "/api/v1/apps/{appId}/groups", f"{app}/groups")
        yield call("GET", "/api/v1/apps/{appId}/users", f"{app}/users")  # scope GROUP
        yield call("DELETE", "/api/v1/apps/{appId}/groups/{groupId}", group)
        yield call("DELETE", "/api/v1/apps/{appId}", app)  # still ACTIVE: 403
        lifecycle = "/api/v1/apps/{appId}/lifecycle"
        yield call("POST", f"{lifecycle}/deactivate", f"{app}/lifecycle/deactivate")
        yield call("POST", f"{lifecycle}/activate", f"{app}/lifecycle/activate")
        api.post(f"{app}/lifecycle/deactivate")
        yield call("DELETE", "/api/v1/apps/{appId}", app)

        yield call("GET", "/api/v1/users", "/api/v1/users")
        yield call("GET", "/api/v1/users", "/api/v1/users", params={"search": 'status eq "ACTIVE"'})
        yield call("GET", "/api/v1/users/{id}", f"/api/v1/users/{owner}")
        yield call("GET", "/api/v1/users/{id}", "/api/v1/users/owner@example.com")
        yield call("GET", "/api/v1/users/{id}", "/api/v1/users/nobody@example.com")
        yield call("GET", "/api/v1/users/{id}/groups", f"/api/v1/users/{owner}/groups")

        made = call("POST", "/api/v1/groups", "/api/v1/groups", json={"profile": {"name": "T"}})
        yield made
        team = f"/api/v1/groups/{made.response.json()['id']}"
        yield call("GET", "/api/v1/groups", "/api/v1/groups?q=T")
        yield call("GET", "/api/v1/groups/{groupId}", team)
        yield call("PUT", "/api/v1/groups/{groupId}", team, json={"profile": {"name": "U"}})
        yield call("PUT", "/api/v1/groups/{groupId}/users/{userId}", f"{team}/users/{member}")
        yield call("GET", "/api/v1/groups/{groupId}/users", f"{team}/users")
        yield call("DELETE", "/api/v1/groups/{groupId}/users/{userId}", f"{team}/users/{member}")
        yield call("DELETE", "/api/v1/groups/{groupId}", team)

        control.put("/limits", json={"limits": {"apps": 1}})
        yield call("GET", "/api/v1/apps", "/api/v1/apps")  # the token's share of 1 is 1
        yield call("GET", "/api/v1/apps", "/api/v1/apps")  # 429
        yield Call("/api/v1/apps", "GET", httpx.get(f"{org.url}/api/v1/apps"))  # 401


def test_every_answer_validates_against_okta_s_openapi_description(
    description: Description, org: RunningOrg, control: httpx.Client
) -> None:
    calls = list(_exercise(org, control))
    statuses = {c.response.status_code for c in calls}

    invalid: list[str] = []
    for call in calls:
        schema = description.schema_for(call)
        if schema is None:
            assert call.response.content in (b"", b"{}"), (call.template, call.response.text)
            continue
        try:
            description.validate(call.response.json(), schema)
        except ValidationError as error:
            where = "/".join(str(p) for p in error.absolute_path)
            status = call.response.status_code
            invalid.append(f"{call.method} {call.template} {status}: {where}: {error.message}")
    assert invalid == [], "\n".join(invalid)

    undeclared = {
        (c.method, c.template, c.response.status_code) for c in calls if not description.declared(c)
    }
    # Okta documents 409 E0000062 for a second assignment (DESIGN.md) but the description
    # omits it; 401 is Okta's answer to a bad token on every endpoint.
    assert undeclared <= {
        ("POST", "/api/v1/apps/{appId}/users", 409),
        ("GET", "/api/v1/apps", 401),
    }
    assert statuses >= {200, 204, 400, 401, 403, 404, 409, 429}
