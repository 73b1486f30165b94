"""What the server supports (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas.

/Schemas is honest: it lists only the attributes the server keeps (`users`, `groups`), not the
whole core schemas of RFC 7643 §4, whose other attributes a request is refused for.
"""

from __future__ import annotations

from typing import Any

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Group,
    Meta,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
    User,
)

from broker.scim.query import MAX_PAGE

_RESOURCES: dict[str, Any] = {"User": User, "Group": Group}
# Attribute -> the sub-attributes kept (empty: a simple attribute), per resource.
_KEPT: dict[str, dict[str, frozenset[str]]] = {
    "User": {
        "userName": frozenset(),
        "name": frozenset({"formatted", "givenName", "familyName"}),
        "displayName": frozenset(),
        "locale": frozenset(),
        "active": frozenset(),
        # Okta's placeholder on create: write-only and never returned; members sign in through
        # Okta, so it is discarded (DESIGN.md "Okta facts").
        "password": frozenset(),
        "emails": frozenset({"value", "type", "primary"}),  # the userName, as the work address
    },
    "Group": {
        "displayName": frozenset(),
        "members": frozenset({"value", "display", "$ref", "type"}),
    },
}


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return dumped


def service_provider_config(base_url: str) -> dict[str, Any]:
    """RFC 7643 §5: PATCH and filtering yes; bulk, sort, ETags and password changes no."""
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_PAGE),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="OAuth Bearer Token",
                description="Authentication with the bearer token set in the broker.",
                primary=True,
            )
        ],
        meta=Meta(
            resource_type="ServiceProviderConfig",
            location=f"{base_url}/ServiceProviderConfig",
        ),
    )
    return _dump(config)


def resource_types(base_url: str) -> dict[str, dict[str, Any]]:
    """RFC 7643 §6, keyed by id."""
    found: dict[str, dict[str, Any]] = {}
    for name, model in _RESOURCES.items():
        resource_type = ResourceType.from_resource(model)
        resource_type.meta = Meta(
            resource_type="ResourceType", location=f"{base_url}/ResourceTypes/{name}"
        )
        found[name] = _dump(resource_type)
    return found


def schemas(base_url: str) -> dict[str, dict[str, Any]]:
    """RFC 7643 §7, keyed by schema URN."""
    found: dict[str, dict[str, Any]] = {}
    for name, model in _RESOURCES.items():
        schema = model.to_schema()
        kept = _KEPT[name]
        schema.attributes = [a for a in schema.attributes or () if a.name in kept]
        for attribute in schema.attributes:
            if attribute.sub_attributes:
                parts = kept[str(attribute.name)]
                attribute.sub_attributes = [s for s in attribute.sub_attributes if s.name in parts]
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        found[str(schema.id)] = _dump(schema)
    return found
