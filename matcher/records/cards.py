"""What the employer service's cards show of a job seeker: coarse enough to be k-anonymous.

The exact card fields (occupation, municipality, years of experience, available-from date, German
level, licences, car, hours) were unique for 99.3 % of the default world's 12,000 job seekers,
so one card recognised on two vacancies joined them (issue 24). Every card field is therefore
shown coarsened, by one definition used by the shortlist facts, the card endpoint, the reasons
and the nightly new matches (:func:`coarse_card`):

- occupation: the KldB *Berufshauptgruppe* (2 digits) and its title;
- place: Stadt or Landkreis Kaiserslautern (Verbandsgemeinde membership is not in the reference
  data; the quarters of the Landkreis left 53 % of cards below k = 5 with the other fields), and
  distances measured from that area's centre (:func:`area_centre`);
- mobility: car, driving licence class B (or a higher car class) without a car, or neither (the
  commute mode of the distance bands tells the car anyway);
- requirement level: Helfer, or Fachkraft and above;
- availability: "sofort" or "später".

Experience, German level, working time, licences beyond class B, skills, school and vocational
qualification are not on the card: with them, fewer than 95 % of job seekers shared their card
with 4 others. ``training.bench.kanonymity`` measures the share of job seekers whose card at
least 4 others share (k >= 5) over a home's caseload; ``tests/api/test_kanonymity.py`` checks it
on the default world.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from matcher.records.models import Candidate, effective_licences
from matcher.records.reference import ReferenceData

CITY_AGS = "07312000"
CITY = "Stadt Kaiserslautern"
LANDKREIS = "Landkreis Kaiserslautern"
UNKNOWN_PLACE = "unbekannt"
K_TARGET = 5


def area_of(ags: str, reference: ReferenceData) -> str:
    """The card's place: Stadt or Landkreis Kaiserslautern ("unbekannt" outside the region)."""
    return areas(reference).get(ags, UNKNOWN_PLACE)


def area_centre(ags: str, reference: ReferenceData) -> tuple[float, float] | None:
    """(lat, lon) of the card's area: the mean of its municipalities' centres (None: unknown place)."""
    return area_centres(reference).get(area_of(ags, reference))


@lru_cache(maxsize=4)
def areas(reference: ReferenceData) -> dict[str, str]:
    """AGS -> the area a card names (see :func:`area_of`)."""
    return {ags: CITY if ags == CITY_AGS else LANDKREIS for ags in reference.municipalities["ags"]}


@lru_cache(maxsize=4)
def area_centres(reference: ReferenceData) -> dict[str, tuple[float, float]]:
    """Area -> (lat, lon): the mean of its municipalities' centres."""
    frame = reference.municipalities
    points: dict[str, list[tuple[float, float]]] = {}
    for ags, lat, lon in zip(frame["ags"], frame["lat"], frame["lon"], strict=True):
        points.setdefault(areas(reference)[ags], []).append((float(lat), float(lon)))
    return {area: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps)) for area, ps in points.items()}


def mobility(c: Candidate) -> str:
    if c.has_car:
        return "Auto"
    return "Führerschein B, kein Auto" if "B" in effective_licences(c.licences) else "kein Führerschein B"


def level_band(level: int) -> str:
    return "Helfer" if level <= 1 else "Fachkraft oder höher"


def availability(available_from: date, today: date) -> str:
    return "sofort" if available_from <= today else "später"


def occupation_group(kldb: str, reference: ReferenceData) -> tuple[str, str]:
    """(2-digit KldB code, its title) of a 5-digit code."""
    return kldb[:2], reference.kldb_title(kldb[:2]).split(" – ")[0].strip()


def coarse_card(c: Candidate, reference: ReferenceData, today: date) -> dict[str, Any]:
    """The card fields the employer service sees of a job seeker (see the module docstring)."""
    group, title = occupation_group(c.main_occupation, reference)
    return {
        "occupation_group": group,
        "occupation": title,
        "level": level_band(c.level),
        "place": area_of(c.ags, reference),
        "mobility": mobility(c),
        "available": availability(c.available_from, today),
    }


def card_key(c: Candidate, reference: ReferenceData, today: date) -> tuple[Any, ...]:
    """Everything a card shows, as one hashable value (for measuring k)."""
    card = coarse_card(c, reference, today)
    return tuple(card[name] for name in ("occupation_group", "level", "place", "mobility", "available"))


def k_anonymity(keys: list[tuple[Any, ...]], k: int = K_TARGET) -> tuple[float, int]:
    """(share of people whose card at least ``k - 1`` others share, the smallest group's size)."""
    sizes: dict[tuple[Any, ...], int] = {}
    for key in keys:
        sizes[key] = sizes.get(key, 0) + 1
    covered = sum(n for n in sizes.values() if n >= k)
    return (covered / len(keys) if keys else 1.0), min(sizes.values(), default=0)
