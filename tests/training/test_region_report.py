"""The region report on a small generated world: self-contained HTML, tables, plots, fairness."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from data.generate import WorldConfig, generate_world
from data.ingest import ingest_folder
from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.filters import FilterOptions
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.measures import MeasureCatalogue, stored_measures
from matcher.services.planning import suggestions, suggestions_per_person
from training.cli import app
from training.region_report import build_report, render_html


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, reference: ReferenceData) -> Path:
    home = tmp_path_factory.mktemp("region")
    generate_world(home / "world", WorldConfig(candidates=300, vacancies=80, seed=5), reference)
    store = Store(f"sqlite:///{home / 'matcher.db'}")
    ingest_folder(home / "world", store, reference, home / "rejects")
    store.close()
    return home


def test_report_tables_and_headline(home: Path, reference: ReferenceData) -> None:
    report = build_report(Store(f"sqlite:///{home / 'matcher.db'}"), reference, date(2026, 11, 25))
    assert report.job_seekers == 300 and report.open_vacancies >= 80 and report.measures > 50
    assert set(report.shortages["dimension"]) >= {"occupation_group", "licence", "permit", "requirement_level"}
    assert len(report.impact) == 7 and (report.impact["people_gaining_any"] > 0).any()
    assert set(report.fairness["attribute"]) == {"gender", "age", "citizenship", "severe_disability"}
    json.dumps(report.headline(), default=str)
    page = render_html(report)
    assert page.count("data:image/png;base64,") == 2 and "<table" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing loaded from elsewhere


def test_cli_region_report_writes_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_HOME", str(home))
    out = home / "bericht.html"
    result = CliRunner().invoke(app, ["region-report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert json.loads(result.stdout.strip().splitlines()[-1])["report"] == str(out)


@pytest.mark.parametrize("as_of", [date(2026, 11, 25), date(2027, 3, 1)])
def test_fast_suggestions_equal_the_per_person_path(home: Path, reference: ReferenceData, as_of: date) -> None:
    """The region report's masks over the column tables give exactly the per-person counts."""
    store = Store(f"sqlite:///{home / 'matcher.db'}")
    gazetteer = Gazetteer(reference)
    people = CandidateTable.build(store.candidates(), gazetteer)
    vacancies = VacancyTable.build(store.vacancies(status="open"), gazetteer)
    catalogue = MeasureCatalogue.build(stored_measures(store), gazetteer)
    for options in (FilterOptions(), FilterOptions(max_distance_km=15.0, licences=False)):
        fast = suggestions(people, vacancies, catalogue, gazetteer, as_of, options, chunk=37)
        slow = suggestions_per_person(people, vacancies, catalogue, gazetteer, as_of, options)
        assert [p.candidate_id for p in fast] == [p.candidate_id for p in slow]
        for f, s in zip(fast, slow):
            assert (f.opportunities, f.technical) == (s.opportunities, s.technical), f.candidate_id
            assert f.best_by_type.keys() == s.best_by_type.keys(), f.candidate_id
            for kind, rows in s.best_by_type.items():
                assert np.array_equal(f.best_by_type[kind], rows), (f.candidate_id, kind)
        assert sum(p.opportunities for p in slow) > 0 and any(p.best_by_type for p in slow)
