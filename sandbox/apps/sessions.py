"""Server-side sessions of the demo sites, one cookie per site.

A session starts on the first page a browser sees (it carries the CSRF token of the forms) and
moves through the steps of a login: identified (identifier-first sites, after Next), password
accepted (sites with a code step), signed in. A step waiting for the next one expires, as on real
sites, so a half-finished login cannot be resumed later.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from enum import Enum

from starlette.requests import Request
from starlette.responses import Response

from sandbox.apps.sites import Site

PENDING_STEP_SECONDS = 300.0  # how long an identified or password-accepted step waits
MAX_CODE_ATTEMPTS = 5


class Stage(Enum):
    ANONYMOUS = "anonymous"
    IDENTIFIED = "identified"  # username given, password not yet
    PASSWORD_ACCEPTED = "password_accepted"  # waiting for the verification code
    SIGNED_IN = "signed_in"


@dataclass
class Session:
    token: str
    site: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    stage: Stage = Stage.ANONYMOUS
    username: str | None = None  # as typed while pending; as stored once signed in
    stage_since: float = 0.0
    code_attempts: int = 0

    def advance(self, stage: Stage, username: str, at: float) -> None:
        self.stage = stage
        self.username = username
        self.stage_since = at
        self.code_attempts = 0

    def reset(self) -> None:
        self.stage = Stage.ANONYMOUS
        self.username = None
        self.code_attempts = 0

    def pending(self, stage: Stage, at: float) -> bool:
        """True when the session waits at `stage` and the wait has not expired."""
        return self.stage is stage and at - self.stage_since <= PENDING_STEP_SECONDS

    @property
    def signed_in_user(self) -> str | None:
        return self.username if self.stage is Stage.SIGNED_IN else None


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def find(self, request: Request, site: Site) -> Session | None:
        token = request.cookies.get(site.cookie)
        if token is None:
            return None
        with self._lock:
            session = self._sessions.get(token)
        # A token is worth nothing on another site, even if a cookie were copied across.
        return session if session is not None and session.site == site.key else None

    def ensure(self, request: Request, site: Site) -> Session:
        session = self.find(request, site)
        if session is None:
            session = Session(token=secrets.token_urlsafe(32), site=site.key)
            with self._lock:
                self._sessions[session.token] = session
        return session

    def renew(self, session: Session) -> Session:
        """A new token for the same state: done on sign-in, against session fixation."""
        fresh = Session(
            token=secrets.token_urlsafe(32),
            site=session.site,
            stage=session.stage,
            username=session.username,
            stage_since=session.stage_since,
        )
        with self._lock:
            self._sessions.pop(session.token, None)
            self._sessions[fresh.token] = fresh
        return fresh

    def end_user(self, site: str, username: str, *, keep: Session | None = None) -> None:
        """Sign out the user's sessions on one site (but `keep`): done after a new password."""
        name = username.casefold()
        with self._lock:
            for token, other in list(self._sessions.items()):
                if (
                    other is not keep
                    and other.site == site
                    and other.username is not None
                    and other.username.casefold() == name
                ):
                    del self._sessions[token]


def attach(response: Response, site: Site, session: Session) -> Response:
    response.set_cookie(site.cookie, session.token, path=site.prefix, httponly=True, samesite="lax")
    return response
