"""`python -m e2e.journey`: one chiclet login against a deployment of your choice (docs/qa.md).

Everything comes from the environment (or the matching option), the password only from the
environment so that it stays out of shell history and process lists:

    LATCHKEY_QA_ORG_URL       the Okta org, e.g. https://acme.okta.com (its /app/UserHome)
    LATCHKEY_QA_BROKER_URL    the broker, e.g. https://latchkey.acme.com
    LATCHKEY_QA_LOGIN         the Okta user who signs in
    LATCHKEY_QA_PASSWORD      their Okta password
    LATCHKEY_QA_CHICLET       the chiclet's label, "<account> - <app>"
    LATCHKEY_QA_SITE_ORIGIN   optional: the login site's origin, to report the fields it received
    LATCHKEY_CHROMIUM         the Chromium binary (default /usr/bin/chromium)

Without any of them, the sandbox stack is brought up on free ports and its owner clicks the
code-step chiclet, as `latchkey demo` does.

Two more ways, each ending with the table of journeys (journey, outcome, time, artifacts) and
exit status 1 when one failed, its trace, screenshots, HTML and launch record kept:

    --config qa.toml       every journey of a TOML file against a deployment (e2e.journey.config)
    --journeys a,b | all   journeys of e2e.journey.journeys on the sandbox stack (free ports)
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import click
from playwright.sync_api import sync_playwright

from e2e.artifacts import Recorder
from e2e.browser import LoadedExtension, chromium_executable, launch_with_extension
from e2e.journey.config import ConfigError
from e2e.journey.config import load as load_config
from e2e.journey.journeys import journeys, run_journeys
from e2e.journey.run import LoginResult, Target, chiclet_login, run_in_chromium, stack_target
from e2e.journey.stack import JourneyError, StackConfig, serve_stack
from e2e.journey.user import StepFailed, sign_out_everywhere


def _say(line: str) -> None:
    click.echo(f"  → {line}")


def _recorder(artifacts: Path) -> Recorder:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Recorder(artifacts.resolve() / stamp)


def _report(recorder: Recorder) -> None:
    click.echo(recorder.summary())
    if any(not r.passed for r in recorder.results):
        sys.exit(1)


def _new_person(extension: LoadedExtension) -> None:
    """Nobody signed in (extension, Okta, broker, sites): the next journey's person starts clean."""
    page = extension.context.new_page()
    try:
        sign_out_everywhere(extension, page)
    finally:
        page.close()


def _deployment(config: Path, artifacts: Path | None, executable: str) -> None:
    try:
        deployment = load_config(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    recorder = _recorder(artifacts or deployment.artifacts)
    with (
        tempfile.TemporaryDirectory(prefix="latchkey-chromium-") as profile,
        sync_playwright() as playwright,
        launch_with_extension(playwright, Path(profile), executable=executable) as extension,
    ):
        for n, (name, target) in enumerate(deployment.targets, start=1):
            shot = recorder.root / "screenshots" / f"{n}.png"
            _new_person(extension)
            with (
                contextlib.suppress(Exception),
                recorder.journey(name, extension.context, extension),
            ):
                chiclet_login(target, extension, screenshot=shot, say=_say)
            click.echo(f"{name}: {recorder.results[-1].outcome}")
    _report(recorder)


def _sandbox_journeys(names: str, artifacts: Path | None, executable: str) -> None:
    with tempfile.TemporaryDirectory(prefix="latchkey-journey-") as data:
        config = StackConfig(Path(data), broker_port=0, org_port=0, sites_port=0)
        with serve_stack(config, say=_say) as stack:
            known = journeys(list(stack.accounts))
            by_name = {j.name: j for j in known}
            wanted = [n.strip() for n in names.split(",") if n.strip()]
            unknown = [n for n in wanted if n != "all" and n not in by_name]
            if unknown:
                raise click.ClickException(
                    f"no journey {', '.join(unknown)}; known: {', '.join(by_name)}"
                )
            selected = known if "all" in wanted else [by_name[n] for n in wanted]
            recorder = _recorder(artifacts or Path("qa-artifacts"))
            with (
                tempfile.TemporaryDirectory(prefix="latchkey-chromium-") as profile,
                sync_playwright() as playwright,
                launch_with_extension(playwright, Path(profile), executable=executable) as ext,
            ):
                run_journeys(stack, ext, selected, recorder, _say)
    _report(recorder)


def _run(target: Target, executable: str, screenshot: Path) -> LoginResult:
    with tempfile.TemporaryDirectory(prefix="latchkey-chromium-") as profile:
        return run_in_chromium(
            target,
            executable=executable,
            profile_dir=Path(profile),
            screenshot=screenshot,
            say=_say,
        )


@click.command()
@click.option("--org-url", envvar="LATCHKEY_QA_ORG_URL")
@click.option("--broker-url", envvar="LATCHKEY_QA_BROKER_URL")
@click.option("--login", envvar="LATCHKEY_QA_LOGIN")
@click.option("--chiclet", envvar="LATCHKEY_QA_CHICLET", help='The label, "<account> - <app>".')
@click.option("--site-origin", envvar="LATCHKEY_QA_SITE_ORIGIN")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file: the deployment, the people and the journeys (docs/qa.md).",
)
@click.option("--journeys", "journey_names", help='Sandbox journeys to run: "a,b" or "all".')
@click.option(
    "--artifacts",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where failed journeys leave their files (default ./qa-artifacts/<time>).",
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("journey.png"),
    show_default=True,
)
def main(
    org_url: str | None,
    broker_url: str | None,
    login: str | None,
    chiclet: str | None,
    site_origin: str | None,
    config: Path | None,
    journey_names: str | None,
    artifacts: Path | None,
    screenshot: Path,
) -> None:
    """Sign in to the Okta dashboard, click a chiclet, and follow it to the site's success page."""
    executable = chromium_executable()
    if executable is None:
        raise click.ClickException("Chromium is missing: run scripts/ensure-chromium.")
    if config is not None:
        _deployment(config, artifacts, executable)
        return
    if journey_names:
        _sandbox_journeys(journey_names, artifacts, executable)
        return
    given = {"org URL": org_url, "broker URL": broker_url, "login": login, "chiclet": chiclet}
    password = os.environ.get("LATCHKEY_QA_PASSWORD")
    try:
        if not any(given.values()):
            from sandbox.seed import seed_user

            with tempfile.TemporaryDirectory(prefix="latchkey-journey-") as data:
                stack_config = StackConfig(Path(data), broker_port=0, org_port=0, sites_port=0)
                with serve_stack(stack_config, say=_say) as stack:
                    owner = seed_user("owner")
                    target = stack_target(stack, owner.login, owner.password, "totp")
                    result = _run(target, executable, screenshot)
        else:
            missing = [name for name, value in given.items() if not value]
            if not password:
                missing.append("LATCHKEY_QA_PASSWORD")
            if missing:
                raise click.ClickException(f"missing: {', '.join(missing)}")
            target = Target(
                org_url=str(org_url).rstrip("/"),
                broker_url=str(broker_url).rstrip("/"),
                login=str(login),
                password=str(password),
                label=str(chiclet),
                site_origin=site_origin,
                secrets=(str(password),),
            )
            result = _run(target, executable, screenshot)
    except (JourneyError, StepFailed) as exc:
        click.echo(f"The journey stopped: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Screenshot: {result.screenshot.resolve()}")


if __name__ == "__main__":
    main()
