"""Reading what each role may see; upserts and deletes that the next shortlist reflects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role
from matcher.records.models import PROTECTED_ATTRIBUTE_NAMES
from matcher.records.store import Store
from tests.api.conftest import Ids, World

CARD_HIDDEN = {"profile_text", "source_id", "postcode", "ags", "languages", "registered_at", "source"}


def test_pages(client: TestClient, api_world: World) -> None:
    headers = api_world.auth(Role.CASEWORKER)
    first = client.get("/v1/candidates?limit=7", headers=headers).json()
    second = client.get("/v1/candidates?limit=7&offset=7", headers=headers).json()
    assert first["total"] == 300 and len(first["items"]) == 7 == len(second["items"])
    assert not {c["id"] for c in first["items"]} & {c["id"] for c in second["items"]}
    vacancies = client.get("/v1/vacancies?status=open&limit=500", headers=headers).json()
    assert vacancies["total"] == len(vacancies["items"]) and all(v["status"] == "open" for v in vacancies["items"])


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc", "status=closed"])
def test_bad_paging_422(client: TestClient, api_world: World, query: str) -> None:
    for path in ("/v1/candidates", "/v1/vacancies") if not query.startswith("status") else ("/v1/vacancies",):
        assert client.get(f"{path}?{query}", headers=api_world.auth(Role.ADMIN)).status_code == 422


def test_employer_service_never_sees_profile_text(client: TestClient, api_world: World, ids: Ids) -> None:
    store = Store(api_world.settings.store_url)
    texts = [c.profile_text for c in store.candidates() if len(c.profile_text) > 20]
    store.close()
    headers = api_world.auth(Role.EMPLOYER_SERVICE)
    shortlist = client.post(
        f"/v1/vacancies/{ids.vacancy}/candidates", json={"k": 100, "filters": {"enabled": False}}, headers=headers
    )
    names = [item["id"] for item in shortlist.json()["items"]]
    responses = [shortlist] + [
        client.get(f"/v1/vacancies/{ids.vacancy}/candidates/{n}", headers=headers) for n in names
    ]
    for response in responses:
        assert response.status_code == 200
        assert not any(text in response.text for text in texts)
        assert not any(f'"{name}"' in response.text for name in PROTECTED_ATTRIBUTE_NAMES)
    cards = [r.json() for r in responses[1:]]
    assert len(cards) == 100 and not any(CARD_HIDDEN & set(card) for card in cards)
    assert {"occupation", "level", "place", "mobility", "available"} <= set(cards[0])  # coarse (matcher.records.cards)
    # customer numbers never: neither as card ids nor anywhere in the answers
    customer_numbers = set(Store(api_world.settings.store_url).candidate_ids())
    assert all(n.startswith("P-") and n not in customer_numbers for n in names)
    assert not any(f'"{c}"' in r.text for r in responses for c in customer_numbers)
    # the listing of people and a person's record are for caseworkers: the employer service gets 403
    assert client.get("/v1/candidates?limit=5", headers=headers).status_code == 403
    assert client.get(f"/v1/candidates/{ids.candidate}", headers=headers).status_code == 403


def test_pseudonyms_are_stable_per_vacancy_and_differ_between_vacancies(
    client: TestClient, api_world: World, ids: Ids
) -> None:
    headers = api_world.auth(Role.EMPLOYER_SERVICE)
    off = {"k": 100, "filters": {"enabled": False}, "include_reasons": False}
    vacancies = [v["id"] for v in client.get("/v1/vacancies?status=open&limit=2", headers=headers).json()["items"]]
    seen = [client.post(f"/v1/vacancies/{v}/candidates", json=off, headers=headers).json() for v in vacancies]
    again = client.post(f"/v1/vacancies/{vacancies[0]}/candidates", json=off, headers=headers).json()
    assert [i["id"] for i in seen[0]["items"]] == [i["id"] for i in again["items"]]
    first, second = ({i["id"] for i in body["items"]} for body in seen)
    assert len(first) == 100 and not first & second  # the same people, other names
    # a pseudonym of one vacancy names nobody on another vacancy's cards
    name = seen[0]["items"][0]["id"]
    assert client.get(f"/v1/vacancies/{vacancies[1]}/candidates/{name}", headers=headers).status_code == 404
    assert client.get(f"/v1/vacancies/{vacancies[0]}/candidates/{name}", headers=headers).status_code == 200


def test_caseworker_sees_the_canonical_record(client: TestClient, api_world: World, ids: Ids) -> None:
    record = client.get(f"/v1/candidates/{ids.candidate}", headers=api_world.auth(Role.CASEWORKER)).json()
    assert record == {**ids.candidate_record, "team": "landkreis"}  # the team in charge (by the rule)
    assert not set(PROTECTED_ATTRIBUTE_NAMES) & set(record)
    assert client.get("/v1/candidates/nobody", headers=api_world.auth(Role.CASEWORKER)).status_code == 404
    assert (
        client.get(f"/v1/vacancies/{ids.vacancy}", headers=api_world.auth(Role.CASEWORKER)).json() == ids.vacancy_record
    )


def _shortlist_ids(client: TestClient, world: World, path: str) -> list[str]:
    response = client.post(path, json={"k": 100, "filters": {"enabled": False}}, headers=world.auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["items"]]


def test_upsert_and_delete_show_in_the_next_shortlist(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    admin, path = fresh_world.auth(Role.ADMIN), f"/v1/candidates/{ids.candidate}/vacancies"
    top = _shortlist_ids(fresh_client, fresh_world, path)[0]
    twin = fresh_client.get(f"/v1/vacancies/{top}", headers=admin).json()
    twin.pop("id")
    twin["source_ids"] = []
    created = fresh_client.put("/v1/vacancies/API-TWIN-1", json=twin, headers=admin)
    assert created.status_code == 201 and created.json() == {"id": "API-TWIN-1", "created": True, "indexed": True}
    assert "API-TWIN-1" in _shortlist_ids(fresh_client, fresh_world, path)[:2]  # same record: same score
    assert fresh_client.put("/v1/vacancies/API-TWIN-1", json=twin, headers=admin).status_code == 200
    assert fresh_client.delete("/v1/vacancies/API-TWIN-1", headers=admin).status_code == 204
    assert "API-TWIN-1" not in _shortlist_ids(fresh_client, fresh_world, path)
    assert fresh_client.get("/v1/vacancies/API-TWIN-1", headers=admin).status_code == 404


def test_candidate_upsert_then_delete_removes_the_person(
    fresh_client: TestClient, fresh_world: World, ids: Ids
) -> None:
    admin, path = fresh_world.auth(Role.ADMIN), f"/v1/vacancies/{ids.vacancy}/candidates"
    person = {**ids.candidate_record, "id": "API-PERSON-1"}
    assert fresh_client.put("/v1/candidates/API-PERSON-1", json=person, headers=admin).status_code == 201
    mismatch = fresh_client.put("/v1/candidates/OTHER", json=person, headers=admin)
    assert mismatch.status_code == 422 and "differs" in mismatch.json()["detail"]
    assert fresh_client.get("/v1/candidates/API-PERSON-1", headers=admin).status_code == 200
    assert fresh_client.delete(f"/v1/candidates/{ids.candidate}", headers=admin).status_code == 204
    assert ids.candidate not in _shortlist_ids(fresh_client, fresh_world, path)
    assert fresh_client.get(f"/v1/candidates/{ids.candidate}", headers=admin).status_code == 404
    assert fresh_client.delete(f"/v1/candidates/{ids.candidate}", headers=admin).status_code == 404
    with TestClient(create_app(fresh_world.settings)) as restarted:  # the saved index kept both changes
        found = _shortlist_ids(restarted, fresh_world, path)
        assert ids.candidate not in found
        engine = restarted.app.state.service.engine  # type: ignore[attr-defined]
        assert "API-PERSON-1" in engine.candidates and ids.candidate not in engine.candidates


def test_invalid_record_422(client: TestClient, api_world: World, ids: Ids) -> None:
    bad = {**ids.candidate_record, "licences": ["Z9"]}
    response = client.put(f"/v1/candidates/{ids.candidate}", json=bad, headers=api_world.auth(Role.ADMIN))
    assert response.status_code == 422 and "licence" in response.json()["detail"]
