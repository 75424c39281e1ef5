"""The store and ingestion on PostgreSQL, when ``MATCHER_TEST_DATABASE_URL`` names an empty
database (e.g. ``postgresql+psycopg://matcher:matcher@127.0.0.1/matcher``); skipped otherwise,
since CI runs on the embedded SQLite default."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from matcher.reference import ReferenceData
from matcher.store import Store, metadata

URL = os.environ.get("MATCHER_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not URL, reason="MATCHER_TEST_DATABASE_URL not set")


@pytest.fixture
def pg_store() -> Store:
    store = Store(str(URL))
    with store.transaction() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    return store


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
