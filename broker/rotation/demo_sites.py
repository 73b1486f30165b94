"""The driver for the sandbox's demo sites (`sandbox/apps/password_change.py`).

A demo site's login URL is `<origin>/<site>/login` (or its second step, `/<site>/login/password`);
its password endpoint is `POST <origin>/<site>/api/password` with JSON
`{username, current_password, new_password[, otp]}` → 200 `{"status": "changed"}`, or an OAuth-style
`{"error", "error_description"}` body. The driver only serves the origins it is given, so an
account that merely looks like a demo site elsewhere is never sent its password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from broker.rotation.errors import (
    InvalidCode,
    InvalidCredentials,
    PasswordRefused,
    PermanentRotationError,
    RotationError,
    TemporaryRotationError,
)

_LOGIN_PATH = re.compile(r"^/(?P<site>[a-z0-9][a-z0-9-]*)/login(?:/password)?/?$")
TIMEOUT_S = 30.0


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def error_from(response: httpx.Response) -> RotationError:
    """The one place a site's answer becomes an error class."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = str(body.get("error") or "") if isinstance(body, dict) else ""
    description = str(body.get("error_description") or "") if isinstance(body, dict) else ""
    message = f"The site answered {response.status_code} {code}: {description}".strip(" :")
    if response.status_code == 429 or response.status_code >= 500:
        return TemporaryRotationError(message, code=code or f"http_{response.status_code}")
    if code == "invalid_credentials":
        return InvalidCredentials(message)
    if code == "invalid_code":
        return InvalidCode(message)
    if code in ("weak_password", "password_reused"):
        return PasswordRefused(message, code=code)
    return PermanentRotationError(message, code=code or f"http_{response.status_code}")


class DemoSitesDriver:
    def __init__(
        self,
        origins: Iterable[str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._origins = frozenset(_origin(o) for o in origins)
        self._transport = transport

    def handles(self, login_url: str) -> bool:
        return (
            _origin(login_url) in self._origins
            and _LOGIN_PATH.match(urlsplit(login_url).path) is not None
        )

    def endpoint(self, login_url: str) -> str:
        match = _LOGIN_PATH.match(urlsplit(login_url).path)
        if match is None or _origin(login_url) not in self._origins:
            raise PermanentRotationError("Not a demo site login URL.", code="no_driver")
        return f"{_origin(login_url)}/{match['site']}/api/password"

    async def rotate(
        self,
        account_login_url: str,
        username: str,
        current_password: str,
        current_totp_code: str | None,
        new_password: str,
    ) -> None:
        body = {
            "username": username,
            "current_password": current_password,
            "new_password": new_password,
        }
        if current_totp_code is not None:
            body["otp"] = current_totp_code
        url = self.endpoint(account_login_url)
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=TIMEOUT_S) as http:
                response = await http.post(url, json=body, follow_redirects=False)
        except httpx.HTTPError as exc:
            # Whether the site changed the password is unknown: the runner keeps the candidate.
            raise TemporaryRotationError(
                f"The site did not answer: {type(exc).__name__}", code="unreachable"
            ) from None
        if response.status_code != 200:
            raise error_from(response)
