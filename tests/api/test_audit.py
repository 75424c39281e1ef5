"""Every shortlist, match and score is in the hash-chained audit log; tampering is detected."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.security import Role
from matcher.audit import verify
from matcher.cli import app as cli
from tests.api.conftest import Ids, World


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
    log = fresh_world.settings.audit_log
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert verify(log).ok and verify(log).records == len(records) == 4
    shortlist = records[0]
    assert shortlist["role"] == "caseworker" and shortlist["token_id"] == "demo-caseworker"
    assert shortlist["endpoint"] == "POST /v1/candidates/{id}/vacancies" and shortlist["query_id"] == ids.candidate
    assert [i["id"] for i in shortlist["items"]] == [i["id"] for i in answers[0]["items"]]
    assert shortlist["model_version"] == "lightgbm:1" and shortlist["index_version"].startswith("exact:")
    assert records[2]["query_id"] == f"adhoc-{answers[2]['request_id']}"
    assert "Musterstraße" not in log.read_text(encoding="utf-8")  # never the ad-hoc text
    assert records[3]["items"][0]["id"] == f"{ids.candidate}|{ids.vacancy}"

    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify", "--path", str(log)])
    assert ok.exit_code == 0 and "4 records" in ok.stdout
    lines = log.read_text(encoding="utf-8").splitlines()
    tampered = json.loads(lines[1])
    tampered["items"][0]["score"] = 99.0
    lines[1] = json.dumps(tampered, ensure_ascii=False)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = verify(log)
    assert not result.ok and result.first_bad_line == 2
    broken = runner.invoke(cli, ["audit", "verify", "--path", str(log)])
    assert broken.exit_code == 1 and "line 2" in broken.stderr
