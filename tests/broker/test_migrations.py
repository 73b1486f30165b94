"""Migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from broker.db import Base, make_engine
from broker.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import postgres_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    url, schema = request.getfixturevalue("postgres_schema_url")
    own = f"{schema}_m{secrets.token_hex(2)}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{own}"'))
    engine = postgres_engine(url, own)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{own}" CASCADE'))
        admin.dispose()


def test_upgrade_builds_the_models_schema(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= set(Base.metadata.tables)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)


def test_upgrade_takes_a_url_with_percent_escapes(tmp_path: Path) -> None:
    # A percent-encoded URL (a password with `@`, libpq `options=-csearch_path%3D…`) once broke
    # Alembic's config (ConfigParser interpolation): `latchkey db upgrade` and the worker's
    # start-up check failed with "invalid interpolation syntax".
    folder = tmp_path / "50% full"
    engine = make_engine(f"sqlite:///{folder / 'migrate.db'}")
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine) is not None
    finally:
        engine.dispose()


def test_teams_with_an_external_id_are_marked_pushed_and_the_mark_goes_back_down(
    empty_engine: Engine,
) -> None:
    upgrade(empty_engine, "0009")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workspaces"
                " (id, name, extended_access_enabled, okta_token_status, created_at)"
                " VALUES ('w1', 'Demo', false, 'unset', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO teams (id, workspace_id, name, scim_id, external_id, created_at)"
                " VALUES ('t1', 'w1', 'Pushed', 's1', '00g1', CURRENT_TIMESTAMP),"
                " ('t2', 'w1', 'Made here', 's2', NULL, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        marks = {n: bool(v) for n, v in conn.execute(text("SELECT name, scim_pushed FROM teams"))}
    assert marks == {"Pushed": True, "Made here": False}

    config = alembic_config(empty_engine)
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    assert current_revision(empty_engine) == "0009"
    assert "scim_pushed" not in {c["name"] for c in inspect(empty_engine).get_columns("teams")}
