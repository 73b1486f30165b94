"""`latchkey serve --workers N` logs from every process: the requests its worker processes
answer are JSON lines on stderr, as docs/deploy.md promises."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from broker.db import make_engine
from broker.keyring import Keyring, new_master_key, write_keyring
from broker.migrate import upgrade


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_every_server_process_writes_json_request_logs(tmp_path: Path) -> None:
    write_keyring(tmp_path / "master.keys", Keyring([new_master_key()]))
    engine = make_engine(f"sqlite:///{tmp_path / 'latchkey.db'}")
    upgrade(engine)
    engine.dispose()
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LATCHKEY_")}
    environ["LATCHKEY_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-c", "from latchkey.cli import main; main()", "serve"]
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, "--workers", "2", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answered = 0
        deadline = time.monotonic() + 60
        while answered < 10 and time.monotonic() < deadline:
            try:
                # A connection each: the kernel hands them to either worker process.
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).raise_for_status()
                answered += 1
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)

    assert answered == 10
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "latchkey.http"]
    assert len(requests) == answered
    assert {r["path"] for r in requests} == {"/healthz"}
    assert all("color_message" not in line for line in lines)
