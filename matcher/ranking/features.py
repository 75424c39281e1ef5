"""Pair features of a job seeker and a vacancy: one module, used identically in training and serving.

Records are first turned into the column tables of :mod:`matcher.ranking.columns` (the same ones the
filters read), once per engine or training run; a batch of pairs is then featurised with numpy in one go, which
keeps 200 pairs well under a millisecond.

Protected attributes (gender, age, nationality, disability) and their obvious proxies (birth year,
registration date, languages other than German, free text) are never inputs: nothing here reads
``ProtectedAttributes``, and ``tests/matcher/test_features.py`` fails if a feature name or input
carries one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.ranking.columns import EITHER, CandidateTable, VacancyTable
from matcher.records.geo import commute_minutes, haversine_km

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
# Default commute limit when a profile states none (minutes; typical SGB II reasonableness).
DEFAULT_MAX_COMMUTE_MIN = 75.0
# Feature name -> column of the feature matrix: the one index that re-rankers and reasons use.
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}


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


def _skill_coverage(
    have: Sequence[frozenset[str]], want: Sequence[frozenset[str]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Share of wanted skills present (1.0 when nothing is wanted) and the count missing."""
    covered = np.array([len(w & h) for h, w in zip(have, want)], dtype=np.float64)
    wanted = np.array([len(w) for w in want], dtype=np.float64)
    share = np.divide(covered, wanted, out=np.ones_like(covered), where=wanted > 0)
    return share, wanted - covered


# A feature family's columns by feature name, one value per pair.
Columns = dict[str, NDArray[np.generic]]
FamilyColumns = Callable[[CandidateTable, NDArray[np.int64], VacancyTable, NDArray[np.int64], date], Columns]


def _occupation_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    alt_depth = occupation_depth(cands.alt_kldb[ci], vacs.kldb[vi][:, None]).max(axis=1)
    return {
        "occupation_depth_main": occupation_depth(cands.main_kldb[ci], vacs.kldb[vi]),
        "occupation_depth_alt": alt_depth,
        "level_gap": vacs.level[vi] - cands.level[ci],
    }


def _skill_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    cand_skills = [cands.skills[i] for i in ci]
    essential, missing = _skill_coverage(cand_skills, [vacs.required_skills[i] for i in vi])
    optional, _ = _skill_coverage(cand_skills, [vacs.optional_skills[i] for i in vi])
    return {
        "essential_skill_coverage": essential,
        "optional_skill_coverage": optional,
        "essential_skills_missing": missing,
    }


def commute_ratio(
    distance_km: NDArray[np.float64] | float,
    minutes: NDArray[np.float64] | float,
    max_commute_km: NDArray[np.float64] | float,
    max_commute_min: NDArray[np.float64] | float,
) -> NDArray[np.float64]:
    """Commute over the person's own limit (a km limit where stated, else minutes, default
    ``DEFAULT_MAX_COMMUTE_MIN``); feasible at 1.0 or below. Limits unknown as NaN (``columns.known``)."""
    limit_km = np.asarray(max_commute_km, dtype=np.float64)
    limit_min = np.nan_to_num(np.asarray(max_commute_min, dtype=np.float64), nan=DEFAULT_MAX_COMMUTE_MIN)
    return np.where(
        np.isnan(limit_km),
        np.asarray(minutes) / np.maximum(limit_min, 1.0),
        np.asarray(distance_km) / np.maximum(np.nan_to_num(limit_km, nan=1.0), 1.0),
    )


def _distance_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    distance = haversine_km(cands.lat[ci], cands.lon[ci], vacs.lat[vi], vacs.lon[vi])
    has_car = cands.has_car[ci]
    minutes = np.where(has_car, commute_minutes(distance, True), commute_minutes(distance, False))
    ratio = commute_ratio(distance, minutes, cands.max_commute_km[ci], cands.max_commute_min[ci])
    return {
        "distance_km": distance,
        "commute_minutes": minutes,
        "commute_ratio": ratio,
        "commute_feasible": ratio <= 1.0,
        "has_car": has_car,
    }


def _working_time_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    cwt, vwt = cands.working_time[ci], vacs.working_time[vi]
    return {
        "working_time_fit": (cwt == EITHER) | (vwt == EITHER) | (cwt == vwt),
        "hours_gap": np.nan_to_num(np.abs(cands.hours[ci] - vacs.hours[vi]), nan=0.0),
        "shift_conflict": vacs.shifts[vi] & ~cands.shifts[ci],
        "weekend_conflict": vacs.weekends[vi] & ~cands.weekends[ci],
    }


def _licence_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    return {
        "licences_missing": _popcount(vacs.licences[vi] & ~cands.licences[ci]),
        "permits_missing": _popcount(vacs.permits[vi] & ~cands.permits[ci]),
    }


def _language_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    german_min = vacs.german_min[vi]
    return {"german_gap": np.where(german_min > 0, cands.german[ci] - german_min, 0)}


def _experience_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    return {"experience_years": cands.experience[ci]}


def _availability_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    return {"start_gap_days": cands.available_from[ci] - vacs.start[vi]}


def _vacancy_columns(
    cands: CandidateTable, ci: NDArray[np.int64], vacs: VacancyTable, vi: NDArray[np.int64], as_of: date
) -> Columns:
    return {
        "vacancy_age_days": as_of.toordinal() - vacs.posted_at[vi],
        "temporary_agency": vacs.temporary_agency[vi],
        "positions": vacs.positions[vi],
    }


# One function per feature family of :data:`matcher.ranking.explain.FAMILIES` (except "similarity", which retrieval
# gives); ``tests/matcher/test_feature_families.py`` checks that the two agree.
FAMILY_COLUMNS: dict[str, FamilyColumns] = {
    "occupation": _occupation_columns,
    "skills": _skill_columns,
    "distance": _distance_columns,
    "working_time": _working_time_columns,
    "licences": _licence_columns,
    "language": _language_columns,
    "experience": _experience_columns,
    "availability": _availability_columns,
    "vacancy": _vacancy_columns,
}


def pair_features(
    cands: CandidateTable,
    ci: NDArray[np.int64],
    vacs: VacancyTable,
    vi: NDArray[np.int64],
    similarity: NDArray[np.float32] | NDArray[np.float64],
    as_of: date,
) -> NDArray[np.float32]:
    """Feature matrix (n_pairs, N_FEATURES) for the pairs (cands[ci[j]], vacs[vi[j]])."""
    ci, vi = np.asarray(ci, dtype=np.int64), np.asarray(vi, dtype=np.int64)
    columns: Columns = {"similarity": np.asarray(similarity)}
    for family in FAMILY_COLUMNS.values():
        columns.update(family(cands, ci, vacs, vi, as_of))
    return np.column_stack([np.asarray(columns[name], dtype=np.float32) for name in FEATURE_NAMES])


def as_frame(matrix: NDArray[np.float32]) -> pd.DataFrame:
    """The feature matrix with its column names."""
    return pd.DataFrame(matrix, columns=list(FEATURE_NAMES))
