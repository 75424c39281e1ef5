"""One pair's geography as its audience may read it: computed once, where the engine measured it.

The filters measure every pair's distance and commute once (``matcher.ranking.filters.pair_geography``):
from the job seeker's postcode for the exact audience, from the centre of the area the card names
for the employer service's cards (:class:`matcher.ranking.audience.Audience`). The engine turns the
returned pairs' figures into a :class:`PairGeography`: exact figures with their bands, or bands
only, with whether the commute is within the person's own limit (the rule of
``matcher.ranking.features``). The features measure from the postcode whatever the audience: the model
reads exact values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from matcher.ranking.columns import known
from matcher.ranking.features import commute_ratio
from matcher.ranking.filters import pair_geography
from matcher.records.models import Candidate

if TYPE_CHECKING:
    from matcher.ranking.audience import Audience
    from matcher.ranking.shortlist import PairBatch

# Upper edges (exclusive) of the distance bands, km; beyond the last one: DISTANCE_BEYOND.
DISTANCE_BANDS: tuple[tuple[float, str], ...] = ((10.0, "unter 10 km"), (25.0, "10–25 km"), (50.0, "25–50 km"))
DISTANCE_BEYOND = "über 50 km"
DISTANCE_EDGES_KM: tuple[int, ...] = (10, 25, 50)
COMMUTE_STEP_MINUTES = 15

CommuteMode = Literal["car", "public_transport"]


def distance_band(km: float | None) -> str | None:
    """The band of a distance: unter 10 km, 10–25 km, 25–50 km, über 50 km (lower edge inclusive); None: unknown."""
    if km is None or math.isnan(km):
        return None
    return next((label for upper, label in DISTANCE_BANDS if km < upper), DISTANCE_BEYOND)


def commute_band(minutes: float | None) -> str | None:
    """15-minute steps, upper edge inclusive: "bis 15 Min.", "15–30 Min.", "30–45 Min.", ...; None: unknown."""
    if minutes is None or math.isnan(minutes):
        return None
    upper = max(1, math.ceil(minutes / COMMUTE_STEP_MINUTES)) * COMMUTE_STEP_MINUTES
    return "bis 15 Min." if upper == COMMUTE_STEP_MINUTES else f"{upper - COMMUTE_STEP_MINUTES}–{upper} Min."


def commute_mode(candidate: Candidate) -> CommuteMode:
    """By car where the person has one, else by bus and train."""
    return "car" if candidate.has_car else "public_transport"


@dataclass(frozen=True)
class PairGeography:
    """One returned pair's distance and commute as presented (None: unknown place).

    Attributes:
        distance_km, commute_minutes: exact figures (rounded to 0.1 km, whole minutes); None for
            the employer service's cards, which show bands only.
        distance_band, commute_band: the bands (:func:`distance_band`, :func:`commute_band`).
        commute_feasible: whether the commute is within the person's own limit.
        commute_mode: "car" or "public_transport".
    """

    distance_km: float | None
    commute_minutes: int | None
    distance_band: str | None
    commute_band: str | None
    commute_feasible: bool | None
    commute_mode: CommuteMode

    @classmethod
    def of(
        cls, km: float, minutes: float, candidate: Candidate, exact: bool, feasible: bool | None = None
    ) -> PairGeography:
        """From the figures the engine measured for the audience (NaN: unknown place); ``feasible``:
        whether the commute is within the person's limit, if already known (else computed here)."""
        mode = commute_mode(candidate)
        if math.isnan(km):
            return cls(None, None, None, None, None, mode)
        if feasible is None:
            limits = known(candidate.max_commute_km), known(candidate.max_commute_minutes)
            feasible = bool(float(commute_ratio(km, minutes, *limits)) <= 1.0)
        rounded_km, rounded_minutes = round(km, 1), round(minutes)
        bands = distance_band(rounded_km), commute_band(rounded_minutes)
        if exact:
            return cls(rounded_km, rounded_minutes, *bands, feasible, mode)
        return cls(None, None, *bands, feasible, mode)

    def to_json(self) -> dict[str, Any]:
        """The fields in the order of the answers' details."""
        return {
            "distance_km": self.distance_km,
            "commute_minutes": self.commute_minutes,
            "distance_band": self.distance_band,
            "commute_band": self.commute_band,
            "commute_feasible": self.commute_feasible,
            "commute_mode": self.commute_mode,
        }


def returned_geographies(pairs: PairBatch, top: list[int], audience: Audience) -> list[PairGeography]:
    """The returned pairs' geography for ``audience``, from the figures the filters measured for
    it; whether each commute is within the person's limit in one vectorised step."""
    rows = np.asarray(top, dtype=np.intp)
    km, minutes, people = pairs.distance_km[rows], pairs.commute_minutes[rows], pairs.ci[rows]
    limits = pairs.candidates.max_commute_km[people], pairs.candidates.max_commute_min[people]
    feasible = commute_ratio(km, minutes, *limits) <= 1.0
    return [
        PairGeography.of(float(km[r]), float(minutes[r]), pairs.candidate(i), audience.is_exact, bool(feasible[r]))
        for r, i in enumerate(top)
    ]


def batch_geographies(batch: PairBatch, audience: Audience) -> list[PairGeography]:
    """Each pair's geography for ``audience``: the batch's own figures (from the postcode) for the
    exact audience, else measured once more from the card's area (e.g. ``Engine.score_pairs``)."""
    distance, commute = batch.distance_km, batch.commute_minutes
    if audience.coarse_places:
        cands, vacs = batch.candidates.take(batch.ci), batch.vacancies.take(batch.vi)
        distance, commute = pair_geography(cands, vacs, coarse=True)
    of, exact = PairGeography.of, audience.is_exact
    return [of(float(distance[j]), float(commute[j]), batch.candidate(j), exact) for j in range(len(batch))]
