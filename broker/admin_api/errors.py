"""Refusals of the admin API, one class per wire code, and the JSON shape they all take.

    AdminError                  400 invalid_request        a malformed call (not JSON, bad types)
    ├── InvalidInput            400 invalid_input          a value a rule refuses (with `field`)
    ├── LoginRequired           401 login_required         no signed-in broker session (nor token)
    ├── InvalidToken            401 invalid_token          a Bearer token that is not live
    ├── CsrfRefused             403 invalid_csrf_token     a write without the session's token
    ├── PermissionDenied        403 permission_denied      RBAC says no
    ├── NotFound                404 not_found              unknown, or not visible to the caller
    ├── MethodNotAllowed        405 method_not_allowed
    ├── Conflict                409 conflict               the state forbids it (already extended,
    │                                                      not extended, feature off)
    ├── RequestTooLarge         413 request_too_large
    └── UnsupportedMediaType    415 unsupported_media_type a body that is not application/json

Body: `{"error": <code>, "error_description": <text for people>}` (the shape of RFC 6749 §5.2,
as the extension API answers), plus `field` when one input field is at fault, and `extra` keys
a refusal may add (an import's bad rows).
"""

from __future__ import annotations

from typing import Any, ClassVar

from broker import errors as domain


class AdminError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"

    def __init__(
        self, description: str, *, field: str | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.description = description
        self.field = field
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "error_description": self.description}
        if self.field:
            body["field"] = self.field
        return {**self.extra, **body}


class InvalidInput(AdminError):
    code = "invalid_input"


class LoginRequired(AdminError):
    status = 401
    code = "login_required"


class InvalidToken(AdminError):
    """RFC 6750 §3.1: the bearer token is unknown, revoked or its member inactive."""

    status = 401
    code = "invalid_token"


class CsrfRefused(AdminError):
    status = 403
    code = "invalid_csrf_token"


class PermissionDenied(AdminError):
    status = 403
    code = "permission_denied"


class NotFound(AdminError):
    status = 404
    code = "not_found"


class MethodNotAllowed(AdminError):
    status = 405
    code = "method_not_allowed"


class Conflict(AdminError):
    status = 409
    code = "conflict"


class RequestTooLarge(AdminError):
    status = 413
    code = "request_too_large"


class UnsupportedMediaType(AdminError):
    status = 415
    code = "unsupported_media_type"


_KINDS: list[type[AdminError]] = [AdminError, *AdminError.__subclasses__()]
ERROR_CODES = sorted({kind.code for kind in _KINDS})  # every wire code

_FROM_DOMAIN: dict[type[domain.DomainError], type[AdminError]] = {
    domain.InvalidInput: InvalidInput,
    domain.PermissionDenied: PermissionDenied,
    domain.NotFound: NotFound,
    domain.Conflict: Conflict,
}


def from_domain(exc: domain.DomainError) -> AdminError:
    """The API's error for a refusal of the domain services."""
    kind = next((v for k, v in _FROM_DOMAIN.items() if isinstance(exc, k)), AdminError)
    return kind(exc.message, field=exc.field)
