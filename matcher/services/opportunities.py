"""Opportunities: which single change would open the most doors for one job seeker.

Every count is exact and comes from the engine's own parts. A vacancy **fits** a person when it
passes the engine's hard filters (:func:`matcher.ranking.filters.apply_filters`: open, distance, commute,
working time, licences and permits, availability) and the person meets its stated minimums, read
from the re-ranker's own feature families (:data:`matcher.ranking.features.FAMILY_COLUMNS`): German at least
the vacancy's minimum (``german_gap >= 0``) and the requirement level at least the vacancy's
(``level_gap <= 0``).

Each change is tried on a copy of the person. A change touches one part of the fit, so the
vacancies it can open are those that fail that part alone; only those are re-filtered with the
changed copy, which keeps the count exact and one person's answer at a few milliseconds:

- a licence or permit, a longer commute or a car, another working-time option: re-run the hard
  filters on the vacancies that only the licence, the distance/commute or the working-time filter
  excluded;
- the next German level: the vacancies that fail only the German minimum;
- the next requirement level (to Fachkraft by Teilqualifizierung or Umschulung, above by a higher
  degree): the vacancies of the person's
  target occupation groups (KldB 3 digits) that fail only the level;
- a skill: no vacancy is excluded for a missing skill (nobody holds every listed skill: in the
  default world the median job seeker covers none of the essential skills of the vacancies of
  their own occupation group), so a skill counts the fitting vacancies that list it as essential.

The re-ranker's view comes on top: the mean score of the engine's top 10 for the changed copy
against the person's own (``score_gain``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.engine import Engine
from matcher.ranking.features import FAMILY_COLUMNS, pair_features
from matcher.ranking.filters import FilterOptions, apply_filters
from matcher.ranking.profiles import require_profile
from matcher.records.geo import Gazetteer
from matcher.records.models import (
    GERMAN_LEVEL_RANK,
    LEVEL_LABELS_DE,
    PERMITS,
    Candidate,
    GermanLevel,
    WorkingTime,
    effective_licences,
)
from matcher.records.reference import ReferenceData
from matcher.records.render import place_name
from matcher.services.measures import MeasureCatalogue, ProfileChange

Bools = NDArray[np.bool_]
Rows = NDArray[np.intp]
Places = tuple[NDArray[np.float64], NDArray[np.float64]]

# Which hard filters a change of each kind can alter.
FILTERS_OF: dict[str, tuple[str, ...]] = {
    "licence": ("licences",),
    "permit": ("licences",),
    "commute": ("distance", "commute"),
    "working_time": ("working_time",),
}
# A target occupation group: the KldB Berufsgruppe, the first 3 digits.
TARGET_DEPTH = 3
FULL_TIME_HOURS = 40.0


@dataclass(frozen=True)
class OpportunityConfig:
    """What is tried and how much of it is shown."""

    commute_minutes_step: float = 15.0
    commute_km_step: float = 10.0
    skills_tried: int = 5
    examples: int = 3
    measures_listed: int = 5
    top_k: int = 10
    kinds: frozenset[str] | None = None  # None: every kind of change


@dataclass(frozen=True)
class Standing:
    """A person against every open vacancy: what passes, what fits, what lies in the target groups."""

    person: CandidateTable
    vacancies: VacancyTable
    keep: Bools
    german_ok: Bools
    level_ok: Bools
    in_target: Bools
    distance_km: NDArray[np.float64]
    options: FilterOptions
    as_of: date
    places: Places | None
    _blocked: dict[tuple[str, ...], Rows] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fits(self) -> Bools:
        return self.keep & self.german_ok & self.level_ok

    @property
    def record(self) -> Candidate:
        record = self.person.records[0]
        assert record is not None
        return record


def _minimums(
    person: CandidateTable, vacancies: VacancyTable, as_of: date, rows: Rows | None = None
) -> tuple[Bools, Bools, Bools]:
    """German and level minimums met, and target group, by the re-ranker's feature families
    (for ``rows`` of the vacancies, or all)."""
    vi = np.arange(len(vacancies), dtype=np.int64) if rows is None else rows.astype(np.int64)
    ci = np.zeros(len(vi), dtype=np.int64)
    occupation = FAMILY_COLUMNS["occupation"](person, ci, vacancies, vi, as_of)
    german = np.asarray(FAMILY_COLUMNS["language"](person, ci, vacancies, vi, as_of)["german_gap"], np.int64)
    level_gap = np.asarray(occupation["level_gap"], np.int64)
    depth = np.maximum(occupation["occupation_depth_main"], occupation["occupation_depth_alt"])
    return german >= 0, level_gap <= 0, np.asarray(depth >= TARGET_DEPTH)


def standing(
    person: CandidateTable, vacancies: VacancyTable, options: FilterOptions, as_of: date, places: Places | None
) -> Standing:
    """Where one person (a one-row table) stands against ``vacancies`` (open, live rows)."""
    result = apply_filters(person, vacancies, options, as_of, places=places)
    german_ok, level_ok, in_target = _minimums(person, vacancies, as_of)
    distance = np.asarray(result.distance_km)
    return Standing(person, vacancies, result.keep, german_ok, level_ok, in_target, distance, options, as_of, places)


# --- the changes --------------------------------------------------------------------------------
def _blocked_by(s: Standing, filters: tuple[str, ...]) -> Rows:
    """Vacancies that fit but for these hard filters (computed once per person and filters)."""
    if filters not in s._blocked:
        off = s.options.override(**dict.fromkeys(filters, False))
        without = apply_filters(s.person, s.vacancies, off, s.as_of, places=s.places).keep
        s._blocked[filters] = np.flatnonzero(without & s.german_ok & s.level_ok & ~s.keep)
    return s._blocked[filters]


def _asked(s: Standing, rows: Rows, attribute: str) -> set[str]:
    return {code for r in rows for code in getattr(s.vacancies.records[r], attribute)}


def candidate_changes(s: Standing, config: OpportunityConfig = OpportunityConfig()) -> list[ProfileChange]:
    """The single changes worth trying for this person, in a fixed order."""
    c = s.record
    licence_rows = _blocked_by(s, FILTERS_OF["licence"])
    held = effective_licences(c.licences)
    changes = [ProfileChange("licence", x) for x in sorted(_asked(s, licence_rows, "required_licences") - held)]
    changes += [
        ProfileChange("permit", x) for x in sorted(_asked(s, licence_rows, "required_permits") - set(c.permits))
    ]
    rank = GERMAN_LEVEL_RANK[c.german_level]
    if rank < GERMAN_LEVEL_RANK[GermanLevel.C2]:
        changes.append(ProfileChange("german_level", list(GermanLevel)[rank].value))
    changes += [ProfileChange("skill", skill) for skill in _shared_missing_skills(s, config.skills_tried)]
    if c.level < 4:
        changes.append(ProfileChange("requirement_level", str(c.level + 1)))
    if c.max_commute_minutes:
        changes.append(ProfileChange("commute", f"{c.max_commute_minutes + config.commute_minutes_step:g}min"))
    if c.max_commute_km:
        changes.append(ProfileChange("commute", f"{c.max_commute_km + config.commute_km_step:g}km"))
    if not c.has_car and "B" in held:
        changes.append(ProfileChange("commute", "car"))
    if c.working_time != WorkingTime.EITHER:
        changes.append(ProfileChange("working_time", WorkingTime.EITHER.value))
    return changes


def _shared_missing_skills(s: Standing, n: int) -> list[str]:
    """Essential skills the person lacks that most fitting vacancies of the target groups ask for."""
    have = s.person.skills[0]
    counts: Counter[str] = Counter()
    for r in np.flatnonzero(s.fits & s.in_target):
        counts.update(s.vacancies.required_skills[r] - have)
    return [skill for skill, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def changed(candidate: Candidate, change: ProfileChange) -> Candidate:
    """A copy of the person with the change made."""
    kind, value = change.kind, change.value
    update: dict[str, Any]
    if kind == "licence":
        update = {"licences": [*candidate.licences, value]}
    elif kind == "permit":
        update = {"permits": [*candidate.permits, value]}
    elif kind == "german_level":
        update = {"german_level": GermanLevel(value)}
    elif kind == "skill":
        update = {"skills": [*candidate.skills, value]}
    elif kind == "requirement_level":
        update = {"level": int(value)}
    elif kind == "commute":
        update = _commute_update(value)
    else:
        update = {"working_time": WorkingTime(value)}
        if candidate.working_time == WorkingTime.PART_TIME:
            update["hours_per_week"] = FULL_TIME_HOURS
    return candidate.model_copy(update=update)


def _commute_update(value: str) -> dict[str, Any]:
    if value == "car":
        return {"has_car": True}
    if value.endswith("km"):
        return {"max_commute_km": float(value.removesuffix("km"))}
    return {"max_commute_minutes": int(float(value.removesuffix("min")))}


def opened(s: Standing, change: ProfileChange, gazetteer: Gazetteer) -> Rows:
    """The vacancies (rows of ``s.vacancies``) this change opens; for a skill, the fitting ones
    that ask for it."""
    if change.kind == "skill":
        if change.value in s.person.skills[0]:
            return np.zeros(0, dtype=np.intp)
        fitting = np.flatnonzero(s.fits)
        required = s.vacancies.required_skills
        return np.array([r for r in fitting if change.value in required[r]], dtype=np.intp)
    after = CandidateTable.build([changed(s.record, change)], gazetteer)
    if change.kind in FILTERS_OF:
        rows = _blocked_by(s, FILTERS_OF[change.kind])
        if len(rows) == 0:
            return rows
        passes = apply_filters(after, s.vacancies.take(rows), s.options, s.as_of, places=s.places).keep
        return rows[passes]
    if change.kind == "german_level":
        rows = np.flatnonzero(s.keep & s.level_ok & ~s.german_ok)
        return rows[_minimums(after, s.vacancies, s.as_of, rows)[0]]
    rows = np.flatnonzero(s.keep & s.german_ok & ~s.level_ok & s.in_target)
    return rows[_minimums(after, s.vacancies, s.as_of, rows)[1]]


def count_changes(
    s: Standing, gazetteer: Gazetteer, config: OpportunityConfig = OpportunityConfig()
) -> Iterator[tuple[ProfileChange, Rows]]:
    """Every change worth trying with the vacancies it opens (possibly none)."""
    for change in candidate_changes(s, config):
        if config.kinds is None or change.kind in config.kinds:
            yield change, opened(s, change, gazetteer)


# --- one person's answer ------------------------------------------------------------------------
@dataclass(frozen=True)
class Opportunity:
    """One change that opens at least one vacancy."""

    kind: str
    change: str
    label_de: str
    additional_vacancies: int
    in_target_group: int
    example_vacancy_ids: list[str]
    score_gain: float | None
    measures: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Opportunities:
    """The answer for one person: baseline, the changes tried, and those that open something."""

    candidate_id: str
    as_of: date
    eligible: int
    fitting: int
    tried: list[str]
    items: list[Opportunity] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate_id": self.candidate_id,
            "as_of": self.as_of.isoformat(),
            "baseline": {"eligible": self.eligible, "fitting": self.fitting},
            "changes_tried": self.tried,
            "items": [i.to_json() for i in self.items],
        }


def find_opportunities(
    engine: Engine,
    candidate: str | Candidate,
    catalogue: MeasureCatalogue,
    options: FilterOptions | None = None,
    config: OpportunityConfig = OpportunityConfig(),
    scores: bool = True,
) -> Opportunities:
    """Opportunities of a stored person (by id) or a given profile, over the engine's open vacancies.

    Raises:
        UnknownCandidateError: no candidate with that id.
        InsufficientProfileError: the profile is too thin (the shortlists' answer).
    """
    person = candidate if isinstance(candidate, Candidate) else engine.candidate(candidate)
    require_profile(person)
    options = options or engine.config.filters
    as_of = options.today or date.today()
    places = (engine.gazetteer.place_lat, engine.gazetteer.place_lon)
    table = CandidateTable.build([person], engine.gazetteer)
    s = standing(table, open_vacancies(engine), options, as_of, places)
    pool = TopScores.of(engine, s, config.top_k) if scores else None
    reach = catalogue.reachable(table, as_of, options, places)
    tried: list[str] = []
    items: list[Opportunity] = []
    for change, rows in count_changes(s, engine.gazetteer, config):
        tried.append(change.key)
        if len(rows):
            after = CandidateTable.build([changed(person, change)], engine.gazetteer)
            gain = None if pool is None else pool.gain(after, rows)
            listed = _measures(catalogue, change, table, reach, as_of, engine.reference, config)
            items.append(_item(s, change, rows, gain, listed, engine.reference, config))
    items.sort(key=lambda i: (-i.additional_vacancies, -i.in_target_group, i.change))
    eligible = int(np.count_nonzero(s.keep))
    return Opportunities(person.id, as_of, eligible, int(np.count_nonzero(s.fits)), tried, items)


def open_vacancies(engine: Engine) -> VacancyTable:
    """The engine's live open vacancies as one table (a copy, taken under the read lock)."""
    table: VacancyTable = engine.live_table("vacancies")
    return table


@dataclass(frozen=True)
class TopScores:
    """The re-ranker's view of a change: the mean score of the best ``k`` among the person's
    current top ``k`` (the engine's own shortlist) and the vacancies the change opens, scored with
    the changed profile, minus the current top ``k``'s mean. Similarity stays that of the person's
    own text: the change enters through the structured features, as the re-ranker reads them."""

    engine: Engine
    s: Standing
    vector: NDArray[np.float32]
    top_rows: Rows
    base: float
    k: int
    fetch: int = 100

    @classmethod
    def of(cls, engine: Engine, s: Standing, k: int) -> TopScores:
        result = engine.shortlist_for_candidate(s.record, k, s.options, explain=False)
        ids = {i.id for i in result.items}
        rows = np.array([r for r, v in enumerate(s.vacancies.records) if v is not None and v.id in ids], np.intp)
        base = float(np.mean([i.score for i in result.items])) if result.items else 0.0
        return cls(engine, s, engine.vector_of(s.record), rows, base, k)

    def _similarity(self, rows: Rows) -> NDArray[np.float32]:
        ids = [self.s.vacancies.records[r].id for r in rows]  # type: ignore[union-attr]
        return np.asarray(self.engine.vacancies.index.vectors(ids) @ self.vector.reshape(-1), dtype=np.float32)

    def gain(self, after: CandidateTable, opened: Rows) -> float:
        opened_sim = self._similarity(opened)
        nearest = opened[np.argsort(-opened_sim)[: self.fetch]]
        rows = np.unique(np.concatenate([self.top_rows, nearest]))
        features = pair_features(
            after, np.zeros(len(rows), np.int64), self.s.vacancies, rows, self._similarity(rows), self.s.as_of
        )
        scores = np.sort(self.engine.reranker.score(features))[::-1][: self.k]
        return round(float(np.mean(scores)) - self.base, 4) if len(scores) else 0.0


def _measures(
    catalogue: MeasureCatalogue,
    change: ProfileChange,
    person: CandidateTable,
    reach: Bools,
    as_of: date,
    reference: ReferenceData,
    config: OpportunityConfig,
) -> list[dict[str, Any]]:
    """The reachable measures that teach the change, soonest start first."""
    record = person.records[0]
    assert record is not None
    earliest = max(as_of, record.available_from)
    latest = as_of + timedelta(days=catalogue.horizon_days)
    found = []
    for row in catalogue.teaching(change, person):
        if not reach[row]:
            continue
        m = catalogue.measures[row]
        start = m.next_start(earliest, latest)
        found.append((start, m.id, _measure_json(m, start, reference)))
    found.sort(key=lambda t: (t[0], t[1]))
    return [j for _, _, j in found[: config.measures_listed]]


def _measure_json(m: Any, start: date | None, reference: ReferenceData) -> dict[str, Any]:
    return {
        "id": m.id,
        "type": m.type.value,
        "title": m.title,
        "provider": m.provider_name,
        "place": place_name(m.ags, reference),
        "next_start": None if start is None else start.isoformat(),
        "duration_weeks": m.duration_weeks,
        "schedule": m.schedule.value,
        "funding": m.funding_de,
    }


def _item(
    s: Standing,
    change: ProfileChange,
    rows: Rows,
    gain: float | None,
    measures: list[dict[str, Any]],
    reference: ReferenceData,
    config: OpportunityConfig,
) -> Opportunity:
    target = int(np.count_nonzero(s.in_target[rows]))
    # Examples: the target groups first, then the nearest.
    order = sorted(rows, key=lambda r: (not s.in_target[r], np.nan_to_num(s.distance_km[r], nan=1e9), r))
    examples = [s.vacancies.records[r].id for r in order[: config.examples]]  # type: ignore[union-attr]
    label = label_de(s, change, len(rows), target, reference)
    return Opportunity(change.kind, change.key, label, len(rows), target, examples, gain, measures)


# --- German sentences ---------------------------------------------------------------------------
def _reach_de(s: Standing) -> str:
    c = s.record
    if s.options.max_distance_km:
        return f" im Umkreis von {s.options.max_distance_km:g} km"
    if c.max_commute_km and s.options.use_candidate_limits:
        return f" im Umkreis von {c.max_commute_km:g} km"
    if c.max_commute_minutes and s.options.use_candidate_limits:
        return f" mit bis zu {c.max_commute_minutes} Minuten Fahrzeit"
    return " in der Region"


def _with_de(change: ProfileChange, c: Candidate, reference: ReferenceData) -> str:
    kind, value = change.kind, change.value
    if kind == "licence":
        return f"Mit Führerschein Klasse {value}"
    if kind == "permit":
        return f"Mit {PERMITS[value]}"
    if kind == "german_level":
        return f"Mit Deutsch auf Niveau {value}"
    if kind == "skill":
        return f"Mit der Kenntnis „{reference.skill_label(value)}“"
    if kind == "requirement_level":
        level = int(value)
        if level == 2:  # a Teilqualifizierung (or Umschulung) leads to the Fachkraft level only
            return "Mit einem Berufsabschluss als Fachkraft (Teilqualifizierung oder Umschulung)"
        return f"Mit einem höheren Abschluss ({LEVEL_LABELS_DE[level]})"
    if kind == "working_time":
        return "Auch in Teilzeit" if c.working_time == WorkingTime.FULL_TIME else "Auch in Vollzeit"
    if value == "car":
        return "Mit einem Auto"
    if value.endswith("km"):
        return f"Mit bis zu {value.removesuffix('km')} km Arbeitsweg"
    return f"Mit bis zu {value.removesuffix('min')} Minuten Fahrzeit"


def label_de(s: Standing, change: ProfileChange, n: int, target: int, reference: ReferenceData) -> str:
    """One German sentence: "Mit Staplerschein: 37 zusätzliche passende Stellen im Umkreis von 25 km,
    darunter 5 in der Zielberufsgruppe"."""
    head = _with_de(change, s.record, reference)
    where = "" if change.kind == "commute" else _reach_de(s)
    stellen = "Stelle" if n == 1 else "Stellen"
    if change.kind == "skill":
        body = f"{n} passende {stellen}{where} verlangen sie als Pflichtkenntnis"
        body = body.replace("verlangen", "verlangt") if n == 1 else body
    else:
        body = f"{n} zusätzliche passende {stellen}{where}"
    if change.kind == "requirement_level":
        return f"{head}: {body} in der Zielberufsgruppe"
    return f"{head}: {body}, darunter {target} in der Zielberufsgruppe"


__all__ = [
    "Opportunities",
    "Opportunity",
    "OpportunityConfig",
    "Standing",
    "TopScores",
    "candidate_changes",
    "changed",
    "count_changes",
    "find_opportunities",
    "label_de",
    "open_vacancies",
    "opened",
    "standing",
]
