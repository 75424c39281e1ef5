"""Hard filters: known answers on hand-made records, in both directions, with exclusion counts.

Places (straight-line from Kaiserslautern 67657): Otterbach 67731 ~5.9 km, Landstuhl 66849
~16.7 km, Bruchmühlbach-Miesau 66892 ~27.2 km. Commute by car ~14, ~31, ~47 minutes; by bus
~36, ~74, ~111 minutes (``matcher.records.geo.CommuteModel``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from matcher.ranking.columns import CandidateTable, Rows, VacancyTable
from matcher.ranking.filters import FILTER_ORDER, FILTERS, FilterOptions, FilterResult, apply_filters
from matcher.records.geo import Gazetteer
from matcher.records.models import Candidate, Vacancy
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy

TODAY = date(2026, 11, 20)
OTTERBACH = {"ags": "07335034", "postcode": "67731"}
LANDSTUHL = {"ags": "07335022", "postcode": "66849"}
MIESAU = {"ags": "07335003", "postcode": "66892"}


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


def vacancies(*overrides: dict[str, Any]) -> list[Vacancy]:
    return [make_vacancy(id=f"V{i}", **o) for i, o in enumerate(overrides)]


def for_candidate(gazetteer: Gazetteer, candidate: Candidate, items: list[Vacancy], **options: Any) -> FilterResult:
    return apply_filters(
        CandidateTable.build([candidate], gazetteer),
        VacancyTable.build(items, gazetteer),
        FilterOptions(**options),
        TODAY,
    )


def kept(result: FilterResult) -> list[int]:
    return [int(i) for i in np.flatnonzero(result.keep)]


def test_defaults_keep_a_matching_pair(gazetteer: Gazetteer) -> None:
    result = for_candidate(gazetteer, make_candidate(), vacancies({}))
    assert kept(result) == [0]
    assert result.excluded == dict.fromkeys(FILTER_ORDER, 0)


def test_closed_vacancies_are_excluded(gazetteer: Gazetteer) -> None:
    items = vacancies({}, {"status": "filled"}, {"status": "withdrawn"})
    result = for_candidate(gazetteer, make_candidate(), items)
    assert kept(result) == [0] and result.excluded["vacancy_open"] == 2
    assert kept(for_candidate(gazetteer, make_candidate(), items, vacancy_open=False)) == [0, 1, 2]


def test_distance_limit_from_request_or_candidate(gazetteer: Gazetteer) -> None:
    items = vacancies(OTTERBACH, LANDSTUHL, MIESAU)
    far_ok = make_candidate(max_commute_minutes=None)  # no own limit
    assert kept(for_candidate(gazetteer, far_ok, items)) == [0, 1, 2]
    result = for_candidate(gazetteer, far_ok, items, max_distance_km=20)
    assert kept(result) == [0, 1] and result.excluded["distance"] == 1
    np.testing.assert_allclose(result.distance_km, [5.9, 16.7, 27.2], atol=0.2)
    own = make_candidate(max_commute_minutes=None, max_commute_km=10)
    assert kept(for_candidate(gazetteer, own, items)) == [0]
    assert kept(for_candidate(gazetteer, own, items, use_candidate_limits=False)) == [0, 1, 2]


def test_commute_by_car_or_bus(gazetteer: Gazetteer) -> None:
    items = vacancies(OTTERBACH, LANDSTUHL, MIESAU)
    car = make_candidate(has_car=True, max_commute_minutes=45)
    bus = make_candidate(has_car=False, max_commute_minutes=45)
    assert kept(for_candidate(gazetteer, car, items)) == [0, 1]  # 14, 31 | 47 minutes
    result = for_candidate(gazetteer, bus, items)
    assert kept(result) == [0] and result.excluded["commute"] == 2  # 36 | 74, 111 minutes
    assert kept(for_candidate(gazetteer, bus, items, max_commute_minutes=80)) == [0, 1]


def test_working_time_kind_and_hours(gazetteer: Gazetteer) -> None:
    items = vacancies(
        {"working_time": "full_time", "hours_per_week": 40},
        {"working_time": "part_time", "hours_per_week": 20},
        {"working_time": "part_time", "hours_per_week": 30},
        {"working_time": "either", "hours_per_week": None},
    )
    part = make_candidate(working_time="part_time", hours_per_week=20)
    result = for_candidate(gazetteer, part, items)
    assert kept(result) == [1, 3] and result.excluded["working_time"] == 2
    assert kept(for_candidate(gazetteer, part, items, hours_tolerance=10)) == [1, 2, 3]
    either = make_candidate(working_time="either", hours_per_week=None)
    assert kept(for_candidate(gazetteer, either, items)) == [0, 1, 2, 3]


def test_licences_use_included_classes_and_permits(gazetteer: Gazetteer) -> None:
    items = vacancies(
        {"required_licences": ["C"], "required_permits": []},
        {"required_licences": ["CE"], "required_permits": []},
        {"required_licences": ["B"], "required_permits": ["adr"]},
        {"required_licences": [], "required_permits": ["forklift"]},
    )
    trucker = make_candidate(licences=["CE"], permits=["forklift"])  # CE includes C, C1, BE, B
    result = for_candidate(gazetteer, trucker, items)
    assert kept(result) == [0, 1, 3] and result.excluded["licences"] == 1
    car_only = make_candidate(licences=["B"], permits=[])
    assert kept(for_candidate(gazetteer, car_only, items)) == []
    assert kept(for_candidate(gazetteer, car_only, items, licences=False)) == [0, 1, 2, 3]


def test_availability_by_start_date_or_given_date(gazetteer: Gazetteer) -> None:
    items = vacancies({"start_date": date(2027, 1, 1)}, {"start_date": date(2026, 11, 1)}, {"start_date": None})
    candidate = make_candidate(available_from=date(2026, 12, 1))
    result = for_candidate(gazetteer, candidate, items)  # no start date: must be available today
    assert kept(result) == [0] and result.excluded["availability"] == 2
    assert kept(for_candidate(gazetteer, candidate, items, available_by=date(2027, 2, 1))) == [0, 1, 2]
    assert kept(for_candidate(gazetteer, candidate, items, today=date(2026, 12, 24))) == [0]


def test_each_item_counts_for_its_first_failing_filter(gazetteer: Gazetteer) -> None:
    items = vacancies(
        {"status": "filled", **MIESAU, "required_licences": ["D"]},  # open, commute, licences
        {**MIESAU, "required_licences": ["D"]},  # commute, licences
        {"required_licences": ["D"], "start_date": date(2026, 1, 1)},  # licences, availability
        {"start_date": date(2026, 1, 1)},  # availability
        {},  # passes
    )
    result = for_candidate(gazetteer, make_candidate(has_car=False), items)
    assert kept(result) == [4]
    assert result.excluded == {
        "vacancy_open": 1,
        "distance": 0,
        "commute": 1,
        "working_time": 0,
        "licences": 1,
        "availability": 1,
    }
    assert sum(result.excluded.values()) == len(items) - len(kept(result))


def test_both_directions_agree(gazetteer: Gazetteer) -> None:
    people = [
        make_candidate(
            id=f"C{i}",
            has_car=i % 2 == 0,
            licences=["B"] if i % 3 else ["CE"],
            working_time=("full_time", "part_time", "either")[i % 3],
        )
        for i in range(9)
    ]
    vacancy = make_vacancy(**LANDSTUHL, required_licences=["C"], hours_per_week=None)
    forward = [bool(for_candidate(gazetteer, c, [vacancy]).keep[0]) for c in people]
    backward = apply_filters(
        CandidateTable.build(people, gazetteer), VacancyTable.build([vacancy], gazetteer), FilterOptions(), TODAY
    )
    assert backward.keep.tolist() == forward
    assert 0 < sum(forward) < len(people)


def test_unknown_place_and_empty_input_never_exclude(gazetteer: Gazetteer) -> None:
    outside = make_vacancy(ags="07111000", postcode="56068")  # Koblenz, not in the gazetteer
    result = for_candidate(gazetteer, make_candidate(), [outside], max_distance_km=1)
    assert kept(result) == [0] and np.isnan(result.distance_km[0])
    empty = for_candidate(gazetteer, make_candidate(), [])
    assert empty.keep.shape == (0,) and sum(empty.excluded.values()) == 0


def test_options_are_frozen_with_overrides() -> None:
    base = FilterOptions()
    strict = base.override(max_distance_km=10, licences=False)
    assert base.max_distance_km is None and strict.max_distance_km == 10 and not strict.licences
    with pytest.raises(TypeError):
        base.override(no_such_filter=True)


def test_rows_follow_upserts_in_index_row_order(gazetteer: Gazetteer) -> None:
    first, second = make_vacancy(id="V-1"), make_vacancy(id="V-2", hours_per_week=20.0)
    rows = Rows.of(VacancyTable, [first, None, second], gazetteer)  # row 1: a tombstone
    assert len(rows) == 3 and rows.view().hours[[0, 2]].tolist() == [39.0, 20.0]
    assert rows.record(1) is None
    changed = make_vacancy(id="V-1", required_licences=["CE"], status="filled")
    rows.set(0, changed)
    added = make_vacancy(id="V-3", hours_per_week=10.0)
    for _ in range(100):  # appends past the first capacity
        rows.set(len(rows), added)
    expected = VacancyTable.build([changed, added], gazetteer)
    got = rows.view().take([0, len(rows) - 1])
    for name in ("is_open", "hours", "licences", "start", "start_stated"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    assert got.records == [changed, added] and len(rows.view()) == 103


def test_unknown_values_follow_one_rule(gazetteer: Gazetteer) -> None:
    """A commute limit or hours of 0 and a place outside the region are unknown on both sides."""
    person = make_candidate(max_commute_minutes=0, max_commute_km=0, hours_per_week=None)
    table = CandidateTable.build([person], gazetteer)
    assert np.isnan(table.max_commute_min[0]) and np.isnan(table.max_commute_km[0])
    outside = make_vacancy(ags="07111000", postcode="56068")
    vacs = VacancyTable.build([outside], gazetteer)
    assert np.isnan(vacs.lat[0])
    assert kept(for_candidate(gazetteer, person, [make_vacancy(**MIESAU)])) == [0]


def test_filter_order_is_the_filters(gazetteer: Gazetteer) -> None:
    assert tuple(FILTERS) == FILTER_ORDER


def test_within_limits_what_is_kept_and_counted(gazetteer: Gazetteer) -> None:
    items = vacancies({}, {"status": "filled"}, {"status": "filled"})
    within = np.array([True, True, False])
    result = apply_filters(
        CandidateTable.build([make_candidate()], gazetteer),
        VacancyTable.build(items, gazetteer),
        FilterOptions(),
        TODAY,
        within=within,
    )
    assert kept(result) == [0] and result.excluded["vacancy_open"] == 1


def test_distances_through_place_codes_equal_the_direct_ones(gazetteer: Gazetteer) -> None:
    from matcher.ranking.filters import pair_geography

    items = vacancies({}, OTTERBACH, LANDSTUHL, MIESAU, {"ags": "07111000", "postcode": "56068"})
    person, vacs = CandidateTable.build([make_candidate()], gazetteer), VacancyTable.build(items, gazetteer)
    places = (gazetteer.place_lat, gazetteer.place_lon)
    fast, fast_commute = pair_geography(person, vacs, places)
    slow, slow_commute = pair_geography(person, vacs)
    np.testing.assert_allclose(fast, slow, equal_nan=True)
    np.testing.assert_allclose(fast_commute, slow_commute, equal_nan=True)
    assert np.isnan(fast[-1]) and fast[2] == pytest.approx(16.7, abs=0.1)
    people = CandidateTable.build([make_candidate(**OTTERBACH), make_candidate(**MIESAU)], gazetteer)
    one_vacancy = VacancyTable.build(items[:1], gazetteer)
    np.testing.assert_allclose(pair_geography(people, one_vacancy, places)[0], pair_geography(people, one_vacancy)[0])
