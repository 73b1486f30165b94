from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from sandbox.apps import SiteSeed, create_apps_app, demo_seed
from sandbox.apps.totp import decode_secret, totp
from tests.sandbox.apps.demo_browser import Browser


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def code(self, entry: SiteSeed, offset_steps: int = 0) -> str:
        """The code an authenticator shows `offset_steps` steps of 30 s away from now."""
        assert entry.totp_secret is not None
        return totp(decode_secret(entry.totp_secret), self.now + 30 * offset_steps)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_750_000_015.0)


@pytest.fixture
def seed() -> tuple[SiteSeed, ...]:
    return demo_seed()


@pytest.fixture
def seeds(seed: tuple[SiteSeed, ...]) -> dict[str, SiteSeed]:
    return {entry.site: entry for entry in seed}


@pytest.fixture
def app(seed: tuple[SiteSeed, ...], clock: FakeClock) -> Starlette:
    return create_apps_app(seed, clock=clock)


@pytest.fixture
async def browser(app: Starlette) -> AsyncIterator[Browser]:
    async with Browser(app) as b:
        yield b
