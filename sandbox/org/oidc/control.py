"""Control endpoints for tests, the demo and QA, under `/_sandbox/oidc`.

- `GET  /_sandbox/oidc/misbehaviour` → `{"mode": …|null, "modes": [...]}`
- `PUT  /_sandbox/oidc/misbehaviour` `{"mode": "wrong_iss", "times": 1}` (`times` omitted: until
  healed) spoils the next ID tokens; `DELETE` heals.
- `POST /_sandbox/oidc/keys/rotate` `{"retire_previous": false}` → `{"kid": new, "kids": [...]}`
- `POST /_sandbox/oidc/sessions` `{"login": "…"}` signs a user in without the form: sets the
  session cookie and returns `{"sessionId", "cookie", "userId"}`; `DELETE` ends every session.
- `GET|PUT /_sandbox/oidc/signin` `{"style": "classic" | "identity_engine"}`: the sign-in page
  as Okta's Classic widget draws it (default) or as Identity Engine's (`signin_ie.py`).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.org.context import OrgContext
from sandbox.org.oidc import signin_ie
from sandbox.org.oidc.id_token import Misbehaviour
from sandbox.org.oidc.provider import provider_of
from sandbox.org.oidc.sessions import SESSION_COOKIE, set_cookie

PREFIX = "/_sandbox/oidc"


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict[str, object]:
    body = await request.body()
    if not body:
        return {}
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def control_routes(ctx: OrgContext) -> list[BaseRoute]:
    provider = provider_of(ctx)

    async def misbehaviour(request: Request) -> Response:
        if request.method == "PUT":
            try:
                data = await _json(request)
                mode = Misbehaviour(str(data.get("mode")))
                times = data.get("times")
                if times is not None and (not isinstance(times, int) or times < 1):
                    raise ValueError("times must be a positive integer")
            except ValueError as exc:
                return _problem(400, f"{exc}; modes: {', '.join(Misbehaviour)}")
            provider.misbehave(mode, times)
        elif request.method == "DELETE":
            provider.misbehave(None)
        current = provider.misbehaviour
        return JSONResponse(
            {"mode": None if current is None else current.value, "modes": list(Misbehaviour)}
        )

    async def rotate(request: Request) -> Response:
        try:
            data = await _json(request)
        except ValueError as exc:
            return _problem(400, str(exc))
        new = provider.keys.rotate(retire_previous=bool(data.get("retire_previous", False)))
        return JSONResponse({"kid": new.kid, "kids": provider.keys.kids})

    async def sessions(request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"ended": provider.sessions.end_all()})
        try:
            data = await _json(request)
        except ValueError as exc:
            return _problem(400, str(exc))
        user = ctx.state.user_by_login(str(data.get("login", "")))
        if user is None or user.status != "ACTIVE":
            return _problem(404, "no ACTIVE user with that login")
        session = provider.sessions.open(user)
        response = JSONResponse(
            {"sessionId": session.id, "cookie": SESSION_COOKIE, "userId": user.id},
            status_code=201,
        )
        set_cookie(response, session, secure=provider.issuer.startswith("https://"))
        return response

    async def signin_style(request: Request) -> Response:
        if request.method == "PUT":
            try:
                signin_ie.set_style(ctx, str((await _json(request)).get("style")))
            except ValueError as exc:
                return _problem(400, str(exc))
        return JSONResponse({"style": signin_ie.style(ctx), "styles": list(signin_ie.STYLES)})

    return [
        Route(f"{PREFIX}/signin", signin_style, methods=["GET", "PUT"]),
        Route(f"{PREFIX}/misbehaviour", misbehaviour, methods=["GET", "PUT", "DELETE"]),
        Route(f"{PREFIX}/keys/rotate", rotate, methods=["POST"]),
        Route(f"{PREFIX}/sessions", sessions, methods=["POST", "DELETE"]),
    ]
