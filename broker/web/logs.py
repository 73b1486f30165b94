"""Structured logs: one JSON object per line, and never a secret.

Log calls pass facts as `extra={...}`; the formatter keeps them, except that any field whose name
suggests a secret (token, secret, password, cookie, authorization, code, state, nonce, grant,
verifier) is written as "[redacted]", whatever its value. Request lines carry the path, never the
query string: the OIDC callback's query holds the authorization code and the state.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"
_SECRET_FIELD = re.compile(
    r"token|secret|password|passwd|cookie|authorization|code|state|nonce|grant|verifier|key",
    re.IGNORECASE,
)
# Attributes every LogRecord has: anything else on a record came in through `extra`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


def _safe(name: str, value: Any) -> Any:
    if _SECRET_FIELD.search(name):
        return REDACTED
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                out[name] = _safe(name, value)
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: an exception's message may quote what it choked on.
            out["exc_type"] = record.exc_info[0].__name__
        return json.dumps(out, separators=(",", ":"), default=str)


_QUIET = ("httpx", "httpcore", "alembic")


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """`configure_logging` as a `logging.config.dictConfig` dict: what uvicorn applies again in
    each worker process of `latchkey serve --workers N` (a spawned process keeps no handler)."""
    quiet = {"level": "WARNING"}  # as `configure_logging` says
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            **dict.fromkeys(_QUIET, quiet),
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the broker's loggers and uvicorn's (its access log stays off)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # httpx logs every request line at INFO, query strings included; Alembic says which dialect it
    # met each time a command checks the revision (a bad configuration must stay one line).
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
