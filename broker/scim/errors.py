"""SCIM errors (RFC 7644 §3.12): each class carries its HTTP status and `scimType`.

    ScimError                       an error body with `status` and maybe `scimType`
    ├── InvalidFilter      400      invalidFilter: a filter we cannot read or do not support
    ├── InvalidSyntax      400      invalidSyntax: not JSON, or not the message the endpoint takes
    ├── InvalidValue       400      invalidValue: a value that breaks a rule, bad paging
    ├── InvalidPath        400      invalidPath: a PATCH path naming nothing
    ├── Mutability         400      mutability: an attempt to change a read-only attribute
    ├── NoTarget           400      noTarget: a PATCH path whose filter matches nothing
    ├── Unauthorized       401      no bearer token, or the wrong one
    ├── NotFound           404      an id naming nothing in this workspace
    ├── MethodNotAllowed   405      DELETE of a user: Okta deactivates users, never deletes them
    ├── Uniqueness         409      uniqueness: a duplicate userName, externalId or displayName
    ├── PayloadTooLarge    413      a body over the cap
    └── UnsupportedMedia   415      a body that is neither application/scim+json nor JSON

`from_domain` and `from_scim2` turn the domain's and scim2-models' errors into these, so every
refusal leaves the endpoint in the same shape.
"""

from __future__ import annotations

from typing import Any

import pydantic
from scim2_models import Error, SCIMException

from broker import errors as domain


class ScimError(Exception):
    status = 400
    scim_type: str | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, Any]:
        """RFC 7644 §3.12: `status` is a string in the JSON body."""
        error = Error(status=self.status, scim_type=self.scim_type, detail=self.detail)
        dumped: dict[str, Any] = error.model_dump()
        return dumped


class InvalidFilter(ScimError):
    scim_type = "invalidFilter"


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidPath(ScimError):
    scim_type = "invalidPath"


class Mutability(ScimError):
    scim_type = "mutability"


class NoTarget(ScimError):
    scim_type = "noTarget"


class Unauthorized(ScimError):
    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="scim"'}  # RFC 6750 §3


class NotFound(ScimError):
    status = 404


class MethodNotAllowed(ScimError):
    status = 405

    def __init__(self, detail: str, *, allow: tuple[str, ...]) -> None:
        super().__init__(detail)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allow)}  # RFC 9110 §15.5.6


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMedia(ScimError):
    status = 415


_BY_SCIM_TYPE: dict[str, type[ScimError]] = {
    cls.scim_type: cls
    for cls in (InvalidFilter, InvalidSyntax, InvalidValue, InvalidPath, Mutability, NoTarget)
    if cls.scim_type
}


def from_domain(exc: domain.DomainError) -> ScimError:
    """A domain refusal as SCIM says it: a duplicate is `uniqueness`, a bad value `invalidValue`."""
    if isinstance(exc, domain.Conflict):
        return Uniqueness(exc.message)
    if isinstance(exc, domain.NotFound):
        return NotFound(exc.message)
    return InvalidValue(exc.message)


def from_scim2(exc: SCIMException | pydantic.ValidationError) -> ScimError:
    """scim2-models reports the scimType in its exceptions and in its validation errors' ctx."""
    if isinstance(exc, SCIMException):
        scim_type, detail = exc.scim_type, exc.detail
    else:
        errors = exc.errors(include_url=False)
        if not errors:
            return InvalidValue(str(exc))
        first = errors[0]
        scim_type = str((first.get("ctx") or {}).get("scim_type") or "invalidValue")
        where = ".".join(str(part) for part in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
    return _BY_SCIM_TYPE.get(scim_type, InvalidValue)(detail)
