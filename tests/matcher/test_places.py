"""The one rule for places (``matcher.records.geo.check_place``), shared by ingestion and the API."""

from __future__ import annotations

import pytest

from matcher.errors import MatcherError, UnknownPlaceError
from matcher.records.geo import PLACE_MISMATCH, UNKNOWN_MUNICIPALITY, UNKNOWN_POSTCODE, Gazetteer, check_place
from matcher.records.reference import ReferenceData


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


def test_every_municipality_and_its_postcodes_pass(gazetteer: Gazetteer, reference: ReferenceData) -> None:
    for ags, postcodes in zip(reference.municipalities["ags"], reference.municipalities["postcodes"]):
        check_place(gazetteer, ags, None)
        for postcode in postcodes:
            check_place(gazetteer, ags, postcode)
            check_place(gazetteer, None, postcode)
        assert gazetteer.postcodes_of(ags) == tuple(postcodes)
    assert gazetteer.municipalities_of("67661") == ("07312000",)  # the city's district filed under the Kreis


@pytest.mark.parametrize(
    ("ags", "postcode", "field", "rule"),
    [
        ("99999999", None, "ags", UNKNOWN_MUNICIPALITY),
        ("0731200", None, "ags", UNKNOWN_MUNICIPALITY),
        (None, "10115", "postcode", UNKNOWN_POSTCODE),
        (None, "Musterstr. 5", "postcode", UNKNOWN_POSTCODE),
        ("99999999", "10115", "ags", UNKNOWN_MUNICIPALITY),
        ("07312000", "10115", "postcode", UNKNOWN_POSTCODE),
        ("07312000", "66851", "postcode", PLACE_MISMATCH),
    ],
)
def test_unknown_places_name_field_and_rule(
    gazetteer: Gazetteer, ags: str | None, postcode: str | None, field: str, rule: str
) -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        check_place(gazetteer, ags, postcode)
    error = caught.value
    assert (error.field, error.rule) == (field, rule) and isinstance(error, MatcherError | ValueError)
    assert str(error).startswith(f"{field}: {rule}")
    for value in (ags, postcode):
        assert value is None or value not in str(error)
    assert error.at("body", "profile").field == f"body.profile.{field}"


def test_nothing_given_passes(gazetteer: Gazetteer) -> None:
    check_place(gazetteer, None, None)


def test_ingestion_applies_the_same_rule(reference: ReferenceData) -> None:
    from data.ingest.common import Row
    from data.ingest.normalise import Normaliser

    norm = Normaliser(reference)
    row = Row("f", 1, {"ags": "99999999", "plz": "67657"})
    assert norm.place(row, postcode_field="plz", ags_field="ags") == (None, None)
    assert [(p.field, p.reason) for p in row.problems] == [("ags", UNKNOWN_MUNICIPALITY)]
    row = Row("f", 2, {"ags": "07312000", "plz": "66851"})
    assert norm.place(row, postcode_field="plz", ags_field="ags") == (None, None)
    assert row.problems[0].reason.startswith(PLACE_MISMATCH)
    row = Row("f", 3, {"ags": "07312000", "plz": ""})
    assert norm.place(row, postcode_field="plz", ags_field="ags") == (
        "07312000",
        reference.municipalities.loc["07312000", "postcodes"][0],
    )
