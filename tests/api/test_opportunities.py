"""Opportunities, measures and shortages over the served test world: shapes, roles, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from matcher.records.models import PROTECTED_ATTRIBUTE_NAMES
from matcher.services.measures import CHANGE_KINDS
from tests.api.conftest import Ids, World

PROTECTED_WORDS = (*PROTECTED_ATTRIBUTE_NAMES, "citizenship", "disability", "geschlecht")


def _no_protected(text: str) -> None:
    assert not any(f'"{word}' in text for word in PROTECTED_WORDS)


def test_opportunities_for_a_job_seeker(client: TestClient, api_world: World, ids: Ids) -> None:
    url = f"/v1/candidates/{ids.candidate}/opportunities"
    response = client.post(url, headers=api_world.auth(Role.CASEWORKER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["candidate_id"] == ids.candidate and body["as_of"] and body["changes_tried"]
    shortlist = client.post(f"/v1/candidates/{ids.candidate}/vacancies", headers=api_world.auth(Role.CASEWORKER))
    assert body["baseline"]["eligible"] == shortlist.json()["eligible"]
    counts = [i["additional_vacancies"] for i in body["items"]]
    assert counts == sorted(counts, reverse=True) and all(n >= 1 for n in counts)
    for item in body["items"]:
        assert item["kind"] in CHANGE_KINDS and item["change"] in body["changes_tried"]
        assert item["label_de"].startswith(("Mit ", "Auch ")) and len(item["example_vacancy_ids"]) <= 3
    _no_protected(response.text)


def test_opportunities_options_and_bad_input(client: TestClient, api_world: World, ids: Ids) -> None:
    url = f"/v1/candidates/{ids.candidate}/opportunities"
    auth = api_world.auth(Role.ADMIN)
    body = {"examples": 1, "filters": {"max_distance_km": 10}, "as_of": "2026-11-25"}
    response = client.post(url, json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["as_of"] == "2026-11-25"
    assert all(len(i["example_vacancy_ids"]) == 1 for i in response.json()["items"])
    for bad in ({"examples": -1}, {"nonsense": 1}, {"filters": {"max_distance_km": 0}}, {"as_of": "gestern"}):
        answer = client.post(url, json=bad, headers=auth)
        assert answer.status_code == 422 and answer.json()["detail"]


@pytest.mark.parametrize("role", [Role.EMPLOYER_SERVICE, Role.DATA_TEAM])
def test_opportunities_are_for_caseworkers(client: TestClient, api_world: World, ids: Ids, role: Role) -> None:
    response = client.post(f"/v1/candidates/{ids.candidate}/opportunities", headers=api_world.auth(role))
    assert response.status_code == 403


def test_unknown_candidate_is_404(client: TestClient, api_world: World) -> None:
    response = client.post("/v1/candidates/nobody/opportunities", headers=api_world.auth(Role.CASEWORKER))
    assert response.status_code == 404 and "unknown candidate" in response.json()["detail"]


def test_thin_profile_gets_the_shortlists_answer(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    record = {**ids.candidate_record, "skills": [], "profile_text": "Arbeit"}
    record.pop("id")
    put = fresh_client.put("/v1/candidates/THIN-1", json=record, headers=fresh_world.auth(Role.ADMIN))
    assert put.status_code in (200, 201), put.text
    auth = fresh_world.auth(Role.CASEWORKER)
    answer = fresh_client.post("/v1/candidates/THIN-1/opportunities", headers=auth)
    shortlist = fresh_client.post("/v1/candidates/THIN-1/vacancies", headers=auth)
    assert answer.status_code == shortlist.status_code == 422
    thin = {"detail": "insufficient profile", "missing": ["skills", "profile_text"]}
    assert answer.json() == shortlist.json() == thin


def test_measures_are_paged_and_readable_by_every_role(client: TestClient, api_world: World) -> None:
    for role in Role:
        response = client.get("/v1/measures?limit=5&offset=2", headers=api_world.auth(role))
        assert response.status_code == 200, (role, response.text)
    body = response.json()
    assert body["limit"] == 5 and body["offset"] == 2 and len(body["items"]) == 5 and body["total"] > 5
    assert all(m["funding"] and m["starts"] for m in body["items"])
    forklift = client.get("/v1/measures?type=staplerschein", headers=api_world.auth(Role.CASEWORKER)).json()
    assert forklift["items"] and all(m["permits"] == ["forklift"] for m in forklift["items"])
    for bad in ("limit=0", "offset=-1", "type=bildungsurlaub", f"limit={10**6}"):
        assert client.get(f"/v1/measures?{bad}", headers=api_world.auth(Role.CASEWORKER)).status_code == 422


def test_shortages_for_employer_service_and_data_team(client: TestClient, api_world: World) -> None:
    for role in (Role.EMPLOYER_SERVICE, Role.DATA_TEAM, Role.ADMIN):
        response = client.get("/v1/region/shortages?limit=3", headers=api_world.auth(role))
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["open_vacancies"] > 0 and body["job_seekers"] > 0
    assert {"occupation_group", "licence", "permit", "german_level", "requirement_level"} <= set(body["dimensions"])
    for rows in body["dimensions"].values():
        assert len(rows) <= 3 and [r["ratio"] for r in rows] == sorted(r["ratio"] for r in rows)
        assert all(r["demand"] > 0 and r["supply"] >= 0 for r in rows)
    _no_protected(response.text)
    assert client.get("/v1/region/shortages", headers=api_world.auth(Role.CASEWORKER)).status_code == 403
    assert client.get("/v1/region/shortages?limit=0", headers=api_world.auth(Role.ADMIN)).status_code == 422
