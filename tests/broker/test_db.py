"""`broker.db.make_engine`: settings written in the database URL survive the timeouts it adds."""

from __future__ import annotations

from sqlalchemy import text

from broker.db import make_engine


def test_options_in_a_postgresql_url_join_the_statement_timeout(
    postgres_schema_url: tuple[str, str],
) -> None:
    # LATCHKEY_DATABASE_URL=postgresql+psycopg://…/db?options=-csearch_path=… (a schema of its
    # own): the search path must hold, beside the statement timeout added to the options.
    url, schema = postgres_schema_url
    joiner = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{joiner}options=-csearch_path%3D{schema}", statement_timeout=7)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == schema
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "7s"
    finally:
        engine.dispose()
