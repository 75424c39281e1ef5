"""The hidden preference model (oracle) that decides what became of each historical proposal.

Nothing outside the generator may import this module: the engine has to learn these preferences
from the outcomes. ``oracle_utilities.csv`` (the proposals' utility) and
:class:`data.generate.oracle.Oracle` (any pair's, from ``oracle_kunden.jsonl`` and
``oracle_stellen.jsonl``) let a trained model be compared with the truth.

Utility of a proposal of job seeker ``c`` for vacancy ``v`` (all terms are documented constants
below; KldB depth is the number of leading digits two codes share)::

    U = BASE
        + W_OCCUPATION * occ            occ: 1.0 same 5-digit code, 0.75 same 4, 0.45 same 3,
                                        0.15 same 2 digits, 0 otherwise; alternative target
                                        occupations count ALT_DISCOUNT of the main one
        + W_ESSENTIAL * ess + W_OPTIONAL * opt
                                        share of the vacancy's required / optional ESCO skills held
        - W_LEVEL_UP * max(gap, 0) - W_LEVEL_DOWN * max(-gap, 0)
                                        gap = vacancy level - level reached (KldB 5th digit)
        - W_COMMUTE * min(excess, 45)   minutes by which the commute exceeds the seeker's maximum;
                                        commute = haversine between municipality centroids (within
                                        one municipality a typical local trip) turned into minutes
                                        by car (8 + 1.1/km) or, without a car, by bus
                                        (15 + 2.6/km, +12 between two small villages)
        - working-time misfit           part time wanted but full time offered 1.4, full time
                                        wanted but part time offered 0.5, hours off by more than 8
                                        0.4, shifts not possible 0.8, weekends not possible 0.6
        - W_LICENCE * missing licences - W_PERMIT * missing permits (forklift, IfSG, ...)
        - W_GERMAN * CEFR levels below the vacancy's minimum
        + W_EXPERIENCE * log(1 + years of experience)
        + motivation(c)                 hidden, N(0, 0.5) per job seeker
        - selectivity(v's employer)     hidden, N(0, 0.45); agencies are less selective

The exported oracle utility is ``U``. Outcomes then go through three stages, each a logistic
draw with its own noise ``e ~ N(0, NOISE)``:

1. the job seeker reacts (``U + selectivity`` matters to them, not the employer's taste):
   otherwise no reaction (60 %) or declined by the candidate;
2. the employer invites to an interview: ``sigmoid(INTERVIEW_BIAS + SLOPE * U - age + e)``,
   otherwise rejected by the employer (75 %) or left at "applied";
3. the employer hires: ``sigmoid(HIRE_BIAS + SLOPE * U - age + e)``, otherwise rejected by the
   employer (50 %), left at "interview" (35 %) or declined by the candidate (15 %).

With the default world this gives roughly: hired 5-6 %, interview 3 %, applied 12 %, rejected by
the employer 40 %, declined by the candidate 16 %, no reaction 22 %.

``age`` is the documented historical bias: ``WorldConfig.bias_strength`` for job seekers born
before ``WorldConfig.bias_birth_year`` when ``WorldConfig.bias`` is on, else 0. It enters only the
employer's two decisions, never ``U``: at the same fit, older job seekers were rejected more often.
Availability dates describe the present and play no part in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class WorkingTimes(Protocol):
    """A side's working-time columns (``history.Columns`` has them)."""

    wt: NDArray  # 0 full, 1 part, 2 either
    hours: NDArray
    shifts: NDArray
    weekends: NDArray


BASE = -1.0
W_OCCUPATION = 2.5
ALT_DISCOUNT = 0.85
DEPTH_SCORE = np.array([0.0, 0.0, 0.15, 0.45, 0.75, 1.0])
W_ESSENTIAL = 1.6
W_OPTIONAL = 0.5
W_LEVEL_UP = 0.9
W_LEVEL_DOWN = 0.3
W_COMMUTE = 0.06
W_LICENCE = 1.8
W_PERMIT = 0.7
W_GERMAN = 0.7
W_EXPERIENCE = 0.12
NOISE = 0.6
REACT_BIAS, REACT_SLOPE = 0.6, 0.55
INTERVIEW_BIAS, HIRE_BIAS, SLOPE = -1.8, -1.7, 0.75

OUTCOMES = (
    "keine_reaktion",
    "beworben",
    "vorstellungsgespraech",
    "eingestellt",
    "abgelehnt_arbeitgeber",
    "abgelehnt_bewerber",
)


@dataclass(frozen=True)
class PairFeatures:
    """What the oracle and the caseworkers see of candidate-vacancy pairs (one row per pair)."""

    occupation: Array
    level_gap: Array
    commute_excess: Array
    working_time: Array
    licences_missing: Array
    permits_missing: Array
    german_deficit: Array
    experience_years: Array


def occupation_score(candidate_codes: NDArray[np.int64], vacancy_code: NDArray[np.int64]) -> Array:
    """Best KldB match over the target occupations (columns, -1 = none), main one first."""
    best = np.zeros(len(vacancy_code))
    for j in range(candidate_codes.shape[1]):
        codes = candidate_codes[:, j]
        depth = np.zeros(len(vacancy_code), dtype=np.int64)
        for d in range(1, 6):
            same = (codes // 10 ** (5 - d)) == (vacancy_code // 10 ** (5 - d))
            depth = np.where(same & (codes >= 0), d, depth)
        score = DEPTH_SCORE[depth] * (1.0 if j == 0 else ALT_DISCOUNT)
        best = np.maximum(best, score)
    return best


def commute_minutes(distance_km: Array, has_car: NDArray[np.bool_], rural: NDArray[np.bool_]) -> Array:
    """One-way commute estimate: car on roads, or bus with waiting and detours."""
    car = 8.0 + 1.1 * distance_km
    bus = 15.0 + 2.6 * distance_km + 12.0 * rural
    return np.where(has_car, car, bus)


def working_time_misfit(cand: WorkingTimes, vac: WorkingTimes) -> Array:
    """Penalty for working time (0 full, 1 part, 2 either), hours, shifts and weekends."""
    c_kind, v_kind = cand.wt, vac.wt
    penalty = np.where((c_kind == 1) & (v_kind == 0), 1.4, 0.0)
    penalty += np.where((c_kind == 0) & (v_kind == 1), 0.5, 0.0)
    penalty += np.where(np.abs(cand.hours - vac.hours) > 8, 0.4, 0.0)
    penalty += np.where(vac.shifts & ~cand.shifts, 0.8, 0.0)
    penalty += np.where(vac.weekends & ~cand.weekends, 0.6, 0.0)
    return penalty


def utility(f: PairFeatures, essential: Array, optional: Array, motivation: Array, selectivity: Array) -> Array:
    """The oracle utility ``U`` (see the module docstring)."""
    return (
        BASE
        + W_OCCUPATION * f.occupation
        + W_ESSENTIAL * essential
        + W_OPTIONAL * optional
        - W_LEVEL_UP * np.maximum(f.level_gap, 0)
        - W_LEVEL_DOWN * np.maximum(-f.level_gap, 0)
        - W_COMMUTE * np.minimum(f.commute_excess, 45.0)
        - f.working_time
        - W_LICENCE * f.licences_missing
        - W_PERMIT * f.permits_missing
        - W_GERMAN * f.german_deficit
        + W_EXPERIENCE * np.log1p(f.experience_years)
        + motivation
        - selectivity
    )


def caseworker_score(f: PairFeatures) -> Array:
    """What a caseworker weighs when proposing: occupation first, then the obvious obstacles."""
    return (
        3.0 * f.occupation
        - 0.8 * np.maximum(f.level_gap, 0)
        - 0.03 * np.minimum(f.commute_excess, 45.0)
        - 0.5 * f.working_time
        - 1.0 * f.licences_missing
        - 0.3 * f.german_deficit
    )


def _sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def sample_outcomes(rng: np.random.Generator, u: Array, selectivity: Array, age_penalty: Array) -> NDArray:
    """Outcome codes (the export's ``ergebnis``) of proposals with utility ``u``."""
    n = len(u)
    e = rng.normal(0.0, NOISE, size=(3, n))
    split = rng.random((4, n))
    react = rng.random(n) < _sigmoid(REACT_BIAS + REACT_SLOPE * (u + selectivity) + e[0])
    interview = rng.random(n) < _sigmoid(INTERVIEW_BIAS + SLOPE * u - age_penalty + e[1])
    hired = rng.random(n) < _sigmoid(HIRE_BIAS + SLOPE * u - age_penalty + e[2])
    after_interview = np.where(
        split[2] < 0.5, "abgelehnt_arbeitgeber", np.where(split[3] < 0.7, "vorstellungsgespraech", "abgelehnt_bewerber")
    )
    outcome = np.where(hired, "eingestellt", after_interview)
    outcome = np.where(interview, outcome, np.where(split[1] < 0.75, "abgelehnt_arbeitgeber", "beworben"))
    return np.where(react, outcome, np.where(split[0] < 0.6, "keine_reaktion", "abgelehnt_bewerber"))
