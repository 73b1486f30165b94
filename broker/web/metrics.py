"""Prometheus metrics at `/metrics`: requests, latency, sign-ins and launches.

Each app gets its own registry, so several apps in one process (the tests) never collide. With
several uvicorn workers, set `PROMETHEUS_MULTIPROC_DIR` (docs/deploy.md): the endpoint then
aggregates every worker's values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    signins: Counter
    launches: Counter

    @classmethod
    def new(cls) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            requests=Counter(
                "latchkey_http_requests",
                "HTTP requests by handler and status.",
                ["method", "handler", "status"],
                registry=registry,
            ),
            latency=Histogram(
                "latchkey_http_request_duration_seconds",
                "Time to answer an HTTP request.",
                ["handler"],
                registry=registry,
            ),
            signins=Counter(
                "latchkey_signins",
                "Sign-ins with Okta by outcome.",
                ["outcome"],
                registry=registry,
            ),
            launches=Counter(
                "latchkey_launches",
                "Chiclet launches by outcome.",
                ["outcome"],
                registry=registry,
            ),
        )


def metrics_of(conn: HTTPConnection) -> Metrics:
    metrics = conn.app.state.metrics
    assert isinstance(metrics, Metrics)
    return metrics


async def metrics_endpoint(request: Request) -> Response:
    registry = metrics_of(request).registry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
