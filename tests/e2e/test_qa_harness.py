"""The QA harness as a QA engineer uses it on sites of their own: a broker holding any accounts (one
here, at a site on a port of its own), a member signed in, a launch whose outcome is read by its
launch id, a per-site "before" step for a login behind a button, what the site received (the
probe site), and a deliberately failing journey that leaves its trace, screenshot, HTML and
launch record behind, named in the summary table."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.artifacts import Recorder
from e2e.broker import Login, RunningBroker, serve_accounts, sign_in
from e2e.browser import LoadedExtension
from e2e.launches import click_to_open, launch
from e2e.probe import ProbeLog, create_probe_app
from sandbox.serve import serve

_USERNAME = "qa@example.com"


@dataclass(frozen=True)
class Site:
    url: str
    log: ProbeLog


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    log = ProbeLog()
    with serve(lambda _url: create_probe_app(log)) as url:
        yield Site(url, log)


@pytest.fixture(scope="module")
def qa_broker(
    site: Site, extension: LoadedExtension, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningBroker]:
    # A password made per run: nothing secret lives in the repository.
    password = tmp_path_factory.getbasetemp().name + "-Pw1!"
    logins = {
        "acme": Login("Acme", "Acme", f"{site.url}/probe/login-behind-button", _USERNAME, password),
        "single": Login("Docs", "Docs", f"{site.url}/probe/single", _USERNAME, password),
    }
    with serve_accounts(tmp_path_factory.mktemp("qa-broker"), logins) as running:
        page = extension.context.new_page()
        try:
            sign_in(extension, page, running)
        finally:
            page.close()
        yield running
    # The browser is shared by every module: leave it unconfigured, as the others expect.
    extension.worker.evaluate(
        "Promise.all([chrome.storage.local.remove('brokerUrl'), chrome.storage.session.clear()])"
    )
    extension.context.clear_cookies()


@pytest.fixture
def tab(extension: LoadedExtension, qa_broker: RunningBroker) -> Iterator[Page]:
    page = extension.context.new_page()
    yield page
    page.close()


def test_a_login_behind_a_button_is_filled_after_the_before_step(
    extension: LoadedExtension, tab: Page, qa_broker: RunningBroker, site: Site
) -> None:
    site.log.received.clear()
    record = launch(
        tab, extension, qa_broker.launch_url("acme"), before=click_to_open("#open-login")
    )
    assert (record["outcome"], record["account"]) == ("signed_in", "Acme"), record
    posted = [r for r in site.log.received if r.method == "POST"]
    assert [r.path for r in posted] == ["/done"]
    assert posted[0].form["email"] == [_USERNAME]
    sent = posted[0].form["password"][0]
    assert sent.endswith("-Pw1!")
    assert sent not in json.dumps(record), "the launch record holds no secret"


def _expect_rejected(recorder: Recorder, extension: LoadedExtension, tab: Page, url: str) -> None:
    with recorder.journey("docs login is rejected", extension.context, extension):
        record = launch(tab, extension, url)
        # Deliberately wrong: the login succeeds, the journey says it must be rejected.
        assert record["outcome"] == "rejected", f"expected rejected, got {record['outcome']}"


def test_a_failing_journey_leaves_its_trace_screenshot_html_and_launch_record(
    extension: LoadedExtension, tab: Page, qa_broker: RunningBroker, tmp_path: Path
) -> None:
    recorder = Recorder(tmp_path / "artifacts")
    with pytest.raises(AssertionError, match="expected rejected"):
        _expect_rejected(recorder, extension, tab, qa_broker.launch_url("single"))

    [result] = recorder.results
    assert result.outcome.startswith("failed: expected rejected")
    folder = result.artifacts
    assert folder is not None
    assert folder.parent == tmp_path / "artifacts"
    assert str(folder) in recorder.summary()
    assert "docs login is rejected" in recorder.summary()
    with zipfile.ZipFile(folder / "trace.zip") as trace:
        assert any(name.endswith(".trace") for name in trace.namelist())
    shots = sorted(folder.glob("page-*.png"))
    assert shots
    assert all(shot.stat().st_size > 0 for shot in shots)
    pages = [p.read_text() for p in folder.glob("page-*.html")]
    assert any("Received." in html for html in pages), "the tab's page, where the login ended"
    [launched] = json.loads((folder / "launches.json").read_text())
    assert (launched["account"], launched["outcome"]) == ("Docs", "signed_in")
    assert "expected rejected" in (folder / "error.txt").read_text()

    # A journey that passes keeps nothing.
    with recorder.journey("docs login signs in", extension.context, extension):
        assert launch(tab, extension, qa_broker.launch_url("single"))["outcome"] == "signed_in"
    assert recorder.results[-1].passed
    assert recorder.results[-1].artifacts is None
    assert len(list((tmp_path / "artifacts").iterdir())) == 1
