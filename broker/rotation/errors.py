"""What a rotation driver raises; each class says whether trying again can help.

    RotationError                   `code` names the cause (the site's own error code if any)
    ├── TemporaryRotationError      retry later with backoff (network, timeout, 429, 5xx)
    └── PermanentRotationError      retrying the same request cannot help
        ├── InvalidCredentials      the site refused the current password (try another candidate)
        ├── InvalidCode             the site refused the verification code
        ├── PasswordRefused         the site refused the new password (weak, reused)
        ├── NoDriver                no driver knows this account's login URL
        └── NothingToRotate         the account is gone or has no password

A timeout is temporary *and in doubt*: the site may have changed the password before the answer
was lost. The runner never forgets a password it sent, so that case needs no special handling.
"""

from __future__ import annotations


class RotationError(Exception):
    code = "rotation_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class TemporaryRotationError(RotationError):
    code = "temporary"


class PermanentRotationError(RotationError):
    code = "permanent"


class InvalidCredentials(PermanentRotationError):
    code = "invalid_credentials"


class InvalidCode(PermanentRotationError):
    code = "invalid_code"


class PasswordRefused(PermanentRotationError):
    code = "password_refused"


class NoDriver(PermanentRotationError):
    code = "no_driver"


class NothingToRotate(PermanentRotationError):
    code = "nothing_to_rotate"
