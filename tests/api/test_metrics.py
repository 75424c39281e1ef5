"""``GET /metrics`` and the JSON request log: in process, and over two real uvicorn workers.

The real server is started once for the module with ``--log-level info``, so that its output holds
uvicorn's own lines and one request line per request; every line of it must be JSON, and none may
hold a profile text, an employer's name or a query string's free text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.logs import AccessJsonFormatter, JsonFormatter, request_id
from api.security import Role
from matcher.ranking.stages import SHORTLIST_STAGES
from tests.api.conftest import Ids, World, copy_world
from tests.api.servers import Server, start_server
from tests.api.test_shortlists import _profile

SHORTLIST_ROUTE = "/v1/candidates/{candidate_id}/vacancies"
SECRET_TEXT = "Quallenfischerin mit Zaubertrank-Erfahrung aus Hinterwaldhausen sucht Arbeit"
SECRET_QUERY = "Frau Irmgard Zwiebelmaier"


def samples(text: str) -> dict[str, list[Any]]:
    """Metric family name -> its samples, from the Prometheus text format."""
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(found: dict[str, list[Any]], family: str, sample: str, **labels: str) -> float:
    """The sum of a family's samples of one name whose labels include ``labels``."""
    return sum(
        s.value
        for s in found.get(family, [])
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
    )


def scrape(get: Any, world: World) -> dict[str, list[Any]]:
    response = get("/metrics", headers=world.auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


# --- in process ------------------------------------------------------------------------------
def test_metrics_are_for_the_admin_only(client: TestClient, api_world: World) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    for role in (Role.CASEWORKER, Role.EMPLOYER_SERVICE, Role.DATA_TEAM):
        assert client.get("/metrics", headers=api_world.auth(role)).status_code == 403
    assert client.get("/metrics", headers=api_world.auth(Role.ADMIN)).status_code == 200


def test_metrics_show_requests_stages_and_state(client: TestClient, api_world: World, ids: Ids) -> None:
    before = scrape(client.get, api_world)
    path = f"/v1/candidates/{ids.candidate}/vacancies"
    assert client.post(path, json={"k": 3}, headers=api_world.auth(Role.CASEWORKER)).status_code == 200
    assert client.post(path, json={"k": 3}).status_code == 401  # refused before routing: still its template
    after = scrape(client.get, api_world)

    def rise(family: str, sample: str, **labels: str) -> float:
        return value(after, family, sample, **labels) - value(before, family, sample, **labels)

    requests = "matcher_http_requests"
    assert rise(requests, "matcher_http_requests_total", route=SHORTLIST_ROUTE, status="200", method="POST") == 1
    assert rise(requests, "matcher_http_requests_total", route=SHORTLIST_ROUTE, status="401") == 1
    latency = "matcher_http_request_duration_seconds"
    assert rise(latency, latency + "_count", route=SHORTLIST_ROUTE) == 2
    for stage in SHORTLIST_STAGES:
        assert rise("matcher_shortlist_stage_seconds", "matcher_shortlist_stage_seconds_count", stage=stage) == 1
    assert rise("matcher_audit_append_seconds", "matcher_audit_append_seconds_count") >= 1
    model = after["matcher_model_info"][0].labels
    assert model["name"] == api_world.settings.model_name and model["version"]
    sizes = {s.labels["index"]: s.value for s in after["matcher_index_items"]}
    assert sizes["vacancies"] > 0 and sizes["candidates"] > 0
    assert after["matcher_changelog_lag"][0].value == 0
    assert after["matcher_web_sessions_active"][0].value >= 0
    assert_no_person_in_labels(after, ids)


def assert_no_person_in_labels(found: dict[str, list[Any]], ids: Ids) -> None:
    labels = {v for family in found.values() for s in family for v in s.labels.values()}
    assert not any(ids.candidate in v or ids.vacancy in v for v in labels), labels


def test_json_formatters_write_one_object_per_record() -> None:
    import logging

    record = logging.LogRecord("api.requests", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"route": SHORTLIST_ROUTE, "status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == SHORTLIST_ROUTE and line["level"] == "info" and line["ts"].endswith("Z")
    args = ("10.0.0.7:5555", "GET", f"/v1/candidates?q={SECRET_QUERY}", "1.1", 200)
    access = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)
    out = json.loads(AccessJsonFormatter().format(access))
    assert out["path"] == "/v1/candidates" and out["status"] == 200
    assert "10.0.0.7" not in json.dumps(out) and "Irmgard" not in json.dumps(out)
    assert request_id(b"abc-123") == "abc-123"
    assert request_id(b"no spaces\nor newlines") != "no spaces\nor newlines"


# --- two real workers ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(api_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, World]]:
    """One ``--workers 2`` server over a copy of the world, logging requests (``--log-level info``)."""
    tmp = tmp_path_factory.mktemp("metrics")
    home = copy_world(api_world, tmp / "home")
    server = start_server(home.settings, tmp / "server.log", timeout=300, options=("--log-level", "info"))
    try:
        yield server, home
    finally:
        server.stop()


def request_lines(log: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line for line in lines if line["logger"] == "api.requests"]


def _lines_after(log: Path, start: int, count: int, wait: float = 10.0) -> list[dict[str, Any]]:
    """The request lines after ``start``, once ``count`` are there: a worker writes its line after
    the answer has gone out, so the last one may reach the file a moment after the client's call."""
    deadline = time.monotonic() + wait
    while len(lines := request_lines(log)[start:]) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return lines


@pytest.mark.slow
def test_metrics_add_up_over_two_workers(served: tuple[Server, World], ids: Ids) -> None:
    server, home = served
    path = f"/v1/candidates/{ids.candidate}/vacancies"
    start = len(request_lines(server.log))
    sent = 0
    token = home.tokens[Role.CASEWORKER]

    def one(_: int) -> int:
        return server.request("POST", path, token, json={"k": 3}).status_code

    # Fresh connections, four at a time (one at a time, an idle machine may let one worker accept
    # them all); go on until the log shows both workers served a shortlist.
    with ThreadPoolExecutor(4) as pool:
        while sent < 80:
            assert set(pool.map(one, range(4))) == {200}
            sent += 4
            lines = request_lines(server.log)[start:]
            served_by = {line["pid"] for line in lines if line["route"] == SHORTLIST_ROUTE}
            if len(served_by) == 2:
                break
    assert len(served_by) == 2, "one worker answered every shortlist"
    found = samples(server.request("GET", "/metrics", home.tokens[Role.ADMIN]).text)
    # Whichever worker answered the scrape, the sums hold both workers' requests.
    counted = value(found, "matcher_http_requests", "matcher_http_requests_total", route=SHORTLIST_ROUTE, status="200")
    assert counted == sent
    for stage in SHORTLIST_STAGES:
        stage_count = value(
            found, "matcher_shortlist_stage_seconds", "matcher_shortlist_stage_seconds_count", stage=stage
        )
        assert stage_count == sent
    assert value(found, "matcher_audit_append_seconds", "matcher_audit_append_seconds_count") >= sent
    assert found["matcher_changelog_lag"][0].value == 0  # both workers have applied the whole log
    assert found["matcher_model_info"][0].labels["version"]
    assert_no_person_in_labels(found, ids)


@pytest.mark.slow
def test_one_json_line_per_request_and_no_personal_data(served: tuple[Server, World], ids: Ids) -> None:
    server, home = served
    start = len(request_lines(server.log))
    caseworker = home.tokens[Role.CASEWORKER]
    calls = [
        ("POST", "/v1/match/vacancies", {"json": {"profile": _profile(ids, profile_text=SECRET_TEXT), "k": 3}}, 200),
        ("GET", f"/v1/candidates/{ids.candidate}", {}, 200),
        ("GET", f"/v1/vacancies/{ids.vacancy}", {}, 200),
        ("GET", "/v1/candidates", {"params": {"limit": 2, "q": SECRET_QUERY}}, 200),
        ("POST", "/v1/match/vacancies", {"json": {"profile": {"profile_text": SECRET_TEXT}}}, 422),
    ]
    rids = []
    for method, path, kwargs, status in calls:
        response = server.request(method, path, caseworker, headers={"X-Request-ID": f"test-{len(rids)}"}, **kwargs)
        assert response.status_code == status, response.text
        rids.append(response.headers["x-request-id"])
    lines = _lines_after(server.log, start, len(calls))
    assert [line["request_id"] for line in lines] == rids == [f"test-{i}" for i in range(len(calls))]
    assert [line["status"] for line in lines] == [c[3] for c in calls]
    assert {line["user"] for line in lines} == {home.staff_id(Role.CASEWORKER)}  # the staff id, never a name
    routes = [line["route"] for line in lines]
    assert routes[1:3] == ["/v1/candidates/{candidate_id}", "/v1/vacancies/{vacancy_id}"]
    assert all(line["duration_ms"] > 0 for line in lines)
    text = server.log.read_text(encoding="utf-8")
    vacancy = server.request("GET", f"/v1/vacancies/{ids.vacancy}", caseworker).json()
    for secret in (SECRET_TEXT, "Quallenfischerin", "Zwiebelmaier", vacancy["employer_name"], vacancy["description"]):
        assert secret not in text
    if ids.candidate_record["profile_text"]:
        assert ids.candidate_record["profile_text"] not in text
    for line in text.splitlines():  # uvicorn's own lines too ("Started server process", ...)
        json.loads(line)
    assert any(json.loads(line)["logger"].startswith("uvicorn") for line in text.splitlines())
