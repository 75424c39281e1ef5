"""Column tables of both sides (``matcher.ranking.columns``): known values on hand-made records.

The default candidate and vacancy of ``tests.factories`` live in Kaiserslautern 67657; Landstuhl
66849 (AGS 07335022) is the second place.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from matcher.ranking.columns import (
    LICENCE_BIT,
    MAX_ALTERNATIVES,
    PERMIT_BIT,
    CandidateTable,
    Rows,
    VacancyTable,
    bits,
    coordinates,
    known,
)
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy

KL_67657 = (49.4495, 7.7948)
LANDSTUHL = {"ags": "07335022", "postcode": "66849"}


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


# --- the rule for unknown numbers ----------------------------------------------------------------
@pytest.mark.parametrize("value", [None, 0, 0.0, -1, -0.5])
def test_known_turns_unstated_and_non_positive_into_nan(value: float | None) -> None:
    assert np.isnan(known(value))


@pytest.mark.parametrize(("value", "expected"), [(45, 45.0), (0.5, 0.5), (39.0, 39.0)])
def test_known_keeps_positive_values_as_floats(value: float, expected: float) -> None:
    out = known(value)
    assert out == expected and type(out) is float


def test_bits_one_per_name_and_unknown_names_ignored() -> None:
    assert bits([], LICENCE_BIT) == 0
    assert bits(["B"], LICENCE_BIT) == 1 << 4  # AM, A1, A2, A, B
    assert bits(["B", "CE", "B"], LICENCE_BIT) == (1 << 4) | (1 << 9)
    assert bits(["forklift", "nonsense"], PERMIT_BIT) == 1
    assert bits(["adr", "welding"], PERMIT_BIT) == 0b100010


def test_coordinates_postcode_then_municipality_then_nan(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    records = [
        make_candidate(),
        make_candidate(postcode="10115"),  # postcode outside the region: the municipality's centre
        make_candidate(ags="07111000", postcode="56068"),  # Koblenz: unknown
    ]
    out = coordinates(gazetteer, records)
    assert out.shape == (3, 2)
    np.testing.assert_allclose(out[0], KL_67657)
    np.testing.assert_allclose(out[1], reference.municipalities.loc["07312000", ["lat", "lon"]].tolist())
    assert np.isnan(out[2]).all()


# --- CandidateTable / VacancyTable -----------------------------------------------------------------
def test_candidate_table_values_of_a_known_record(gazetteer: Gazetteer) -> None:
    table = CandidateTable.build([make_candidate()], gazetteer)
    assert len(table) == 1
    assert table.main_kldb.tolist() == [51312]
    assert table.alt_kldb.tolist() == [[51311, -1, -1, -1]]
    assert table.level.tolist() == [2]
    np.testing.assert_allclose([table.lat[0], table.lon[0]], KL_67657)
    assert table.has_car.tolist() == [True]
    assert table.max_commute_min.tolist() == [45.0]
    assert np.isnan(table.max_commute_km[0])  # not stated
    assert table.working_time.tolist() == [0]  # full time
    assert table.hours.tolist() == [39.0]
    assert table.shifts.tolist() == [True] and table.weekends.tolist() == [False]
    assert table.licences.tolist() == [LICENCE_BIT["B"]]
    assert table.permits.tolist() == [PERMIT_BIT["forklift"]]
    assert table.german.tolist() == [4]  # B2: A1=1 ... C2=6, native=7
    assert table.experience.tolist() == [4.0]
    assert table.available_from.tolist() == [date(2026, 12, 1).toordinal()]
    assert table.skills == [frozenset({"s-lager", "s-stapler"})]
    assert table.records == [make_candidate()]


def test_candidate_table_expands_licences_and_caps_alternatives(gazetteer: Gazetteer) -> None:
    person = make_candidate(
        occupations=["51312", "51311", "51322", "51332", "52122", "62102"],  # main + 5 alternatives
        licences=["CE"],
        permits=["adr", "crane"],
        working_time="either",
        german_level="native",
        hours_per_week=None,
        max_commute_minutes=0,
        max_commute_km=12.5,
    )
    table = CandidateTable.build([person], gazetteer)
    assert table.alt_kldb.shape == (1, MAX_ALTERNATIVES)
    assert table.alt_kldb.tolist() == [[51311, 51322, 51332, 52122]]  # the fifth alternative is dropped
    assert table.licences[0] == bits(["CE", "C", "C1", "C1E", "BE", "B"], LICENCE_BIT)
    assert table.permits[0] == PERMIT_BIT["adr"] | PERMIT_BIT["crane"]
    assert table.working_time.tolist() == [2]
    assert table.german.tolist() == [7]
    assert np.isnan(table.hours[0]) and np.isnan(table.max_commute_min[0])
    assert table.max_commute_km.tolist() == [12.5]


def test_vacancy_table_values_of_known_records(gazetteer: Gazetteer) -> None:
    plain = make_vacancy()
    other = make_vacancy(
        id="V-2",
        **LANDSTUHL,
        status="filled",
        kldb="52122",
        level=3,
        working_time="part_time",
        hours_per_week=None,
        shifts=False,
        weekends=True,
        required_licences=["CE"],
        required_permits=[],
        german_level_min=None,
        contract_type="temporary_agency",
        start_date=None,
        positions=3,
        required_skills=[],
        optional_skills=["s-a", "s-b"],
    )
    table = VacancyTable.build([plain, other], gazetteer)
    assert len(table) == 2 and table.records == [plain, other]
    assert table.is_open.tolist() == [True, False]
    assert table.kldb.tolist() == [51312, 52122]
    assert table.level.tolist() == [2, 3]
    np.testing.assert_allclose(table.lat, [49.4495, 49.4131])
    np.testing.assert_allclose(table.lon, [7.7948, 7.5702])
    assert table.working_time.tolist() == [0, 1]
    assert table.hours[0] == 39.0 and np.isnan(table.hours[1])
    assert table.shifts.tolist() == [True, False] and table.weekends.tolist() == [False, True]
    assert table.licences.tolist() == [0, LICENCE_BIT["CE"]]  # requirements are not expanded
    assert table.permits.tolist() == [PERMIT_BIT["forklift"], 0]
    assert table.german_min.tolist() == [3, 0]  # B1; 0 = no requirement
    assert table.posted_at.tolist() == [date(2026, 11, 1).toordinal()] * 2
    assert table.start.tolist() == [date(2027, 1, 1).toordinal(), date(2026, 11, 1).toordinal()]
    assert table.start_stated.tolist() == [True, False]
    assert table.temporary_agency.tolist() == [False, True]
    assert table.positions.tolist() == [1, 3]
    assert table.required_skills == [frozenset({"s-lager", "s-stapler"}), frozenset()]
    assert table.optional_skills == [frozenset({"s-sap"}), frozenset({"s-a", "s-b"})]


def test_empty_tables(gazetteer: Gazetteer) -> None:
    cands, vacs = CandidateTable.build([], gazetteer), VacancyTable.build([], gazetteer)
    assert len(cands) == 0 and len(vacs) == 0
    assert cands.alt_kldb.shape == (0, MAX_ALTERNATIVES) and cands.lat.shape == (0,)
    assert vacs.hours.shape == (0,) and vacs.required_skills == []


def test_take_selects_rows_in_order_with_repeats(gazetteer: Gazetteer) -> None:
    items = [make_vacancy(id=f"V{i}", hours_per_week=10.0 + i, required_skills=[f"s-{i}"]) for i in range(4)]
    table = VacancyTable.build(items, gazetteer)
    picked = table.take([3, 0, 3])
    assert type(picked) is VacancyTable and len(picked) == 3
    assert [r.id for r in picked.records] == ["V3", "V0", "V3"]
    assert picked.hours.tolist() == [13.0, 10.0, 13.0]
    assert picked.required_skills == [frozenset({"s-3"}), frozenset({"s-0"}), frozenset({"s-3"})]
    assert len(table.take(np.array([], dtype=np.intp))) == 0
    assert len(table) == 4  # the original is untouched


def test_take_of_a_candidate_table_keeps_two_dimensional_columns(gazetteer: Gazetteer) -> None:
    people = [make_candidate(id="C0"), make_candidate(id="C1", occupations=["52122", "51312", "51311"])]
    picked = CandidateTable.build(people, gazetteer).take([1])
    assert picked.alt_kldb.tolist() == [[51312, 51311, -1, -1]]
    assert picked.main_kldb.tolist() == [52122] and [r.id for r in picked.records] == ["C1"]


# --- Rows ----------------------------------------------------------------------------------------
def test_rows_of_with_none_rows(gazetteer: Gazetteer) -> None:
    first, second = make_candidate(id="C-1"), make_candidate(id="C-2", hours_per_week=20.0, level=3)
    rows = Rows.of(CandidateTable, [None, first, None, second], gazetteer)
    assert len(rows) == 4
    assert [rows.record(i) for i in range(4)] == [None, first, None, second]
    view = rows.view()
    assert type(view) is CandidateTable and len(view) == 4
    assert view.hours[[1, 3]].tolist() == [39.0, 20.0]
    assert view.level[[1, 3]].tolist() == [2, 3]
    assert view.alt_kldb[3].tolist() == [51311, -1, -1, -1]
    assert view.skills[1] == frozenset({"s-lager", "s-stapler"}) and view.skills[0] is None


def test_rows_of_only_none_rows(gazetteer: Gazetteer) -> None:
    rows = Rows.of(VacancyTable, [None, None], gazetteer)
    assert len(rows) == 2 and len(rows.view()) == 2
    assert rows.view().records == [None, None]
    assert not rows.view().is_open.any()  # an empty row is never an open vacancy


def test_rows_set_appends_and_overwrites(gazetteer: Gazetteer) -> None:
    rows = Rows.of(VacancyTable, [], gazetteer)
    assert len(rows) == 0 and len(rows.view()) == 0
    rows.set(0, make_vacancy(id="V0", hours_per_week=10.0))
    rows.set(1, make_vacancy(id="V1", hours_per_week=20.0))
    assert len(rows) == 2 and rows.view().hours.tolist() == [10.0, 20.0]
    rows.set(0, make_vacancy(id="V0", hours_per_week=30.0, status="withdrawn"))  # overwrite in place
    view = rows.view()
    assert len(rows) == 2 and view.hours.tolist() == [30.0, 20.0]
    assert view.is_open.tolist() == [False, True]
    assert [r.id for r in view.records] == ["V0", "V1"]
    with pytest.raises(IndexError):
        rows.set(3, make_vacancy(id="V3"))  # a gap after the end
    assert len(rows) == 2


def test_rows_view_length_through_capacity_growth(gazetteer: Gazetteer) -> None:
    rows = Rows.of(CandidateTable, [make_candidate(id="C0")], gazetteer)
    for i in range(1, 130):  # past two doublings of the first capacity
        rows.set(i, make_candidate(id=f"C{i}", hours_per_week=float(1 + i % 40)))
    view = rows.view()
    assert len(rows) == len(view) == 130
    for name in ("main_kldb", "lat", "hours", "licences", "available_from", "alt_kldb"):
        assert len(getattr(view, name)) == 130, name
    assert len(view.skills) == 130
    assert view.hours[[0, 1, 40, 129]].tolist() == [39.0, 2.0, 1.0, 10.0]
    assert rows.record(129).id == "C129"
    expected = CandidateTable.build([rows.record(i) for i in range(130)], gazetteer)
    np.testing.assert_array_equal(view.hours, expected.hours)
    np.testing.assert_array_equal(view.alt_kldb, expected.alt_kldb)


def test_an_earlier_view_keeps_its_length_after_an_append(gazetteer: Gazetteer) -> None:
    rows = Rows.of(VacancyTable, [make_vacancy(id="V0")], gazetteer)
    before = rows.view()
    rows.set(1, make_vacancy(id="V1"))
    assert len(before) == len(before.hours) == 1
