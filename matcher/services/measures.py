"""Qualification and activation measures: the model, what each teaches, and who can reach it.

A measure (Maßnahme) is offered by a provider (Träger) at a place in the region, starts on given
dates, lasts some weeks, full or part time, and teaches profile changes: ESCO skills, driving
licence classes, permits, a German level (a Berufssprachkurs from an entry level to a target), or
a requirement level in an occupation (Teilqualifizierung, Umschulung). The measure types are the
instruments of SGB II/III that fund them (see ``FUNDING_DE``).

Reach reuses the engine's own distance and commute filters (:func:`matcher.ranking.filters.apply_filters`):
a measure is reached like a workplace at its place. On top: a start date between the reference
date (or the person's availability) and ``horizon_days`` later, and part-time teaching for a person
who wants part time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, String, Table, func, select
from sqlalchemy.engine import Connection

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.filters import FilterOptions, apply_filters
from matcher.records.geo import Gazetteer
from matcher.records.models import (
    GERMAN_LEVEL_RANK,
    Candidate,
    GermanLevel,
    Kldb5,
    LicenceCodes,
    PermitCodes,
    Vacancy,
    WorkingTime,
    effective_licences,
)
from matcher.records.store import Store, metadata

ChangeKind = Literal["licence", "permit", "german_level", "skill", "requirement_level", "commute", "working_time"]
CHANGE_KINDS: tuple[ChangeKind, ...] = (
    "licence",
    "permit",
    "german_level",
    "skill",
    "requirement_level",
    "commute",
    "working_time",
)


class MeasureType(StrEnum):
    FBW = "fbw"  # Förderung der beruflichen Weiterbildung
    AVGS = "avgs"  # Maßnahme zur Aktivierung und beruflichen Eingliederung
    BERUFSSPRACHKURS = "berufssprachkurs"
    TEILQUALIFIZIERUNG = "teilqualifizierung"
    UMSCHULUNG = "umschulung"
    FUEHRERSCHEIN = "fuehrerschein"
    STAPLERSCHEIN = "staplerschein"


TYPE_LABELS_DE: dict[MeasureType, str] = {
    MeasureType.FBW: "Berufliche Weiterbildung",
    MeasureType.AVGS: "Aktivierung und berufliche Eingliederung",
    MeasureType.BERUFSSPRACHKURS: "Berufssprachkurs",
    MeasureType.TEILQUALIFIZIERUNG: "Teilqualifizierung",
    MeasureType.UMSCHULUNG: "Umschulung",
    MeasureType.FUEHRERSCHEIN: "Führerschein",
    MeasureType.STAPLERSCHEIN: "Staplerschein",
}
FUNDING_DE: dict[MeasureType, str] = {
    MeasureType.FBW: "Bildungsgutschein (§ 81 SGB III)",
    MeasureType.AVGS: "Aktivierungs- und Vermittlungsgutschein (§ 45 SGB III)",
    MeasureType.BERUFSSPRACHKURS: "Berufssprachkurs (DeuFöV)",
    MeasureType.TEILQUALIFIZIERUNG: "Bildungsgutschein (§ 81 SGB III)",
    MeasureType.UMSCHULUNG: "Bildungsgutschein (§ 81 SGB III)",
    MeasureType.FUEHRERSCHEIN: "Bildungsgutschein (§ 81 SGB III)",
    MeasureType.STAPLERSCHEIN: "Aktivierungs- und Vermittlungsgutschein (§ 45 SGB III)",
}


@dataclass(frozen=True)
class ProfileChange:
    """One change a person could make: its kind and value (``licence``/``CE``, ``skill``/<ESCO id>,
    ``german_level``/``B2``, ``requirement_level``/``2``, ``commute``/``car``, ...)."""

    kind: ChangeKind
    value: str

    @property
    def key(self) -> str:
        """``kind:value``, the ``change`` of an opportunity."""
        return f"{self.kind}:{self.value}"


class Measure(BaseModel):
    """One measure of the catalogue (``massnahmen.jsonl``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    type: MeasureType
    title: str = Field(min_length=1, max_length=200)
    provider_id: str = Field(min_length=1, max_length=64)
    provider_name: str = Field(min_length=1, max_length=200)
    ags: str = Field(pattern=r"^\d{8}$")
    postcode: str = Field(pattern=r"^\d{5}$")
    starts: list[date] = Field(min_length=1, max_length=60)
    duration_weeks: int = Field(ge=1, le=156)
    schedule: WorkingTime = WorkingTime.FULL_TIME
    skills: list[str] = Field(default_factory=list, max_length=50)
    licences: LicenceCodes = Field(default_factory=list)
    permits: PermitCodes = Field(default_factory=list)
    german_level: GermanLevel | None = Field(default=None, description="target level of a language course")
    german_level_min: GermanLevel | None = Field(default=None, description="entry level")
    level: int | None = Field(default=None, ge=1, le=4, description="requirement level reached")
    kldb: Kldb5 | None = Field(default=None, description="occupation the level is reached in")

    @property
    def funding_de(self) -> str:
        return FUNDING_DE[self.type]

    def next_start(self, earliest: date, latest: date) -> date | None:
        """The first start date within [earliest, latest], if any."""
        return next((d for d in sorted(self.starts) if earliest <= d <= latest), None)


def _stand_in(m: Measure) -> Vacancy:
    # The engine's distance and commute filters read a vacancy's place: a measure is reached
    # like a workplace there. Nothing else of this record is read.
    return Vacancy(
        id=m.id,
        source="massnahmen",
        employer_id=m.provider_id,
        employer_name=m.provider_name,
        title=m.title,
        kldb=m.kldb or "00000",
        level=1,
        ags=m.ags,
        postcode=m.postcode,
        posted_at=min(m.starts),
    )


# Only where a measure is: the other filters are about jobs, not courses.
_REACH = FilterOptions(vacancy_open=False, working_time=False, licences=False, availability=False)


@dataclass(frozen=True)
class MeasureCatalogue:
    """The measures, with their places as a column table for the reach filters, their start dates
    as arrays and an index from what they teach to their rows."""

    measures: list[Measure]
    places: VacancyTable
    horizon_days: int = 183
    _start_rows: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp), repr=False)
    _start_days: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    _part_time: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    _by_teaching: dict[tuple[str, str], list[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, measures: Sequence[Measure], gazetteer: Gazetteer, horizon_days: int = 183) -> MeasureCatalogue:
        ordered = sorted(measures, key=lambda m: m.id)
        starts = [(i, d.toordinal()) for i, m in enumerate(ordered) for d in m.starts]
        by_teaching: dict[tuple[str, str], list[int]] = {}
        for i, m in enumerate(ordered):
            for key in _taught_keys(m):
                by_teaching.setdefault(key, []).append(i)
        return cls(
            ordered,
            VacancyTable.build([_stand_in(m) for m in ordered], gazetteer),
            horizon_days,
            np.array([i for i, _ in starts], dtype=np.intp),
            np.array([d for _, d in starts], dtype=np.int64),
            np.array([m.schedule != WorkingTime.FULL_TIME for m in ordered], dtype=bool),
            by_teaching,
        )

    def __len__(self) -> int:
        return len(self.measures)

    def reachable(
        self,
        person: CandidateTable,
        as_of: date,
        options: FilterOptions | None = None,
        places: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> NDArray[np.bool_]:
        """Per measure: within the person's distance and commute limits (the request's limits
        where it sets them), starting in the horizon once the person is available, and taught
        part time where the person wants part time."""
        if not self.measures:
            return np.zeros(0, dtype=bool)
        reach = self.reach_options(options)
        near = apply_filters(person, self.places, reach, as_of, places=places).keep
        record = person.records[0]
        available = person.available_from[:1] if record is not None else np.array([as_of.toordinal()])
        part_time = np.array([record is not None and record.working_time == WorkingTime.PART_TIME])
        return np.asarray(near & self.schedule_fits(available, part_time, as_of)[0], dtype=bool)

    def reach_options(self, options: FilterOptions | None = None) -> FilterOptions:
        """The filters that say whether a measure is near: distance and commute only, with the
        request's limits where it sets them."""
        options = options or FilterOptions()
        return _REACH.override(
            max_distance_km=options.max_distance_km,
            max_commute_minutes=options.max_commute_minutes,
            use_candidate_limits=options.use_candidate_limits,
        )

    def schedule_fits(
        self, available_from: NDArray[np.int64], part_time: NDArray[np.bool_], as_of: date
    ) -> NDArray[np.bool_]:
        """(people, measures): a start in the horizon once each person is available (date
        ordinals), and taught part time where the person wants part time."""
        earliest = np.maximum(np.asarray(available_from, np.int64), as_of.toordinal())
        latest = (as_of + timedelta(days=self.horizon_days)).toordinal()
        # The last start within the horizon: a start in [earliest, latest] exists iff it is >= earliest.
        last = np.full(len(self.measures), np.iinfo(np.int64).min, dtype=np.int64)
        inside = self._start_days <= latest
        np.maximum.at(last, self._start_rows[inside], self._start_days[inside])
        starts = last[None, :] >= earliest[:, None]
        return np.asarray(starts & (self._part_time[None, :] | ~np.asarray(part_time, bool)[:, None]), dtype=bool)

    def teaching(self, change: ProfileChange, person: CandidateTable) -> NDArray[np.intp]:
        """Rows of the measures that teach this change to this person (reach not checked)."""
        return self.teaching_for(change, person.records[0])

    def teaching_for(self, change: ProfileChange, record: Candidate | None) -> NDArray[np.intp]:
        """Rows of the measures that teach this change to this person (reach not checked)."""
        key = (change.kind, "*" if change.kind in ("german_level", "requirement_level") else change.value)
        rows = self._by_teaching.get(key, [])
        return np.asarray(
            [i for i in rows if record is not None and teaches(self.measures[i], change, record)], np.intp
        )


# The catalogue of qualification and activation measures (massnahmen.jsonl), whole as JSON.
measures_table = Table(
    "measures",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(32), nullable=False, index=True),
    Column("ags", String(8), nullable=False),
    Column("data", JSON, nullable=False),
)


def upsert_measures(store: Store, conn: Connection, measures: Iterable[Measure]) -> None:
    """Insert or replace measures; unchanged ones are left alone (a re-import changes nothing)."""
    changed, _ = store.changed_records(conn, measures_table, list(measures), None)
    rows = [{"id": m.id, "type": m.type.value, "ags": m.ags, "data": m.model_dump(mode="json")} for m in changed]
    store.upsert_rows(conn, measures_table, rows, "id")


def stored_measures(store: Store, limit: int | None = None, offset: int = 0, type: str | None = None) -> list[Measure]:
    """The store's measures by id, optionally of one type."""
    stmt = select(measures_table.c.data).order_by(measures_table.c.id).offset(offset)
    if type is not None:
        stmt = stmt.where(measures_table.c.type == type)
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.engine.connect() as conn:
        return [Measure.model_validate(d) for d in conn.execute(stmt).scalars()]


def count_measures(store: Store, type: str | None = None) -> int:
    """How many measures the store holds (of one ``type``): one counting query, none loaded."""
    query = select(func.count()).select_from(measures_table)
    if type is not None:
        query = query.where(measures_table.c.type == type)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _taught_keys(m: Measure) -> set[tuple[str, str]]:
    """The index keys of what a measure teaches (German and level courses are checked per person)."""
    keys = {("licence", c) for c in effective_licences(m.licences)}
    keys |= {("permit", p) for p in m.permits} | {("skill", s) for s in m.skills}
    if m.german_level is not None:
        keys.add(("german_level", "*"))
    if m.level is not None:
        keys.add(("requirement_level", "*"))
    return keys


def teaches(m: Measure, change: ProfileChange, person: Candidate) -> bool:
    """Whether a measure teaches a change to a person (German entry level, occupation group)."""
    kind, value = change.kind, change.value
    if kind == "licence":
        return value in effective_licences(m.licences)
    if kind == "permit":
        return value in m.permits
    if kind == "skill":
        return value in m.skills
    if kind == "german_level":
        return _teaches_german(m, value, person)
    if kind == "requirement_level":
        return _teaches_level(m, int(value), person)
    return False  # commute and working time are not taught


def _teaches_german(m: Measure, target: str, person: Candidate) -> bool:
    if m.german_level is None:
        return False
    held = GERMAN_LEVEL_RANK[person.german_level]
    entry = GERMAN_LEVEL_RANK[m.german_level_min] if m.german_level_min else 0
    return entry <= held and GERMAN_LEVEL_RANK[m.german_level] >= GERMAN_LEVEL_RANK[GermanLevel(target)]


def _teaches_level(m: Measure, level: int, person: Candidate) -> bool:
    # A qualification counts in its own occupation group (KldB 3 digits) only.
    if m.level is None or m.level < level or m.kldb is None:
        return False
    return any(code[:3] == m.kldb[:3] for code in person.occupations)


__all__ = [
    "CHANGE_KINDS",
    "FUNDING_DE",
    "TYPE_LABELS_DE",
    "ChangeKind",
    "Measure",
    "MeasureCatalogue",
    "MeasureType",
    "ProfileChange",
    "teaches",
]
