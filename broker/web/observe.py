"""One middleware that times each request, counts it for Prometheus and logs one JSON line.

The handler label is the endpoint's name, not the path, so ids in URLs never multiply series.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.web.metrics import Metrics

log = logging.getLogger("latchkey.http")
REQUEST_ID_STATE = "latchkey_request_id"


def _handler_name(scope: Scope) -> str:
    endpoint: Any = scope.get("endpoint")
    if endpoint is None:
        return "unmatched"
    return str(getattr(endpoint, "__name__", type(endpoint).__name__))


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = secrets.token_hex(8)
        # The 500 page shows it, so a person can quote the log line to an administrator.
        scope.setdefault("state", {})[REQUEST_ID_STATE] = request_id
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            handler = _handler_name(scope)
            self.metrics.requests.labels(scope["method"], handler, str(status)).inc()
            self.metrics.latency.labels(handler).observe(elapsed)
            client = scope.get("client")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    # The peer, or behind a proxy trusted with `--proxy-headers` (and listed in
                    # FORWARDED_ALLOW_IPS) the address it forwarded in X-Forwarded-For.
                    "client": client[0] if client else None,
                    "method": scope["method"],
                    "path": scope["path"],  # never the query string
                    "handler": handler,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
