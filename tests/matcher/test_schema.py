"""The store's schema version: the revisions give the current schema, old stores are refused until
``matcher db upgrade``, and the upgrade is idempotent (each on SQLite and on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from matcher.errors import SchemaOutdatedError, SchemaUnknownError
from matcher.records.store import Store, metadata
from matcher.schema import (
    BASELINE,
    BASELINE_TABLES,
    VERSION_TABLE,
    alembic_config,
    current,
    head_revision,
    migration_engine,
    upgrade,
)


def _apply_every_revision(url: str) -> None:
    engine = migration_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()


def _make_0_1_0(url: str) -> None:
    """A store as release 0.1.0 left it: the baseline's tables, no version table (a private file)."""
    from matcher.records.private import sqlite_file, touch_private

    if (db := sqlite_file(url)) is not None:
        touch_private(db)
    engine = migration_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), BASELINE)
        conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    engine.dispose()


def test_every_revision_from_empty_gives_the_current_schema(store_url: str) -> None:
    # A fresh store is made by create_all + stamp; this holds only while the revisions, run one
    # after the other, build exactly matcher.records.store.metadata. A table or column added to the
    # metadata without a revision fails here.
    _apply_every_revision(store_url)
    engine = create_engine(store_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == head_revision()
    engine.dispose()


def test_the_baseline_is_the_0_1_0_schema() -> None:
    assert BASELINE == "0001"
    assert set(metadata.tables) >= BASELINE_TABLES


def test_a_fresh_store_is_created_at_the_head(store_url: str) -> None:
    Store(store_url).close()
    state = current(store_url)
    assert state.at_head and state.tables == set(metadata.tables)
    assert upgrade(store_url) == (head_revision(), head_revision())  # idempotent: nothing to do


def test_an_unversioned_0_1_0_store_is_refused_until_upgraded(store_url: str) -> None:
    _make_0_1_0(store_url)
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO vacancy_aliases (alias_id, vacancy_id) VALUES ('a', 'v')"))
    engine.dispose()
    with pytest.raises(SchemaOutdatedError, match="matcher db upgrade"):
        Store(store_url)
    assert upgrade(store_url) == (None, head_revision())
    assert upgrade(store_url) == (head_revision(), head_revision())
    store = Store(store_url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT vacancy_id FROM vacancy_aliases")).scalar_one() == "v"
    store.close()


def test_a_newer_release_store_is_refused(store_url: str) -> None:
    Store(store_url).close()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaUnknownError, match="newer release"):
        Store(store_url)
    with pytest.raises(SchemaUnknownError, match="newer release"):
        upgrade(store_url)


def test_a_database_that_is_no_store_is_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE candidates (x INTEGER)"))
    engine.dispose()
    with pytest.raises(SchemaUnknownError, match="not a kl-matcher store"):
        upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["candidates"]  # nothing created, nothing stamped
    engine.dispose()


def test_cli_serve_refuses_an_old_schema_and_db_upgrade_fixes_it(tmp_path: Path) -> None:
    from training.cli import app

    home = tmp_path / "home"
    url = f"sqlite:///{(home / 'matcher.db').resolve()}"
    home.mkdir(mode=0o700)
    _make_0_1_0(url)
    env = {"MATCHER_HOME": str(home)}
    runner = CliRunner()
    refused = runner.invoke(app, ["serve", "--port", "1"], env=env)
    assert refused.exit_code == 1 and "matcher db upgrade" in refused.output
    assert "unversioned" in runner.invoke(app, ["db", "current"], env=env).output
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert runner.invoke(app, ["db", "current"], env=env).output.strip() == f"{head_revision()} (head)"
    again = runner.invoke(app, ["db", "upgrade", "--json"], env=env)
    assert '"changed": false' in again.output
