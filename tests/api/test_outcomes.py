"""Recording outcomes of proposals for the next training."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.security import Role
from tests.api.conftest import Ids, World


def test_record_and_read_outcome(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    body = {
        "id": "API-P-1",
        "candidate_id": ids.candidate,
        "vacancy_id": ids.vacancy,
        "proposed_at": "2026-11-02",
        "outcome": "interview",
        "outcome_at": "2026-11-20",
    }
    response = fresh_client.post("/v1/outcomes", json=body, headers=fresh_world.auth(Role.CASEWORKER))
    assert response.status_code == 201, response.text
    assert response.json() == {**body, "recorded_by": fresh_world.staff_id(Role.CASEWORKER)}
    headers = fresh_world.auth(Role.DATA_TEAM)
    total = fresh_client.get("/v1/outcomes?limit=1", headers=headers).json()["total"]
    stored = [
        item
        for offset in range(0, total, 500)
        for item in fresh_client.get(f"/v1/outcomes?limit=500&offset={offset}", headers=headers).json()["items"]
    ]
    assert len(stored) == total and {**body, "recorded_by": fresh_world.staff_id(Role.CASEWORKER)} in stored
    generated = fresh_client.post(
        "/v1/outcomes", json={k: v for k, v in body.items() if k != "id"}, headers=fresh_world.auth(Role.CASEWORKER)
    )
    assert generated.status_code == 201 and generated.json()["id"].startswith("api-")


def test_bad_outcomes(client: TestClient, api_world: World, ids: Ids) -> None:
    base = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy, "proposed_at": "2026-11-02", "outcome": "hired"}
    cases = [
        ({**base, "candidate_id": "nobody"}, 404),
        ({**base, "vacancy_id": "nothing"}, 404),
        ({**base, "outcome": "married"}, 422),
        ({**base, "outcome_at": "2026-10-01"}, 422),
        ({**base, "proposed_at": None}, 422),
    ]
    for body, code in cases:
        response = client.post("/v1/outcomes", json=body, headers=api_world.auth(Role.CASEWORKER))
        assert response.status_code == code, (body, response.text)
