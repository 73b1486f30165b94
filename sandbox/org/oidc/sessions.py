"""Okta sessions: what lets a signed-in user pass the authorize endpoint and the dashboard silently.

The cookie holds only a random session id; the session itself lives in the org. Its name is
distinctive because cookies are not isolated by port: the broker (:8400) and the demo sites (:8420)
share the host with the org (:8410), and a plain `sid` would collide.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.responses import Response

from sandbox.org.state import OrgState, OrgUser

SESSION_COOKIE = "okta_sandbox_sid"
SESSION_LIFETIME = 2 * 3600  # Okta's default maximum session lifetime


@dataclass(frozen=True)
class OktaSession:
    id: str
    user_id: str
    auth_time: int  # seconds since the epoch, as the `auth_time` claim wants it (OIDC Core §2)
    expires_at: float


class SessionStore:
    def __init__(self, state: OrgState, clock: Callable[[], float]) -> None:
        self._state = state
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, OktaSession] = {}

    def open(self, user: OrgUser) -> OktaSession:
        now = self._clock()
        session = OktaSession(
            id="102" + secrets.token_urlsafe(24),
            user_id=user.id,
            auth_time=int(now),
            expires_at=now + SESSION_LIFETIME,
        )
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> OktaSession | None:
        """The live session of an ACTIVE user, or None: deactivating a user ends their sessions."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            user = self._state.users.get(session.user_id)
            if session.expires_at <= self._clock() or user is None or user.status != "ACTIVE":
                del self._sessions[session_id]
                return None
            return session

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def end_all(self) -> int:
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
            return count

    def of_request(self, conn: HTTPConnection) -> OktaSession | None:
        return self.get(conn.cookies.get(SESSION_COOKIE))

    def user_of(self, conn: HTTPConnection) -> OrgUser | None:
        session = self.of_request(conn)
        return None if session is None else self._state.users.get(session.user_id)


def set_cookie(response: Response, session: OktaSession, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        max_age=SESSION_LIFETIME,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
