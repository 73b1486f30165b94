"""Why a sign-in with Okta did not complete.

    SignInError                 sign-in stopped; no session was opened
    ├── AuthorizationDenied     the provider answered with `error=` (RFC 6749 §4.1.2.1)
    ├── TransactionInvalid      unknown, used, expired or foreign `state` (RFC 6749 §10.12)
    ├── IssuerMismatch          discovery `issuer` (OIDC Discovery §4.3) or the authorization
    │                           response's `iss` (RFC 9207 §2.4) names another issuer
    ├── IdTokenInvalid          an ID token check of OIDC Core §3.1.3.7 failed
    └── ProviderError           the provider's endpoints failed or answered out of protocol

`reason` is a short, stable word for logs, metrics and the audit trail: never a token or a claim
value.
"""

from __future__ import annotations


class SignInError(Exception):
    status = 400
    reason = "sign_in_failed"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class AuthorizationDenied(SignInError):
    reason = "authorization_denied"

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(description or error)
        # The wire code (`access_denied`, `login_required`, ...) when it looks like one.
        self.error = error if error.replace("_", "").isalpha() and len(error) <= 40 else "error"


class TransactionInvalid(SignInError):
    reason = "bad_state"


class IssuerMismatch(SignInError):
    reason = "issuer_mismatch"


class IdTokenInvalid(SignInError):
    reason = "bad_id_token"


class ProviderError(SignInError):
    status = 502
    reason = "provider_error"
