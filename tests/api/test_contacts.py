"""Contact requests over the API: the employer service asks by pseudonym, caseworkers answer, and
the identity is released only by an acceptance. Feedback ("passt nicht") is stored and audited."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.security import Role
from matcher.records.store import Store
from matcher.services.audit_reads import records
from matcher.services.contacts import ContactBook
from tests.api.conftest import Ids, World


def _cards(client: TestClient, world: World, vacancy: str) -> list[str]:
    body = client.post(
        f"/v1/vacancies/{vacancy}/candidates",
        json={"k": 5, "include_reasons": False},
        headers=world.auth(Role.EMPLOYER_SERVICE),
    ).json()
    return [item["id"] for item in body["items"]]


def test_request_accept_and_the_identity_is_released(fresh_world: World) -> None:
    from api.app import create_app

    with TestClient(create_app(fresh_world.settings)) as client:
        store = Store(fresh_world.settings.store_url)
        vacancy = store.vacancies(1, 0, "open")[0].id
        es, cw = fresh_world.auth(Role.EMPLOYER_SERVICE), fresh_world.auth(Role.CASEWORKER)
        first, second = _cards(client, fresh_world, vacancy)[:2]
        made = client.post(f"/v1/vacancies/{vacancy}/contact-requests", json={"candidate": first}, headers=es)
        assert made.status_code == 201, made.text
        request = made.json()
        assert request["candidate"] == first and request["candidate_id"] is None and request["status"] == "open"
        again = client.post(f"/v1/vacancies/{vacancy}/contact-requests", json={"candidate": first}, headers=es)
        assert again.status_code == 200 and again.json()["id"] == request["id"]
        # the caseworker's inbox names the person
        inbox = client.get("/v1/contact-requests?status=open", headers=cw).json()
        seen = next(i for i in inbox["items"] if i["id"] == request["id"])
        customer = seen["candidate_id"]
        assert customer and fresh_world.pseudonym(vacancy, customer) == first
        # before an answer the employer service sees no identity
        assert client.get(f"/v1/contact-requests/{request['id']}", headers=es).json()["candidate_id"] is None
        accepted = client.post(f"/v1/contact-requests/{request['id']}/accept", headers=cw)
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        assert client.post(f"/v1/contact-requests/{request['id']}/accept", headers=cw).status_code == 409
        assert client.get(f"/v1/contact-requests/{request['id']}", headers=es).json()["candidate_id"] == customer
        proposals = store.proposals()
        assert ((proposals.candidate_id == customer) & (proposals.vacancy_id == vacancy)).any()
        # a decline gives the reason and keeps the identity back
        other = client.post(f"/v1/vacancies/{vacancy}/contact-requests", json={"candidate": second}, headers=es).json()
        bad = client.post(f"/v1/contact-requests/{other['id']}/decline", json={"reason": "weil"}, headers=cw)
        assert bad.status_code == 422
        declined = client.post(f"/v1/contact-requests/{other['id']}/decline", json={"reason": "wunsch"}, headers=cw)
        assert declined.status_code == 200
        seen = client.get(f"/v1/contact-requests/{other['id']}", headers=es).json()
        assert seen["status"] == "declined" and seen["decline_reason"] == "wunsch" and seen["candidate_id"] is None
        assert seen["decline_reason_de"].startswith("entspricht nicht")
        # unknown pseudonyms, requests and vacancies: 404
        assert (
            client.post(
                f"/v1/vacancies/{vacancy}/contact-requests", json={"candidate": customer}, headers=es
            ).status_code
            == 404
        )
        assert (
            client.post("/v1/vacancies/NO-SUCH/contact-requests", json={"candidate": first}, headers=es).status_code
            == 404
        )
        assert client.post("/v1/contact-requests/kr-none/accept", headers=cw).status_code == 404
        endpoints = [r["endpoint"] for r in records(fresh_world.settings.audit_log)]
        assert "POST /v1/vacancies/{id}/contact-requests" in endpoints
        assert (
            "POST /v1/contact-requests/{id}/accept" in endpoints
            and "POST /v1/contact-requests/{id}/decline" in endpoints
        )
        store.close()


def test_feedback_is_stored_for_training_and_audited(fresh_world: World, ids: Ids) -> None:
    from api.app import create_app

    with TestClient(create_app(fresh_world.settings)) as client:
        cw = fresh_world.auth(Role.CASEWORKER)
        body = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy, "reason": "arbeitszeit"}
        response = client.post("/v1/feedback", json=body, headers=cw)
        assert response.status_code == 201, response.text
        assert client.post("/v1/feedback", json={**body, "reason": "nope"}, headers=cw).status_code == 422
        assert client.post("/v1/feedback", json={**body, "candidate_id": "NOBODY"}, headers=cw).status_code == 404
        store = Store(fresh_world.settings.store_url)
        rows = ContactBook(store).feedback()
        store.close()
        assert rows[["candidate_id", "vacancy_id", "reason"]].values.tolist() == [
            [ids.candidate, ids.vacancy, "arbeitszeit"]
        ]
        assert rows["model_version"].iloc[0]  # the version that served is kept with the label
        logged = [r for r in records(fresh_world.settings.audit_log) if r.get("kind") == "feedback"]
        assert len(logged) == 1 and logged[0]["query_id"] == response.json()["id"]


def test_the_employer_service_reads_a_neutral_decline_reason_and_may_withdraw(fresh_world: World) -> None:
    from api.app import create_app

    with TestClient(create_app(fresh_world.settings)) as client:
        store = Store(fresh_world.settings.store_url)
        vacancy = store.vacancies(1, 0, "open")[0].id
        store.close()
        es, cw = fresh_world.auth(Role.EMPLOYER_SERVICE), fresh_world.auth(Role.CASEWORKER)
        first, second = _cards(client, fresh_world, vacancy)[2:4]
        ask = f"/v1/vacancies/{vacancy}/contact-requests"
        declined = client.post(ask, json={"candidate": first}, headers=es).json()
        answer = client.post(
            f"/v1/contact-requests/{declined['id']}/decline", json={"reason": "nicht_verfuegbar"}, headers=cw
        )
        assert answer.status_code == 200, answer.text
        assert "Krankheit" in answer.json()["decline_reason_de"]  # the caseworker's own label gives examples
        listed = client.get("/v1/contact-requests", headers=es)
        single = client.get(f"/v1/contact-requests/{declined['id']}", headers=es)
        assert single.json()["decline_reason_de"] == "derzeit nicht verfügbar"
        assert single.json()["decline_reason"] == "nicht_verfuegbar"  # the field names and codes stay
        for text in (listed.text, single.text):
            assert not any(word in text for word in ("Krankheit", "Betreuung", "z. B. Maßnahme"))
        # an open request can be withdrawn by the employer service, once; then asked again
        made = client.post(ask, json={"candidate": second}, headers=es).json()
        path = f"/v1/contact-requests/{made['id']}/withdraw"
        assert client.post(path, headers=cw).status_code == 403
        withdrawn = client.post(path, headers=es)
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
        assert client.post(path, headers=es).status_code == 409
        assert client.post(f"/v1/contact-requests/{made['id']}/accept", headers=cw).status_code == 409
        assert client.post(f"/v1/contact-requests/{declined['id']}/withdraw", headers=es).status_code == 409
        assert client.post("/v1/contact-requests/kr-none/withdraw", headers=es).status_code == 404
        again = client.post(ask, json={"candidate": second}, headers=es)
        assert again.status_code == 201 and again.json()["id"] != made["id"]
        endpoints = [r["endpoint"] for r in records(fresh_world.settings.audit_log)]
        assert "POST /v1/contact-requests/{id}/withdraw" in endpoints
