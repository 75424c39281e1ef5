"""What fits and what does not (``matcher.ranking.explain.points_of``): polarity as data, each point once,
no vacancy age or similarity as a point, the working time split into its own ✗ points."""

from __future__ import annotations

from collections import Counter

import pytest

from matcher.ranking.explain import explain
from matcher.records.geo import Gazetteer
from matcher.records.models import Candidate, Vacancy
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy
from tests.matcher.test_explain import LANDSTUHL, S1, S2, S3, SKILLS, features


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


def points(gazetteer: Gazetteer, reference: ReferenceData, c: Candidate, v: Vacancy) -> list[tuple[str, str, bool]]:
    found = explain(c, v, features(gazetteer, c, v), None, reference, max_reasons=3)
    return [(family, p.text, p.fits) for family, p in found.points]


def test_a_fitting_pair_has_only_fitting_points(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    found = points(gazetteer, reference, make_candidate(), make_vacancy())
    assert found and all(fits for _, _, fits in found)
    families = {f for f, _, _ in found}
    assert "vacancy" not in families and "similarity" not in families  # not reasons to staff
    assert not any("Ähnlichkeit" in t or "ausgeschrieben" in t for _, t, _ in found)


def test_points_are_not_cut_with_the_reasons(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    c, v = make_candidate(), make_vacancy()
    found = explain(c, v, features(gazetteer, c, v), None, reference, max_reasons=2)
    assert len(found.reasons) == 2
    assert {"occupation", "skills", "distance", "working_time", "availability"} <= {f for f, _ in found.points}


def test_weekend_and_shift_conflicts_are_their_own_misses(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(working_time="part_time", shifts=False, weekends=False)
    job = make_vacancy(working_time="part_time", hours_per_week=20, shifts=True, weekends=True)
    working = [(t, fits) for f, t, fits in points(gazetteer, reference, person, job) if f == "working_time"]
    assert working == [
        ("Arbeitszeit passt (Teilzeit)", True),
        ("Schichtarbeit gefordert – Person nicht bereit", False),
        ("Wochenendarbeit gefordert – Person nicht bereit", False),
    ]


def test_missing_skills_appear_once(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(skills=[S1])
    job = make_vacancy(required_skills=[S1, S2, S3])
    found = points(gazetteer, reference, person, job)
    skills = [(t, fits) for f, t, fits in found if f == "skills"]
    assert skills == [
        (f"Kenntnisse vorhanden (1 von 3): {SKILLS[S1]}", True),
        (f"Kenntnisse fehlen (2 von 3): {SKILLS[S2]}, {SKILLS[S3]}", False),
    ]
    mentions = Counter(label for _, t, _ in found for label in SKILLS.values() if label in t)
    assert all(n == 1 for n in mentions.values())


def test_other_field_level_distance_licence_language_misses(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(
        occupations=["51312"], level=2, max_commute_km=5, has_car=False, licences=[], german_level="A2", **LANDSTUHL
    )
    job = make_vacancy(kldb="62102", level=3, required_licences=["C"], german_level_min="B2")
    misses = [(f, t) for f, t, fits in points(gazetteer, reference, person, job) if not fits]
    texts = [t for _, t in misses]
    assert any(f == "occupation" and t.startswith("anderes Berufsfeld") for f, t in misses)
    assert "Stelle verlangt Spezialist, erreicht: Fachkraft" in texts
    assert "Führerschein C fehlt" in texts
    assert "Deutsch: gefordert B2, vorhanden A2" in texts
    assert "Arbeitsweg länger als zumutbar (Grenze der Person: 5 km)" in texts


def test_related_occupation_says_digits(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    person = make_candidate(occupations=["51312"])
    found = points(gazetteer, reference, person, make_vacancy(kldb="51311", level=2))
    occupation = [(t, fits) for f, t, fits in found if f == "occupation"]
    assert occupation[0][1] is True and "4 Ziffern der KldB gleich" in occupation[0][0]
