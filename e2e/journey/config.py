"""A QA run against a real deployment, from a TOML file (docs/qa.md has a worked example):

    org_url = "https://acme.okta.com"
    broker_url = "https://latchkey.acme.com"
    artifacts = "qa-artifacts"                  # optional: where a failed journey's files go

    [people.qa]                                 # who signs in; the password from the environment
    login = "qa@acme.com"
    password_env = "ACME_QA_PASSWORD"

    [[journeys]]
    name = "Acme Files from its chiclet"
    person = "qa"
    chiclet = "Acme Files - Single page"        # the label on the Okta dashboard
    site_origin = "https://files.acme.com"      # optional: report the kinds of field it received

Passwords never live in the file: each person names the environment variable that holds theirs.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.journey.run import Target


class ConfigError(ValueError):
    """The file does not say what a run needs (with what is missing, never a password)."""


@dataclass(frozen=True)
class Person:
    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Deployment:
    org_url: str
    broker_url: str
    artifacts: Path
    targets: list[tuple[str, Target]]  # (journey name, what it clicks as whom)


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: `{key}` must be a non-empty string")
    return value.strip()


def _people(raw: Any, env: dict[str, str]) -> dict[str, Person]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("[people]: name at least one person")
    found = {}
    for key, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[people.{key}] must be a table")
        variable = _text(table, "password_env", f"[people.{key}]")
        password = env.get(variable)
        if not password:
            raise ConfigError(f"[people.{key}]: the environment variable {variable} is not set")
        found[key] = Person(_text(table, "login", f"[people.{key}]"), password)
    return found


def load(path: Path, env: dict[str, str] | None = None) -> Deployment:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    env = dict(os.environ) if env is None else env
    org_url = _text(raw, "org_url", str(path)).rstrip("/")
    broker_url = _text(raw, "broker_url", str(path)).rstrip("/")
    people = _people(raw.get("people"), env)
    journeys = raw.get("journeys")
    if not isinstance(journeys, list) or not journeys:
        raise ConfigError("[[journeys]]: name at least one journey")
    targets = []
    for n, table in enumerate(journeys, start=1):
        where = f"journey {n}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table")
        name = _text(table, "name", where)
        who = _text(table, "person", where)
        if who not in people:
            raise ConfigError(f"{where}: no person {who!r} in [people]")
        origin = table.get("site_origin")
        if origin is not None and not isinstance(origin, str):
            raise ConfigError(f"{where}: `site_origin` must be a string")
        person = people[who]
        target = Target(
            org_url=org_url,
            broker_url=broker_url,
            login=person.login,
            password=person.password,
            label=_text(table, "chiclet", where),
            site_origin=origin,
            secrets=(person.password,),
        )
        targets.append((name, target))
    artifacts = Path(str(raw.get("artifacts") or "qa-artifacts"))
    return Deployment(org_url, broker_url, artifacts, targets)
