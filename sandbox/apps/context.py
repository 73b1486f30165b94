"""What every part of the demo sites app shares: its sites, accounts, sessions and clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.apps.accounts import AccountBook
from sandbox.apps.sessions import SessionStore
from sandbox.apps.sites import SITES, Site


@dataclass
class AppsContext:
    book: AccountBook
    sites: tuple[Site, ...] = SITES
    sessions: SessionStore = field(default_factory=SessionStore)
    clock: Callable[[], float] = time.time  # injectable, so tests can move TOTP time steps
