"""The store and ingestion on a real PostgreSQL server: a temporary one that the fixtures start
(``tests/pg.py``), or the one ``MATCHER_TEST_DATABASE_URL`` names. The store's own tests run on
both backends through the ``store_url`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.records.reference import ReferenceData
from matcher.records.store import Store


@pytest.fixture
def pg_store(pg_database_url: str) -> Iterator[Store]:
    store = Store(pg_database_url)
    assert store.engine.dialect.name == "postgresql"
    yield store
    store.close()


def test_ingest_is_idempotent_on_postgres(pg_store: Store, tmp_path: Path, reference: ReferenceData) -> None:
    from data.generate import WorldConfig, generate_world
    from data.ingest import ingest_folder

    generate_world(tmp_path / "world", WorldConfig(candidates=150, vacancies=50, seed=3), reference)
    first = ingest_folder(tmp_path / "world", pg_store, reference, tmp_path / "rejects").to_json()
    before = pg_store.snapshot()
    second = ingest_folder(tmp_path / "world", pg_store, reference, tmp_path / "rejects").to_json()
    assert pg_store.snapshot() == before
    assert first["sources"] == second["sources"]
    assert pg_store.count("candidates") == first["store"]["candidates"] > 100


def test_session_database_is_reachable(postgres_url: str) -> None:
    """``postgres_url`` names one database shared by the session; a Store can open it."""
    store = Store(postgres_url)
    try:
        assert store.engine.dialect.name == "postgresql"
        assert store.count("candidates") >= 0
    finally:
        store.close()
