"""One pair's geography as presented: bands, the person's own limit, exact or card."""

from __future__ import annotations

import math

from matcher.ranking.geography import PairGeography, commute_band, distance_band
from tests.factories import make_candidate


def test_bands_have_their_edges_where_the_answers_say() -> None:
    assert [distance_band(km) for km in (0.0, 9.9, 10.0, 24.9, 25.0, 50.0, None, math.nan)] == [
        "unter 10 km",
        "unter 10 km",
        "10–25 km",
        "10–25 km",
        "25–50 km",
        "über 50 km",
        None,
        None,
    ]
    assert [commute_band(m) for m in (0, 15, 16, 30, 31, None)] == [
        "bis 15 Min.",
        "bis 15 Min.",
        "15–30 Min.",
        "15–30 Min.",
        "30–45 Min.",
        None,
    ]


def test_exact_and_card_geography_of_one_pair() -> None:
    """12.34 km and 29.6 minutes by car against a 10 km limit: beyond it; the card shows bands only."""
    person = make_candidate(has_car=True, max_commute_km=10, max_commute_minutes=None)
    exact = PairGeography.of(12.34, 29.6, person, exact=True)
    assert exact == PairGeography(12.3, 30, "10–25 km", "15–30 Min.", False, "car")
    card = PairGeography.of(12.34, 29.6, person, exact=False)
    assert card == PairGeography(None, None, "10–25 km", "15–30 Min.", False, "car")
    assert list(card.to_json()) == [
        "distance_km",
        "commute_minutes",
        "distance_band",
        "commute_band",
        "commute_feasible",
        "commute_mode",
    ]


def test_minutes_limit_and_unknown_place() -> None:
    """Without a km limit the minutes decide (the person's own, else the default); NaN: unknown."""
    bus = make_candidate(has_car=False, max_commute_km=None, max_commute_minutes=45)
    assert PairGeography.of(20.0, 44.0, bus, exact=True).commute_feasible is True
    assert PairGeography.of(20.0, 46.0, bus, exact=True).commute_feasible is False
    assert PairGeography.of(math.nan, math.nan, bus, exact=True) == PairGeography(
        None, None, None, None, None, "public_transport"
    )
