"""The demo workspace shows every way access is granted or refused, as its docstring promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from broker import rbac
from broker.models import Member
from broker.rbac import Denial, MemberFacts
from broker.seed import DemoLogin, seed_demo
from broker.vault import Vault
from latchkey.cli import main


def _logins() -> list[DemoLogin]:
    return [
        DemoLogin("Single", "One page", "http://127.0.0.1:8420/single/login", "a", "pw-1"),
        DemoLogin("Steps", "Two steps", "http://127.0.0.1:8420/stepwise/login", "b", "pw-2"),
        DemoLogin(
            "Code", "Code", "http://127.0.0.1:8420/totp/login", "c", "pw-3", "JBSWY3DPEHPK3PXP"
        ),
    ]


def test_demo_members_reach_accounts_by_the_paths_they_stand_for(
    session: Session, vault: Vault
) -> None:
    demo = seed_demo(session, vault, _logins())
    single, steps, code = demo.account_ids

    def decision(email: str, account_id: str) -> tuple[bool, Denial | None]:
        member = session.get(Member, demo.member_ids[email])
        assert member is not None
        d = rbac.decide_launch(session, MemberFacts.of(member), demo.workspace_id, account_id)
        return d.allowed, d.denial

    assert decision("owner@example.com", code) == (True, None)
    assert decision("collaborator@example.com", single) == (True, None)  # through a team only
    assert decision("collaborator@example.com", code) == (False, Denial.NO_ACCESS)
    assert decision("member@example.com", code) == (True, None)  # nested collection only
    assert decision("loginonly@example.com", steps) == (False, Denial.LOGIN_ONLY)
    assert decision("outsider@example.com", single) == (False, Denial.NO_ACCESS)
    assert decision("former@example.com", steps) == (False, Denial.DEACTIVATED)
    local = session.get(Member, demo.member_ids["local@example.com"])
    assert local is not None
    assert local.external_id is None


def test_seeding_twice_replaces_the_demo_workspace(session: Session, vault: Vault) -> None:
    first = seed_demo(session, vault, _logins())
    second = seed_demo(session, vault, _logins())
    assert first.workspace_id != second.workspace_id
    assert session.get(Member, first.member_ids["owner@example.com"]) is None


def test_latchkey_demo_sets_up_and_shows_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    for name in ("LATCHKEY_DATABASE_URL", "LATCHKEY_MASTER_KEYS", "LATCHKEY_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)

    demo = ["demo", "--no-browser", "--broker-port", "0", "--org-port", "0", "--sites-port", "0"]
    result = CliRunner().invoke(main, demo)

    assert result.exit_code == 0, result.output
    assert "Generated a master keyring" in result.output
    assert (tmp_path / "master.keys").stat().st_mode & 0o077 == 0
    assert "collaborator@example.com" in result.output
    assert "✗ deactivated" in result.output
    assert "Verification code for" in result.output
    assert "Okta provisioned 6 people over SCIM" in result.output
    assert "sync: 5 Bookmark apps created, 7 assignments added" in result.output
    assert "org dashboard:" not in result.output  # --no-browser: the e2e test covers the browser
    sites = json.loads((tmp_path / "demo-sites.json").read_text())
    assert (tmp_path / "demo-sites.json").stat().st_mode & 0o077 == 0
    for site in sites:  # the vault's passwords are never printed
        assert site["password"] not in result.output
    again = CliRunner().invoke(main, demo)
    assert again.exit_code == 0, again.output
    assert "Generated a master keyring" not in again.output


def test_latchkey_demo_without_chromium_says_what_to_install_and_stops_after_the_tour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LATCHKEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LATCHKEY_CHROMIUM", str(tmp_path / "no-chromium-here"))
    for name in ("LATCHKEY_DATABASE_URL", "LATCHKEY_MASTER_KEYS", "LATCHKEY_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(main, ["demo", "--broker-port", "0", "--org-port", "0"])

    assert result.exit_code == 0, result.output
    assert "Verification code for" in result.output  # the tour ran
    assert "Chromium is not installed" in result.output
    assert "scripts/ensure-chromium" in result.output
    assert "sandbox Okta org:" not in result.output  # nothing was started
