"""How the runner talks to a site: one `RotationDriver` per kind of app, chosen by login URL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from broker.rotation.errors import NoDriver


class RotationDriver(Protocol):
    """Changes an account's password on its site.

    `rotate` returns once the site has taken `new_password`, and raises a
    `broker.rotation.errors.RotationError` otherwise: `InvalidCredentials` when the site refuses
    `current_password` (the runner then tries the next candidate), a `TemporaryRotationError` when
    trying again later may work. It is async so that a test can drive a site in-process.
    """

    def handles(self, login_url: str) -> bool: ...

    async def rotate(
        self,
        account_login_url: str,
        username: str,
        current_password: str,
        current_totp_code: str | None,
        new_password: str,
    ) -> None: ...


class Drivers:
    """The drivers a runner knows, tried in order."""

    def __init__(self, drivers: Iterable[RotationDriver]) -> None:
        self._drivers = tuple(drivers)

    def for_url(self, login_url: str) -> RotationDriver:
        for driver in self._drivers:
            if driver.handles(login_url):
                return driver
        raise NoDriver("No rotation driver knows this account's login URL.")
