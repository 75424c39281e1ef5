"""Pair features of a job seeker and a vacancy: one module, used identically in training and serving.

Records are first turned into column arrays (:class:`CandidateArrays`, :class:`VacancyArrays`),
once per engine or training run; a batch of pairs is then featurised with numpy in one go, which
keeps 200 pairs well under a millisecond.

Protected attributes (gender, age, nationality, disability) and their obvious proxies (birth year,
registration date, languages other than German, free text) are never inputs: nothing here reads
``ProtectedAttributes``, and ``tests/matcher/test_features.py`` fails if a feature name or input
carries one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.geo import Gazetteer, commute_minutes, haversine_km
from matcher.models import (
    GERMAN_LEVEL_RANK,
    LICENCES,
    PERMITS,
    Candidate,
    Vacancy,
    WorkingTime,
    effective_licences,
)

FEATURE_NAMES: tuple[str, ...] = (
    "similarity",
    "occupation_depth_main",
    "occupation_depth_alt",
    "level_gap",
    "essential_skill_coverage",
    "optional_skill_coverage",
    "essential_skills_missing",
    "distance_km",
    "commute_minutes",
    "commute_ratio",
    "commute_feasible",
    "has_car",
    "working_time_fit",
    "hours_gap",
    "shift_conflict",
    "weekend_conflict",
    "licences_missing",
    "permits_missing",
    "german_gap",
    "experience_years",
    "vacancy_age_days",
    "start_gap_days",
    "temporary_agency",
    "positions",
)
N_FEATURES = len(FEATURE_NAMES)
MAX_ALTERNATIVES = 4
_LICENCE_BIT = {name: 1 << i for i, name in enumerate(LICENCES)}
_PERMIT_BIT = {name: 1 << i for i, name in enumerate(PERMITS)}
_WORKING_TIME = {WorkingTime.FULL_TIME: 0, WorkingTime.PART_TIME: 1, WorkingTime.EITHER: 2}
# Default commute limit when a profile states none (minutes; typical SGB II reasonableness).
DEFAULT_MAX_COMMUTE_MIN = 75.0


def _bits(names: Sequence[str], table: dict[str, int]) -> int:
    value = 0
    for name in names:
        value |= table.get(name, 0)
    return value


def _ordinal(day: date | None, default: int) -> int:
    return day.toordinal() if day is not None else default


@dataclass(frozen=True)
class CandidateArrays:
    """Column arrays of a set of job seekers, row i = ids[i]."""

    ids: list[str]
    main_kldb: NDArray[np.int64]
    alt_kldb: NDArray[np.int64]  # (n, MAX_ALTERNATIVES), -1 = none
    level: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    has_car: NDArray[np.bool_]
    max_commute_min: NDArray[np.float64]
    max_commute_km: NDArray[np.float64]  # nan = not stated
    working_time: NDArray[np.int64]
    hours: NDArray[np.float64]  # nan = not stated
    shifts: NDArray[np.bool_]
    weekends: NDArray[np.bool_]
    licences: NDArray[np.int64]
    permits: NDArray[np.int64]
    german: NDArray[np.int64]
    experience: NDArray[np.float64]
    available_from: NDArray[np.int64]
    skills: list[frozenset[str]]

    @classmethod
    def build(cls, candidates: Sequence[Candidate], gazetteer: Gazetteer) -> CandidateArrays:
        coords = np.array([gazetteer.locate(c.ags, c.postcode) for c in candidates]).reshape(-1, 2)
        alt = np.full((len(candidates), MAX_ALTERNATIVES), -1, dtype=np.int64)
        for i, c in enumerate(candidates):
            codes = [int(x) for x in c.occupations[1 : 1 + MAX_ALTERNATIVES]]
            alt[i, : len(codes)] = codes
        return cls(
            ids=[c.id for c in candidates],
            main_kldb=np.array([int(c.main_occupation) for c in candidates], dtype=np.int64),
            alt_kldb=alt,
            level=np.array([c.level for c in candidates], dtype=np.int64),
            lat=coords[:, 0], lon=coords[:, 1],
            has_car=np.array([c.has_car for c in candidates], dtype=bool),
            max_commute_min=np.array([c.max_commute_minutes or np.nan for c in candidates], dtype=np.float64),
            max_commute_km=np.array([c.max_commute_km or np.nan for c in candidates], dtype=np.float64),
            working_time=np.array([_WORKING_TIME[c.working_time] for c in candidates], dtype=np.int64),
            hours=np.array([c.hours_per_week or np.nan for c in candidates], dtype=np.float64),
            shifts=np.array([c.shifts for c in candidates], dtype=bool),
            weekends=np.array([c.weekends for c in candidates], dtype=bool),
            licences=np.array([_bits(sorted(effective_licences(c.licences)), _LICENCE_BIT)
                               for c in candidates], dtype=np.int64),
            permits=np.array([_bits(c.permits, _PERMIT_BIT) for c in candidates], dtype=np.int64),
            german=np.array([GERMAN_LEVEL_RANK[c.german_level] for c in candidates], dtype=np.int64),
            experience=np.array([c.experience_years for c in candidates], dtype=np.float64),
            available_from=np.array([c.available_from.toordinal() for c in candidates], dtype=np.int64),
            skills=[frozenset(c.skills) for c in candidates],
        )  # fmt: skip


@dataclass(frozen=True)
class VacancyArrays:
    """Column arrays of a set of vacancies, row i = ids[i]."""

    ids: list[str]
    kldb: NDArray[np.int64]
    level: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    working_time: NDArray[np.int64]
    hours: NDArray[np.float64]
    shifts: NDArray[np.bool_]
    weekends: NDArray[np.bool_]
    licences: NDArray[np.int64]
    permits: NDArray[np.int64]
    german_min: NDArray[np.int64]  # 0 = no requirement
    posted_at: NDArray[np.int64]
    start: NDArray[np.int64]
    temporary_agency: NDArray[np.bool_]
    positions: NDArray[np.int64]
    required_skills: list[frozenset[str]]
    optional_skills: list[frozenset[str]]

    @classmethod
    def build(cls, vacancies: Sequence[Vacancy], gazetteer: Gazetteer) -> VacancyArrays:
        coords = np.array([gazetteer.locate(v.ags, v.postcode) for v in vacancies]).reshape(-1, 2)
        return cls(
            ids=[v.id for v in vacancies],
            kldb=np.array([int(v.kldb) for v in vacancies], dtype=np.int64),
            level=np.array([v.level for v in vacancies], dtype=np.int64),
            lat=coords[:, 0], lon=coords[:, 1],
            working_time=np.array([_WORKING_TIME[v.working_time] for v in vacancies], dtype=np.int64),
            hours=np.array([v.hours_per_week or np.nan for v in vacancies], dtype=np.float64),
            shifts=np.array([v.shifts for v in vacancies], dtype=bool),
            weekends=np.array([v.weekends for v in vacancies], dtype=bool),
            licences=np.array([_bits(v.required_licences, _LICENCE_BIT) for v in vacancies], dtype=np.int64),
            permits=np.array([_bits(v.required_permits, _PERMIT_BIT) for v in vacancies], dtype=np.int64),
            german_min=np.array([GERMAN_LEVEL_RANK[v.german_level_min] if v.german_level_min else 0
                                 for v in vacancies], dtype=np.int64),
            posted_at=np.array([v.posted_at.toordinal() for v in vacancies], dtype=np.int64),
            start=np.array([_ordinal(v.start_date, v.posted_at.toordinal()) for v in vacancies], dtype=np.int64),
            temporary_agency=np.array([v.contract_type == "temporary_agency" for v in vacancies], dtype=bool),
            positions=np.array([v.positions for v in vacancies], dtype=np.int64),
            required_skills=[frozenset(v.required_skills) for v in vacancies],
            optional_skills=[frozenset(v.optional_skills) for v in vacancies],
        )  # fmt: skip


def occupation_depth(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """Depth of the shared KldB prefix: 5, 4, 3, 2 digits, else 0 (-1 codes never match)."""
    depth = np.zeros(np.broadcast(a, b).shape, dtype=np.int64)
    valid = (a >= 0) & (b >= 0)
    for digits, divisor in ((2, 1000), (3, 100), (4, 10), (5, 1)):
        depth = np.where(valid & (a // divisor == b // divisor), digits, depth)
    return depth


def _popcount(x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Set bits per element; the masks fit 16 bits (16 licence classes, 6 permits)."""
    as_bytes = np.ascontiguousarray(x, dtype="<u2").view(np.uint8).reshape(-1, 2)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1).astype(np.int64)


def _skill_coverage(have: Sequence[frozenset[str]], want: Sequence[frozenset[str]]
                    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # fmt: skip
    """Share of wanted skills present (1.0 when nothing is wanted) and the count missing."""
    covered = np.array([len(w & h) for h, w in zip(have, want)], dtype=np.float64)
    wanted = np.array([len(w) for w in want], dtype=np.float64)
    share = np.divide(covered, wanted, out=np.ones_like(covered), where=wanted > 0)
    return share, wanted - covered


def pair_features(
    cands: CandidateArrays,
    ci: NDArray[np.int64],
    vacs: VacancyArrays,
    vi: NDArray[np.int64],
    similarity: NDArray[np.float32] | NDArray[np.float64],
    as_of: date,
) -> NDArray[np.float32]:
    """Feature matrix (n_pairs, N_FEATURES) for the pairs (cands[ci[j]], vacs[vi[j]])."""
    ci, vi = np.asarray(ci, dtype=np.int64), np.asarray(vi, dtype=np.int64)
    distance = haversine_km(cands.lat[ci], cands.lon[ci], vacs.lat[vi], vacs.lon[vi])
    has_car = cands.has_car[ci]
    minutes = np.where(has_car, commute_minutes(distance, True), commute_minutes(distance, False))
    limit_min = np.nan_to_num(cands.max_commute_min[ci], nan=DEFAULT_MAX_COMMUTE_MIN)
    limit_km = cands.max_commute_km[ci]
    ratio = np.where(np.isnan(limit_km), minutes / np.maximum(limit_min, 1.0),
                     distance / np.maximum(np.nan_to_num(limit_km, nan=1.0), 1.0))  # fmt: skip
    cand_skills = [cands.skills[i] for i in ci]
    essential, missing = _skill_coverage(cand_skills, [vacs.required_skills[i] for i in vi])
    optional, _ = _skill_coverage(cand_skills, [vacs.optional_skills[i] for i in vi])
    cwt, vwt = cands.working_time[ci], vacs.working_time[vi]
    wt_fit = (cwt == 2) | (vwt == 2) | (cwt == vwt)
    hours_gap = np.nan_to_num(np.abs(cands.hours[ci] - vacs.hours[vi]), nan=0.0)
    german_min = vacs.german_min[vi]
    german_gap = np.where(german_min > 0, cands.german[ci] - german_min, 0)
    alt_depth = occupation_depth(cands.alt_kldb[ci], vacs.kldb[vi][:, None]).max(axis=1)
    columns = (
        similarity,
        occupation_depth(cands.main_kldb[ci], vacs.kldb[vi]),
        alt_depth,
        vacs.level[vi] - cands.level[ci],
        essential,
        optional,
        missing,
        distance,
        minutes,
        ratio,
        ratio <= 1.0,
        has_car,
        wt_fit,
        hours_gap,
        vacs.shifts[vi] & ~cands.shifts[ci],
        vacs.weekends[vi] & ~cands.weekends[ci],
        _popcount(vacs.licences[vi] & ~cands.licences[ci]),
        _popcount(vacs.permits[vi] & ~cands.permits[ci]),
        german_gap,
        cands.experience[ci],
        as_of.toordinal() - vacs.posted_at[vi],
        cands.available_from[ci] - vacs.start[vi],
        vacs.temporary_agency[vi],
        vacs.positions[vi],
    )
    return np.column_stack([np.asarray(c, dtype=np.float32) for c in columns])


def as_frame(matrix: NDArray[np.float32]) -> pd.DataFrame:
    """The feature matrix with its column names."""
    return pd.DataFrame(matrix, columns=list(FEATURE_NAMES))

