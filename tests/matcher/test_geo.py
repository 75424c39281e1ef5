"""Places, distances and commute estimates (``matcher.records.geo``): known answers on real places.

Kaiserslautern 67657 (AGS 07312000), Otterbach 67731 (07335034, ~5.9 km), Landstuhl 66849
(07335022, ~16.7 km), straight-line between postcode centroids.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.errors import UnknownPlaceError
from matcher.records.geo import (
    EARTH_RADIUS_KM,
    PLACE_MISMATCH,
    UNKNOWN_MUNICIPALITY,
    UNKNOWN_POSTCODE,
    CommuteModel,
    Gazetteer,
    check_place,
    commute_minutes,
    haversine_km,
)
from matcher.records.reference import ReferenceData

KL = ("07312000", "67657")
OTTERBACH = ("07335034", "67731")
LANDSTUHL = ("07335022", "66849")


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


# --- haversine -----------------------------------------------------------------------------------
def test_haversine_kaiserslautern_to_landstuhl(gazetteer: Gazetteer) -> None:
    (lat1, lon1), (lat2, lon2) = gazetteer.locate(*KL), gazetteer.locate(*LANDSTUHL)
    assert (lat1, lon1) == pytest.approx((49.4495, 7.7948))
    assert (lat2, lon2) == pytest.approx((49.4131, 7.5702))
    assert float(haversine_km(lat1, lon1, lat2, lon2)) == pytest.approx(16.739, abs=0.01)
    assert float(haversine_km(lat2, lon2, lat1, lon1)) == pytest.approx(16.739, abs=0.01)  # symmetric


def test_haversine_one_degree_of_latitude_and_zero() -> None:
    one_degree = 2 * math.pi * EARTH_RADIUS_KM / 360  # ~111.195 km along a meridian
    assert float(haversine_km(49.0, 7.7, 50.0, 7.7)) == pytest.approx(one_degree, rel=1e-9)
    assert float(haversine_km(49.44, 7.79, 49.44, 7.79)) == 0.0
    # one degree of longitude shrinks with cos(latitude)
    assert float(haversine_km(60.0, 0.0, 60.0, 1.0)) == pytest.approx(one_degree / 2, rel=1e-4)


def test_haversine_is_element_wise() -> None:
    lat1 = np.array([49.4495, 49.4495, np.nan])
    lon1 = np.array([7.7948, 7.7948, 7.7948])
    lat2 = np.array([49.4131, 49.4495, 49.4131])
    lon2 = np.array([7.5702, 7.7948, 7.5702])
    out = haversine_km(lat1, lon1, lat2, lon2)
    assert out.shape == (3,)
    assert out[0] == pytest.approx(16.739, abs=0.01) and out[1] == 0.0
    assert np.isnan(out[2])  # an unknown place stays unknown


def test_gazetteer_distances(gazetteer: Gazetteer) -> None:
    assert gazetteer.distance_km(KL, OTTERBACH) == pytest.approx(5.917, abs=0.01)
    assert gazetteer.distance_km(KL, LANDSTUHL) == pytest.approx(16.739, abs=0.01)
    assert gazetteer.distance_km(LANDSTUHL, KL) == gazetteer.distance_km(KL, LANDSTUHL)
    assert gazetteer.distance_km(KL, KL) == 0.0


# --- commute model -------------------------------------------------------------------------------
def test_commute_known_minutes() -> None:
    # car: 5 + d * 1.3 / 50 * 60; bus: 15 + d * 1.3 / 22 * 60
    assert float(commute_minutes(10.0, by_car=True)) == pytest.approx(20.6)
    assert float(commute_minutes(10.0, by_car=False)) == pytest.approx(15 + 13 / 22 * 60)
    assert float(commute_minutes(0.0, by_car=True)) == 5.0  # overheads alone
    assert float(commute_minutes(0.0, by_car=False)) == 15.0
    assert float(commute_minutes(16.739, by_car=True)) == pytest.approx(31.1, abs=0.1)  # Landstuhl
    assert float(commute_minutes(16.739, by_car=False)) == pytest.approx(74.4, abs=0.1)


def test_commute_is_monotone_and_bus_is_slower() -> None:
    distance = np.linspace(0.0, 80.0, 161)
    car, bus = commute_minutes(distance, True), commute_minutes(distance, False)
    assert car.shape == bus.shape == distance.shape
    assert np.all(np.diff(car) > 0) and np.all(np.diff(bus) > 0)
    assert np.all(bus > car)


def test_commute_model_parameters_are_used() -> None:
    straight = CommuteModel(road_factor=1.0, car_kmh=60.0, car_overhead_min=0.0, bus_kmh=30.0, bus_overhead_min=10.0)
    assert float(commute_minutes(30.0, True, straight)) == pytest.approx(30.0)
    assert float(commute_minutes(30.0, False, straight)) == pytest.approx(70.0)


# --- gazetteer -----------------------------------------------------------------------------------
def test_locate_falls_back_to_the_municipality(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    centre = reference.municipalities.loc["07312000", ["lat", "lon"]].tolist()
    assert gazetteer.locate("07312000") == pytest.approx(tuple(centre))
    assert gazetteer.locate("07312000", "10115") == pytest.approx(tuple(centre))  # postcode outside the region
    assert gazetteer.locate("07312000", "67657") != pytest.approx(tuple(centre))  # the postcode's own centroid
    with pytest.raises(KeyError):
        gazetteer.locate("07111000", "56068")  # Koblenz: neither is in the region


def test_gazetteer_lookups(gazetteer: Gazetteer) -> None:
    assert gazetteer.knows_ags("07335022") and not gazetteer.knows_ags("07111000")
    assert gazetteer.knows_postcode("66849") and not gazetteer.knows_postcode("56068")
    assert gazetteer.municipalities_of("66849") == ("07335022",)
    assert gazetteer.municipalities_of("56068") == ()
    assert gazetteer.postcodes_of("07335034") == ("67731",)
    assert gazetteer.postcodes_of("07312000") == ("67650", "67653", "67655", "67657", "67659", "67663")
    assert gazetteer.postcodes_of("07111000") == ()


# --- check_place ---------------------------------------------------------------------------------
@pytest.mark.parametrize("place", [KL, OTTERBACH, LANDSTUHL, ("07312000", None), (None, "66849"), (None, None)])
def test_check_place_accepts_valid_places(gazetteer: Gazetteer, place: tuple[str | None, str | None]) -> None:
    assert check_place(gazetteer, *place) is None


@pytest.mark.parametrize(
    ("ags", "postcode", "field", "rule"),
    [
        ("07111000", "67657", "ags", UNKNOWN_MUNICIPALITY),  # Koblenz's AGS
        ("07312000", "56068", "postcode", UNKNOWN_POSTCODE),  # Koblenz's postcode
        ("07335022", "67657", "postcode", PLACE_MISMATCH),  # Landstuhl with a Kaiserslautern postcode
        ("07312000", "67731", "postcode", PLACE_MISMATCH),  # Kaiserslautern with Otterbach's postcode
    ],
)
def test_check_place_rejects_naming_field_and_rule_not_value(
    gazetteer: Gazetteer, ags: str, postcode: str, field: str, rule: str
) -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        check_place(gazetteer, ags, postcode)
    error = caught.value
    assert (error.field, error.rule) == (field, rule)
    assert str(error).startswith(f"{field}: {rule}")
    assert ags not in str(error) and postcode not in str(error)
    assert isinstance(error, ValueError)
    located = error.at("body", "profile")
    assert (located.field, located.rule) == (f"body.profile.{field}", rule)
    assert ags not in str(located) and postcode not in str(located)
