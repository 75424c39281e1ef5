"""One consistent state across two real worker processes (``uvicorn --workers 2``) on one home.

Every request goes out on a fresh connection, so about half reach each worker; ``/health`` shows
that both are up. What a client can rely on: a write acknowledged by either worker is in every
answer of either worker that starts after the acknowledgement.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.security import Role
from tests.api.conftest import Ids, World
from tests.api.servers import Server, start_server
from tests.api.test_model import _new_champion

pytestmark = pytest.mark.slow


def _shortlist_ids(server: Server, home: World, path: str, role: Role, k: int = 50) -> list[str]:
    response = server.request("POST", path, home.tokens[role], json={"k": k})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _workers(server: Server, n: int = 30) -> set[int]:
    return {server.request("GET", "/health").json()["worker"] for _ in range(n)}


def test_writes_deletes_and_reloads_reach_both_workers(server: Server, home: World, ids: Ids, tmp_path: Path) -> None:
    assert len(_workers(server)) == 2
    # Shortlists of a vacancy as the admin, who sees customer numbers (the employer service sees pseudonyms).
    admin, employer = home.tokens[Role.ADMIN], Role.ADMIN
    # A vacancy in whose shortlist our candidate appears.
    top = _shortlist_ids(server, home, f"/v1/candidates/{ids.candidate}/vacancies", Role.CASEWORKER, k=5)
    vacancy = top[0]
    assert ids.candidate in _shortlist_ids(server, home, f"/v1/vacancies/{vacancy}/candidates", employer)

    # A PUT clone is in 20 of 20 later shortlists, whichever worker answers.
    clone = {**ids.candidate_record, "id": "CLONE-1"}
    put = server.request("PUT", "/v1/candidates/CLONE-1", admin, json=clone)
    assert put.status_code == 201, put.text
    found = [
        ("CLONE-1" in _shortlist_ids(server, home, f"/v1/vacancies/{vacancy}/candidates", employer)) for _ in range(20)
    ]
    assert all(found), f"clone missing from {found.count(False)} of 20 shortlists"

    # A changed profile is used in its new version everywhere: hours the vacancy cannot match.
    part_time = {**clone, "working_time": "part_time", "hours_per_week": 5.0}
    assert server.request("PUT", "/v1/candidates/CLONE-1", admin, json=part_time).status_code == 200
    for _ in range(20):
        record = server.request("GET", "/v1/candidates/CLONE-1", admin).json()
        assert record["hours_per_week"] == 5.0
    # DELETE: absent from 100 of 100 later shortlists, in both directions.
    assert server.request("DELETE", "/v1/candidates/CLONE-1", admin).status_code == 204
    assert server.request("DELETE", f"/v1/vacancies/{vacancy}", admin).status_code == 204
    for _ in range(50):
        assert "CLONE-1" not in _shortlist_ids(server, home, f"/v1/vacancies/{top[1]}/candidates", employer)
        assert vacancy not in _shortlist_ids(server, home, f"/v1/candidates/{ids.candidate}/vacancies", Role.CASEWORKER)

    # One reload switches both workers: register a new version as @champion, reload once.
    new_version = _new_champion(home.settings)
    reload = server.request("POST", "/v1/model/reload", admin)
    assert reload.status_code == 200, reload.text
    versions = [server.request("GET", "/ready", admin).json()["model"]["version"] for _ in range(20)]
    assert versions == [new_version] * 20

    # After a restart, deletes are still deleted and the clone is gone for good.
    server.stop()
    again = start_server(home.settings, tmp_path / "server-2.log")
    try:
        assert again.request("GET", "/v1/candidates/CLONE-1", admin).status_code == 404
        for _ in range(10):
            assert vacancy not in _shortlist_ids(
                again, home, f"/v1/candidates/{ids.candidate}/vacancies", Role.CASEWORKER
            )
            assert "CLONE-1" not in _shortlist_ids(again, home, f"/v1/vacancies/{top[1]}/candidates", employer)
    finally:
        again.stop()
