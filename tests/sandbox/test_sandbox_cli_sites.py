"""`latchkey sandbox --sites-file` serves the demo sites with the accounts the demo sealed."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from sandbox.apps.seed import demo_seed
from sandbox.cli import load_sites_file


def test_sites_file_round_trips_the_demo_accounts(tmp_path: Path) -> None:
    seeds = demo_seed()
    path = tmp_path / "demo-sites.json"
    path.write_text(
        json.dumps(
            [
                {
                    "site": s.site,
                    "username": s.username,
                    "password": s.password,
                    "totp_secret": s.totp_secret,
                }
                for s in seeds
            ]
        )
    )
    assert load_sites_file(path) == seeds


def test_absent_sites_file_means_fresh_accounts(tmp_path: Path) -> None:
    assert load_sites_file(tmp_path / "missing.json") is None


@pytest.mark.parametrize("content", ["not json", '[{"site": "single"}]', '[{"site": "nope"}]'])
def test_broken_sites_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "demo-sites.json"
    path.write_text(content)
    with pytest.raises(click.ClickException, match="not a demo sites file"):
        load_sites_file(path)
