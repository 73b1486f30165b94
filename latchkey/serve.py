"""`latchkey serve`: the broker over HTTP with uvicorn, in one or several worker processes."""

from __future__ import annotations

import socket

import click
import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from broker.context import BrokerContext
from broker.db import engine_for, make_session_factory
from broker.settings import Settings
from broker.startup import check_config
from broker.vault import Vault
from broker.web.app import create_app
from broker.web.logs import configure_logging, logging_config
from sync.connection_check import OktaConnectionCheck

APP_FACTORY = "latchkey.serve:app_from_env"


def app_from_env() -> Starlette:
    """The app as `latchkey serve` runs it in each worker (an import-string factory), with sync's
    Okta connection check plugged into the broker's port."""
    settings = Settings.from_env()
    engine = engine_for(settings)  # with the configured connect and statement timeouts
    # A vault that re-reads the keyring file when a row names a key this process lacks: a key
    # rotation run elsewhere (`latchkey keys rotate`) must not break launches here until restart.
    ctx = BrokerContext(settings, make_session_factory(engine), Vault.from_settings(settings))
    return create_app(
        ctx, okta_check=OktaConnectionCheck(broker_app_id=ctx.settings.oidc_client_id)
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8400, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes; each builds the app from the environment.",
)
@click.option("--log-level", default="info", show_default=True)
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=False,
    help="Trust X-Forwarded-* from the addresses in FORWARDED_ALLOW_IPS (behind a proxy).",
)
def serve(host: str, port: int, workers: int, log_level: str, proxy_headers: bool) -> None:
    """Serve the broker (configured by LATCHKEY_* variables; see .env.example)."""
    check_config(Settings.from_env())  # a bad URL or keyring: one line now, not in each worker
    configure_logging(log_level)
    run(
        APP_FACTORY,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=proxy_headers,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound here rather than by uvicorn so that it carries TCP_NODELAY.

    On Linux an accepted socket inherits TCP_NODELAY from its listener. uvicorn's worker processes
    serve a socket handed to them, and the accepted sockets of such a server are left with Nagle's
    algorithm on: each keep-alive response then waits for the client's delayed ACK (~40 ms)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    sock.set_inheritable(True)  # the worker processes serve this very socket
    return sock


def run(
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    proxy_headers: bool = False,
) -> None:
    """Serve the ASGI app factory `app` (an import string) in `workers` processes."""
    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level.lower(),
        # uvicorn's access log prints query strings, and the OIDC callback's holds the
        # authorization code: the app logs each request itself, path only.
        access_log=False,
        # Applied again in every worker process: each one logs its own JSON lines.
        log_config=logging_config(log_level),
        proxy_headers=proxy_headers,
        server_header=False,
    )
    sock = listening_socket(host, port)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
