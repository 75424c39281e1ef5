"""Every access to personal data is in the audit log (HMAC chain, checkpoints in the store);
tampering is detected, a torn tail never stops serving, and a person's accesses can be exported."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from api.app import create_app
from api.security import Role
from matcher.records.store import Store
from matcher.services.audit import verify as verify_log
from matcher.services.audit_checkpoints import StoreCheckpoints, audit_checkpoints_table
from matcher.services.keyfile import load_or_create_key
from matcher.settings import Settings
from tests.api.conftest import Ids, World
from training.cli import app as cli


def _env(settings: Settings) -> dict[str, str]:
    return {"MATCHER_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}


def _verify(settings: Settings):  # type: ignore[no-untyped-def]
    store = Store(settings.store_url)
    try:
        return verify_log(settings.audit_log, load_or_create_key(settings.audit_key), StoreCheckpoints(store))
    finally:
        store.close()


def _records(settings: Settings) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in settings.audit_log.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def fresh_world(fresh_world: World) -> World:
    """The private copy with an empty audit log: the session's world has logged whatever the tests
    before these asked of it, and these tests count records from the first."""
    settings = fresh_world.settings
    settings.audit_log.unlink(missing_ok=True)
    store = Store(settings.store_url)
    try:
        with store.transaction() as conn:
            conn.execute(delete(audit_checkpoints_table))
    finally:
        store.close()
    return fresh_world


def test_audit_records_and_verification(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    secret = "Suche Stelle als Maurer, wohne bei meiner Tante in der Musterstraße 12."
    profile = {k: ids.candidate_record[k] for k in ("ags", "postcode", "occupations", "skills", "level")}
    calls = [
        (f"/v1/candidates/{ids.candidate}/vacancies", {"k": 3}, Role.CASEWORKER),
        (f"/v1/vacancies/{ids.vacancy}/candidates", {"k": 3}, Role.EMPLOYER_SERVICE),
        ("/v1/match/vacancies", {"k": 3, "profile": {**profile, "profile_text": secret}}, Role.CASEWORKER),
        ("/v1/score", {"pairs": [{"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}]}, Role.ADMIN),
    ]
    answers = []
    for path, body, role in calls:
        response = fresh_client.post(path, json=body, headers=fresh_world.auth(role))
        assert response.status_code == 200, response.text
        answers.append(response.json())
    settings = fresh_world.settings
    log = settings.audit_log
    records = _records(settings)
    assert _verify(settings).ok and _verify(settings).records == len(records) == 4
    shortlist = records[0]
    assert shortlist["role"] == "caseworker" and shortlist["user_id"] == fresh_world.staff_id(Role.CASEWORKER)
    assert shortlist["team"] == "landkreis,stadt,zentral" and "reason" not in shortlist
    assert shortlist["endpoint"] == "POST /v1/candidates/{id}/vacancies" and shortlist["query_id"] == ids.candidate
    assert [i["id"] for i in shortlist["items"]] == [i["id"] for i in answers[0]["items"]]
    assert shortlist["model_version"] == "lightgbm:1" and shortlist["index_version"].startswith("exact:")
    assert records[2]["query_id"] == f"adhoc-{answers[2]['request_id']}"
    assert "Musterstraße" not in log.read_text(encoding="utf-8")  # never the ad-hoc text
    assert records[3]["items"][0]["id"] == f"{ids.candidate}|{ids.vacancy}"

    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"], env=_env(settings))
    assert ok.exit_code == 0 and "4 records, 4 checkpoints: intact" in ok.stdout, ok.output
    lines = log.read_text(encoding="utf-8").splitlines()
    original = list(lines)
    tampered = json.loads(lines[1])
    tampered["items"][0]["score"] = 99.0
    lines[1] = json.dumps(tampered, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _verify(settings)
    assert not result.ok and result.first_bad_line == 2 and result.first_bad_seq == 2
    broken = runner.invoke(cli, ["audit", "verify"], env=_env(settings))
    assert broken.exit_code == 1 and "line 2" in broken.stderr and "NOT INTACT" in broken.stderr
    log.write_text("\n".join(original[:2]) + "\n", encoding="utf-8")  # the tail cut off instead
    assert "#3 is missing" in runner.invoke(cli, ["audit", "verify"], env=_env(settings)).stderr


def test_reads_are_logged_and_exported_for_the_person(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    settings = fresh_world.settings
    caseworker = fresh_world.auth(Role.CASEWORKER)
    assert fresh_client.get(f"/v1/candidates/{ids.candidate}", headers=caseworker).status_code == 200
    page = fresh_client.get("/v1/candidates?limit=20&offset=0", headers=caseworker).json()
    fresh_client.post(
        f"/v1/vacancies/{ids.vacancy}/candidates", json={"k": 50}, headers=fresh_world.auth(Role.EMPLOYER_SERVICE)
    )
    records = _records(settings)
    read = records[0]
    assert (read["kind"], read["endpoint"], read["query_id"], read["role"]) == (
        "read",
        "GET /v1/candidates/{id}",
        ids.candidate,
        "caseworker",
    )
    listed = records[1]
    assert listed["query_id"] == "page:offset=0:limit=20"
    assert [i["id"] for i in listed["items"]] == [c["id"] for c in page["items"]]
    assert _verify(settings).ok

    exported = CliRunner().invoke(cli, ["audit", "export", "--person", ids.candidate], env=_env(settings))
    assert exported.exit_code == 0, exported.output
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert rows[0]["endpoint"] == "GET /v1/candidates/{id}" and rows[0]["as"] == "query"
    assert all(r["seq"] for r in rows) and len(rows) >= 1
    assert {r["kind"] for r in rows} <= {"read", "shortlist", "score", "write"}


def test_a_torn_final_line_is_quarantined_at_start_and_serving_goes_on(fresh_world: World, ids: Ids) -> None:
    settings = fresh_world.settings
    with TestClient(create_app(settings)) as client:
        client.post(
            f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 3}, headers=fresh_world.auth(Role.CASEWORKER)
        )
    with settings.audit_log.open("ab") as handle:
        handle.write(b'{"seq": 2, "time": "2026-12-01T1')  # a crash in the middle of an append
    with TestClient(create_app(settings)) as client:
        ready = client.get("/ready", headers=fresh_world.auth(Role.ADMIN))
        assert ready.status_code == 200 and "torn final line" in ready.json()["problems"]["audit_log"]
        shortlist = client.post(
            f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 3}, headers=fresh_world.auth(Role.CASEWORKER)
        )
        assert shortlist.status_code == 200
    records = _records(settings)
    assert [r["seq"] for r in records] == [1, 2] and records[1]["query_id"] == ids.candidate
    quarantined = list(settings.home.glob("audit.log.torn-*"))
    assert len(quarantined) == 1 and quarantined[0].read_bytes().startswith(b'{"seq": 2')
    result = _verify(settings)
    assert result.ok and any("quarantined" in note for note in result.notes)
