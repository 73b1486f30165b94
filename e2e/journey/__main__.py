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
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from e2e.browser import chromium_executable
from e2e.journey.run import LoginResult, Target, run_in_chromium, stack_target
from e2e.journey.stack import JourneyError, StackConfig, serve_stack
from e2e.journey.user import StepFailed


def _say(line: str) -> None:
    click.echo(f"  → {line}")


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
    screenshot: Path,
) -> None:
    """Sign in to the Okta dashboard, click a chiclet, and follow it to the site's success page."""
    executable = chromium_executable()
    if executable is None:
        raise click.ClickException("Chromium is missing: run scripts/ensure-chromium.")
    given = {"org URL": org_url, "broker URL": broker_url, "login": login, "chiclet": chiclet}
    password = os.environ.get("LATCHKEY_QA_PASSWORD")
    try:
        if not any(given.values()):
            from sandbox.seed import seed_user

            with tempfile.TemporaryDirectory(prefix="latchkey-journey-") as data:
                config = StackConfig(Path(data), broker_port=0, org_port=0, sites_port=0)
                with serve_stack(config, say=_say) as stack:
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
