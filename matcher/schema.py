"""The store's schema version: Alembic migrations in ``matcher/migrations``, run by ``matcher db upgrade``.

``matcher.records.store.metadata`` is the current schema; ``migrations/versions`` holds one revision per
change, from ``0001`` (the schema of release 0.1.0) on. A store is in one of these states:

- empty (none of the store's tables): it gets the current schema at once, ``create_all`` and a
  stamp of the head revision in one locked transaction (a test checks that the revisions, applied
  from empty, give exactly this schema);
- unversioned (the tables of 0.1.0 and no version table): a 0.1.0 home, which ``upgrade`` stamps
  as the baseline before it applies the newer revisions;
- behind the head: refused by :func:`ensure_current` (``Store``), brought to the head by
  :func:`upgrade`;
- at the head: in use;
- at a revision this release does not know: refused (a newer release wrote it).

The version lives in its own table, ``matcher_schema_version``, so that an MLflow store in the
same PostgreSQL database (MLflow's Alembic uses ``alembic_version``) never mixes with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

from matcher.errors import SchemaOutdatedError, SchemaUnknownError
from matcher.records.private import sqlite_file, touch_private

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "matcher_schema_version"
BASELINE = "0001"
# The tables of release 0.1.0: a store with all of them and no version table is that release's.
BASELINE_TABLES = frozenset(
    {
        "audit_checkpoints",
        "batch_results",
        "batch_runs",
        "batch_shards",
        "candidates",
        "change_log",
        "contact_requests",
        "feedback",
        "measures",
        "proposals",
        "protected_attributes",
        "vacancies",
        "vacancy_aliases",
        "web_sessions",
    }
)
_PG_LOCK = 0x6B6C6D31  # pg_advisory_xact_lock key: one schema change at a time per database
UPGRADE_HINT = "run `matcher db upgrade`"


@dataclass(frozen=True)
class SchemaState:
    """Where a store's schema stands.

    Attributes:
        current: the stamped revision; None: not stamped (empty, or a 0.1.0 store).
        head: the newest revision this release knows.
        tables: the store's tables found (the version table left out).
    """

    current: str | None
    head: str
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        return not (self.tables & _metadata_tables())

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    @property
    def known(self) -> bool:
        return self.current is None or self.current in _revisions()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration over the packaged scripts; ``connection`` is what env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest revision of the packaged migrations (one head: revisions form a line)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaUnknownError(f"the migrations have {len(heads)} heads ({', '.join(heads)}); merge them")
    return str(heads[0])


@cache
def _revisions() -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def full_metadata() -> MetaData:
    """The whole schema: the records' tables (:mod:`matcher.records.store`) and those that each service
    declares next to its queries on the same ``metadata``."""
    from matcher.records.store import metadata
    from matcher.services import audit_checkpoints, batch_runs, contacts, measures, staff  # noqa: F401  (importing declares their tables)

    return metadata


@cache
def _metadata_tables() -> frozenset[str]:
    return frozenset(full_metadata().tables)


def state_of(conn: Connection) -> SchemaState:
    """The schema state seen through ``conn``."""
    tables = frozenset(inspect(conn).get_table_names())
    current = None
    if VERSION_TABLE in tables:
        current = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
    return SchemaState(current, head_revision(), tables - {VERSION_TABLE})


def ensure_current(engine: Engine) -> SchemaState:
    """Check the store is at the head revision; an empty store gets the current schema first.

    Raises:
        SchemaOutdatedError: an older (or unversioned 0.1.0) schema: ``matcher db upgrade``.
        SchemaUnknownError: a newer release's schema, or other tables than a store's.
    """
    with engine.connect() as conn:
        state = state_of(conn)
    if state.at_head:
        return state
    if state.empty and state.current is None:
        with _locked(engine) as conn:
            return _create_if_empty(conn)
    _refuse_unknown(state)
    raise SchemaOutdatedError(
        f"the store's schema is at {state.current or 'release 0.1.0 (unversioned)'}, this release needs "
        f"{state.head}: {UPGRADE_HINT}"
    )


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the store at ``url`` to the head revision in one transaction; idempotent.

    An unversioned 0.1.0 store is stamped as the baseline first; an empty one gets the current
    schema. Returns the revision before (None: unversioned or empty) and after.

    Raises:
        SchemaUnknownError: a newer release's schema, or not a store.
    """
    if (db := sqlite_file(url)) is not None:
        touch_private(db)  # 0600 before SQLite creates it, as Store does
    engine = migration_engine(url)
    try:
        with _locked(engine) as conn:
            before = state_of(conn)
            if before.empty and before.current is None:
                return None, _create_if_empty(conn).head
            _refuse_unknown(before)
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            if before.current is None:
                context.stamp(ScriptDirectory.from_config(alembic_config()), BASELINE)
            command.upgrade(alembic_config(conn), "head")
            return before.current, state_of(conn).current or ""
    finally:
        engine.dispose()


def current(url: str) -> SchemaState:
    """The schema state of the store at ``url`` (changes nothing, creates no file)."""
    if (db := sqlite_file(url)) is not None and not db.exists():
        return SchemaState(None, head_revision(), frozenset())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return state_of(conn)
    finally:
        engine.dispose()


def migration_engine(url: str) -> Engine:
    """An engine whose transactions cover DDL too: pysqlite would otherwise commit before each
    ``CREATE``/``ALTER`` on its own, and a failed migration would leave half a schema. On SQLite the
    transaction starts with ``BEGIN IMMEDIATE``, which also makes concurrent starters wait in turn."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database's schema lock (SQLite: the write lock; PostgreSQL: an
    advisory lock), so that two workers starting on a fresh store create it once."""
    if engine.dialect.name == "sqlite":
        own = migration_engine(engine.url.render_as_string(hide_password=False))
        try:
            with own.begin() as conn:
                yield conn
        finally:
            own.dispose()
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        yield conn


def _create_if_empty(conn: Connection) -> SchemaState:
    """Under the lock: the current schema and the head stamp, unless another process was first."""
    state = state_of(conn)
    if state.empty and state.current is None:
        full_metadata().create_all(conn)
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        context.stamp(ScriptDirectory.from_config(alembic_config()), "head")
        state = state_of(conn)
    return state


def _refuse_unknown(state: SchemaState) -> None:
    if not state.known:
        raise SchemaUnknownError(
            f"the store's schema is at revision {state.current}, which this release does not know "
            f"(its newest is {state.head}): a newer release wrote it; run that release or a newer one"
        )
    if state.current is None and not state.tables >= BASELINE_TABLES:
        missing = ", ".join(sorted(BASELINE_TABLES - state.tables))
        raise SchemaUnknownError(
            f"the database is not a kl-matcher store of release 0.1.0 or later (missing: {missing})"
        )
