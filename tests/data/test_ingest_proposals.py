"""Ingestion proposes a KldB code from a vacancy's title where the code is missing or unknown:
in the reject report, marked as a proposal; the row is rejected exactly as without it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from data.ingest import ingest_folder
from data.ingest.report import PROPOSAL_PREFIX, REJECT_COLUMNS
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.occupations import OccupationSuggester
from tests.data.test_ingest import STELLEN, Export, vacancy_row, valid_export


@pytest.fixture(scope="module")
def lexical_suggester() -> OccupationSuggester:
    """TF-IDF alone (what ``matcher ingest`` uses without a built encoder): quick to build."""
    suggester = OccupationSuggester(ReferenceData(), None)
    suggester.warm_up()
    return suggester


def _export() -> Export:
    export = valid_export()
    export.vacancies += [
        vacancy_row("AGS-2026-000010", kldb="99999", titel="Berufskraftfahrer (m/w/d)"),
        vacancy_row("AGS-2026-000011", kldb="", titel="Bäckerin"),
    ]
    return export


def _rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_proposal_goes_to_the_report_and_the_row_stays_rejected(
    tmp_path: Path, lexical_suggester: OccupationSuggester
) -> None:
    folder = _export().write(tmp_path / "export")
    plain = ingest_folder(folder, Store(f"sqlite:///{tmp_path}/a.db"), ReferenceData(), tmp_path / "a")
    proposed = ingest_folder(
        folder, Store(f"sqlite:///{tmp_path}/b.db"), ReferenceData(), tmp_path / "b", suggester=lexical_suggester
    )
    assert proposed.to_json()["sources"] == plain.to_json()["sources"]
    assert proposed.store_counts == plain.store_counts
    rows = {r["line"]: r for r in _rejects(proposed.reject_report) if r["file"] == STELLEN and r["field"] == "kldb"}
    assert list(_rejects(proposed.reject_report)[0]) == list(REJECT_COLUMNS)
    assert {r["proposed_kldb"] for r in rows.values()} == {"52122", "29222"}
    for row in rows.values():
        assert row["proposal"].startswith(PROPOSAL_PREFIX) and row["proposed_kldb"] in row["proposal"]
        assert not row["reason"].startswith("warning: ")  # still a reject
    assert all(r["proposed_kldb"] == "" for r in _rejects(plain.reject_report))
