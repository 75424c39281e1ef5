"""One column model per side of the market: the fields that filters, features and explanations read.

``CandidateTable`` and ``VacancyTable`` hold one row per record as numpy arrays (and the records
themselves, for reasons and facts). They are built once per engine or training run and then
selected by row indices; the filters (:mod:`matcher.ranking.filters`), the pair features
(:mod:`matcher.ranking.features`) and the training set builder all read these same arrays.

One rule for unknown values: a number that is not stated is NaN, and so is a limit of 0 (no one
commutes 0 minutes: the source systems write 0 for "keine Angabe"), a weekly-hours figure of 0 and
the coordinates of a place the gazetteer does not know. Filters let unknown values pass; features
turn them into their documented defaults.

``Rows`` keeps a table in the row order of a vector index (row i of the table is row i of the FAISS
index) and grows in amortised O(1) as records are upserted, so that a filter mask over the table is
directly a mask over the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Generic, Self, TypeVar

import numpy as np
from numpy.typing import NDArray

from matcher.records.geo import Gazetteer
from matcher.records.models import (
    GERMAN_LEVEL_RANK,
    LICENCES,
    PERMITS,
    Candidate,
    ContractType,
    Vacancy,
    VacancyStatus,
    WorkingTime,
    effective_licences,
)

MAX_ALTERNATIVES = 4
WORKING_TIME_CODES = {WorkingTime.FULL_TIME: 0, WorkingTime.PART_TIME: 1, WorkingTime.EITHER: 2}
EITHER = WORKING_TIME_CODES[WorkingTime.EITHER]
LICENCE_BIT = {name: 1 << i for i, name in enumerate(LICENCES)}
PERMIT_BIT = {name: 1 << i for i, name in enumerate(PERMITS)}

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


def known(value: float | None) -> float:
    """The one rule for unknown numbers: None and values <= 0 are NaN."""
    return np.nan if value is None or value <= 0 else float(value)


def bits(names: Sequence[str], table: dict[str, int]) -> int:
    """One bit per licence class or permit: "holds every requirement" is one vector operation."""
    value = 0
    for name in names:
        value |= table.get(name, 0)
    return value


def place_codes(
    gazetteer: Gazetteer, records: Sequence[Candidate | Vacancy], municipality: bool = False
) -> NDArray[np.int32]:
    """The gazetteer's code of each record's postcode (or municipality); -1 where unknown."""
    codes = [gazetteer.place_code(r.ags, None if municipality else r.postcode) for r in records]
    return np.array(codes, dtype=np.int32).reshape(-1)


def coordinates(
    gazetteer: Gazetteer, records: Sequence[Candidate | Vacancy], municipality: bool = False
) -> NDArray[np.float64]:
    """(n, 2) latitude and longitude of the postcode (or the municipality); NaN where unknown."""
    codes = place_codes(gazetteer, records, municipality)
    return np.column_stack([gazetteer.place_lat[codes], gazetteer.place_lon[codes]])


def _array(values: Sequence[Any], dtype: Any) -> NDArray[Any]:
    return np.array(values, dtype=dtype).reshape(-1)


Table = TypeVar("Table", "CandidateTable", "VacancyTable")


class _Columns:
    """What both tables share: length, row selection and an empty table of a given length."""

    records: list[Any]

    def __len__(self) -> int:
        # The arrays, not the lists: a view of ``Rows`` shares the live lists, which may have
        # grown since (rows beyond the arrays' length are never read through this table).
        return len(self.lat)  # type: ignore[attr-defined]

    def take(self, rows: NDArray[np.intp] | Sequence[int]) -> Self:
        """The rows at these positions, in this order."""
        rows = np.asarray(rows, dtype=np.intp)
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = value[rows] if isinstance(value, np.ndarray) else [value[i] for i in rows]
        return type(self)(**out)


@dataclass(frozen=True)
class CandidateTable(_Columns):
    """Job seekers as columns; row i describes ``records[i]`` (None: an empty row)."""

    records: list[Candidate | None]
    main_kldb: Ints
    alt_kldb: Ints  # (n, MAX_ALTERNATIVES), -1 = none
    level: Ints
    lat: Floats
    lon: Floats
    place_lat: Floats  # the centre of the card's area (matcher.records.cards): what a pseudonymised card reveals
    place_lon: Floats
    place: NDArray[np.int32]  # gazetteer place code of (lat, lon); -1 unknown
    municipality: NDArray[np.int32]  # gazetteer place code of (place_lat, place_lon)
    has_car: Bools
    max_commute_min: Floats
    max_commute_km: Floats
    working_time: NDArray[np.int8]
    hours: Floats
    shifts: Bools
    weekends: Bools
    licences: Ints
    permits: Ints
    german: Ints
    experience: Floats
    available_from: Ints  # date ordinal
    skills: list[frozenset[str]]

    @classmethod
    def build(cls, candidates: Sequence[Candidate], gazetteer: Gazetteer) -> CandidateTable:
        place = place_codes(gazetteer, candidates)
        municipality = np.array([gazetteer.area_code(c.ags) for c in candidates], dtype=np.int32).reshape(-1)
        alt = np.full((len(candidates), MAX_ALTERNATIVES), -1, dtype=np.int64)
        for i, c in enumerate(candidates):
            codes = [int(x) for x in c.occupations[1 : 1 + MAX_ALTERNATIVES]]
            alt[i, : len(codes)] = codes
        cs = candidates
        return cls(
            records=list(cs),
            main_kldb=_array([int(c.main_occupation) for c in cs], np.int64),
            alt_kldb=alt,
            level=_array([c.level for c in cs], np.int64),
            lat=gazetteer.place_lat[place],
            lon=gazetteer.place_lon[place],
            place_lat=gazetteer.place_lat[municipality],
            place_lon=gazetteer.place_lon[municipality],
            place=place,
            municipality=municipality,
            has_car=_array([c.has_car for c in cs], bool),
            max_commute_min=_array([known(c.max_commute_minutes) for c in cs], np.float64),
            max_commute_km=_array([known(c.max_commute_km) for c in cs], np.float64),
            working_time=_array([WORKING_TIME_CODES[c.working_time] for c in cs], np.int8),
            hours=_array([known(c.hours_per_week) for c in cs], np.float64),
            shifts=_array([c.shifts for c in cs], bool),
            weekends=_array([c.weekends for c in cs], bool),
            licences=_array([bits(sorted(effective_licences(c.licences)), LICENCE_BIT) for c in cs], np.int64),
            permits=_array([bits(c.permits, PERMIT_BIT) for c in cs], np.int64),
            german=_array([GERMAN_LEVEL_RANK[c.german_level] for c in cs], np.int64),
            experience=_array([c.experience_years for c in cs], np.float64),
            available_from=_array([c.available_from.toordinal() for c in cs], np.int64),
            skills=[frozenset(c.skills) for c in cs],
        )


@dataclass(frozen=True)
class VacancyTable(_Columns):
    """Vacancies as columns; row i describes ``records[i]`` (None: an empty row)."""

    records: list[Vacancy | None]
    is_open: Bools
    kldb: Ints
    level: Ints
    lat: Floats
    lon: Floats
    place: NDArray[np.int32]  # gazetteer place code of (lat, lon); -1 unknown
    working_time: NDArray[np.int8]
    hours: Floats
    shifts: Bools
    weekends: Bools
    licences: Ints
    permits: Ints
    german_min: Ints  # 0 = no requirement
    posted_at: Ints  # date ordinal
    start: Ints  # date ordinal; the posting date where no start date is stated
    start_stated: Bools
    temporary_agency: Bools
    positions: Ints
    required_skills: list[frozenset[str]]
    optional_skills: list[frozenset[str]]

    @classmethod
    def build(cls, vacancies: Sequence[Vacancy], gazetteer: Gazetteer) -> VacancyTable:
        place = place_codes(gazetteer, vacancies)
        vs = vacancies
        german = [GERMAN_LEVEL_RANK[v.german_level_min] if v.german_level_min else 0 for v in vs]
        return cls(
            records=list(vs),
            is_open=_array([v.status == VacancyStatus.OPEN for v in vs], bool),
            kldb=_array([int(v.kldb) for v in vs], np.int64),
            level=_array([v.level for v in vs], np.int64),
            lat=gazetteer.place_lat[place],
            lon=gazetteer.place_lon[place],
            place=place,
            working_time=_array([WORKING_TIME_CODES[v.working_time] for v in vs], np.int8),
            hours=_array([known(v.hours_per_week) for v in vs], np.float64),
            shifts=_array([v.shifts for v in vs], bool),
            weekends=_array([v.weekends for v in vs], bool),
            licences=_array([bits(v.required_licences, LICENCE_BIT) for v in vs], np.int64),
            permits=_array([bits(v.required_permits, PERMIT_BIT) for v in vs], np.int64),
            german_min=_array(german, np.int64),
            posted_at=_array([v.posted_at.toordinal() for v in vs], np.int64),
            start=_array([_start(v) for v in vs], np.int64),
            start_stated=_array([v.start_date is not None for v in vs], bool),
            temporary_agency=_array([v.contract_type == ContractType.TEMPORARY_AGENCY for v in vs], bool),
            positions=_array([v.positions for v in vs], np.int64),
            required_skills=[frozenset(v.required_skills) for v in vs],
            optional_skills=[frozenset(v.optional_skills) for v in vs],
        )


def _start(v: Vacancy) -> int:
    return (v.start_date or v.posted_at).toordinal()


def ordinal(day: date) -> int:
    return day.toordinal()


class Rows(Generic[Table]):
    """A table that grows row by row, kept in the row order of a vector index.

    Rows are written in place or appended (capacity doubles, so single upserts stay O(1));
    :meth:`view` is the table of the rows written so far, without copying the arrays.
    """

    def __init__(self, empty: Table, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._kind: type[Table] = type(empty)
        self._n = 0
        self._data: dict[str, Any] = {}
        self._reset(empty, 0)

    @classmethod
    def of(cls, kind: type[Table], records: Sequence[Any], gazetteer: Gazetteer) -> Rows[Table]:
        """Rows 0..n-1 from ``records`` (None entries become empty rows)."""
        present = [r for r in records if r is not None]
        table = kind.build(present, gazetteer)
        rows = cls(kind.build([], gazetteer), gazetteer)
        rows._reset(table, len(records))
        if len(present) != len(records):
            spread = np.flatnonzero([r is not None for r in records])
            full = rows._blank(len(records))
            for name, value in rows._data.items():
                if isinstance(value, np.ndarray):
                    full[name][spread] = getattr(table, name)
                else:
                    for j, i in enumerate(spread):
                        full[name][i] = getattr(table, name)[j]
            rows._data = full
        return rows

    def _blank(self, n: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        value: Any
        for name, value in self._data.items():
            if isinstance(value, np.ndarray):
                out[name] = np.zeros((n, *value.shape[1:]), dtype=value.dtype)
            else:
                out[name] = [None] * n
        return out

    def _reset(self, table: Table, n: int) -> None:
        self._data = {f.name: getattr(table, f.name) for f in fields(table)}  # type: ignore[arg-type]
        for name, value in self._data.items():
            if not isinstance(value, np.ndarray):
                self._data[name] = list(value)
        self._n = n

    def __len__(self) -> int:
        return self._n

    def set(self, row: int, record: Any) -> None:
        """Write one record's row (``row`` may be the next row: it is appended)."""
        if row > self._n:
            raise IndexError(f"row {row} beyond the end ({self._n})")
        one = self._kind.build([record], self._gazetteer)
        if row == self._n:
            self._grow(row + 1)
        for name, value in self._data.items():
            value[row] = getattr(one, name)[0]

    def _grow(self, n: int) -> None:
        value: Any
        for name, value in self._data.items():
            if isinstance(value, np.ndarray):
                if n > len(value):
                    bigger = np.zeros((max(n, 2 * len(value), 64), *value.shape[1:]), dtype=value.dtype)
                    bigger[: len(value)] = value
                    self._data[name] = bigger
            else:
                value.extend([None] * (n - len(value)))
        self._n = n

    def view(self) -> Table:
        """The table of every row written (array views, no copy)."""
        n = self._n  # lists are kept at exactly n entries; arrays have spare capacity
        columns: dict[str, Any] = {k: v[:n] if isinstance(v, np.ndarray) else v for k, v in self._data.items()}
        return self._kind(**columns)

    def record(self, row: int) -> Any:
        return self._data["records"][row]
