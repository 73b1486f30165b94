"""Serve an ASGI app over real HTTP on loopback, in a background thread.

Clients that need a real server (Okta's SDK on aiohttp, the browser, the benchmarks) get one with
`serve(make_app)`: the port is bound first, so the app can be built knowing its own URL (the org's
issuer is its URL). uvicorn's own `Date` header is turned off: the org stamps `Date` from its
clock, which may run faster than the wall clock, and a second `Date` would contradict it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from sandbox import seed
from sandbox.org.app import create_org_app
from sandbox.org.context import OrgContext

_START_TIMEOUT = 10.0


@contextmanager
def serve(
    make_app: Callable[[str], ASGIApp], *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Run `make_app(base_url)` on `host:port` (0: a free port) until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it every answer with a body waits ~40 ms for
    # Nagle's algorithm and the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        make_app(base_url),
        log_level="warning",
        lifespan="auto",
        ws="none",
        http="h11",
        date_header=False,
        server_header=False,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"serve {base_url}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server at {base_url} did not start")
            time.sleep(0.01)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT)
        sock.close()


@dataclass(frozen=True)
class RunningOrg:
    url: str
    ctx: OrgContext


@contextmanager
def serve_org(
    *,
    api_token: str,
    host: str = "127.0.0.1",
    port: int = 0,
    seeded: bool = True,
    control_plane: bool = True,
) -> Iterator[RunningOrg]:
    """A sandbox org on loopback, seeded with `sandbox.seed` unless told otherwise."""
    contexts: list[OrgContext] = []

    def make_app(base_url: str) -> ASGIApp:
        ctx = OrgContext(base_url=base_url, api_token=api_token)
        if seeded:
            ctx.seed = seed.apply
            seed.apply(ctx.state)
        contexts.append(ctx)
        return create_org_app(ctx, control_plane=control_plane)

    with serve(make_app, host=host, port=port) as url:
        yield RunningOrg(url, contexts[0])
