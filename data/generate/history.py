"""Historical proposals: which job seeker was proposed for which vacancy, when, with what result.

Caseworkers propose mostly sensible matches: for a vacancy that was open at the time they look at
job seekers with a target occupation in the same KldB group (some from the wider area, a few at
random) and take the best-looking one, with noise; a share of proposals is deliberately poor.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.generate.catalog import Places
from data.generate.config import WorldConfig
from data.generate.preferences import (
    PairFeatures,
    caseworker_score,
    commute_minutes,
    occupation_score,
    sample_outcomes,
    utility,
    working_time_misfit,
)
from matcher.records.models import LICENCES, PERMITS, effective_licences

GERMAN_RANK = {"A1": 1, "A2": 2, "B1": 3, "B2": 4, "C1": 5, "C2": 6, "native": 7}
WT_CODE = {"full_time": 0, "part_time": 1, "either": 2, "vollzeit": 0, "teilzeit": 1, "vollzeit_teilzeit": 2}
POOR_SHARE = 0.15
OPTIONS_SAME_GROUP, OPTIONS_WIDER, OPTIONS_RANDOM = 6, 2, 2
# Trips inside one municipality: across the city, or across a village.
INTRA_KM_STADT, INTRA_KM = 4.0, 1.5
SMALL_PLACE = 3000


def _mask(values: list[list[str]], vocabulary: list[str]) -> NDArray[np.int64]:
    bit = {v: 1 << i for i, v in enumerate(vocabulary)}
    return np.array([sum(bit[x] for x in set(v)) for v in values], dtype=np.int64)


_BITS = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.int64)


def _popcount(x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Set bits of masks over at most 16 licence classes or permits."""
    return _BITS[x & 0xFFFF]


def _days(dates: pd.Series, today: date) -> NDArray[np.int64]:
    return np.array([(d - today).days for d in dates], dtype=np.int64)


@dataclass(frozen=True)
class Columns:
    """What both sides have, one array row per job seeker or vacancy (codes as in preferences)."""

    level: NDArray
    place: NDArray
    wt: NDArray  # working time: 0 full, 1 part, 2 either
    hours: NDArray
    shifts: NDArray
    weekends: NDArray
    lic: NDArray  # licence bit masks
    perm: NDArray  # permit bit masks
    german: NDArray  # German level rank (vacancies: the minimum, 0 for none)

    def take(self, rows: NDArray) -> Self:
        """The same columns for ``rows`` only (the sampling's own columns are left as they are)."""
        return replace(self, **{f.name: getattr(self, f.name)[rows] for f in fields(self) if f.name not in _SAMPLING})


@dataclass(frozen=True)
class CandidateColumns(Columns):
    codes: NDArray  # (people, 3) target KldB codes, -1 where fewer
    car: NDArray
    max_min: NDArray  # longest acceptable commute, minutes
    years: NDArray  # experience
    motivation: NDArray  # hidden: the oracle's, never a feature
    registered: NDArray | None = None  # registration day (days before today), for the sampling


@dataclass(frozen=True)
class VacancyColumns(Columns):
    code: NDArray  # KldB code
    selectivity: NDArray  # hidden: the oracle's, never a feature
    posted: NDArray | None = None  # the sampling's dates (days before today) and positions
    closed: NDArray | None = None
    positions: NDArray | None = None


# Columns only the history's sampling reads, per side (``Columns.take`` leaves them out).
_SAMPLING = frozenset({"registered", "posted", "closed", "positions"})


@dataclass(frozen=True)
class Side:
    """Columns of one side (candidates or vacancies) as arrays for vectorised pair features."""

    cols: CandidateColumns | VacancyColumns
    skills: list[frozenset[str]]
    optional: list[frozenset[str]]


def candidate_side(candidates: pd.DataFrame, today: date | None = None) -> Side:
    """Job seeker columns; with ``today`` also the registration day that the sampling needs."""
    codes = np.full((len(candidates), 3), -1, dtype=np.int64)
    for i, occ in enumerate(candidates["occupations"]):
        codes[i, : len(occ)] = [int(c) for c in occ[:3]]
    licences = [sorted(effective_licences(v)) for v in candidates["licences"]]
    cols = CandidateColumns(
        codes=codes,
        level=candidates["level"].to_numpy(),
        place=candidates["place"].to_numpy(),
        car=candidates["has_car"].to_numpy(bool),
        max_min=candidates["max_minutes"].to_numpy(float),
        wt=candidates["working_time"].map(WT_CODE).to_numpy(),
        hours=candidates["hours"].to_numpy(float),
        shifts=candidates["shifts"].to_numpy(bool),
        weekends=candidates["weekends"].to_numpy(bool),
        lic=_mask(licences, list(LICENCES)),
        perm=_mask(list(candidates["permits"]), list(PERMITS)),
        german=candidates["german"].map(GERMAN_RANK).to_numpy(),
        years=candidates["experience_months"].to_numpy(float) / 12.0,
        motivation=candidates["motivation"].to_numpy(float),
        registered=None if today is None else _days(candidates["registered_at"], today),
    )
    return Side(cols, [frozenset(s) for s in candidates["skills"]], [])


def vacancy_side(vacancies: pd.DataFrame, today: date | None = None) -> Side:
    """Vacancy columns; with ``today`` also the dates and positions that the sampling needs."""
    german = vacancies["german_min"].map(lambda g: GERMAN_RANK.get(g, 0) if g else 0)
    dated = today is not None
    cols = VacancyColumns(
        code=vacancies["kldb"].astype(int).to_numpy(),
        level=vacancies["level"].to_numpy(),
        place=vacancies["place"].to_numpy(),
        wt=vacancies["working_time"].map(WT_CODE).to_numpy(),
        hours=vacancies["hours"].to_numpy(float),
        shifts=vacancies["shifts"].to_numpy(bool),
        weekends=vacancies["weekends"].to_numpy(bool),
        lic=_mask(list(vacancies["licences"]), list(LICENCES)),
        perm=_mask(list(vacancies["permits"]), list(PERMITS)),
        german=german.to_numpy(),
        selectivity=vacancies["selectivity"].to_numpy(float),
        posted=_days(vacancies["posted_at"], today) if dated else None,
        closed=_days(vacancies["closed_at"], today) if dated else None,
        positions=vacancies["positions"].to_numpy(float) if dated else None,
    )
    return Side(cols, [frozenset(s) for s in vacancies["required"]], [frozenset(s) for s in vacancies["optional"]])


def pair_features(c: Side, v: Side, ci: NDArray, vi: NDArray, places: Places) -> PairFeatures:
    """Features of the pairs (``ci[k]``, ``vi[k]``)."""
    cc, vc = c.cols.take(ci), v.cols.take(vi)
    distance = places.distance_km[cc.place, vc.place]
    intra = np.where(cc.place == places.stadt_index, INTRA_KM_STADT, INTRA_KM)
    distance = np.where(cc.place == vc.place, intra, distance)
    small = places.population < SMALL_PLACE
    rural = small[cc.place] & small[vc.place] & (cc.place != vc.place)
    commute = commute_minutes(distance, cc.car, rural)
    return PairFeatures(
        occupation=occupation_score(cc.codes, vc.code),
        level_gap=(vc.level - cc.level).astype(float),
        commute_excess=np.maximum(commute - cc.max_min, 0.0),
        working_time=working_time_misfit(cc, vc),
        licences_missing=_popcount(vc.lic & ~cc.lic).astype(float),
        permits_missing=_popcount(vc.perm & ~cc.perm).astype(float),
        german_deficit=np.maximum(vc.german - cc.german, 0).astype(float),
        experience_years=cc.years,
    )


def _pools(codes: NDArray[np.int64], digits: int) -> dict[int, NDArray[np.int64]]:
    """Candidates by the first ``digits`` of any of their target occupations."""
    pools: dict[int, list[int]] = {}
    for i, row in enumerate(codes):
        for key in sorted({int(c) // 10 ** (5 - digits) for c in row if c >= 0}):
            pools.setdefault(key, []).append(i)
    return {k: np.array(v, dtype=np.int64) for k, v in pools.items()}


def _options(rng: np.random.Generator, c: Side, v: Side, vi: NDArray[np.int64]) -> NDArray[np.int64]:
    """Candidate options per proposal: same KldB group, same area (2 digits), random."""
    n_cand = len(c.skills)
    blocks = []
    for digits, k in ((3, OPTIONS_SAME_GROUP), (2, OPTIONS_WIDER)):
        pools = _pools(c.cols.codes, digits)
        keys = v.cols.code[vi] // 10 ** (5 - digits)
        block = rng.integers(0, n_cand, size=(len(vi), k))
        for key in np.unique(keys):
            rows = np.flatnonzero(keys == key)
            pool = pools.get(int(key))
            if pool is not None:
                block[rows] = pool[rng.integers(0, len(pool), size=(len(rows), k))]
        blocks.append(block)
    blocks.append(rng.integers(0, n_cand, size=(len(vi), OPTIONS_RANDOM)))
    return np.concatenate(blocks, axis=1)


def _choose(rng: np.random.Generator, c: Side, v: Side, vi: NDArray, places: Places) -> NDArray:
    """The proposed candidate per vacancy draw, or -1 when no option was registered in time."""
    options = _options(rng, c, v, vi)
    k = options.shape[1]
    flat_v = np.repeat(vi, k)
    score = caseworker_score(pair_features(c, v, options.ravel(), flat_v, places)).reshape(-1, k)
    score = score + rng.gumbel(0.0, 0.7, size=score.shape)
    valid = c.cols.registered[options] < v.cols.closed[vi][:, None]
    score = np.where(valid, score, -np.inf)
    poor = rng.random(len(vi)) < POOR_SHARE
    score = np.where(poor[:, None] & valid, rng.random(score.shape), score)
    best = np.argmax(score, axis=1)
    chosen = options[np.arange(len(vi)), best]
    return np.where(valid.any(axis=1), chosen, -1)


def sample_pairs(
    rng: np.random.Generator, c: Side, v: Side, n: int, config: WorldConfig, places: Places
) -> pd.DataFrame:
    """``n`` distinct (candidate, vacancy, day) proposals within the vacancies' open windows."""
    start = -365 * config.history_years
    first = np.maximum(v.cols.posted, start)
    window = np.maximum(v.cols.closed - first, 1).astype(float)
    weight = window * np.sqrt(v.cols.positions)
    vi = rng.choice(len(weight), size=int(n * 1.2) + 20, p=weight / weight.sum())
    ci = _choose(rng, c, v, vi, places)
    frame = pd.DataFrame({"ci": ci, "vi": vi})
    frame = frame[frame["ci"] >= 0].drop_duplicates(["ci", "vi"]).head(n).reset_index(drop=True)
    lo = np.maximum(first[frame["vi"]], c.cols.registered[frame["ci"]])
    hi = np.maximum(v.cols.closed[frame["vi"]] - 1, lo)
    frame["day"] = lo + np.floor(rng.random(len(frame)) * (hi - lo + 1)).astype(np.int64)
    return frame.sort_values(["day", "vi", "ci"], kind="stable").reset_index(drop=True)


def coverage(held: list[frozenset[str]], wanted: list[frozenset[str]]) -> NDArray[np.float64]:
    return np.array([len(h & w) / len(w) if w else 1.0 for h, w in zip(held, wanted)])


def pair_utility(c: Side, v: Side, ci: NDArray, vi: NDArray, places: Places) -> tuple[PairFeatures, NDArray]:
    """The oracle utility ``U`` of the pairs (``ci[k]``, ``vi[k]``), and their features.

    The one definition: the history's outcomes are drawn from it, and :mod:`data.generate.oracle`
    computes it for pairs that were never proposed.
    """
    features = pair_features(c, v, ci, vi, places)
    essential = coverage([c.skills[i] for i in ci], [v.skills[j] for j in vi])
    optional = coverage([c.skills[i] for i in ci], [v.optional[j] for j in vi])
    u = utility(features, essential, optional, c.cols.motivation[ci], v.cols.selectivity[vi])
    return features, u


_LAG = {
    "beworben": (3, 14),
    "vorstellungsgespraech": (10, 30),
    "eingestellt": (20, 60),
    "abgelehnt_arbeitgeber": (7, 40),
    "abgelehnt_bewerber": (2, 14),
}


def outcome_days(rng: np.random.Generator, outcomes: NDArray, days: NDArray[np.int64]) -> list[int | None]:
    """Days of the outcome (``None`` for no reaction), never after 'today' (day 0)."""
    result: list[int | None] = []
    for outcome, day in zip(outcomes, days):
        if outcome == "keine_reaktion":
            result.append(None)
            continue
        lo, hi = _LAG[str(outcome)]
        result.append(int(min(day + rng.integers(lo, hi + 1), 0)))
    return result


def simulate(
    rng: np.random.Generator, c: Side, v: Side, protected: pd.DataFrame, n: int, config: WorldConfig, places: Places
) -> pd.DataFrame:
    """Proposals with oracle utility, outcome and outcome day (days relative to 'today')."""
    pairs = sample_pairs(rng, c, v, n, config, places)
    ci, vi = pairs["ci"].to_numpy(), pairs["vi"].to_numpy()
    features, u = pair_utility(c, v, ci, vi, places)
    selectivity = v.cols.selectivity[vi]
    older = protected["birth_year"].to_numpy()[ci] < config.bias_birth_year
    penalty = np.where(older & config.bias, config.bias_strength, 0.0)
    outcomes = sample_outcomes(rng, u, selectivity, penalty)
    pairs["utility"] = u
    pairs["occupation"] = features.occupation
    pairs["outcome"] = outcomes
    pairs["outcome_day"] = outcome_days(rng, outcomes, pairs["day"].to_numpy())
    return pairs
