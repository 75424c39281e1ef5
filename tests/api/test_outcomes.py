"""Recording outcomes of proposals for the next training."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

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


def test_outcomes_are_checked_for_plausibility(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    """Future dates and dates before the posting are 422, an order that contradicts the recorded
    outcomes is 409, each with a German message beside the field; a plausible sequence is stored."""
    today = date.today()
    posted = date.fromisoformat(ids.vacancy_record["posted_at"])
    middle = min(posted + timedelta(days=1), today)
    headers = fresh_world.auth(Role.CASEWORKER)
    pair = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}

    def post(outcome: str, day: date, **more: str) -> Any:
        body = {**pair, "proposed_at": day.isoformat(), "outcome": outcome, **more}
        return fresh_client.post("/v1/outcomes", json=body, headers=headers)

    future = post("hired", today + timedelta(days=1))
    assert future.status_code == 422, future.text
    assert future.json()["errors"] == [
        {"loc": ["body", "proposed_at"], "msg": future.json()["detail"], "type": "implausible_outcome"}
    ]
    assert "in der Zukunft" in future.json()["detail"]
    later = post("applied", posted, outcome_at=(today + timedelta(days=30)).isoformat())
    assert later.status_code == 422 and later.json()["errors"][0]["loc"] == ["body", "outcome_at"]
    early = post("applied", posted - timedelta(days=1))
    assert early.status_code == 422 and "vor der Ausschreibung" in early.json()["detail"], early.text
    assert post("applied", date(1999, 1, 1)).status_code == 422

    for outcome, day in [("no_reaction", posted), ("applied", middle), ("interview", today), ("hired", today)]:
        saved = post(outcome, day)
        assert saved.status_code == 201, (outcome, saved.text)

    contradictions = [post("rejected_by_employer", posted), post("declined_by_candidate", today)]
    for answer in contradictions:
        assert answer.status_code == 409, answer.text
        assert "Widerspruch" in answer.json()["detail"] and "eingestellt" in answer.json()["detail"]
    data_team = fresh_world.auth(Role.DATA_TEAM)
    total = fresh_client.get("/v1/outcomes?limit=1", headers=data_team).json()["total"]
    stored = [
        item
        for offset in range(0, total, 500)
        for item in fresh_client.get(f"/v1/outcomes?limit=500&offset={offset}", headers=data_team).json()["items"]
    ]
    mine = [i["outcome"] for i in stored if (i["candidate_id"], i["vacancy_id"]) == (ids.candidate, ids.vacancy)]
    assert sorted(mine) == ["applied", "hired", "interview", "no_reaction"]
