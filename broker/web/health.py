"""`/healthz`: the process answers. `/readyz`: and its database does too.

`/healthz` names the service, so the extension's Options can tell a Latchkey broker from any other
server before saving its URL.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from broker.context import BrokerContext

log = logging.getLogger("latchkey.health")
_NO_STORE = {"Cache-Control": "no-store"}
HEALTHZ = {"status": "ok", "service": "latchkey"}


def _database_answers(ctx: BrokerContext) -> bool:
    try:
        with ctx.sessions() as db:
            db.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.warning("database unreachable", extra={"error_type": type(exc).__name__})
        return False


def routes(ctx: BrokerContext) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        return JSONResponse(HEALTHZ, headers=_NO_STORE)

    async def readyz(request: Request) -> Response:
        if await run_in_threadpool(_database_answers, ctx):
            return JSONResponse({"status": "ready", "database": "ok"}, headers=_NO_STORE)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"}, 503, headers=_NO_STORE
        )

    return [Route("/healthz", healthz), Route("/readyz", readyz)]
