"""The parts of a shortlist (``matcher.ranking.shortlist``): ranking, the fetch size, pair batches, reasons
from a re-ranker's contributions, facts and the JSON of a shortlist.

Places: Kaiserslautern 67657 (the candidate), Otterbach 67731 ~5.9 km, Landstuhl 66849 ~16.7 km.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.explain import FAMILIES, PairFacts
from matcher.ranking.features import FEATURE_INDEX, pair_features
from matcher.ranking.reranker import RuleReranker, SimilarityReranker
from matcher.ranking.shortlist import (
    Details,
    Explained,
    IndexVersion,
    PairBatch,
    RetrievalConfig,
    Shortlist,
    ShortlistItem,
    candidate_facts,
    explain_pairs,
    rank,
    scorer_name,
    vacancy_facts,
)
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy

AS_OF = date(2026, 11, 25)
OTTERBACH = {"ags": "07335034", "postcode": "67731"}
LANDSTUHL = {"ags": "07335022", "postcode": "66849"}


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


@pytest.fixture(scope="module")
def batch(gazetteer: Gazetteer) -> PairBatch:
    """One candidate against three vacancies, pairs in the order Landstuhl, Kaiserslautern, Otterbach."""
    items = [
        make_vacancy(id="V-KL"),
        make_vacancy(id="V-OTT", **OTTERBACH, required_licences=["CE"], german_level_min="C1"),
        make_vacancy(id="V-LAN", **LANDSTUHL, kldb="62102", required_skills=["s-lager", "s-kasse"]),
    ]
    return PairBatch(
        candidates=CandidateTable.build([make_candidate()], gazetteer),
        ci=np.zeros(3, dtype=np.int64),
        vacancies=VacancyTable.build(items, gazetteer),
        vi=np.array([2, 0, 1], dtype=np.int64),
        similarity=np.array([0.8, 0.6, 0.4], dtype=np.float32),
        distance_km=np.array([16.7, 0.0, 5.9]),
        commute_minutes=np.array([31.0, 5.0, 14.0]),
        direction="vacancies_for_candidate",
        as_of=AS_OF,
    )


# --- fetch size and ranking ----------------------------------------------------------------------
@pytest.mark.parametrize(("k", "fetch"), [(0, 100), (1, 100), (10, 100), (20, 100), (21, 105), (50, 250)])
def test_default_fetch_is_five_times_k_but_at_least_100(k: int, fetch: int) -> None:
    assert RetrievalConfig().fetch(k) == fetch


def test_fetch_with_own_factor_and_minimum() -> None:
    config = RetrievalConfig(fetch_factor=2, min_fetch=5)
    assert [config.fetch(k) for k in (1, 2, 3, 10)] == [5, 5, 6, 20]
    with pytest.raises(AttributeError):
        config.min_fetch = 1  # type: ignore[misc]  # frozen


def test_rank_by_score_then_similarity() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.5], dtype=np.float32)
    similarity = np.array([0.9, 0.2, 0.3, 0.4, 0.7], dtype=np.float32)
    assert rank(scores, similarity, 5) == [3, 1, 4, 2, 0]
    assert rank(scores, similarity, 2) == [3, 1]
    assert rank(scores, similarity, 10) == [3, 1, 4, 2, 0]  # k beyond the pairs: all of them
    assert rank(scores, similarity, 0) == []
    assert all(type(i) is int for i in rank(scores, similarity, 5))


def test_rank_full_ties_keep_position_order_and_empty_input() -> None:
    same = np.full(4, 0.5, dtype=np.float32)
    assert rank(same, same, 4) == [0, 1, 2, 3]
    assert rank(np.array([], dtype=np.float32), np.array([], dtype=np.float32), 3) == []


def test_rank_a_tiny_score_difference_beats_similarity() -> None:
    """Scores are compared as given: a tiny score difference beats any similarity."""
    scores = np.array([1.0, 1.0 + 2**-20], dtype=np.float32)
    similarity = np.array([0.99, 0.01], dtype=np.float32)
    assert rank(scores, similarity, 2) == [1, 0]


# --- pair batches --------------------------------------------------------------------------------
def test_pair_batch_rows_and_records(batch: PairBatch) -> None:
    assert len(batch) == 3
    assert [batch.vacancy(j).id for j in range(3)] == ["V-LAN", "V-KL", "V-OTT"]
    assert {batch.candidate(j).id for j in range(3)} == {"S-0000001"}


def test_pair_batch_features_are_pair_features_on_the_same_rows(batch: PairBatch) -> None:
    expected = pair_features(batch.candidates, batch.ci, batch.vacancies, batch.vi, batch.similarity, AS_OF)
    got = batch.features()
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(batch.features([2, 0]), expected[[2, 0]])
    assert batch.features([]).shape == (0, expected.shape[1])
    # the known answers behind them: Landstuhl first, then Kaiserslautern, then Otterbach
    np.testing.assert_allclose(got[:, FEATURE_INDEX["distance_km"]], [16.74, 0.0, 5.92], atol=0.01)
    assert got[:, FEATURE_INDEX["occupation_depth_main"]].tolist() == [0.0, 5.0, 5.0]
    assert got[:, FEATURE_INDEX["licences_missing"]].tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(got[:, FEATURE_INDEX["similarity"]], [0.8, 0.6, 0.4])


# --- reasons -------------------------------------------------------------------------------------
def test_explain_pairs_with_contributions(batch: PairBatch, reference: ReferenceData) -> None:
    features = batch.features()
    out = explain_pairs(RuleReranker(), batch, features, [1, 2], reference, max_reasons=3)
    assert len(out) == 2 and all(isinstance(e, Explained) for e in out)
    kl, ott = out
    assert kl.details is not None and ott.details is not None
    # Kaiserslautern: occupation 2.0 and skills 2.0 (ties in family order), then distance 1.5
    assert kl.details.effects == {"occupation": 2.0, "skills": 2.0, "distance": 1.5}
    assert kl.reasons[0].startswith("Zielberuf passt genau") and kl.reasons[1] == "2 von 2 geforderten Kenntnissen"
    assert kl.reasons[2] == "0 km, mit dem Auto etwa 5 Minuten"
    # Otterbach: a missing CE (-1.5) ties with the commute (+1.5) and ranks after it
    assert list(ott.details.effects) == ["occupation", "skills", "distance"]
    full = explain_pairs(RuleReranker(), batch, features, [0], reference, max_reasons=10)[0]  # Landstuhl
    assert full.details is not None
    effects = full.details.effects
    assert effects["occupation"] == 0.0 and effects["similarity"] == pytest.approx(0.4)
    assert effects["skills"] == pytest.approx(1.0)  # 1 of 2 required skills
    assert full.details.facts.distance_km == 16.7 and full.details.facts.missing_skills == ["s-kasse"]
    assert list(effects)[:4] == ["distance", "skills", "working_time", "similarity"]  # strongest first
    assert full.reasons[0] == "17 km, mit dem Auto etwa 31 Minuten"  # distance 1.5 leads


def test_explain_pairs_rounds_effects_and_keeps_facts(batch: PairBatch, reference: ReferenceData) -> None:
    ott = explain_pairs(RuleReranker(), batch, batch.features(), [2], reference, max_reasons=10)[0]
    assert ott.details is not None
    assert ott.details.facts.missing_licences == ["CE"]
    assert ott.details.effects["licences"] == -1.5
    assert ott.details.effects["language"] == pytest.approx(-1 / 3, abs=1e-4)
    assert ott.details.effects["language"] == round(ott.details.effects["language"], 4)
    assert "Führerschein CE fehlt" in ott.reasons
    assert "Deutsch B2, gefordert C1: nicht erfüllt" in ott.reasons


def test_explain_pairs_without_contributions(batch: PairBatch, reference: ReferenceData) -> None:
    reranker = SimilarityReranker()
    assert reranker.contributions(batch.features()) is None
    out = explain_pairs(reranker, batch, batch.features(), [0], reference)
    assert len(out) == 1 and out[0].details is not None
    # a fixed priority, six reasons by default
    assert out[0].details.effects == {f: float(10 - i) for i, f in enumerate(list(FAMILIES)[:6])}
    assert out[0].reasons[0] == (
        "anderes Berufsfeld (Berufe im Verkauf (ohne Produktspezialisierung) – fachlich ausgerichtete Tätigkeiten)"
    )
    assert out[0].reasons[1] == "1 von 2 geforderten Kenntnissen (fehlt: s-kasse)"
    assert explain_pairs(reranker, batch, batch.features(), [], reference) == []


def test_scorer_name() -> None:
    assert scorer_name(RuleReranker()) == "rules"
    assert scorer_name(SimilarityReranker()) == "similarity"
    versioned = RuleReranker()
    versioned.version = "7"
    assert scorer_name(versioned) == "rules:7"


# --- facts and shortlists ------------------------------------------------------------------------
def test_vacancy_facts() -> None:
    v = make_vacancy(required_licences=["CE"], start_date=None)
    assert vacancy_facts(v, "Berufe in der Lagerwirtschaft", "Kaiserslautern").to_json() == {
        "title": "Fachlagerist (m/w/d)",
        "employer": "Lager GmbH",
        "kldb": "51312",
        "occupation": "Berufe in der Lagerwirtschaft",
        "level": "Fachkraft",
        "place": "Kaiserslautern",
        "postcode": "67657",
        "working_time": "full_time",
        "hours_per_week": 39.0,
        "contract_type": "permanent",
        "start_date": None,
        "required_licences": ["CE"],
        "distance_km": None,
        "commute_minutes": None,
    }
    assert vacancy_facts(make_vacancy(), "x", "y", 5.9, 9).to_json()["start_date"] == "2027-01-01"


def test_candidate_facts_show_no_postcode_or_id() -> None:
    facts = candidate_facts(make_candidate(), "Berufe in der Lagerwirtschaft", "Kaiserslautern").to_json()
    assert facts == {
        "kldb": "51312",
        "occupation": "Berufe in der Lagerwirtschaft",
        "level": "Fachkraft",
        "place": "Kaiserslautern",
        "working_time": "full_time",
        "hours_per_week": 39.0,
        "available_from": "2026-12-01",
        "experience_years": 4.0,
        "german_level": "B2",
        "licences": ["B"],
        "has_car": True,
        "distance_km": None,
        "commute_minutes": None,
    }
    assert "67657" not in json.dumps(facts) and "S-0000001" not in json.dumps(facts)


VACANCY_FACTS = vacancy_facts(make_vacancy(id="V-1"), "Berufe in der Lagerwirtschaft", "Kaiserslautern", 5.9, 9)
PAIR_FACTS = PairFacts(["s-lager"], [], [], "car", 5.9, 9, True, [], [])


def shortlist(**overrides: object) -> Shortlist:
    fields: dict[str, object] = dict(
        direction="vacancies_for_candidate",
        query_id="S-0000001",
        items=[ShortlistItem("V-1", 1, 2.5, 0.7, VACANCY_FACTS, ["passt"], Details(PAIR_FACTS, {"skills": 2.0}))],
        excluded={"vacancy_open": 2},
        considered=5,
        eligible=3,
        index=IndexVersion("flat", "minilm", "abc123", "2026-11-25T10:00:00", 5),
        scorer="rules",
        records={"V-1": make_vacancy(id="V-1")},
    )
    fields.update(overrides)
    return Shortlist(**fields)  # type: ignore[arg-type]


def test_shortlist_json_leaves_out_records() -> None:
    answer = shortlist()
    out = answer.to_json()
    assert "records" not in out
    assert out == {
        "direction": "vacancies_for_candidate",
        "query_id": "S-0000001",
        "items": [
            {
                "id": "V-1",
                "rank": 1,
                "score": 2.5,
                "similarity": 0.7,
                "probability": None,  # a shortlist item without a calibrated model
                "facts": VACANCY_FACTS.to_json(),
                "reasons": ["passt"],
                "details": {
                    "matched_skills": ["s-lager"],
                    "missing_skills": [],
                    "matched_optional_skills": [],
                    "commute_mode": "car",
                    "distance_km": 5.9,
                    "commute_minutes": 9,
                    "commute_feasible": True,
                    "missing_licences": [],
                    "missing_permits": [],
                    "occupation_depth": 0,
                    "effects": {"skills": 2.0},
                },
            }
        ],
        "excluded": {"vacancy_open": 2},
        "considered": 5,
        "eligible": 3,
        "index": {
            "kind": "flat",
            "encoder_name": "minilm",
            "encoder_fingerprint": "abc123",
            "built_at": "2026-11-25T10:00:00",
            "count": 5,
            "applied_seq": 0,
        },
        "scorer": "rules",
        "rounds": 1,
        "warnings": [],
        "model": None,
    }
    assert json.loads(json.dumps(out)) == out  # plain JSON
    assert list(answer.records) == ["V-1"]  # the shortlist itself keeps them
    assert out["items"][0]["facts"]["start_date"] == "2027-01-01"
    unexplained = shortlist(items=[ShortlistItem("V-1", 1, 2.5, 0.7, VACANCY_FACTS, [])]).to_json()
    assert unexplained["items"][0]["details"] == {}


def test_shortlists_compare_without_records() -> None:
    assert shortlist() == shortlist(records={})
    assert shortlist() != shortlist(eligible=4)
