"""`latchkey worker` writes its log lines as JSON, one object per line, secrets redacted, like
`latchkey serve`: a log collector reads both the same way (a bare warning on stderr had no level,
no time and no logger)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

import sync.worker
from latchkey.cli import main
from sync.report import Tally
from tests.sync.test_cli import Deployment, deployment  # noqa: F401 (a fixture)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The command reconfigures the root logger: put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_worker_logs_json_lines_with_secrets_redacted(
    deployment: Deployment,  # noqa: F811
    root_logging: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def run(self: sync.worker.Worker, **_: Any) -> Tally:
        # What the worker says when a heartbeat or the database fails mid-round.
        sync.worker.logger.warning(
            "sync heartbeat failed: %s", "server closed the connection", extra={"okta_token": "x"}
        )
        return Tally()

    monkeypatch.setattr(sync.worker.Worker, "run", run)

    result = CliRunner().invoke(main, ["worker", "--once"], env=deployment.env)

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    (line,) = [line for line in lines if line["logger"] == "sync.worker"]
    assert line["level"] == "warning"
    assert line["msg"] == "sync heartbeat failed: server closed the connection"
    assert line["okta_token"] == "[redacted]"
    assert deployment.token not in result.output
