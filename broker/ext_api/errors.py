"""Refusals of the extension API, one class per wire code, and the one JSON shape they take.

    ApiError                    400 invalid_request        a malformed call
    ├── InvalidOrigin           403 invalid_origin         not an allow-listed extension origin
    ├── UnsupportedMediaType    415 unsupported_media_type not `application/json`
    ├── RequestTooLarge         413 request_too_large      body over the bound
    ├── LoginRequired           401 login_required         no signed-in broker session (register)
    ├── InvalidToken            401 invalid_token          credential unknown, revoked, expired
    │   │                                                  or its member deactivated (RFC 6750 §3.1)
    │   └── InvalidProof        401 invalid_proof          a proof check fails (RFC 9449 §4.3)
    ├── InvalidKey              400 invalid_key            not an ES256 public JWK on P-256
    ├── InvalidGrant            400 invalid_grant          unknown, tampered, expired, used, foreign
    ├── InvalidTicket           400 invalid_ticket         unknown, expired or another credential's
    ├── AccessDenied            403 access_denied          RBAC says no (the authoritative recheck)
    ├── NotFound                404 not_found
    └── MethodNotAllowed        405 method_not_allowed

Body: `{"error": <code>, "error_description": <text for people>}` (the shape of RFC 6749 §5.2).
An error may carry an `AuditNote` (`broker.audit.Note`): the event is written after the refused
work, which wrote nothing (`broker.ext_api.endpoints`), so a refusal leaves nothing behind but its
audit event.
"""

from __future__ import annotations

from typing import ClassVar

from broker.audit import Note as AuditNote


class ApiError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"

    def __init__(self, description: str, *, audit: AuditNote | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.audit = audit

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}

    def without_audit(self) -> ApiError:
        """This refusal once its audit event is recorded (so the adapter does not record it
        again)."""
        self.audit = None
        return self

    def headers(self) -> dict[str, str]:
        return {}


class InvalidOrigin(ApiError):
    status, code = 403, "invalid_origin"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class RequestTooLarge(ApiError):
    status, code = 413, "request_too_large"


class LoginRequired(ApiError):
    status, code = 401, "login_required"


class InvalidToken(ApiError):
    status, code = 401, "invalid_token"

    def headers(self) -> dict[str, str]:
        # RFC 9449 §7.1: a DPoP-bound resource says which scheme and algorithms it wants.
        return {"WWW-Authenticate": f'DPoP error="{self.code}", algs="ES256"'}


class InvalidProof(InvalidToken):
    code = "invalid_proof"


class InvalidKey(ApiError):
    code = "invalid_key"


class InvalidGrant(ApiError):
    code = "invalid_grant"


class InvalidTicket(ApiError):
    code = "invalid_ticket"


class AccessDenied(ApiError):
    status, code = 403, "access_denied"

    def __init__(self, description: str, *, reason: str, audit: AuditNote | None = None) -> None:
        super().__init__(description, audit=audit)
        self.reason = reason

    def body(self) -> dict[str, str]:
        return {**super().body(), "reason": self.reason}


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"
