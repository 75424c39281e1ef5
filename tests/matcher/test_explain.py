"""German reasons for one match (``matcher.ranking.explain``): each family's sentence on a crafted pair,
ordering by the size of the effect, and the cut to ``max_reasons``.

The default candidate and vacancy of ``tests.factories`` are a Fachkraft Lagerwirtschaft pair in
Kaiserslautern 67657; Landstuhl 66849 is ~16.7 km away (car ~31, bus ~74 minutes).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.explain import FAMILIES, Explanation, explain
from matcher.ranking.features import FEATURE_INDEX, FEATURE_NAMES, N_FEATURES, pair_features
from matcher.ranking.reranker import RuleReranker
from matcher.records.geo import Gazetteer
from matcher.records.models import Candidate, Vacancy
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy

AS_OF = date(2026, 11, 25)
LANDSTUHL = {"ags": "07335022", "postcode": "66849"}
SKILLS = {  # real ESCO ids and their German labels
    "0007bdc2-dd15-4824-b7d6-416522c46f35": "Einhaltung von Vorschriften von Eisenbahnfahrzeugen überprüfen",
    "00090cc1-1f27-439e-a4e0-19a87a501bfc": "verfügbare Dienste ermitteln",
    "00064735-8fad-454b-90c7-ed858cc993f2": "Strafvollzugsverfahren beaufsichtigen",
}
S1, S2, S3 = SKILLS


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


def features(gazetteer: Gazetteer, c: Candidate, v: Vacancy, similarity: float = 0.5) -> NDArray[np.float32]:
    cands, vacs = CandidateTable.build([c], gazetteer), VacancyTable.build([v], gazetteer)
    return pair_features(cands, np.array([0]), vacs, np.array([0]), np.array([similarity]), AS_OF)[0]


def explained(
    gazetteer: Gazetteer,
    reference: ReferenceData,
    c: Candidate,
    v: Vacancy,
    contributions: NDArray[np.float32] | None = None,
    max_reasons: int = len(FAMILIES),
    **kw: Any,
) -> Explanation:
    return explain(c, v, features(gazetteer, c, v, **kw), contributions, reference, max_reasons)


def sentences(explanation: Explanation) -> dict[str, str]:
    return {r.family: r.text for r in explanation.reasons}


def test_families_cover_every_feature_once() -> None:
    grouped = [name for names in FAMILIES.values() for name in names]
    assert sorted(grouped) == sorted(FEATURE_NAMES) and len(grouped) == N_FEATURES


def test_a_fitting_pair_in_every_family(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    texts = sentences(explained(gazetteer, reference, make_candidate(), make_vacancy(), similarity=0.7))
    assert texts == {
        "occupation": "Zielberuf passt genau (Berufe in der Lagerwirtschaft – fachlich ausgerichtete Tätigkeiten)",
        "skills": "2 von 2 geforderten Kenntnissen",
        "distance": "0 km, mit dem Auto etwa 5 Minuten",
        "working_time": "Arbeitszeit passt (Vollzeit)",
        "licences": "Staplerschein vorhanden",
        "language": "Deutsch B2, gefordert B1: erfüllt",
        "experience": "4 Jahre Berufserfahrung",
        "availability": "verfügbar zum Stellenbeginn",
        "vacancy": "Stelle seit 24 Tagen ausgeschrieben",
        "similarity": "Profil und Stellenbeschreibung ähnlich (Ähnlichkeit 0.70)",
    }


def test_occupation_related_other_and_level(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(occupations=["51312"], level=2)
    related = sentences(explained(gazetteer, reference, person, make_vacancy(kldb="51311", level=1)))
    assert related["occupation"] == (
        "verwandter Beruf (4 Ziffern der KldB gleich: Berufe in der Lagerwirtschaft – Helfer-/Anlerntätigkeiten)"
        "; Stelle auf Niveau Helfer (unter dem erreichten)"
    )
    other = sentences(explained(gazetteer, reference, person, make_vacancy(kldb="62102", level=3)))
    assert other["occupation"] == (
        "anderes Berufsfeld (Berufe im Verkauf (ohne Produktspezialisierung) – fachlich ausgerichtete Tätigkeiten)"
        "; Stelle verlangt Spezialist, erreicht: Fachkraft"
    )
    # an alternative occupation that matches exactly counts as an exact match
    alt = make_candidate(occupations=["62102", "51312"])
    assert sentences(explained(gazetteer, reference, alt, make_vacancy()))["occupation"].startswith(
        "Zielberuf passt genau"
    )


def test_skills_matched_and_missing(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(skills=[S1])
    job = make_vacancy(required_skills=[S1, S2, S3, "s-unbekannt"], optional_skills=[S1, "s-sap"])
    found = explained(gazetteer, reference, person, job)
    assert sentences(found)["skills"] == f"1 von 4 geforderten Kenntnissen (fehlt: {SKILLS[S2]}, {SKILLS[S3]}…)"
    assert found.facts.matched_skills == [SKILLS[S1]]
    assert found.facts.missing_skills == [SKILLS[S2], SKILLS[S3], "s-unbekannt"]
    assert found.facts.matched_optional_skills == [SKILLS[S1]]
    two_missing = explained(gazetteer, reference, person, make_vacancy(required_skills=[S2, S3]))
    assert sentences(two_missing)["skills"] == f"0 von 2 geforderten Kenntnissen (fehlt: {SKILLS[S2]}, {SKILLS[S3]})"


def test_skills_when_only_optional_ones_are_asked(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    job = make_vacancy(required_skills=[], optional_skills=[S1, S2, "s-lager"])
    found = explained(gazetteer, reference, make_candidate(), job)
    assert sentences(found)["skills"] == "1 von 3 wünschenswerten Kenntnissen"
    assert found.facts.matched_optional_skills == ["s-lager"] and found.facts.missing_skills == []


def test_licences_missing_present_and_none_asked(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(licences=["B"], permits=[])
    missing = explained(gazetteer, reference, person, make_vacancy(required_licences=["CE"], required_permits=["adr"]))
    assert sentences(missing)["licences"] == "Führerschein CE fehlt, ADR-Bescheinigung (Gefahrgut) fehlt"
    assert missing.facts.missing_licences == ["CE"]
    assert missing.facts.missing_permits == ["ADR-Bescheinigung (Gefahrgut)"]
    trucker = make_candidate(licences=["CE"], permits=["forklift"])  # CE includes C
    held = explained(
        gazetteer, reference, trucker, make_vacancy(required_licences=["C"], required_permits=["forklift"])
    )
    assert sentences(held)["licences"] == "Führerschein C, Staplerschein vorhanden"
    assert held.facts.missing_licences == [] and held.facts.missing_permits == []
    none = explained(gazetteer, reference, person, make_vacancy(required_licences=[], required_permits=[]))
    assert sentences(none)["licences"] == "keine Führerscheine oder Scheine gefordert"


@pytest.mark.parametrize(
    ("have", "need", "sentence"),
    [
        ("B2", "B1", "Deutsch B2, gefordert B1: erfüllt"),
        ("C1", "C1", "Deutsch C1, gefordert C1: erfüllt"),
        ("A2", "C1", "Deutsch A2, gefordert C1: nicht erfüllt"),
        ("C2", "native", "Deutsch C2, gefordert Muttersprache: nicht erfüllt"),
        ("native", None, "keine Deutschanforderung (Deutsch Muttersprache)"),
    ],
)
def test_german_level(
    gazetteer: Gazetteer, reference: ReferenceData, have: str, need: str | None, sentence: str
) -> None:
    found = explained(gazetteer, reference, make_candidate(german_level=have), make_vacancy(german_level_min=need))
    assert sentences(found)["language"] == sentence


def test_working_time_kind_shifts_and_weekends(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(working_time="full_time", shifts=False, weekends=False)
    job = make_vacancy(working_time="part_time", hours_per_week=20, shifts=True, weekends=True)
    assert sentences(explained(gazetteer, reference, person, job))["working_time"] == (
        "Teilzeitstelle, gewünscht Vollzeit; Schichtarbeit gefordert – Person nicht bereit; "
        "Wochenendarbeit gefordert – Person nicht bereit"
    )
    flexible = make_candidate(working_time="either", shifts=True, weekends=True)
    assert sentences(explained(gazetteer, reference, flexible, job))["working_time"] == "Arbeitszeit passt (Teilzeit)"
    either_job = make_vacancy(working_time="either", hours_per_week=None, shifts=False)
    assert sentences(explained(gazetteer, reference, person, either_job))["working_time"] == (
        "Arbeitszeit passt (Voll- oder Teilzeit)"
    )


def test_distance_by_car_and_by_bus(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    job = make_vacancy(**LANDSTUHL)
    car = explained(gazetteer, reference, make_candidate(has_car=True, max_commute_minutes=45), job)
    assert sentences(car)["distance"] == "17 km, mit dem Auto etwa 31 Minuten"
    assert {
        k: getattr(car.facts, k) for k in ("distance_km", "commute_minutes", "commute_mode", "commute_feasible")
    } == {
        "distance_km": 16.7,
        "commute_minutes": 31,
        "commute_mode": "car",
        "commute_feasible": True,
    }
    bus = explained(gazetteer, reference, make_candidate(has_car=False, max_commute_minutes=45), job)
    assert sentences(bus)["distance"] == "17 km, mit Bus und Bahn etwa 74 Minuten (mehr als die zumutbaren 45 Minuten)"
    assert bus.facts.commute_mode == "public_transport" and bus.facts.commute_feasible is False
    by_km = explained(gazetteer, reference, make_candidate(max_commute_minutes=None, max_commute_km=10), job)
    assert sentences(by_km)["distance"] == "17 km, mit dem Auto etwa 31 Minuten (mehr als die zumutbaren 10 km)"
    default = explained(gazetteer, reference, make_candidate(has_car=False, max_commute_minutes=None), job)
    assert sentences(default)["distance"] == "17 km, mit Bus und Bahn etwa 74 Minuten"  # within the default 75


def test_an_unstated_km_limit_of_zero_is_not_named(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(has_car=False, max_commute_minutes=None, max_commute_km=0)
    far = make_vacancy(ags="07335003", postcode="66892")  # Bruchmühlbach-Miesau, ~111 minutes by bus
    text = sentences(explained(gazetteer, reference, person, far))["distance"]
    assert text == "27 km, mit Bus und Bahn etwa 111 Minuten (mehr als die zumutbaren 75 Minuten)"


def test_a_pair_with_an_unknown_place_can_be_explained(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    outside = make_vacancy(ags="07111000", postcode="56068")  # Koblenz, not in the gazetteer
    found = explained(gazetteer, reference, make_candidate(), outside)
    assert "distance" in sentences(found)


def test_availability_experience_vacancy_and_similarity(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    late = make_candidate(available_from=date(2027, 2, 1), experience_years=12.4)
    job = make_vacancy(contract_type="temporary_agency", posted_at=date(2026, 10, 26), start_date=date(2027, 1, 1))
    texts = sentences(explained(gazetteer, reference, late, job, similarity=0.456))
    assert texts["availability"] == "verfügbar erst ab 01.02.2027"
    assert texts["experience"] == "12 Jahre Berufserfahrung"
    assert texts["vacancy"] == "Stelle seit 30 Tagen ausgeschrieben, Zeitarbeit"
    assert texts["similarity"] == "Profil und Stellenbeschreibung ähnlich (Ähnlichkeit 0.46)"
    no_start = make_vacancy(start_date=None, posted_at=date(2026, 11, 1))  # starts at posting
    assert sentences(explained(gazetteer, reference, late, no_start))["availability"] == "verfügbar erst ab 01.02.2027"
    early = make_candidate(available_from=date(2026, 11, 1))
    assert sentences(explained(gazetteer, reference, early, no_start))["availability"] == "verfügbar zum Stellenbeginn"


def crafted(**by_feature: float) -> NDArray[np.float32]:
    contrib = np.zeros(N_FEATURES, dtype=np.float32)
    for name, value in by_feature.items():
        contrib[FEATURE_INDEX[name]] = value
    return contrib


def test_reasons_are_ordered_by_absolute_effect(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    contrib = crafted(
        licences_missing=-2.0,
        permits_missing=-1.0,  # licences: -3.0
        essential_skill_coverage=2.0,
        essential_skills_missing=-0.5,  # skills: 1.5
        similarity=0.25,
        experience_years=-0.125,
        distance_km=0.5,
        commute_minutes=-0.5,  # distance: 0.0
    )
    found = explained(gazetteer, reference, make_candidate(), make_vacancy(), contrib)
    assert [(r.family, r.effect) for r in found.reasons[:4]] == [
        ("licences", -3.0),
        ("skills", 1.5),
        ("similarity", 0.25),
        ("experience", -0.125),
    ]
    assert [r.family for r in found.reasons[4:]] == [  # no effect: in family order
        "occupation",
        "distance",
        "working_time",
        "language",
        "availability",
        "vacancy",
    ]
    assert all(r.effect == 0.0 for r in found.reasons[4:])


def test_max_reasons_cuts_but_facts_stay(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    contrib = crafted(similarity=0.9, german_gap=-0.8, hours_gap=0.1)
    found = explained(gazetteer, reference, make_candidate(), make_vacancy(**LANDSTUHL), contrib, max_reasons=2)
    assert [r.family for r in found.reasons] == ["similarity", "language"]
    assert found.reasons[1].effect == pytest.approx(-0.8)
    assert found.facts.distance_km == 16.7 and found.facts.matched_skills == ["s-lager", "s-stapler"]
    assert found.facts.missing_licences == []
    assert explained(gazetteer, reference, make_candidate(), make_vacancy(), contrib, max_reasons=0).reasons == []


def test_a_trailing_bias_term_is_ignored(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    contrib = crafted(positions=0.3, start_gap_days=-0.2)
    with_bias = np.append(contrib, np.float32(100.0))
    a = explained(gazetteer, reference, make_candidate(), make_vacancy(), contrib)
    b = explained(gazetteer, reference, make_candidate(), make_vacancy(), with_bias)
    assert a == b
    assert [r.family for r in a.reasons[:2]] == ["vacancy", "availability"]


def test_without_contributions_a_fixed_priority(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person, job = make_candidate(), make_vacancy()
    x = features(gazetteer, person, job)
    found = explain(person, job, x, None, reference)  # default max_reasons=6
    assert [r.family for r in found.reasons] == list(FAMILIES)[:6]
    assert [r.effect for r in found.reasons] == [10.0, 9.0, 8.0, 7.0, 6.0, 5.0]


def test_rule_reranker_contributions_give_the_order(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(licences=["B"], german_level="A2")
    job = make_vacancy(required_licences=["CE"], required_permits=["adr", "forklift"], german_level_min="C1")
    x = features(gazetteer, person, job, similarity=0.6)
    contrib = RuleReranker().contributions(x[None, :])[0]
    found = explain(person, job, x, contrib, reference, max_reasons=10)
    effects = {r.family: r.effect for r in found.reasons}
    # occupation 2.0 (exact), skills 2.0, distance 1.5, working time 1.0, licences -1.5 * min(2, 2),
    # German -1.0 * min(3, 3) / 3, similarity 0.5 * 0.6; the rest 0
    assert effects == pytest.approx(
        {
            "occupation": 2.0,
            "skills": 2.0,
            "distance": 1.5,
            "working_time": 1.0,
            "licences": -3.0,
            "language": -1.0,
            "experience": 0.0,
            "availability": 0.0,
            "vacancy": 0.0,
            "similarity": 0.3,
        }
    )
    assert [r.family for r in found.reasons[:3]] == ["licences", "occupation", "skills"]
    assert sentences(found)["licences"] == "Führerschein CE fehlt, ADR-Bescheinigung (Gefahrgut) fehlt"
    assert sentences(found)["language"] == "Deutsch A2, gefordert C1: nicht erfüllt"
