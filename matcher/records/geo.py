"""Places, distances and commute estimates.

Distances are haversine distances between postcode centroids (falling back to the municipality
centroid). Commute times are rough door-to-door estimates: the region has no open routing data
here, so a road-detour factor and average speeds stand in for a router, and a bus trip adds
walking and waiting time. They are the same numbers in filters, features and reasons.

:func:`check_place` is the one rule for places, used by ingestion and by the API alike: the
municipality (AGS) must be one of the region's, the postcode one used in the region, and a
postcode given with an AGS must be one of that municipality's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matcher.errors import UnknownPlaceError
from matcher.records.cards import area_centres, areas
from matcher.records.reference import ReferenceData

EARTH_RADIUS_KM = 6371.0088

# The rules a place can break (reject reasons of ingestion, 422 messages of the API).
UNKNOWN_MUNICIPALITY = "unknown municipality"
UNKNOWN_POSTCODE = "unknown postcode"
PLACE_MISMATCH = "postcode does not belong to the municipality"
_EXPLANATIONS = {
    UNKNOWN_MUNICIPALITY: "the AGS must be one of the municipalities of Stadt and Landkreis Kaiserslautern",
    UNKNOWN_POSTCODE: "the postcode must be one used in Stadt or Landkreis Kaiserslautern",
    PLACE_MISMATCH: "the postcode must be one of those of the municipality given as ags",
}


@dataclass(frozen=True)
class CommuteModel:
    """Average speeds and overheads of the commute estimate."""

    road_factor: float = 1.3  # road distance / straight-line distance in a hilly rural region
    car_kmh: float = 50.0
    car_overhead_min: float = 5.0
    bus_kmh: float = 22.0  # regional buses with stops and changes
    bus_overhead_min: float = 15.0  # walk to the stop and wait


def haversine_km(
    lat1: NDArray[np.float64] | float,
    lon1: NDArray[np.float64] | float,
    lat2: NDArray[np.float64] | float,
    lon2: NDArray[np.float64] | float,
) -> NDArray[np.float64]:
    """Great-circle distance in km, element-wise."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))


def commute_minutes(
    distance_km: NDArray[np.float64] | float, by_car: bool, model: CommuteModel = CommuteModel()
) -> NDArray[np.float64]:
    """Door-to-door minutes for a straight-line distance, by car or by bus."""
    road = np.asarray(distance_km, dtype=np.float64) * model.road_factor
    if by_car:
        return np.asarray(model.car_overhead_min + road / model.car_kmh * 60.0)
    return np.asarray(model.bus_overhead_min + road / model.bus_kmh * 60.0)


class Gazetteer:
    """Coordinates of the region's postcodes and municipalities."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference  # the employer service's cards place people by area (api.cards)
        municipalities = reference.municipalities
        self._ags = {
            a: (float(la), float(lo))
            for a, la, lo in zip(municipalities["ags"], municipalities["lat"], municipalities["lon"])
        }
        postcodes = reference.postcodes
        self._plz = {
            p: (float(la), float(lo)) for p, la, lo in zip(postcodes["postcode"], postcodes["lat"], postcodes["lon"])
        }
        self._plz_ags = {p: tuple(a) for p, a in reference.postcode_municipalities.items()}
        self._ags_plz = {a: tuple(p) for a, p in zip(municipalities["ags"], municipalities["postcodes"])}
        # Every place as a small integer: distances from one point to a whole table are then taken
        # over the few hundred places and gathered, not computed once per row. The last entry is
        # NaN, so code -1 (a place outside the region) gathers "unknown" with no special case.
        # The employer service's cards name areas, not municipalities (matcher.records.cards): their centres
        # are places too, for distances "from what the card shows".
        area_of, centres = areas(reference), area_centres(reference)
        names = sorted(centres)
        places = [*self._plz.values(), *self._ags.values(), *(centres[n] for n in names), (np.nan, np.nan)]
        self._plz_code = {p: i for i, p in enumerate(self._plz)}
        self._ags_code = {a: len(self._plz) + i for i, a in enumerate(self._ags)}
        first_area = len(self._plz) + len(self._ags)
        self._area_code = {a: first_area + names.index(area_of[a]) for a in self._ags}
        self.place_lat = np.array([p[0] for p in places], dtype=np.float64)
        self.place_lon = np.array([p[1] for p in places], dtype=np.float64)

    def knows_ags(self, ags: str) -> bool:
        return ags in self._ags

    def knows_postcode(self, postcode: str) -> bool:
        """Whether the postcode is used by a municipality of the region."""
        return postcode in self._plz_ags

    def municipalities_of(self, postcode: str) -> tuple[str, ...]:
        """AGS of the municipalities that use the postcode (empty for an unknown one)."""
        return self._plz_ags.get(postcode, ())

    def postcodes_of(self, ags: str) -> tuple[str, ...]:
        """Postcodes of a municipality, its main one first (empty for an unknown one)."""
        return self._ags_plz.get(ags, ())

    def locate(self, ags: str, postcode: str | None = None) -> tuple[float, float]:
        """(lat, lon) of a postcode centroid, or of the municipality when the postcode is unknown.

        Raises:
            KeyError: neither the postcode nor the municipality is in the region.
        """
        if postcode and postcode in self._plz:
            return self._plz[postcode]
        return self._ags[ags]

    def place_code(self, ags: str, postcode: str | None = None) -> int:
        """The code of the place ``locate`` would find (index into ``place_lat``/``place_lon``);
        -1 where ``locate`` raises: ``place_lat[-1]`` is NaN."""
        if postcode and postcode in self._plz_code:
            return self._plz_code[postcode]
        return self._ags_code.get(ags, -1)

    def area_code(self, ags: str) -> int:
        """The place code of the centre of the area a card names for this municipality (-1: unknown)."""
        return self._area_code.get(ags, -1)

    def distance_km(self, a: tuple[str, str | None], b: tuple[str, str | None]) -> float:
        (lat1, lon1), (lat2, lon2) = self.locate(*a), self.locate(*b)
        return float(haversine_km(lat1, lon1, lat2, lon2))


def check_place(gazetteer: Gazetteer, ags: str | None, postcode: str | None) -> None:
    """Check a place against the gazetteer; either part may be left out (``None``).

    Raises:
        UnknownPlaceError: naming the field (``ags`` or ``postcode``) and the rule broken
            (:data:`UNKNOWN_MUNICIPALITY`, :data:`UNKNOWN_POSTCODE` or :data:`PLACE_MISMATCH`);
            the message never holds the value.
    """
    if ags is not None and not gazetteer.knows_ags(ags):
        raise UnknownPlaceError("ags", UNKNOWN_MUNICIPALITY, _EXPLANATIONS[UNKNOWN_MUNICIPALITY])
    if postcode is not None and not gazetteer.knows_postcode(postcode):
        raise UnknownPlaceError("postcode", UNKNOWN_POSTCODE, _EXPLANATIONS[UNKNOWN_POSTCODE])
    if ags is not None and postcode is not None and ags not in gazetteer.municipalities_of(postcode):
        raise UnknownPlaceError("postcode", PLACE_MISMATCH, _EXPLANATIONS[PLACE_MISMATCH])
