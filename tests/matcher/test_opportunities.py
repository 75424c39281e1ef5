"""Opportunities on a hand-made world whose answers are known by construction."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from matcher.errors import InsufficientProfileError, UnknownCandidateError
from matcher.ranking.encoder import Encoder
from matcher.ranking.engine import Engine, EngineConfig
from matcher.ranking.filters import FilterOptions
from matcher.ranking.snapshot import build_indexes
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.measures import Measure, MeasureCatalogue, count_measures, upsert_measures
from matcher.services.opportunities import find_opportunities
from tests.factories import make_candidate, make_vacancy

TODAY = date(2026, 11, 20)
LANDSTUHL = {"ags": "07335022", "postcode": "66849"}  # about 28 minutes by car from the city
MIESAU = {"ags": "07335003", "postcode": "66892"}  # about 45 minutes by car
NO_PERMIT = {"required_permits": []}


def people() -> list:
    return [
        # Lacks only the forklift permit; 30 minutes by car.
        make_candidate(id="C-stapler", permits=[], max_commute_minutes=30),
        # Holds it, but a 20-minute limit keeps the four Landstuhl jobs out of reach.
        make_candidate(id="C-pendel", max_commute_minutes=20),
        make_candidate(id="C-duenn", skills=[], profile_text="kurz"),
    ]


def jobs() -> list:
    forklift = [make_vacancy(id=f"V-stapler-{i}") for i in range(6)]  # in the city, need forklift
    return [
        *forklift,
        *[make_vacancy(id=f"V-landstuhl-{i}", **LANDSTUHL, **NO_PERMIT) for i in range(4)],
        make_vacancy(id="V-stapler-fern", **MIESAU),  # needs forklift, out of reach
        make_vacancy(id="V-stapler-zu", status="filled"),  # needs forklift, not open
        make_vacancy(id="V-stapler-c1", german_level_min="C1"),  # forklift and German C1
        make_vacancy(id="V-ce", required_licences=["CE"], **NO_PERMIT),  # a lorry licence
    ]


def _measure(measure_id: str, start: date, **fields: object) -> Measure:
    values: dict = dict(
        id=measure_id,
        type="staplerschein",
        title="Staplerschein",
        provider_id="TR-1",
        provider_name="Logistik-Akademie",
        ags="07312000",
        postcode="67657",
        starts=[start],
        duration_weeks=1,
        permits=["forklift"],
    )
    values.update(fields)
    return Measure.model_validate(values)


def catalogue(gazetteer: Gazetteer) -> MeasureCatalogue:
    soon = TODAY + timedelta(days=14)
    return MeasureCatalogue.build(
        [
            _measure("M-stapler-nah", soon),
            _measure("M-stapler-fern", soon, **MIESAU),  # beyond the person's commute
            _measure("M-stapler-spaet", TODAY + timedelta(days=300)),  # beyond the start horizon
            _measure("M-ce", soon, type="fuehrerschein", title="Führerschein CE", permits=[], licences=["CE"]),
        ],
        gazetteer,
    )


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, minilm_encoder: Encoder, reference: ReferenceData) -> Engine:
    home = tmp_path_factory.mktemp("opportunities")
    store = Store(f"sqlite:///{home / 'matcher.db'}")
    with store.transaction() as conn:
        store.upsert_candidates(conn, people())
        store.upsert_vacancies(conn, jobs())
    build_indexes(store, minilm_encoder, reference, home / "indexes")
    config = EngineConfig(filters=FilterOptions(today=TODAY))
    return Engine.load(home / "indexes", minilm_encoder, store, reference, config=config)


def test_the_only_missing_permit_comes_first_with_its_six_vacancies(engine: Engine) -> None:
    result = find_opportunities(engine, "C-stapler", catalogue(engine.gazetteer))
    first = result.items[0]
    assert (first.kind, first.change, first.additional_vacancies) == ("permit", "permit:forklift", 6)
    assert (
        set(first.example_vacancy_ids) <= {f"V-stapler-{i}" for i in range(6)} and len(first.example_vacancy_ids) == 3
    )
    assert first.label_de.startswith("Mit Staplerschein: 6 zusätzliche passende Stellen")
    assert "darunter 6 in der Zielberufsgruppe" in first.label_de
    assert first.score_gain is not None and first.score_gain > 0
    # Landstuhl lies beyond 30 minutes: 45 minutes open its four; CE opens one.
    assert [(i.change, i.additional_vacancies) for i in result.items] == [
        ("permit:forklift", 6),
        ("commute:45min", 4),
        ("licence:CE", 1),
    ]
    assert result.as_of == TODAY


def test_measures_listed_for_the_permit_are_the_reachable_ones_only(engine: Engine) -> None:
    result = find_opportunities(engine, "C-stapler", catalogue(engine.gazetteer))
    assert [m["id"] for m in result.items[0].measures] == ["M-stapler-nah"]
    assert [m["id"] for m in result.items[2].measures] == ["M-ce"]


def test_a_change_that_opens_nothing_is_tried_but_not_listed(engine: Engine) -> None:
    result = find_opportunities(engine, "C-stapler", catalogue(engine.gazetteer))
    # German C1 alone opens nothing (the C1 vacancy also needs the permit); nor does part time.
    assert {"german_level:C1", "working_time:either", "requirement_level:3"} <= set(result.tried)
    listed = {i.change for i in result.items}
    assert not listed & {"german_level:C1", "working_time:either", "requirement_level:3"}
    assert all(i.additional_vacancies >= 1 for i in result.items)


def test_a_commute_limit_that_alone_excludes_four_vacancies_shows_four(engine: Engine) -> None:
    result = find_opportunities(engine, "C-pendel", catalogue(engine.gazetteer))
    commute = next(i for i in result.items if i.kind == "commute")
    assert commute.change == "commute:35min" and commute.additional_vacancies == 4
    assert len(commute.example_vacancy_ids) == 3
    assert all(v.startswith("V-landstuhl-") for v in commute.example_vacancy_ids)
    assert commute.measures == []  # nobody teaches a commute
    german = next(i for i in result.items if i.kind == "german_level")
    assert (german.change, german.additional_vacancies) == ("german_level:C1", 1)


def test_baseline_counts_agree_with_the_shortlist(engine: Engine) -> None:
    result = find_opportunities(engine, "C-pendel", catalogue(engine.gazetteer), scores=False)
    shortlist = engine.shortlist_for_candidate("C-pendel", k=10)
    assert result.eligible == shortlist.eligible
    assert result.fitting == result.eligible - 1  # the C1 vacancy passes the filters, not the minimum
    assert all(i.score_gain is None for i in result.items)


def test_unknown_and_thin_profiles_are_refused_like_shortlists(engine: Engine) -> None:
    with pytest.raises(UnknownCandidateError):
        find_opportunities(engine, "C-nobody", catalogue(engine.gazetteer))
    with pytest.raises(InsufficientProfileError) as thin:
        find_opportunities(engine, "C-duenn", catalogue(engine.gazetteer))
    with pytest.raises(InsufficientProfileError) as same:
        engine.shortlist_for_candidate("C-duenn")
    assert thin.value.missing == same.value.missing


def test_the_answer_has_the_contract_shape(engine: Engine, tmp_path: Path) -> None:
    body = find_opportunities(engine, "C-stapler", catalogue(engine.gazetteer)).to_json()
    assert set(body) >= {"candidate_id", "as_of", "baseline", "items"} and "eligible" in body["baseline"]
    keys = {"kind", "change", "label_de", "additional_vacancies", "example_vacancy_ids", "score_gain", "measures"}
    assert all(keys <= set(item) for item in body["items"])


def test_measures_are_counted_by_one_query_per_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue page's total: a count in the store, not ``len`` over every measure loaded."""
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    start = date(2027, 3, 1)
    with store.transaction() as conn:
        upsert_measures(
            store,
            conn,
            [
                _measure("M-1", start),
                _measure("M-2", start),
                _measure("M-3", start, type="fuehrerschein", title="Führerschein C", permits=[], licences=["C"]),
            ],
        )
    monkeypatch.setattr(Measure, "model_validate", lambda *_, **__: pytest.fail("measures loaded to count them"))
    assert count_measures(store) == 3
    assert count_measures(store, "staplerschein") == 2
    assert count_measures(store, "fuehrerschein") == 1
    assert count_measures(store, "avgs") == 0
