"""`latchkey serve --workers N`: every worker's accepted sockets carry TCP_NODELAY.

The server runs as `latchkey serve` runs it (`latchkey.serve.run`, in processes of its own), with a
probe app in place of the broker: for each request it finds, in its own process, the accepted
socket the request came in on (the one whose peer is the request's client) and answers with
`getsockopt(TCP_NODELAY)` and its pid. No timing is measured.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _nodelay_of_peer(peer: tuple[str, int]) -> int | None:
    for fd in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(int(fd)))
        except OSError:
            continue
        with sock:
            try:
                if sock.type == socket.SOCK_STREAM and sock.getpeername()[:2] == peer:
                    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            except OSError:
                continue
    return None


def probe_app() -> ASGIApp:
    """An ASGI app factory: each answer names this worker and its socket's TCP_NODELAY."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        client = scope["client"]
        body = json.dumps(
            {"pid": os.getpid(), "nodelay": _nodelay_of_peer((client[0], client[1]))}
        ).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def two_workers() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "from latchkey.serve import run; "
        f"run('tests.latchkey.test_serve:probe_app', host='127.0.0.1', port={port}, "
        "workers=2, log_level='warning')"
    )
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)  # noqa: S603
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("latchkey serve --workers 2 did not start")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_every_worker_accepts_sockets_with_tcp_nodelay(two_workers: str) -> None:
    seen: dict[int, set[int | None]] = {}
    deadline = time.monotonic() + 60
    # A fresh connection each time: the kernel hands each to whichever worker accepts first.
    while len(seen) < 2 and time.monotonic() < deadline:
        with httpx.Client() as client:
            answer = client.get(two_workers).json()
        seen.setdefault(answer["pid"], set()).add(answer["nodelay"])
    assert len(seen) == 2, f"only worker(s) {sorted(seen)} answered"
    assert all(options == {1} for options in seen.values()), seen
