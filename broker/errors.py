"""Errors raised by the broker's domain services.

    DomainError                 a request the domain refuses; nothing was written
    ├── NotFound                an id that names nothing (in this workspace)
    ├── Conflict                a duplicate where names must be unique, a share that exists
    ├── InvalidInput            a value that breaks a rule (bad URL, share cycle, ...)
    └── PermissionDenied        the RBAC module says no

Each carries a stable `code` that the web layer maps to its protocol's error format.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidInput(DomainError):
    code = "invalid_input"


class PermissionDenied(DomainError):
    code = "permission_denied"
