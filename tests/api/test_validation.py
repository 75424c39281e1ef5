"""Request validation: paging bounds, places against the gazetteer, and 422s that echo nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.errors import matcher_error_response
from api.paging import OFFSET_MAX
from api.security import Role
from matcher.errors import UnknownPlaceError
from tests.api.conftest import Ids, World

PAGED = ("/v1/candidates", "/v1/vacancies", "/v1/outcomes")
UNKNOWN_AGS = "99999999"  # 8 digits, but no municipality of the region
BERLIN = "10115"  # 5 digits, but not a postcode of the region
STADT, STADT_POSTCODE, OTHER_POSTCODE = "07312000", "67657", "66851"  # 66851: Landkreis only


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "offset=-1",
        f"offset={OFFSET_MAX + 1}",
        f"offset={2**63}",
        f"offset={2**64 + 5}",
        "offset=1e3",
    ],
)
def test_paging_out_of_range_is_422(client: TestClient, api_world: World, path: str, query: str) -> None:
    response = client.get(f"{path}?{query}", headers=api_world.auth(Role.ADMIN))
    assert response.status_code == 422, response.text
    assert ("limit" if query.startswith("limit") else "offset") in response.json()["detail"]


@pytest.mark.parametrize("path", PAGED)
def test_largest_offset_is_an_empty_page(client: TestClient, api_world: World, path: str) -> None:
    response = client.get(f"{path}?offset={OFFSET_MAX}&limit=500", headers=api_world.auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [] and response.json()["offset"] == OFFSET_MAX


def _assert_place_422(response_json: dict, field: str, rule: str, value: str) -> None:
    assert field in response_json["detail"] and rule in response_json["detail"], response_json
    assert [e["loc"] for e in response_json["errors"]] == [field.split(".")]
    assert value not in str(response_json)


@pytest.mark.parametrize(
    ("ags", "postcode", "field", "rule", "value"),
    [
        (UNKNOWN_AGS, STADT_POSTCODE, "body.ags", "unknown municipality", UNKNOWN_AGS),
        (STADT, BERLIN, "body.postcode", "unknown postcode", BERLIN),
        (STADT, OTHER_POSTCODE, "body.postcode", "does not belong to the municipality", OTHER_POSTCODE),
    ],
)
def test_put_with_an_unknown_place_is_422(
    client: TestClient, api_world: World, ids: Ids, ags: str, postcode: str, field: str, rule: str, value: str
) -> None:
    headers = api_world.auth(Role.ADMIN)
    for path, record in (
        (f"/v1/candidates/{ids.candidate}", ids.candidate_record),
        (f"/v1/vacancies/{ids.vacancy}", ids.vacancy_record),
    ):
        response = client.put(path, json={**record, "ags": ags, "postcode": postcode}, headers=headers)
        assert response.status_code == 422, response.text
        _assert_place_422(response.json(), field, rule, value)
    # nothing was written
    stored = client.get(f"/v1/candidates/{ids.candidate}", headers=headers).json()
    assert (stored["ags"], stored["postcode"]) == (ids.candidate_record["ags"], ids.candidate_record["postcode"])


def test_adhoc_profile_with_an_unknown_place_is_422(client: TestClient, api_world: World, ids: Ids) -> None:
    profile = {k: ids.candidate_record[k] for k in ("occupations", "skills", "level")}
    for place, field, rule, value in (
        ({"ags": UNKNOWN_AGS, "postcode": STADT_POSTCODE}, "body.profile.ags", "unknown municipality", UNKNOWN_AGS),
        ({"ags": STADT, "postcode": BERLIN}, "body.profile.postcode", "unknown postcode", BERLIN),
    ):
        response = client.post(
            "/v1/match/vacancies", json={"profile": {**profile, **place}}, headers=api_world.auth(Role.CASEWORKER)
        )
        assert response.status_code == 422, response.text
        _assert_place_422(response.json(), field, rule, value)


def test_a_known_place_still_passes(client: TestClient, api_world: World, ids: Ids) -> None:
    profile = {k: ids.candidate_record[k] for k in ("ags", "postcode", "occupations", "skills", "level")}
    response = client.post("/v1/match/vacancies", json={"profile": profile}, headers=api_world.auth(Role.CASEWORKER))
    assert response.status_code == 200, response.text


def test_unknown_place_error_is_answered_with_422() -> None:
    # What a handler's explicit ``api.validation.check_places`` call raises.
    response = matcher_error_response(UnknownPlaceError("ags", "unknown municipality").at("body", "profile"))
    assert response.status_code == 422
    assert b'"loc":["body","profile","ags"]' in response.body and b"unknown municipality" in response.body


def test_check_places_names_where_the_place_sits(client: TestClient, ids: Ids) -> None:
    from api.schemas import AdHocProfile
    from api.validation import check_places

    service = client.app.state.service  # type: ignore[attr-defined]
    profile = AdHocProfile.model_construct(**{**ids.candidate_record, "ags": UNKNOWN_AGS})
    with pytest.raises(UnknownPlaceError) as caught:
        check_places(service, profile, "profile")
    assert caught.value.field == "body.profile.ags" and UNKNOWN_AGS not in str(caught.value)
    check_places(service, AdHocProfile.model_construct(**ids.candidate_record))  # a known place passes


@pytest.mark.parametrize("path", ["candidates", "vacancies"])
def test_a_422_does_not_echo_the_rejected_value(client: TestClient, api_world: World, ids: Ids, path: str) -> None:
    record = ids.candidate_record if path == "candidates" else ids.vacancy_record
    record_id = ids.candidate if path == "candidates" else ids.vacancy
    body = {**record, "postcode": "Musterstr. 5, Max Mustermann"}
    response = client.put(f"/v1/{path}/{record_id}", json=body, headers=api_world.auth(Role.ADMIN))
    assert response.status_code == 422, response.text
    assert "Mustermann" not in response.text and "Musterstr" not in response.text
    assert "postcode" in response.json()["detail"]
    assert all(set(e) == {"loc", "msg", "type"} for e in response.json()["errors"])


def test_a_422_masks_made_up_keys_and_quoted_values(client: TestClient, api_world: World, ids: Ids) -> None:
    body = {**ids.candidate_record, "Max Mustermann, Musterstr. 5": 1, "licences": ["Mustermann"]}
    response = client.put(f"/v1/candidates/{ids.candidate}", json=body, headers=api_world.auth(Role.ADMIN))
    assert response.status_code == 422, response.text
    assert "Mustermann" not in response.text
    assert "licences" in response.json()["detail"] and "<key>" in response.json()["detail"]
