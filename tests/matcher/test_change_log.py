"""The store's change log on SQLite and PostgreSQL, and engines that follow it.

The last test runs two engines in two processes on one PostgreSQL database, each with its own
copy of the index files, as two machines would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from matcher.ranking.encoder import Encoder
from matcher.ranking.engine import Engine, EngineConfig
from matcher.ranking.filters import FilterOptions
from matcher.ranking.snapshot import build_indexes
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from tests.factories import make_candidate, make_vacancy
from tests.matcher.test_engine import LAGER, jobs, people

TODAY = FilterOptions(today=date(2026, 11, 20))


def _seeded(url: str) -> Store:
    store = Store(url)
    with store.transaction() as conn:
        store.upsert_candidates(conn, people())
        store.upsert_vacancies(conn, jobs())
    return store


def test_every_write_is_logged_once_in_order(store_url: str) -> None:
    store = _seeded(store_url)
    first = store.last_change()
    assert first == len(people()) + len(jobs())
    with store.transaction() as conn:  # the same records again: nothing changes, nothing is logged
        store.upsert_candidates(conn, people())
        store.upsert_vacancies(conn, jobs())
    assert store.last_change() == first
    vector = np.ones((1, 4), dtype=np.float32)
    with store.transaction() as conn:
        store.upsert_candidates(conn, [make_candidate(id="C-lager", hours_per_week=20.0)], vector)
    store.delete_vacancy("V-koch")
    seq = store.log_model_change("m", "7")
    changes = store.changes_since(first)
    assert [c.seq for c in changes] == [first + 1, first + 2, seq]
    assert [(c.kind, c.record_id, c.op) for c in changes] == [
        ("candidate", "C-lager", "upsert"),
        ("vacancy", "V-koch", "delete"),
        ("model", "m:7", "champion"),
    ]
    assert changes[0].record is not None and changes[0].record.hours_per_week == 20.0
    np.testing.assert_array_equal(changes[0].vector, vector[0])
    assert changes[1].record is None
    store.close()


def test_deleting_a_person_clears_their_logged_vectors(store_url: str) -> None:
    store = _seeded(store_url)
    with store.transaction() as conn:
        store.upsert_candidates(
            conn, [make_candidate(id="C-lager", hours_per_week=21.0)], np.ones((1, 4), dtype=np.float32)
        )
    store.delete_candidate("C-lager")
    mine = [c for c in store.changes_since(0) if c.record_id == "C-lager"]
    assert [c.op for c in mine][-1] == "delete" and all(c.vector is None for c in mine)
    store.close()


def test_a_merged_duplicate_leaves_the_log_as_a_delete(store_url: str) -> None:
    store = _seeded(store_url)
    before = store.last_change()
    merged = make_vacancy(id="V-lager", description=LAGER, source_ids=["V-lager", "V-lager-fern"])
    with store.transaction() as conn:
        store.upsert_vacancies(conn, [merged])
    ops = {(c.record_id, c.op) for c in store.changes_since(before)}
    assert ops == {("V-lager", "upsert"), ("V-lager-fern", "delete")}
    store.close()


@pytest.fixture
def pg_world(pg_database_url: str, minilm_encoder: Encoder, reference: ReferenceData, tmp_path: Path) -> Path:
    """One PostgreSQL store, and a snapshot of its indexes for each of two machines."""
    store = _seeded(pg_database_url)
    build_indexes(store, minilm_encoder, reference, tmp_path / "a" / "indexes")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    store.close()
    return tmp_path


WRITER = """
import sys
from pathlib import Path
from matcher.ranking.encoder import Encoder, EncoderConfig, packaged_minilm_path
from matcher.ranking.engine import Engine
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from tests.factories import make_candidate
from tests.matcher.test_engine import LAGER

url, indexes = sys.argv[1], sys.argv[2]
engine = Engine.load(Path(indexes), Encoder(EncoderConfig(str(packaged_minilm_path()))),
                     Store(url), ReferenceData())
engine.upsert_candidate(make_candidate(id="C-remote", licences=["CE"], profile_text=LAGER))
engine.delete_candidate("C-lkw")
engine.delete_vacancy("V-koch")
print("done", flush=True)
"""


def test_two_engines_on_one_postgres_database(
    pg_world: Path, pg_database_url: str, minilm_encoder: Encoder, reference: ReferenceData
) -> None:
    here = Engine.load(
        pg_world / "a" / "indexes",
        minilm_encoder,
        Store(pg_database_url),
        reference,
        config=EngineConfig(filters=TODAY),
    )
    assert "C-lkw" in [i.id for i in here.shortlist_for_vacancy("V-lkw").items]
    done = subprocess.run(
        [sys.executable, "-c", WRITER, pg_database_url, str(pg_world / "b" / "indexes")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
    )
    assert done.stdout.strip() == "done", done.stderr[-2000:]
    assert here.sync() == 3
    ids = [i.id for i in here.shortlist_for_vacancy("V-lkw").items]
    assert "C-remote" in ids and "C-lkw" not in ids
    assert "V-koch" not in here.vacancies
    # The other machine's state, rebuilt from its own snapshot plus the log, is the same.
    there = Engine.load(pg_world / "b" / "indexes", minilm_encoder, Store(pg_database_url), reference)
    assert sorted(there.candidates.index.ids()) == sorted(here.candidates.index.ids())
    assert sorted(there.vacancies.index.ids()) == sorted(here.vacancies.index.ids())
    np.testing.assert_allclose(
        there.candidates.index.vectors(["C-remote"]), here.candidates.index.vectors(["C-remote"])
    )
