"""How every `latchkey` command fails: one readable line on stderr and exit status 1.

The line says what went wrong, where, and what to do (`broker/problems.py`); the traceback is
printed only with `latchkey --debug ...` (or LATCHKEY_DEBUG=1). Click's own usage errors (exit 2)
and a command's deliberate exit status pass through untouched.
"""

from __future__ import annotations

import os
from typing import Any

import click

from broker.problems import explain

DEBUG_ENV = "LATCHKEY_DEBUG"


class CommandFailed(click.ClickException):
    exit_code = 1


class LatchkeyGroup(click.Group):
    """A group whose commands fail with one line (a traceback only when debugging)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if debugging(ctx):
                raise
            raise CommandFailed(str(explain(error))) from None


def debug_option(function: Any) -> Any:
    return click.option(
        "--debug",
        is_flag=True,
        envvar=DEBUG_ENV,
        help="Print the traceback of a failure (also LATCHKEY_DEBUG=1).",
    )(function)


def debugging(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("debug")) or os.environ.get(DEBUG_ENV, "") not in ("", "0")
