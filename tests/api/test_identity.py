"""Named staff and need-to-know through the API (personal tokens, one process).

The provider's tokens are tested against a real OpenID provider in ``test_oidc.py``; two workers
in ``test_identity_workers.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.demo import team_rule
from api.security import Role
from matcher.records.store import Store
from matcher.services.staff import StaffDirectory
from tests.api.conftest import World


@dataclass(frozen=True)
class Teams:
    """Two caseworkers of one team each, two employer-service colleagues of different teams, and a
    job seeker of each caseworker's team."""

    own: str  # the first caseworker's job seeker
    other: str  # a job seeker of another team
    tokens: dict[str, str]
    ids: dict[str, str]

    def auth(self, who: str, reason: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return headers | ({"X-Access-Reason": reason} if reason else {})


@pytest.fixture
def teams(fresh_world: World) -> Iterator[Teams]:
    store = Store(fresh_world.settings.store_url)
    rule = team_rule(fresh_world.settings)
    by_team: dict[str, str] = {}
    for c in store.candidates():
        by_team.setdefault(rule.of(c), c.id)
    assert {"stadt", "landkreis"} <= set(by_team), by_team
    directory = StaffDirectory(store)
    people = {
        "cw_stadt": ("Fallmanagerin Stadt", "caseworker", ("stadt",)),
        "cw_land": ("Fallmanager Land", "caseworker", ("landkreis",)),
        "ag_1": ("AG-Service Eins", "employer_service", ("ag-nord",)),
        "ag_2": ("AG-Service Zwei", "employer_service", ("ag-sued",)),
    }
    tokens, ids = {}, {}
    for key, (name, role, member_teams) in people.items():
        member, tokens[key] = directory.add(name, role, member_teams)
        ids[key] = member.id
    store.close()
    yield Teams(by_team["stadt"], by_team["landkreis"], tokens, ids)


def _last_audit(world: World) -> dict:
    return json.loads(world.settings.audit_log.read_text(encoding="utf-8").splitlines()[-1])


def test_a_caseworker_reaches_their_teams_people_and_others_only_with_a_reason(
    fresh_client: TestClient, fresh_world: World, teams: Teams
) -> None:
    own = fresh_client.get(f"/v1/candidates/{teams.own}", headers=teams.auth("cw_stadt"))
    assert own.status_code == 200 and own.json()["team"] == "stadt"
    record = _last_audit(fresh_world)
    assert record["user_id"] == teams.ids["cw_stadt"] and record["team"] == "stadt" and "reason" not in record

    for path, method in [
        (f"/v1/candidates/{teams.other}", "GET"),
        (f"/v1/candidates/{teams.other}/vacancies", "POST"),
        (f"/v1/candidates/{teams.other}/opportunities", "POST"),
        (f"/v1/candidates/{teams.other}/new-matches", "GET"),
    ]:
        refused = fresh_client.request(method, path, headers=teams.auth("cw_stadt"))
        assert refused.status_code == 403, (path, refused.text)
        assert "X-Access-Reason" in refused.json()["detail"] and refused.json()["reason_required"] is True
    scored = fresh_client.post(
        "/v1/score",
        json={"pairs": [{"candidate_id": teams.other, "vacancy_id": "x"}]},
        headers=teams.auth("cw_stadt"),
    )
    assert scored.status_code == 403

    allowed = fresh_client.post(
        f"/v1/candidates/{teams.other}/vacancies", json={"k": 3}, headers=teams.auth("cw_stadt", "vertretung")
    )
    assert allowed.status_code == 200, allowed.text
    record = _last_audit(fresh_world)
    assert record["user_id"] == teams.ids["cw_stadt"] and record["reason"] == "vertretung"
    assert record["reached_team"] == "landkreis" and record["query_id"] == teams.other

    bad = fresh_client.get(f"/v1/candidates/{teams.other}", headers=teams.auth("cw_stadt", "neugier"))
    assert bad.status_code == 400 and "vertretung" in bad.json()["detail"]


def test_listings_show_a_caseworker_their_own_teams(fresh_client: TestClient, fresh_world: World, teams: Teams) -> None:
    page = fresh_client.get("/v1/candidates?limit=200", headers=teams.auth("cw_stadt")).json()
    assert page["items"] and {i["team"] for i in page["items"]} == {"stadt"}
    everyone = fresh_client.get("/v1/candidates?limit=200", headers=fresh_world.auth(Role.CASEWORKER)).json()
    assert everyone["total"] > page["total"]
    with_reason = fresh_client.get("/v1/candidates?limit=1", headers=teams.auth("cw_stadt", "rueckfrage")).json()
    assert with_reason["total"] == everyone["total"]
    assert _last_audit(fresh_world)["reason"] == "rueckfrage"


def test_contact_requests_belong_to_people_and_teams(
    fresh_client: TestClient, fresh_world: World, teams: Teams
) -> None:
    vacancy = fresh_client.get("/v1/vacancies?status=open&limit=1", headers=teams.auth("ag_1")).json()["items"][0]
    cards = fresh_client.post(
        f"/v1/vacancies/{vacancy['id']}/candidates", json={"k": 20}, headers=teams.auth("ag_1")
    ).json()["items"]
    rule = team_rule(fresh_world.settings)
    store = Store(fresh_world.settings.store_url)
    pseudonyms = {fresh_world.pseudonym(vacancy["id"], c.id): rule.of(c) for c in store.candidates()}
    store.close()
    card = next(c for c in cards if pseudonyms[c["id"]] == "landkreis")
    made = fresh_client.post(
        f"/v1/vacancies/{vacancy['id']}/contact-requests", json={"candidate": card["id"]}, headers=teams.auth("ag_1")
    )
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]

    mine = fresh_client.get("/v1/contact-requests", headers=teams.auth("ag_1")).json()
    theirs = fresh_client.get("/v1/contact-requests", headers=teams.auth("ag_2")).json()
    assert [r["id"] for r in mine["items"]] == [request_id] and theirs["total"] == 0
    assert fresh_client.get(f"/v1/contact-requests/{request_id}", headers=teams.auth("ag_2")).status_code == 404
    assert _last_audit(fresh_world)["endpoint"] == "GET /v1/contact-requests"  # the reads are audited

    inbox_stadt = fresh_client.get("/v1/contact-requests", headers=teams.auth("cw_stadt")).json()
    inbox_land = fresh_client.get("/v1/contact-requests", headers=teams.auth("cw_land")).json()
    assert inbox_stadt["total"] == 0 and [r["id"] for r in inbox_land["items"]] == [request_id]
    refused = fresh_client.post(f"/v1/contact-requests/{request_id}/accept", headers=teams.auth("cw_stadt"))
    assert refused.status_code == 403
    accepted = fresh_client.post(f"/v1/contact-requests/{request_id}/accept", headers=teams.auth("cw_land"))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    record = _last_audit(fresh_world)
    assert record["user_id"] == teams.ids["cw_land"] and record["endpoint"].endswith("/accept")


def test_outcomes_and_feedback_name_who_recorded_them(
    fresh_client: TestClient, fresh_world: World, teams: Teams
) -> None:
    vacancy = fresh_client.get("/v1/vacancies?status=open&limit=1", headers=teams.auth("cw_stadt")).json()["items"][0]
    day = vacancy["posted_at"]  # an outcome may not lie before the posting (matcher.services.outcome_checks)
    body = {"candidate_id": teams.own, "vacancy_id": vacancy["id"], "proposed_at": day, "outcome": "applied"}
    saved = fresh_client.post("/v1/outcomes", json=body, headers=teams.auth("cw_stadt"))
    assert saved.status_code == 201, saved.text
    total = fresh_client.get("/v1/outcomes?limit=1", headers=fresh_world.auth(Role.DATA_TEAM)).json()["total"]
    page = fresh_client.get(f"/v1/outcomes?limit=1&offset={total - 1}", headers=fresh_world.auth(Role.DATA_TEAM))
    mine = page.json()["items"][0]  # paged by id: "api-..." sorts after the imported ones
    assert mine["id"] == saved.json()["id"] and mine["recorded_by"] == teams.ids["cw_stadt"]
    foreign = {**body, "candidate_id": teams.other}
    assert fresh_client.post("/v1/outcomes", json=foreign, headers=teams.auth("cw_stadt")).status_code == 403
    feedback = {"candidate_id": teams.own, "vacancy_id": vacancy["id"], "reason": "erreichbarkeit"}
    assert fresh_client.post("/v1/feedback", json=feedback, headers=teams.auth("cw_stadt")).status_code == 201
    assert _last_audit(fresh_world)["user_id"] == teams.ids["cw_stadt"]


def test_revoked_and_unknown_tokens_get_401_with_the_reason(
    fresh_client: TestClient, fresh_world: World, teams: Teams
) -> None:
    assert fresh_client.get(f"/v1/candidates/{teams.own}", headers=teams.auth("cw_stadt")).status_code == 200
    store = Store(fresh_world.settings.store_url)
    StaffDirectory(store).revoke(teams.ids["cw_stadt"])
    store.close()
    import time

    time.sleep(0.6)  # the worker's cache of a personal token lasts half a second
    refused = fresh_client.get(f"/v1/candidates/{teams.own}", headers=teams.auth("cw_stadt"))
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert refused.headers["www-authenticate"].startswith("Bearer")
    forged = fresh_client.get("/v1/candidates", headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."})
    assert forged.status_code == 401


def test_the_users_commands_and_the_data_protection_reports(fresh_world: World, teams: Teams, monkeypatch) -> None:
    from training.cli import app

    monkeypatch.setenv("MATCHER_HOME", str(fresh_world.settings.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", fresh_world.settings.tracking_uri)
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "Max Beispiel", "--role", "caseworker", "--team", "stadt", "--json"])
    assert added.exit_code == 0, added.output
    made = json.loads(added.stdout)
    assert made["role"] == "caseworker" and made["teams"] == ["stadt"] and made["id"].startswith("u-")
    assert len(made["token"]) >= 40
    listed = [json.loads(line) for line in runner.invoke(app, ["users", "list", "--json"]).stdout.splitlines()]
    assert made["id"] in {m["id"] for m in listed} and all("token" not in m for m in listed)
    assert made["token"] not in runner.invoke(app, ["users", "list"]).stdout
    wrong = runner.invoke(app, ["users", "add", "X", "--role", "chef"])
    assert wrong.exit_code == 1 and "--role" in wrong.output
    assert runner.invoke(app, ["users", "revoke", made["id"]]).exit_code == 0

    client = TestClient(__import__("api.app", fromlist=["create_app"]).create_app(fresh_world.settings))
    with client:
        client.get(f"/v1/candidates/{teams.other}", headers=teams.auth("cw_stadt", "teamwechsel"))
        client.get(f"/v1/candidates/{teams.own}", headers=teams.auth("cw_stadt"))
    export = runner.invoke(app, ["audit", "export", "--user", teams.ids["cw_stadt"]])
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    assert [r["query_id"] for r in rows] == [teams.other, teams.own]
    assert rows[0]["reason"] == "teamwechsel" and "reason" not in rows[1]
    report = runner.invoke(app, ["audit", "break-glass", "--json"])
    found = [json.loads(line) for line in report.stdout.splitlines()]
    assert {"user_id": teams.ids["cw_stadt"], "reason": "teamwechsel", "reached_team": "landkreis"}.items() <= found[
        0
    ].items()
    assert runner.invoke(app, ["audit", "export"]).exit_code == 1


def _web_sign_in(client: TestClient, token: str) -> None:
    import re

    page = client.get("/app/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    done = client.post("/app/login", data={"csrf_token": csrf.group(1), "token": token, "next": "/app/"})
    assert done.status_code in (200, 303), done.text


def test_the_web_asks_for_a_reason_and_the_data_team_sees_the_report(
    fresh_client: TestClient, fresh_world: World, teams: Teams
) -> None:
    import re

    _web_sign_in(fresh_client, teams.tokens["cw_stadt"])
    asked = fresh_client.get(f"/app/candidates/{teams.other}")
    assert asked.status_code == 403 and "Begründung erforderlich" in asked.text and "landkreis" in asked.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', asked.text)
    assert csrf is not None
    target = f"/app/candidates/{teams.other}"
    empty = fresh_client.post(
        f"/app/candidates/{teams.other}/zugriff", data={"csrf_token": csrf.group(1), "next": target}
    )
    assert empty.status_code == 422 and "Bitte einen Grund auswählen." in empty.text
    given = fresh_client.post(
        f"/app/candidates/{teams.other}/zugriff",
        data={"csrf_token": csrf.group(1), "reason": "vertretung", "next": target},
        follow_redirects=False,
    )
    assert given.status_code == 303 and given.headers["location"] == target
    opened = fresh_client.get(target)
    assert opened.status_code == 200 and teams.other in opened.text
    record = _last_audit(fresh_world)
    assert record["reason"] == "vertretung" and record["user_id"] == teams.ids["cw_stadt"]
    own_list = fresh_client.get("/app/candidates?occupation=&place=&q=S-")  # a search shows the own teams only
    assert teams.other not in own_list.text

    fresh_client.cookies.clear()
    _web_sign_in(fresh_client, fresh_world.tokens[Role.DATA_TEAM])
    report = fresh_client.get("/app/zugriffe")
    assert report.status_code == 200 and teams.ids["cw_stadt"] in report.text and "Vertretung" in report.text
    assert teams.other not in report.text  # people are counted, never named


def test_signing_in_again_ends_the_earlier_session(fresh_client: TestClient, teams: Teams) -> None:
    _web_sign_in(fresh_client, teams.tokens["cw_stadt"])
    first = fresh_client.cookies.get("kl_session")
    assert first and fresh_client.get("/app/", follow_redirects=False).status_code == 200
    _web_sign_in(fresh_client, teams.tokens["cw_land"])
    second = fresh_client.cookies.get("kl_session")
    assert second and second != first
    sessions = fresh_client.app.state.web.sessions  # type: ignore[attr-defined]
    assert sessions.get(first) is None and sessions.get(second) is not None
