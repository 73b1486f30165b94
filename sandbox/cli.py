"""`latchkey sandbox`: the offline Okta org and the demo login sites, on loopback.

The `latchkey` console script (`latchkey/cli.py`) registers this group. Run without a subcommand, it
serves the org on 127.0.0.1:8410 and the demo sites on 127.0.0.1:8420 (DESIGN.md) until
interrupted, and prints how to reach them.
"""

from __future__ import annotations

import json
import secrets
import threading
from contextlib import ExitStack
from pathlib import Path

import click

from sandbox import seed
from sandbox.apps.accounts import DemoCredentials
from sandbox.apps.seed import SiteSeed, demo_seed
from sandbox.serve import serve, serve_org


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, envvar="LATCHKEY_SANDBOX_HOST")
@click.option(
    "--org-port", default=8410, show_default=True, type=int, envvar="LATCHKEY_SANDBOX_ORG_PORT"
)
@click.option(
    "--apps-port", default=8420, show_default=True, type=int, envvar="LATCHKEY_SANDBOX_APPS_PORT"
)
@click.option(
    "--api-token",
    envvar="LATCHKEY_SANDBOX_API_TOKEN",
    help="The SSWS token the org accepts (default: a random one, printed once).",
)
@click.option("--no-control-plane", is_flag=True, help="Do not serve /_sandbox endpoints.")
@click.option(
    "--sites-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="LATCHKEY_DEMO_SITES_FILE",
    default=".latchkey/demo-sites.json",
    show_default=True,
    help="Accounts for the demo sites (written by `latchkey demo`); fresh ones when absent.",
)
@click.pass_context
def sandbox(
    ctx: click.Context,
    host: str,
    org_port: int,
    apps_port: int,
    api_token: str | None,
    no_control_plane: bool,
    sites_file: Path,
) -> None:
    """Serve the sandbox Okta org and the demo login sites."""
    if ctx.invoked_subcommand is not None:
        return
    from sandbox.apps import create_apps_app

    sites = load_sites_file(sites_file)

    token = api_token or "00" + secrets.token_urlsafe(30)
    control_plane = not no_control_plane
    with ExitStack() as stack:
        org = stack.enter_context(
            serve_org(api_token=token, host=host, port=org_port, control_plane=control_plane)
        )
        apps_url = stack.enter_context(
            serve(
                lambda _url: create_apps_app(sites, control_plane=control_plane),
                host=host,
                port=apps_port,
            )
        )
        _announce(org.url, apps_url, token, shown_token=api_token is None, control=control_plane)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("Stopping the sandbox.")


def load_sites_file(path: Path) -> tuple[SiteSeed, ...] | None:
    """The demo sites' accounts that `latchkey demo` sealed in the broker's vault, if any."""
    if not path.is_file():
        return None
    try:
        entries = json.loads(path.read_text())
        given = {
            e["site"]: DemoCredentials(e["username"], e["password"], e.get("totp_secret"))
            for e in entries
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{path} is not a demo sites file: {exc}") from None
    return demo_seed(given)


def _announce(org_url: str, apps_url: str, token: str, *, shown_token: bool, control: bool) -> None:
    client = seed.BROKER_CLIENT
    echo = click.echo
    echo(f"Sandbox Okta org   {org_url}")
    echo(f"  issuer           {org_url}  (OIDC discovery: /.well-known/openid-configuration)")
    if shown_token:
        echo(f"  API token        SSWS {token}  (random; set LATCHKEY_SANDBOX_API_TOKEN to fix)")
    else:
        echo("  API token        from --api-token / LATCHKEY_SANDBOX_API_TOKEN")
    echo(f"  broker client    client_id {client.client_id}")
    echo(f"                   client_secret {client.client_secret}")
    echo(f"                   redirect_uri {', '.join(client.redirect_uris)}")
    if control:
        echo(f"  control plane    {org_url}/_sandbox/state")
    echo("  sign-in users")
    for user in seed.SEED_USERS:
        echo(f"    {user.login:<28} {user.password}")
    echo(f"Demo login sites   {apps_url}")
    echo("Press Ctrl-C to stop.")
