"""One-shot flash messages: what the last form post did, shown once on the page it redirects to.

Use it after a POST, on the redirect (POST-redirect-GET)::

    from broker.web import flash

    response = RedirectResponse("/accounts/abc", status_code=303)
    flash.success(request, response, "The account is shared with Ana.")
    return response

    # or in one line:
    return flash.redirect(request, "/accounts/abc", error="This account is already extended.")

Kinds: `flash.success` (done), `flash.error` (refused, a conflict, a stale tab: styled as an
error and read out at once), `flash.info` (nothing went wrong, but nothing happened either, e.g.
"0 accounts queued because …"). Reading needs no code in the page: `templating.page` takes the
message into the template context as `flash` (a `Flash`, or None), the base template draws it
with `components/flash.html` at the top of `<main>`, and the response deletes the cookie. So a
reload, or Back to the page, never shows it again, and no page ever shows an empty message box.

Why a cookie and not the query string: text taken from a URL can be put in the page by anyone who
sends the person a link (`/profile?queued=999`). The cookie `latchkey_flash` is HttpOnly,
SameSite=Lax, lives one minute, and is signed with itsdangerous under a key derived from the
vault's master keys (a secret from configuration, never from the database); it is bound to the
browser's session token, so a message set for one session is ignored in any other. A cookie that
fails any check is dropped without a word: it can only come from tampering or an old session.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response

from broker.context import BrokerContext
from broker.sessions import cookie_token

__all__ = ["COOKIE", "Flash", "error", "info", "redirect", "success", "take"]

COOKIE = "latchkey_flash"
Kind = Literal["success", "error", "info"]
_KINDS: tuple[Kind, ...] = ("success", "error", "info")
# Long enough to follow a redirect on a slow link; short enough that a stale cookie is gone.
_MAX_AGE_S = 60
# A message is a sentence or two; the cookie must stay well under the browser's 4 kB.
_MAX_TEXT = 600
_SALT = "latchkey.flash.v1"


@dataclass(frozen=True)
class Flash:
    """A message for the page: `kind` is "success", "error" or "info"."""

    kind: Kind
    text: str

    @property
    def is_error(self) -> bool:
        return self.kind == "error"


def _serializer(conn: HTTPConnection) -> URLSafeTimedSerializer:
    ctx = conn.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    # One signing key per master key, oldest first: itsdangerous signs with the last and accepts
    # any, so a key rotation does not drop a message in flight.
    keys = [
        hmac.new(ctx.vault.keyring.get(kid).reveal(), _SALT.encode(), hashlib.sha256).digest()
        for kid in ctx.vault.keyring.kids
    ]
    return URLSafeTimedSerializer(keys, salt=_SALT)


def _binding(conn: HTTPConnection) -> str:
    """Which session the message belongs to ("" for a browser without one)."""
    token = cookie_token(conn) or ""
    return hashlib.sha256(f"flash:{token}".encode()).hexdigest()[:32]


def _set(conn: HTTPConnection, response: Response, kind: Kind, text: str) -> None:
    ctx = conn.app.state.ctx
    assert isinstance(ctx, BrokerContext)
    value = _serializer(conn).dumps({"k": kind, "t": text[:_MAX_TEXT], "s": _binding(conn)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
    )


def success(conn: HTTPConnection, response: Response, text: str) -> None:
    """Show `text` as a success on the next page this browser opens."""
    _set(conn, response, "success", text)


def error(conn: HTTPConnection, response: Response, text: str) -> None:
    """Show `text` as an error (refusal, conflict, stale action) on the next page."""
    _set(conn, response, "error", text)


def info(conn: HTTPConnection, response: Response, text: str) -> None:
    """Show `text` as neutral information on the next page."""
    _set(conn, response, "info", text)


def redirect(
    conn: HTTPConnection,
    path: str,
    *,
    success: str | None = None,
    error: str | None = None,
    info: str | None = None,
) -> Response:
    """A 303 to `path` (one of our own paths) carrying exactly one message."""
    given = [(k, t) for k, t in zip(_KINDS, (success, error, info), strict=True) if t is not None]
    if len(given) != 1:
        raise ValueError("flash.redirect takes exactly one of success, error or info")
    if not path.startswith("/") or path.startswith(("//", "/\\")):
        raise ValueError("flash.redirect goes only to the broker's own paths")
    response = RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})
    kind, text = given[0]
    _set(conn, response, kind, text)
    return response


def take(conn: HTTPConnection) -> Flash | None:
    """The message waiting for this request, if its cookie checks out (the caller deletes it)."""
    raw = conn.cookies.get(COOKIE)
    if not raw or len(raw) > 4096:
        return None
    try:
        data = _serializer(conn).loads(raw, max_age=_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    kind, text, binding = data.get("k"), data.get("t"), data.get("s")
    if kind not in _KINDS or not isinstance(text, str) or not text:
        return None
    if not isinstance(binding, str) or not hmac.compare_digest(binding, _binding(conn)):
        return None
    return Flash(kind, text)


def forget(conn: HTTPConnection, response: Response) -> None:
    """Delete the flash cookie (after the page showed it, or when it failed its checks)."""
    if COOKIE in conn.cookies:
        ctx = conn.app.state.ctx
        assert isinstance(ctx, BrokerContext)
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="lax", secure=ctx.settings.secure_cookies
        )
