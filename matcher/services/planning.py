"""Planning for the whole caseload: aggregates only, never a ranking of people.

- **Shortages**: per KldB occupation group (3 digits), licence class, permit, German level,
  requirement level and essential skill, the open vacancies that ask for it (demand) against the
  job seekers who hold it and have at least one such vacancy within their own distance and commute
  limits (supply, by the engine's distance and commute filters).
- **Measure types**: per type, how many job seekers would gain at least ``n`` fitting vacancies and
  how many vacancies would gain at least ``m`` fitting job seekers if its measures were funded.
  Each person counts with the one change the type teaches (through a measure the person can
  reach) that opens the most, exactly as :func:`matcher.services.opportunities.find_opportunities` counts.
- **Fairness**: the same suggestions by protected group, read from the store's separate table by
  the caller; nothing here selects or scores a person by predicted employability (the Austrian
  AMS algorithm is the example of why): the counts are of opportunities, not of people's chances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.ranking.columns import LICENCE_BIT, PERMIT_BIT, WORKING_TIME_CODES, CandidateTable, VacancyTable, bits
from matcher.ranking.filters import FilterOptions, apply_filters, filter_matrix
from matcher.ranking.profiles import profile_gaps
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
from matcher.records.render import occupation_title
from matcher.services.measures import MeasureCatalogue, MeasureType, ProfileChange
from matcher.services.opportunities import Bools, OpportunityConfig, Places, Standing, count_changes, standing

# Only where a job is: reach is the distance and commute filters.
_GEO = FilterOptions(vacancy_open=False, working_time=False, licences=False, availability=False)
TAUGHT_KINDS = frozenset({"licence", "permit", "german_level", "skill", "requirement_level"})
# Planning tries what measures teach (a longer commute or another working time is no measure).
_PLANNING = OpportunityConfig(skills_tried=3, kinds=TAUGHT_KINDS)
_ALL_FILTERS = FilterOptions()


# --- shortages ----------------------------------------------------------------------------------
def reach_matrix(
    cands: CandidateTable,
    vacs: VacancyTable,
    as_of: date,
    places: Places | None,
    geo: FilterOptions = _GEO,
) -> tuple[NDArray[np.intp], Bools]:
    """Which vacancies each job seeker reaches: (group per person, reach per group and vacancy).

    People who share place, car and limits reach the same vacancies, so the engine's distance and
    commute filters run once per such group (about a thousand in the default world, not 12,000).
    """
    keys = np.column_stack(
        [
            cands.place,
            cands.has_car,
            np.nan_to_num(cands.max_commute_min, nan=-1),
            np.nan_to_num(cands.max_commute_km, nan=-1),
        ]
    )
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    reach = np.zeros((len(first), len(vacs)), dtype=bool)
    for g, row in enumerate(first):
        reach[g] = apply_filters(cands.take([row]), vacs, geo, as_of, places=places).keep
    return group.reshape(-1), reach


@dataclass(frozen=True)
class Dimension:
    """One dimension of the shortage view: per code, which vacancies ask and which people hold."""

    name: str
    codes: list[str]
    labels: list[str]
    asks: Bools  # (vacancies, codes)
    holds: Bools  # (people, codes)


def _bits(values: NDArray[np.int64], table: dict[str, int]) -> Bools:
    return (
        np.column_stack([(values & bit) > 0 for bit in table.values()])
        if len(values)
        else np.zeros((0, len(table)), bool)
    )


def dimensions(
    cands: CandidateTable, vacs: VacancyTable, reference: ReferenceData, min_skill_demand: int = 5
) -> list[Dimension]:
    """The six dimensions of the shortage view, from the engine's column tables."""
    licences = Dimension(
        "licence",
        list(LICENCE_BIT),
        [f"Führerschein {c}" for c in LICENCE_BIT],
        _bits(vacs.licences, LICENCE_BIT),
        _bits(cands.licences, LICENCE_BIT),
    )
    permits = Dimension(
        "permit",
        list(PERMIT_BIT),
        [PERMITS[p] for p in PERMIT_BIT],
        _bits(vacs.permits, PERMIT_BIT),
        _bits(cands.permits, PERMIT_BIT),
    )
    levels = [lv for lv in GermanLevel if lv is not GermanLevel.NATIVE]
    german = Dimension(
        "german_level",
        [lv.value for lv in levels],
        [f"Deutsch {lv.value}" for lv in levels],
        np.column_stack([vacs.german_min == GERMAN_LEVEL_RANK[lv] for lv in levels]),
        np.column_stack([cands.german >= GERMAN_LEVEL_RANK[lv] for lv in levels]),
    )
    level = Dimension(
        "requirement_level",
        [str(x) for x in LEVEL_LABELS_DE],
        list(LEVEL_LABELS_DE.values()),
        np.column_stack([vacs.level == x for x in LEVEL_LABELS_DE]),
        np.column_stack([cands.level >= x for x in LEVEL_LABELS_DE]),
    )
    occupation = _occupations(cands, vacs, reference)
    return [occupation, licences, permits, german, level, _skills(cands, vacs, reference, min_skill_demand)]


def _occupations(cands: CandidateTable, vacs: VacancyTable, reference: ReferenceData) -> Dimension:
    """Occupation groups (the KldB's first three digits) of the vacancies; a person holds a group
    with the main or an alternative occupation."""
    groups = sorted({str(k)[:3] for k in vacs.kldb})
    person_groups = [
        {f"{k:05d}"[:3] for k in [main, *alt] if k >= 0} for main, alt in zip(cands.main_kldb, cands.alt_kldb)
    ]
    return Dimension(
        "occupation_group",
        groups,
        [occupation_title(_group_code(g, vacs), reference) for g in groups],
        np.column_stack([np.array([f"{k:05d}"[:3] == g for k in vacs.kldb]) for g in groups]),
        np.column_stack([np.array([g in held for held in person_groups]) for g in groups]),
    )


def _group_code(group: str, vacs: VacancyTable) -> str:
    return next(f"{k:05d}" for k in vacs.kldb if f"{k:05d}".startswith(group))


def _skills(cands: CandidateTable, vacs: VacancyTable, reference: ReferenceData, min_demand: int) -> Dimension:
    demand: dict[str, int] = {}
    for req in vacs.required_skills:
        for s in req:
            demand[s] = demand.get(s, 0) + 1
    codes = sorted(s for s, n in demand.items() if n >= min_demand)
    column = {s: j for j, s in enumerate(codes)}
    asks = np.zeros((len(vacs), len(codes)), dtype=bool)
    holds = np.zeros((len(cands), len(codes)), dtype=bool)
    for table, sets in ((asks, vacs.required_skills), (holds, cands.skills)):
        for i, held in enumerate(sets):
            table[i, [column[s] for s in held if s in column]] = True
    return Dimension("skill", codes, [reference.skill_label(s) for s in codes], asks, holds)


def shortages(
    cands: CandidateTable,
    vacs: VacancyTable,
    reference: ReferenceData,
    gazetteer: Gazetteer,
    as_of: date,
    min_skill_demand: int = 5,
) -> pd.DataFrame:
    """The region's shortage view: one row per dimension and code, scarcest first within each.

    Columns: dimension, code, label_de, demand (open vacancies asking), supply (job seekers holding
    it with at least one of those vacancies in reach), ratio (supply / demand).
    """
    places = (gazetteer.place_lat, gazetteer.place_lon)
    group, reach = reach_matrix(cands, vacs, as_of, places)
    frames = []
    for d in dimensions(cands, vacs, reference, min_skill_demand):
        reached = (reach.astype(np.float32) @ d.asks.astype(np.float32)) > 0  # (groups, codes)
        supply = (d.holds & reached[group]).sum(axis=0)
        demand = d.asks.sum(axis=0)
        frame = pd.DataFrame(
            {"dimension": d.name, "code": d.codes, "label_de": d.labels, "demand": demand, "supply": supply}
        )
        frames.append(frame[frame["demand"] > 0])
    out = pd.concat(frames, ignore_index=True)
    out["ratio"] = (out["supply"] / out["demand"]).round(3)
    order = {d: i for i, d in enumerate(out["dimension"].unique())}
    return out.sort_values(
        ["dimension", "ratio", "code"], key=lambda c: c.map(order) if c.name == "dimension" else c
    ).reset_index(drop=True)


# --- measure types and fairness -----------------------------------------------------------------
@dataclass
class PersonSuggestions:
    """What the opportunities of one person would show, by measure type (ids only)."""

    candidate_id: str
    opportunities: int
    best_by_type: dict[str, NDArray[np.intp]] = field(default_factory=dict)  # rows opened by the best change
    technical: bool = False

    def offer(self, kind: str, rows: NDArray[np.intp]) -> None:
        """A change that a measure of type ``kind`` teaches opens ``rows``: kept if it opens the most."""
        if kind not in self.best_by_type or len(rows) > len(self.best_by_type[kind]):
            self.best_by_type[kind] = rows


def _best_by_type(
    s: Standing, catalogue: MeasureCatalogue, reach: Bools, gazetteer: Gazetteer, config: OpportunityConfig
) -> PersonSuggestions:
    record = s.record
    out = PersonSuggestions(record.id, 0)
    for change, rows in count_changes(s, gazetteer, config):
        if not len(rows):
            continue
        out.opportunities += 1
        for row in catalogue.teaching(change, s.person):
            if not reach[row]:
                continue
            m = catalogue.measures[row]
            out.offer(m.type.value, rows)
            out.technical = out.technical or is_technical(m.kldb)
    return out


def is_technical(kldb: str | None) -> bool:
    """Technical or IT measures: KldB Berufsbereich 2 (production, manufacturing) or 4 (science, IT)."""
    return kldb is not None and kldb[0] in "24"


def suggestions(
    cands: CandidateTable,
    vacs: VacancyTable,
    catalogue: MeasureCatalogue,
    gazetteer: Gazetteer,
    as_of: date,
    options: FilterOptions = _ALL_FILTERS,
    config: OpportunityConfig = _PLANNING,
    progress: Callable[[Iterator[int]], Iterator[int]] | None = None,
    chunk: int = 1024,
) -> list[PersonSuggestions]:
    """Every job seeker's suggestions (profiles too thin to rank for are left out, as in the API).

    The same counts as :func:`suggestions_per_person`, computed over the column tables: the
    distance and commute filters once per group of people who share place, car and limits, the
    other filters and the minimums as (people, vacancies) masks, ``chunk`` people at a time.
    Kinds of change that no measure teaches (commute, working time) and municipality-level places
    take the per-person path.
    """
    if options.coarse_places or config.kinds is None or not config.kinds <= TAUGHT_KINDS:
        return suggestions_per_person(cands, vacs, catalogue, gazetteer, as_of, options, config, progress)
    return _Caseload(cands, vacs, catalogue, gazetteer, as_of, options, config).run(progress, chunk)


class _Caseload:
    """The per-person counts of :func:`matcher.services.opportunities.count_changes` for many people at once."""

    def __init__(
        self,
        cands: CandidateTable,
        vacs: VacancyTable,
        catalogue: MeasureCatalogue,
        gazetteer: Gazetteer,
        as_of: date,
        options: FilterOptions,
        config: OpportunityConfig,
    ) -> None:
        self.cands, self.vacs, self.catalogue, self.as_of = cands, vacs, catalogue, as_of
        self.options, self.config = options, config
        places = (gazetteer.place_lat, gazetteer.place_lon)
        geo = options.override(vacancy_open=False, working_time=False, licences=False, availability=False)
        self.group, self.geo = reach_matrix(cands, vacs, as_of, places, geo)
        if len(catalogue):
            self.near = reach_matrix(cands, catalogue.places, as_of, places, catalogue.reach_options(options))[1]
        else:
            self.near = np.zeros((len(self.geo), 0), dtype=bool)
        self.vacancy_group = np.where(vacs.kldb >= 0, vacs.kldb // 100, -2)
        vocabulary = sorted({s for req in vacs.required_skills for s in req})
        self.skill_names = vocabulary
        self.skill_id = {s: j for j, s in enumerate(vocabulary)}
        width = max((len(r) for r in vacs.required_skills), default=0)
        self.skills_of = np.full((len(vacs), max(width, 1)), -1, dtype=np.intp)
        self.has_skill = np.zeros((len(vacs), len(vocabulary)), dtype=bool)
        for v, req in enumerate(vacs.required_skills):
            ids = sorted(self.skill_id[s] for s in req)
            self.skills_of[v, : len(ids)] = ids
            self.has_skill[v, ids] = True
        self.measure_type = [m.type.value for m in catalogue.measures]
        self.measure_technical = np.array([is_technical(m.kldb) for m in catalogue.measures], dtype=bool)
        self._teaching: dict[tuple[str, ...], NDArray[np.intp]] = {}

    def run(self, progress: Callable[[Iterator[int]], Iterator[int]] | None, chunk: int) -> list[PersonSuggestions]:
        out: list[PersonSuggestions] = []
        rows: Iterator[int] = iter(range(len(self.cands)))
        block: _Block | None = None
        for i in progress(rows) if progress else rows:
            record = self.cands.records[i]
            if record is None or profile_gaps(record):
                continue
            if block is None or i >= block.stop:
                block = self._block(i, min(i + chunk, len(self.cands)))
            out.append(self._person(block, i - block.start, record))
        return out

    def _block(self, start: int, stop: int) -> _Block:
        c, v, o, day = self.cands.take(np.arange(start, stop)), self.vacs, self.options, self.as_of
        group = self.group[start:stop]
        others = self.geo[group] if (o.distance or o.commute) else np.ones((stop - start, len(v)), bool)
        if o.vacancy_open:
            others &= v.is_open[None, :]
        for name in ("working_time", "availability"):
            if getattr(o, name):
                others &= filter_matrix(name, c, v, o, day)
        licences = filter_matrix("licences", c, v, o, day) if o.licences else np.ones_like(others)
        # The re-ranker's minimums, as matcher.services.opportunities._minimums reads them from the features.
        german_gap = np.where(v.german_min[None, :] > 0, c.german[:, None] - v.german_min[None, :], 0)
        german_ok = german_gap >= 0
        level_ok = (v.level[None, :] - c.level[:, None]) <= 0
        codes = np.column_stack([c.main_kldb, c.alt_kldb])
        own = np.where(codes >= 0, codes // 100, -1)
        in_target = (own[:, :, None] == self.vacancy_group[None, None, :]).any(axis=1)
        wants_part_time = c.working_time == WORKING_TIME_CODES[WorkingTime.PART_TIME]
        reach = self.near[group] & self.catalogue.schedule_fits(c.available_from, wants_part_time, day)
        return _Block(start, stop, c, others, licences, german_ok, level_ok, in_target, reach)

    def _person(self, b: _Block, p: int, record: Candidate) -> PersonSuggestions:
        v, c, kinds = self.vacs, b.cands, self.config.kinds
        assert kinds is not None
        others, german_ok, level_ok, target = b.others[p], b.german_ok[p], b.level_ok[p], b.in_target[p]
        keep = others & b.licences[p]
        ok = german_ok & level_ok
        fits = keep & ok
        changes = self._licence_changes(b, p, others & ok & ~b.licences[p])  # fit but for the licence filter
        rank = int(c.german[p])
        if rank < GERMAN_LEVEL_RANK[GermanLevel.C2]:
            level = list(GermanLevel)[rank]
            after = GERMAN_LEVEL_RANK[level]
            meets = np.where(v.german_min > 0, after - v.german_min, 0) >= 0
            changes.append((ProfileChange("german_level", level.value), keep & level_ok & ~german_ok & meets))
        if "skill" in kinds:
            for j in self._missing_skills(fits & target, c.skills[p]):
                changes.append((ProfileChange("skill", self.skill_names[j]), fits & self.has_skill[:, j]))
        if record.level < 4:
            meets = (v.level - (record.level + 1)) <= 0
            rows = keep & german_ok & ~level_ok & target & meets
            changes.append((ProfileChange("requirement_level", str(record.level + 1)), rows))
        return self._suggestions(record, changes, b.reach[p])

    def _licence_changes(self, b: _Block, p: int, blocked: Bools) -> list[tuple[ProfileChange, Bools]]:
        """Each licence and permit asked by the ``blocked`` vacancies that the person lacks, with
        the vacancies it opens."""
        if not blocked.any():
            return []
        v, c = self.vacs, b.cands
        held_licences, held_permits = int(c.licences[p]), int(c.permits[p])
        asked_licences = int(np.bitwise_or.reduce(v.licences[blocked]))
        asked_permits = int(np.bitwise_or.reduce(v.permits[blocked]))
        changes: list[tuple[ProfileChange, Bools]] = []
        for name in sorted(n for n, bit in LICENCE_BIT.items() if asked_licences & bit and not held_licences & bit):
            more = held_licences | bits(sorted(effective_licences([name])), LICENCE_BIT)
            opens = ((v.licences & ~more) | (v.permits & ~held_permits)) == 0
            changes.append((ProfileChange("licence", name), blocked & opens))
        for name in sorted(n for n, bit in PERMIT_BIT.items() if asked_permits & bit and not held_permits & bit):
            more = held_permits | PERMIT_BIT[name]
            opens = ((v.licences & ~held_licences) | (v.permits & ~more)) == 0
            changes.append((ProfileChange("permit", name), blocked & opens))
        return changes

    def _suggestions(
        self, record: Candidate, changes: list[tuple[ProfileChange, Bools]], reach: Bools
    ) -> PersonSuggestions:
        """What the changes open, and the measures within reach that teach them, by measure type."""
        kinds = self.config.kinds
        assert kinds is not None
        out = PersonSuggestions(record.id, 0)
        for change, mask in changes:
            if change.kind not in kinds or not mask.any():
                continue
            opened = np.flatnonzero(mask)
            out.opportunities += 1
            taught = self._taught(change, record)
            taught = taught[reach[taught]]
            for kind in {self.measure_type[m] for m in taught}:
                out.offer(kind, opened)
            out.technical = out.technical or bool(self.measure_technical[taught].any())
        return out

    def _missing_skills(self, rows: Bools, have: frozenset[str]) -> list[int]:
        """As matcher.services.opportunities._shared_missing_skills: the most asked, then by name."""
        ids = self.skills_of[rows].ravel()
        counts = np.bincount(ids[ids >= 0], minlength=len(self.skill_names))
        counts[[self.skill_id[s] for s in have if s in self.skill_id]] = 0
        asked = np.flatnonzero(counts)
        order = asked[np.lexsort((asked, -counts[asked]))]
        return [int(j) for j in order[: self.config.skills_tried]]

    def _taught(self, change: ProfileChange, record: Candidate) -> NDArray[np.intp]:
        """catalogue.teaching_for, kept per what it reads of the person."""
        key: tuple[str, ...] = (change.kind, change.value)
        if change.kind == "german_level":
            key += (record.german_level.value,)
        elif change.kind == "requirement_level":
            key += tuple(sorted({code[:3] for code in record.occupations}))
        if key not in self._teaching:
            self._teaching[key] = self.catalogue.teaching_for(change, record)
        return self._teaching[key]


@dataclass(frozen=True)
class _Block:
    """The masks of people ``start``..``stop`` against every vacancy (rows: people)."""

    start: int
    stop: int
    cands: CandidateTable
    others: Bools  # every hard filter but the licence filter
    licences: Bools
    german_ok: Bools
    level_ok: Bools
    in_target: Bools
    reach: Bools  # (people, measures)


def suggestions_per_person(
    cands: CandidateTable,
    vacs: VacancyTable,
    catalogue: MeasureCatalogue,
    gazetteer: Gazetteer,
    as_of: date,
    options: FilterOptions = _ALL_FILTERS,
    config: OpportunityConfig = _PLANNING,
    progress: Callable[[Iterator[int]], Iterator[int]] | None = None,
) -> list[PersonSuggestions]:
    """Every job seeker's suggestions, one person at a time through :func:`count_changes` (the
    reference :func:`suggestions` is tested against; profiles too thin to rank for are left out)."""
    places = (gazetteer.place_lat, gazetteer.place_lon)
    out = []
    rows: Iterator[int] = iter(range(len(cands)))
    for i in progress(rows) if progress else rows:
        person = cands.take([i])
        record = person.records[0]
        if record is None or profile_gaps(record):
            continue
        s = standing(person, vacs, options, as_of, places)
        reach = catalogue.reachable(person, as_of, options, places)
        out.append(_best_by_type(s, catalogue, reach, gazetteer, config))
    return out


def measure_type_impact(
    people: list[PersonSuggestions], n_vacancies: int, at_least_people: int = 5, at_least_candidates: int = 3
) -> pd.DataFrame:
    """Per measure type: job seekers gaining at least ``at_least_people`` fitting vacancies, and
    vacancies gaining at least ``at_least_candidates`` fitting job seekers, if it were funded."""
    rows = []
    for kind in MeasureType:
        gained = np.zeros(n_vacancies, dtype=np.int64)
        people_gaining = people_any = 0
        for p in people:
            opened = p.best_by_type.get(kind.value)
            if opened is None:
                continue
            people_any += 1
            people_gaining += len(opened) >= at_least_people
            gained[opened] += 1
        rows.append(
            {
                "type": kind.value,
                "people_gaining_any": people_any,
                f"people_gaining_{at_least_people}+": people_gaining,
                "vacancies_gaining_any": int(np.count_nonzero(gained)),
                f"vacancies_gaining_{at_least_candidates}+": int(np.count_nonzero(gained >= at_least_candidates)),
            }
        )
    return pd.DataFrame(rows)


AGE_BANDS = ((0, 25, "<25"), (25, 50, "25–49"), (50, 200, "50+"))


def protected_groups(protected: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """(candidate_id, attribute, group) rows from the store's protected table, for the audit only."""
    p = protected.set_index("candidate_id")
    age = as_of.year - p["birth_year"]
    bands = pd.Series(pd.NA, index=p.index, dtype="object")
    for low, high, label in AGE_BANDS:
        bands[(age >= low) & (age < high)] = label
    columns = {
        "gender": p["gender"],
        "age": bands,
        "citizenship": p["citizenship_group"],
        "severe_disability": p["severe_disability"].map({True: "yes", False: "no"}),
    }
    frames = [
        pd.DataFrame({"candidate_id": p.index, "attribute": name, "group": col.to_numpy()})
        for name, col in columns.items()
    ]
    return pd.concat(frames, ignore_index=True).dropna()


def fairness_table(people: list[PersonSuggestions], groups: pd.DataFrame, strata: pd.Series) -> pd.DataFrame:
    """Suggestions by protected group: share shown at least one opportunity, mean opportunities,
    share shown each measure type and a technical or IT measure; and the technical share
    standardised to the same profiles (``strata``: candidate id -> main occupation area and level),
    so that a gap that profiles do not explain shows as a ratio away from 1."""
    frame = pd.DataFrame(
        {
            "candidate_id": [p.candidate_id for p in people],
            "opportunities": [p.opportunities for p in people],
            "technical": [p.technical for p in people],
            **{f"shown_{t.value}": [t.value in p.best_by_type for p in people] for t in MeasureType},
        }
    ).set_index("candidate_id")
    frame["stratum"] = strata.reindex(frame.index).to_numpy()
    rows = []
    for (attribute, group), members in groups.groupby(["attribute", "group"]):
        sub = frame.loc[frame.index.intersection(members["candidate_id"])]
        if sub.empty:
            continue
        row = {"attribute": attribute, "group": str(group), "people": len(sub)}
        row["shown_any"] = round(float((sub["opportunities"] > 0).mean()), 3)
        row["mean_opportunities"] = round(float(sub["opportunities"].mean()), 2)
        for t in MeasureType:
            row[f"shown_{t.value}"] = round(float(sub[f"shown_{t.value}"].mean()), 3)
        row["technical_it"] = round(float(sub["technical"].mean()), 3)
        row["technical_it_same_profile"] = _standardised_ratio(frame, sub)
        rows.append(row)
    return pd.DataFrame(rows)


def _standardised_ratio(everyone: pd.DataFrame, group: pd.DataFrame) -> float:
    """Observed technical/IT suggestions of the group over those expected from everyone's rate in
    the group's own strata (indirect standardisation); 1.0: as often as people of the same profile."""
    rates = everyone.groupby("stratum")["technical"].mean()
    expected = float(group["stratum"].map(rates).sum())
    return round(float(group["technical"].sum()) / expected, 3) if expected else float("nan")


def profile_strata(cands: CandidateTable) -> pd.Series:
    """Candidate id -> (KldB Berufsbereich of the main occupation, requirement level): the profile
    the fairness table compares within."""
    ids = [r.id for r in cands.records if r is not None]
    keys = [f"{k:05d}"[0] + f"-{lv}" for k, lv, r in zip(cands.main_kldb, cands.level, cands.records) if r is not None]
    return pd.Series(keys, index=ids)


__all__ = [
    "PersonSuggestions",
    "dimensions",
    "fairness_table",
    "is_technical",
    "measure_type_impact",
    "profile_strata",
    "protected_groups",
    "reach_matrix",
    "shortages",
    "suggestions",
    "suggestions_per_person",
]
