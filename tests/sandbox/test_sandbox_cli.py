"""`latchkey sandbox` serves the org and the demo sites and says how to reach them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from sandbox.seed import BROKER_CLIENT, SEED_USERS


@pytest.fixture
def sandbox_output() -> Iterator[list[str]]:
    env = {**os.environ, "LATCHKEY_SANDBOX_API_TOKEN": "00cli-token", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from sandbox.cli import sandbox; sandbox()"]
    process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        [*command, "--org-port", "0", "--apps-port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:
            lines.append(line.rstrip())
            if line.startswith("Press Ctrl-C"):
                break
        yield lines
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def test_the_command_prints_the_org_the_client_and_the_users_and_serves_them(
    sandbox_output: list[str],
) -> None:
    text = "\n".join(sandbox_output)
    org_url = sandbox_output[0].split()[-1]
    apps_url = next(line for line in sandbox_output if line.startswith("Demo login")).split()[-1]

    assert BROKER_CLIENT.client_id in text
    assert BROKER_CLIENT.redirect_uris[0] in text
    assert all(f"{u.login}" in text and u.password in text for u in SEED_USERS)
    apps = httpx.get(f"{org_url}/api/v1/apps", headers={"Authorization": "SSWS 00cli-token"})
    assert apps.status_code == 200
    assert httpx.get(apps_url).status_code < 500
