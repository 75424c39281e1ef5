from datetime import date

import numpy as np
import pytest

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.features import (
    FEATURE_NAMES,
    as_frame,
    occupation_depth,
    pair_features,
)
from matcher.records.geo import Gazetteer
from matcher.records.models import PROTECTED_ATTRIBUTE_NAMES, Candidate, ProtectedAttributes
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy

AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


def features_of(candidate, vacancies, gazetteer, similarity=None):
    cands = CandidateTable.build([candidate], gazetteer)
    vacs = VacancyTable.build(vacancies, gazetteer)
    n = len(vacancies)
    sim = np.full(n, 0.5) if similarity is None else np.asarray(similarity)
    matrix = pair_features(cands, np.zeros(n, dtype=np.int64), vacs, np.arange(n), sim, AS_OF)
    return as_frame(matrix)


def test_perfect_pair(gazetteer: Gazetteer) -> None:
    row = features_of(make_candidate(), [make_vacancy()], gazetteer).iloc[0]
    assert row["occupation_depth_main"] == 5
    assert row["level_gap"] == 0
    assert row["essential_skill_coverage"] == 1.0
    assert row["essential_skills_missing"] == 0
    assert row["distance_km"] == pytest.approx(0.0)
    assert row["commute_feasible"] == 1
    assert row["working_time_fit"] == 1
    assert row["shift_conflict"] == 0
    assert row["licences_missing"] == 0 and row["permits_missing"] == 0
    assert row["german_gap"] == 1  # B2 against B1
    assert row["vacancy_age_days"] == 24
    assert row["start_gap_days"] == (date(2026, 12, 1) - date(2027, 1, 1)).days


def test_occupation_depth_on_the_kldb_hierarchy() -> None:
    a = np.array([51312, 51312, 51312, 51312, 51312, -1])
    b = np.array([51312, 51311, 51322, 51422, 62102, 51312])
    assert occupation_depth(a, b).tolist() == [5, 4, 3, 2, 0, 0]


def test_alternative_occupation_and_level_gap(gazetteer: Gazetteer) -> None:
    vacancy = make_vacancy(kldb="51313", level=3)
    cand = make_candidate(occupations=["62102", "51313"])
    row = features_of(cand, [vacancy], gazetteer).iloc[0]
    assert row["occupation_depth_main"] == 0
    assert row["occupation_depth_alt"] == 5
    assert row["level_gap"] == 1


def test_skill_coverage_counts_essential_and_optional(gazetteer: Gazetteer) -> None:
    vacancy = make_vacancy(required_skills=["a", "b", "c", "d"], optional_skills=["x", "y"])
    row = features_of(make_candidate(skills=["a", "b", "c", "y"]), [vacancy], gazetteer).iloc[0]
    assert row["essential_skill_coverage"] == 0.75
    assert row["essential_skills_missing"] == 1
    assert row["optional_skill_coverage"] == 0.5


def test_commute_without_car_uses_the_bus(gazetteer: Gazetteer) -> None:
    far = make_vacancy(ags="07335003", postcode="66892")  # Bruchmühlbach-Miesau, ~25 km
    with_car = features_of(make_candidate(has_car=True, max_commute_minutes=60), [far], gazetteer).iloc[0]
    by_bus = features_of(make_candidate(has_car=False, max_commute_minutes=60), [far], gazetteer).iloc[0]
    assert 20 < with_car["distance_km"] < 35
    assert by_bus["commute_minutes"] > with_car["commute_minutes"] + 20
    assert with_car["commute_feasible"] == 1 and by_bus["commute_feasible"] == 0


def test_commute_limit_in_km_is_used_when_stated(gazetteer: Gazetteer) -> None:
    far = make_vacancy(ags="07335003", postcode="66892")
    row = features_of(make_candidate(max_commute_minutes=None, max_commute_km=10), [far], gazetteer).iloc[0]
    assert row["commute_ratio"] > 2 and row["commute_feasible"] == 0


def test_working_time_shift_weekend_licences_language(gazetteer: Gazetteer) -> None:
    vacancy = make_vacancy(
        working_time="part_time",
        hours_per_week=20,
        shifts=True,
        weekends=True,
        required_licences=["CE", "B"],
        german_level_min="C1",
    )
    cand = make_candidate(
        working_time="full_time", shifts=False, weekends=False, licences=["C"], permits=[], german_level="A2"
    )
    row = features_of(cand, [vacancy], gazetteer).iloc[0]
    assert row["working_time_fit"] == 0
    assert row["hours_gap"] == 19
    assert row["shift_conflict"] == 1 and row["weekend_conflict"] == 1
    assert row["licences_missing"] == 1  # C includes B, not CE
    assert row["permits_missing"] == 1
    assert row["german_gap"] == -3


def test_either_working_time_fits_both(gazetteer: Gazetteer) -> None:
    vacancies = [make_vacancy(working_time="part_time"), make_vacancy(working_time="full_time")]
    frame = features_of(make_candidate(working_time="either"), vacancies, gazetteer)
    assert frame["working_time_fit"].tolist() == [1, 1]


def test_no_protected_attribute_is_a_feature_or_an_input() -> None:
    protected = set(PROTECTED_ATTRIBUTE_NAMES) | {"age", "age_group", "nationality", "citizenship"}
    assert not protected & set(FEATURE_NAMES)
    words = {word for name in FEATURE_NAMES for word in name.split("_")}
    assert not {"gender", "birth", "citizenship", "nationality", "disability"} & words
    # "age" only as the age of the advertisement
    assert [n for n in FEATURE_NAMES if "age" in n.split("_")] == ["vacancy_age_days"]
    # The candidate record itself cannot carry them: protected attributes are a separate model.
    assert not set(ProtectedAttributes.model_fields) - {"candidate_id"} & set(Candidate.model_fields)
    assert not {"registered_at", "languages", "profile_text"} & set(CandidateTable.__dataclass_fields__)


def test_feature_matrix_shape_and_dtype(gazetteer: Gazetteer) -> None:
    frame = features_of(make_candidate(), [make_vacancy()] * 3, gazetteer, [0.1, 0.2, 0.3])
    assert list(frame.columns) == list(FEATURE_NAMES)
    assert frame["similarity"].tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert frame.to_numpy().dtype == np.float32
