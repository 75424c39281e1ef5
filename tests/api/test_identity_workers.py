"""Named staff across two real worker processes: revocation and need-to-know hold on both."""

from __future__ import annotations

import json
import time

import pytest

from api.demo import team_rule
from matcher.records.store import Store
from matcher.services.staff import StaffDirectory
from tests.api.conftest import World
from tests.api.servers import Server

pytestmark = pytest.mark.slow


def _workers_seen(server: Server, path: str, token: str, n: int = 30) -> tuple[set[int], set[int]]:
    """(worker pids, status codes) of n requests on fresh connections."""
    pids, codes = set(), set()
    for _ in range(n):
        pids.add(server.request("GET", "/health").json()["worker"])
        codes.add(server.request("GET", path, token).status_code)
    return pids, codes


def test_a_revoked_token_is_refused_by_both_workers_within_a_second(server: Server, home: World) -> None:
    store = Store(home.settings.store_url)
    directory = StaffDirectory(store)
    member, token = directory.add("Rita Revoke", "data_team", ("datenteam",))
    pids, codes = _workers_seen(server, "/v1/model", token)
    assert len(pids) == 2 and codes == {200}
    directory.revoke(member.id)
    revoked_at = time.monotonic()
    store.close()
    time.sleep(max(0.0, 1.0 - (time.monotonic() - revoked_at)))
    answers = [server.request("GET", "/v1/model", token) for _ in range(12)]  # fresh connections: both workers
    assert {a.status_code for a in answers} == {401}
    assert all("revoked" in a.json()["detail"] for a in answers)


def test_need_to_know_and_the_reason_hold_on_both_workers(server: Server, home: World) -> None:
    store = Store(home.settings.store_url)
    rule = team_rule(home.settings)
    other = next(c.id for c in store.candidates() if rule.of(c) == "landkreis")
    member, token = StaffDirectory(store).add("Stefan Stadt", "caseworker", ("stadt",))
    store.close()
    path = f"/v1/candidates/{other}"
    refused = [server.request("GET", path, token) for _ in range(8)]
    assert {r.status_code for r in refused} == {403}
    assert all("X-Access-Reason" in r.json()["detail"] for r in refused)
    allowed = [server.request("GET", path, token, headers={"X-Access-Reason": "rueckfrage"}) for _ in range(8)]
    assert {r.status_code for r in allowed} == {200}
    records = [json.loads(line) for line in home.settings.audit_log.read_text().splitlines()]
    mine = [r for r in records if r.get("user_id") == member.id]
    assert len(mine) == 8 and {r["reason"] for r in mine} == {"rueckfrage"}
    assert {r["reached_team"] for r in mine} == {"landkreis"} and {r["team"] for r in mine} == {"stadt"}
