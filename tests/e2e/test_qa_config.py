"""`python -m e2e.journey --config`: the TOML file QA points at a deployment (docs/qa.md). No
browser is needed; the module sits with the harness it configures."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.journey.config import ConfigError, load

_FILE = """
org_url = "https://acme.okta.com/"
broker_url = "https://latchkey.acme.com"
artifacts = "out"

[people.qa]
login = "qa@acme.com"
password_env = "ACME_QA_PASSWORD"

[[journeys]]
name = "Acme Files"
person = "qa"
chiclet = "Acme Files - Single page"
site_origin = "https://files.acme.com"

[[journeys]]
name = "Payroll"
person = "qa"
chiclet = "Globex Payroll - Two steps"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "qa.toml"
    path.write_text(text)
    return path


def test_a_deployment_file_gives_one_target_per_journey(tmp_path: Path) -> None:
    found = load(_write(tmp_path, _FILE), {"ACME_QA_PASSWORD": "s3cret-Pw"})
    assert (found.org_url, found.broker_url) == (
        "https://acme.okta.com",
        "https://latchkey.acme.com",
    )
    assert found.artifacts == Path("out")
    [(first, files), (second, payroll)] = found.targets
    assert (first, files.label, files.login) == (
        "Acme Files",
        "Acme Files - Single page",
        "qa@acme.com",
    )
    assert files.dashboard_url == "https://acme.okta.com/app/UserHome"
    assert files.site_origin == "https://files.acme.com"
    assert files.password == "s3cret-Pw"
    assert files.secrets == ("s3cret-Pw",), "checked absent from the extension after the login"
    assert "s3cret-Pw" not in repr(files)
    assert (second, payroll.site_origin) == ("Payroll", None)


def test_a_password_missing_from_the_environment_is_named_not_guessed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ACME_QA_PASSWORD is not set"):
        load(_write(tmp_path, _FILE), {})


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (('person = "qa"\nchiclet = "Acme', 'person = "ops"\nchiclet = "Acme'), "no person 'ops'"),
        (('broker_url = "https://latchkey.acme.com"', ""), "`broker_url` must be"),
        (("[[journeys]]", "[[other]]"), "name at least one journey"),
        (("org_url = ", "org_url = = "), "qa.toml"),
    ],
)
def test_a_file_that_does_not_say_enough_is_refused(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    with pytest.raises(ConfigError, match=said):
        load(_write(tmp_path, _FILE.replace(*change)), {"ACME_QA_PASSWORD": "x"})
