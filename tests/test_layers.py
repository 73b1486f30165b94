"""The layering contracts (`[tool.importlinter]` in pyproject.toml) hold, and break on a violation.

Each case copies the packages into a temporary directory, adds one forbidden import and runs
`lint-imports` there, the way `make lint` runs it: a contract that could not fail would pass here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("latchkey", "broker", "sync", "sandbox", "e2e")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(checkout: Path) -> subprocess.CompletedProcess[str]:
    # The copy first on the import path, so it (not the installed checkout) is what is analysed.
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    return subprocess.run(  # noqa: S603 - our own venv's executable, fixed arguments
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_packages_keep_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a service reaching up into the web pages
        (
            "broker/services/teams.py",
            "from broker.web import forms",
            "broker.services is not allowed",
        ),
        # a use case reaching into an adapter
        (
            "broker/actions/settings.py",
            "from broker.scim import wire",
            "broker.actions is not allowed",
        ),
        # one adapter leaning on another
        (
            "broker/admin_api/wire.py",
            "from broker.web import forms",
            "broker.admin_api is not allowed",
        ),
        # the broker importing what stands above it
        ("broker/rbac.py", "import sync.plan", "broker.rbac -> sync.plan"),
        # the outside world importing us
        ("sandbox/org/limits.py", "import broker.models", "sandbox.org.limits -> broker.models"),
    ],
)
def test_a_forbidden_import_fails_the_lint(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    checkout = _copy(tmp_path)
    target = checkout / module
    source = target.read_text()
    # After the module docstring and `from __future__`, which must stay first.
    marker = "from __future__ import annotations\n"
    assert marker in source
    target.write_text(source.replace(marker, f"{marker}\n{line}  # noqa\n", 1))

    result = _lint(checkout)

    assert result.returncode != 0
    assert broken in result.stdout, result.stdout
