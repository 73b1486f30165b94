"""`broker.db.make_engine` on PostgreSQL: the timeouts it adds keep what the URL already says."""

from __future__ import annotations

from sqlalchemy import text

from broker.db import make_engine


def test_libpq_options_in_the_url_survive_the_statement_timeout(
    postgres_schema_url: tuple[str, str],
) -> None:
    url, schema = postgres_schema_url
    joiner = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{joiner}options=-csearch_path%3D{schema}", statement_timeout=7)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == schema
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "7s"
    finally:
        engine.dispose()
