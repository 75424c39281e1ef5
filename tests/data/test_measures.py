"""The measure catalogue: generated with real measure types, ingested with rejects, idempotent."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from data.formats import MEASURES
from data.generate import WorldConfig, generate_world
from data.generate.measures import write_measures
from data.ingest import ingest_folder
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.measures import MeasureType, stored_measures

CONFIG = WorldConfig(candidates=300, vacancies=80, seed=7)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, reference: ReferenceData) -> Path:
    out = tmp_path_factory.mktemp("measures") / "world"
    generate_world(out, CONFIG, reference)
    return out


def _lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / MEASURES.name).read_text("utf-8").splitlines()]


def test_generator_writes_every_measure_type_with_what_it_teaches(world: Path) -> None:
    lines = _lines(world)
    kinds = Counter(line["art"] for line in lines)
    assert set(MEASURES.encode("type", t.value) for t in MeasureType) <= set(kinds)
    forklift = [x for x in lines if x["art"] == "staplerschein"]
    assert forklift and all(x["berechtigungen"] == ["forklift"] for x in forklift)
    language = [x for x in lines if x["art"] == "berufssprachkurs_deufoev"]
    assert {(x["deutsch_min"], x["deutsch_ziel"]) for x in language} == {("A2", "B1"), ("B1", "B2"), ("B2", "C1")}
    tq = [x for x in lines if x["art"] == "teilqualifizierung"]
    assert tq and all(x["niveau_ziel"] == 2 and x["kldb"] for x in tq)
    assert all(x["beginn"] and x["dauer_wochen"] >= 1 for x in lines)


def test_measures_do_not_change_the_other_files(tmp_path: Path, world: Path, reference: ReferenceData) -> None:
    again = tmp_path / "again"
    generate_world(again, CONFIG, reference)
    assert (again / MEASURES.name).read_bytes() == (world / MEASURES.name).read_bytes()
    (again / MEASURES.name).unlink()
    assert write_measures(again, CONFIG, reference) == len(_lines(world))
    assert (again / MEASURES.name).read_bytes() == (world / MEASURES.name).read_bytes()


def test_ingestion_reads_measures_rejects_broken_ones_and_is_idempotent(
    tmp_path: Path, world: Path, reference: ReferenceData
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    report = ingest_folder(world, store, reference, tmp_path / "rejects")
    counts = report.sources[MEASURES.name]
    assert counts.rejected == 2 and counts.accepted == len(_lines(world)) - 2
    with report.reject_report.open(encoding="utf-8") as handle:
        reasons = {r["field"]: r["reason"] for r in csv.DictReader(handle) if r["file"] == MEASURES.name}
    assert reasons["art"].startswith("unknown code value") and reasons["beginn"].startswith("impossible date")
    measures = stored_measures(store)
    assert len(measures) == counts.accepted == report.store_counts["measures"]
    assert stored_measures(store, type="staplerschein") and all(
        m.permits == ["forklift"] for m in stored_measures(store, type="staplerschein")
    )
    before = store.snapshot()
    ingest_folder(world, store, reference, tmp_path / "rejects")
    assert store.snapshot() == before


def test_a_folder_without_measures_still_imports(tmp_path: Path, world: Path, reference: ReferenceData) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    for path in world.iterdir():
        if path.name != MEASURES.name:
            (folder / path.name).write_bytes(path.read_bytes())
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    report = ingest_folder(folder, store, reference, tmp_path / "rejects")
    assert MEASURES.name not in report.sources and store.count("measures") == 0
    assert report.store_counts["candidates"] == 300
