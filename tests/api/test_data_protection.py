"""Issue 24's smaller holes, each tested the way it was found: far dates, caching, ``next`` with
CR/LF, server paths in ``/ready`` and a failed reload, Swagger UI from a CDN, free-text skills and
odd ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import matcher.services.serving
from api.app import create_app
from api.security import Role
from matcher.errors import ModelNotFoundError
from tests.api.conftest import Ids, World, home_settings

FAR_DATES = ("0001-01-01", "1000-06-15", "1899-12-31", "2101-01-01", "9999-12-31")
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s'\"()/]+/)+")


# --- far dates ------------------------------------------------------------------------------------
def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_date(schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    schema = _resolve(schema, spec)
    return schema.get("format") == "date" or any(_is_date(s, spec) for s in schema.get("anyOf", []))


def _date_fields(schema: dict[str, Any], spec: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Paths (field names) to every date of a body schema, through objects and nullable objects."""
    schema = _resolve(schema, spec)
    if _is_date(schema, spec):
        yield path
        return
    for option in schema.get("anyOf", []):
        yield from _date_fields(option, spec, path)
    for name, sub in schema.get("properties", {}).items():
        if len(path) < 4:
            yield from _date_fields(sub, spec, (*path, name))


def _with(body: dict[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any]:
    out = dict(body)
    if len(path) == 1:
        out[path[0]] = value
    else:
        out[path[0]] = _with(out.get(path[0]) if isinstance(out.get(path[0]), dict) else {}, path[1:], value)
    return out


def _base_bodies(ids: Ids) -> dict[tuple[str, str], dict[str, Any]]:
    profile = {"ags": ids.candidate_record["ags"], "postcode": ids.candidate_record["postcode"]}
    profile |= {"occupations": ids.candidate_record["occupations"], "level": ids.candidate_record["level"]}
    pair = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}
    return {
        ("put", "/v1/candidates/{candidate_id}"): ids.candidate_record,
        ("put", "/v1/vacancies/{vacancy_id}"): ids.vacancy_record,
        ("post", "/v1/match/vacancies"): {"profile": profile},
        ("post", "/v1/outcomes"): {**pair, "proposed_at": "2026-03-02", "outcome": "interview"},
    }


def _date_requests(spec: dict[str, Any], ids: Ids) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(method, path, query, body) with one far date in one date field, for every date the API takes."""
    known = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}
    bases = _base_bodies(ids)
    for template, operations in spec["paths"].items():
        path = template.format(**{k: known.get(k, "x") for k in re.findall(r"{(\w+)}", template)})
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and _is_date(parameter["schema"], spec):
                    for far in FAR_DATES:
                        yield method, path, {parameter["name"]: far}, {}
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None:
                continue
            base = bases.get((method, template), {})
            for field in _date_fields(content["schema"], spec):
                for far in FAR_DATES:
                    yield method, path, {}, _with(base, field, far)


def test_far_dates_on_every_date_field_are_422(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    spec = fresh_client.get("/openapi.json").json()
    requests = list(_date_requests(spec, ids))
    fields = {(m, p, tuple(q) or str(sorted(b))) for m, p, q, b in requests}
    assert len(fields) >= 10, fields  # bodies of records, outcomes, filters, opportunities; query dates
    admin = fresh_world.auth(Role.ADMIN)
    statuses: dict[int, int] = {}
    for method, path, query, body in requests:
        response = fresh_client.request(method, path, params=query, json=body or None, headers=admin)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (method, path, query, response.text[:300])
        if method != "get" or query:
            assert response.status_code == 422, (method, path, query, body, response.text[:300])
    assert set(statuses) == {422}, statuses


def test_opportunities_as_of_9999_is_422_not_500(client: TestClient, api_world: World, ids: Ids) -> None:
    url = f"/v1/candidates/{ids.candidate}/opportunities"
    response = client.post(url, json={"as_of": "9999-12-31"}, headers=api_world.auth(Role.ADMIN))
    assert response.status_code == 422, response.text
    assert "9999" not in response.text  # the input is never echoed
    ok = client.post(url, json={"as_of": "2026-12-31"}, headers=api_world.auth(Role.CASEWORKER))
    assert ok.status_code == 200, ok.text


# --- caching, /docs, next -----------------------------------------------------------------------
def test_answers_with_personal_data_are_not_stored(client: TestClient, api_world: World, ids: Ids) -> None:
    caseworker = api_world.auth(Role.CASEWORKER)
    for path in (f"/v1/candidates/{ids.candidate}", "/v1/candidates?limit=2", "/ready"):
        response = client.get(path, headers=caseworker)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path
    shortlist = client.post(f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 2}, headers=caseworker)
    assert shortlist.headers["cache-control"] == "no-store"
    refused = client.get(f"/v1/candidates/{ids.candidate}", headers=api_world.auth(Role.EMPLOYER_SERVICE))
    assert refused.status_code == 403 and refused.headers["cache-control"] == "no-store"


def test_swagger_ui_is_off_unless_asked_for(api_world: World) -> None:
    """Swagger UI loads from a public CDN: off by default; /openapi.json stays."""
    with TestClient(create_app(api_world.settings)) as client:
        assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200
    settings = home_settings(api_world.settings.home, api_world.settings.encoder).model_copy(update={"api_docs": True})
    with TestClient(create_app(settings)) as client:
        assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("target", ["/app/\r\nSet-Cookie: x=1", "/app/\nx", "/app/%0d%0a".replace("%0d%0a", "\r\n")])
def test_next_with_cr_or_lf_is_400_before_any_session(client: TestClient, api_world: World, target: str) -> None:
    page = client.get("/app/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"csrf_token": token.group(1), "token": api_world.tokens[Role.CASEWORKER], "next": target}
    response = client.post("/app/login", data=form, follow_redirects=False)
    assert response.status_code == 400
    assert "kl_session" not in response.headers.get("set-cookie", "")
    assert client.get("/app/login", params={"next": target}).status_code == 400


# --- server paths -----------------------------------------------------------------------------------
def test_ready_shows_server_paths_to_admins_only(fresh_world: World) -> None:
    (fresh_world.settings.index_dir / "vacancies").rename(fresh_world.settings.home / "moved-away")
    with TestClient(create_app(fresh_world.settings)) as client:
        for role in (Role.CASEWORKER, Role.EMPLOYER_SERVICE, Role.DATA_TEAM):
            body = client.get("/ready", headers=fresh_world.auth(role)).json()
            assert body["problems"] and not ABSOLUTE_PATH.search(str(body["problems"])), (role, body["problems"])
        admin = client.get("/ready", headers=fresh_world.auth(Role.ADMIN)).json()
        assert str(fresh_world.settings.home) in str(admin["problems"])


def test_failed_reload_shows_server_paths_to_admins_only(
    fresh_client: TestClient, fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = fresh_world.settings.home / "artifacts" / "model.lgb"

    def broken(*_: object, **__: object) -> None:
        raise ModelNotFoundError(f"model file {where} is gone")

    monkeypatch.setattr(matcher.services.serving, "load_model", broken)
    response = fresh_client.post("/v1/model/reload", headers=fresh_world.auth(Role.DATA_TEAM))
    assert response.status_code == 409 and "model.lgb" in response.json()["detail"]
    assert not ABSOLUTE_PATH.search(response.json()["detail"]), response.json()
    admin = fresh_client.post("/v1/model/reload", headers=fresh_world.auth(Role.ADMIN))
    assert admin.status_code == 409 and str(where) in admin.json()["detail"]


# --- free text where only codes belong ------------------------------------------------------------
FREE_TEXT_SKILL = "Max Mustermann, Tel. 0631 123456"
ODD_IDS = ("VV-1\nforged: record", "VV-1\x00", "<script>alert(1)</script>", "VV 1", "VV-\r1", "ä-1")


def test_free_text_skills_are_422(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    admin = fresh_world.auth(Role.ADMIN)
    person = {**ids.candidate_record, "skills": [*ids.candidate_record["skills"], FREE_TEXT_SKILL]}
    answer = fresh_client.put(f"/v1/candidates/{ids.candidate}", json=person, headers=admin)
    assert answer.status_code == 422 and answer.json()["errors"][0]["type"] == "unknown_skill", answer.text
    for field in ("required_skills", "optional_skills"):
        job = {**ids.vacancy_record, field: [FREE_TEXT_SKILL]}
        assert fresh_client.put(f"/v1/vacancies/{ids.vacancy}", json=job, headers=admin).status_code == 422
    profile = {k: ids.candidate_record[k] for k in ("ags", "postcode", "occupations", "level")}
    ad_hoc = {"profile": {**profile, "skills": [FREE_TEXT_SKILL]}}
    assert fresh_client.post("/v1/match/vacancies", json=ad_hoc, headers=admin).status_code == 422
    assert FREE_TEXT_SKILL not in answer.text
    # the known ids still pass, and the card shows their labels only
    same = fresh_client.put(f"/v1/candidates/{ids.candidate}", json=ids.candidate_record, headers=admin)
    assert same.status_code == 200, same.text
    card = fresh_client.get(
        f"/v1/vacancies/{ids.vacancy}/candidates/{fresh_world.pseudonym(ids.vacancy, ids.candidate)}",
        headers=fresh_world.auth(Role.EMPLOYER_SERVICE),
    )
    assert card.status_code == 200 and FREE_TEXT_SKILL not in card.text


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_ids_are_422_and_never_reach_the_audit_log(
    fresh_client: TestClient, fresh_world: World, ids: Ids, odd: str
) -> None:
    admin = fresh_world.auth(Role.ADMIN)
    pair = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy, "proposed_at": "2026-03-02"}
    for body in (
        {**pair, "id": odd, "outcome": "interview"},
        {**pair, "candidate_id": odd, "outcome": "interview"},
        {**pair, "vacancy_id": odd, "outcome": "interview"},
    ):
        response = fresh_client.post("/v1/outcomes", json=body, headers=admin)
        assert response.status_code == 422, response.text
    assert (
        fresh_client.post(
            "/v1/score", json={"pairs": [{"candidate_id": odd, "vacancy_id": ids.vacancy}]}, headers=admin
        ).status_code
        == 422
    )
    person = {**ids.candidate_record, "id": odd}
    assert fresh_client.put(f"/v1/candidates/{ids.candidate}", json=person, headers=admin).status_code == 422
    log = (fresh_world.settings.home / "audit.log").read_text(encoding="utf-8")
    assert odd not in log and odd.encode("unicode_escape").decode() not in log


def test_ingestion_rejects_odd_ids_with_the_same_rule() -> None:
    from data.cells import ident
    from matcher.records.models import RECORD_ID_PATTERN

    assert ident(" S-0001676 ") == "S-0001676" and RECORD_ID_PATTERN.match("adhoc-" + "f" * 32)
    for odd in ODD_IDS:
        with pytest.raises(ValueError, match="not an id"):
            ident(odd)


# --- pseudonym lookups --------------------------------------------------------------------------
def test_pseudonym_lookup_hashes_no_stored_ids(
    fresh_client: TestClient, fresh_world: World, ids: Ids, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card lookup deciphers the pseudonym; it no longer hashes every stored id (~100 ms a call,
    so one employer-service token could load the workers). Speed: ``training.bench.pseudonyms``."""
    from matcher.services.pseudonyms import Pseudonyms

    employer, admin = fresh_world.auth(Role.EMPLOYER_SERVICE), fresh_world.auth(Role.ADMIN)
    url = f"/v1/vacancies/{ids.vacancy}/candidates/"
    assert (
        fresh_client.get(url + fresh_world.pseudonym(ids.vacancy, ids.candidate), headers=employer).status_code == 200
    )
    hashed: list[str] = []
    number = Pseudonyms.number
    monkeypatch.setattr(Pseudonyms, "number", lambda self, cid: hashed.append(cid) or number(self, cid))
    for n in range(20):
        assert fresh_client.get(url + f"P-{n:02d}ABCDEFGH", headers=employer).status_code == 404
    assert (
        fresh_client.get(url + fresh_world.pseudonym(ids.vacancy, ids.candidate), headers=employer).status_code == 200
    )
    assert hashed == [ids.candidate]  # the card's own pseudonym, for the answer; no other id
    # a write anywhere (here: a new person) is seen by the next lookup
    person = {**ids.candidate_record, "id": "NEW-PERSON-1", "source_id": "NEW-PERSON-1"}
    assert fresh_client.put("/v1/candidates/NEW-PERSON-1", json=person, headers=admin).status_code in (200, 201)
    card = fresh_client.get(url + fresh_world.pseudonym(ids.vacancy, "NEW-PERSON-1"), headers=employer)
    assert card.status_code == 200, card.text


# --- applied_seq after a restart ------------------------------------------------------------------
def test_applied_seq_after_a_restart_shows_the_replayed_position(fresh_world: World, ids: Ids) -> None:
    import json

    from matcher.records.store import Store

    admin = fresh_world.auth(Role.ADMIN)
    with TestClient(create_app(fresh_world.settings)) as client:
        person = {**ids.candidate_record, "experience_years": 3.0}
        assert client.put(f"/v1/candidates/{ids.candidate}", json=person, headers=admin).status_code == 200
    store = Store(fresh_world.settings.store_url)
    last = store.last_change()
    store.close()
    with TestClient(create_app(fresh_world.settings)) as client:  # a restart: snapshot + replayed log
        indexes = client.get("/ready", headers=admin).json()["indexes"]
        assert {name: i["applied_seq"] for name, i in indexes.items()} == dict.fromkeys(indexes, last)
        client.post(
            f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 2}, headers=fresh_world.auth(Role.CASEWORKER)
        )
    record = json.loads(fresh_world.settings.audit_log.read_text(encoding="utf-8").splitlines()[-1])
    assert record["index_version"].endswith(f":{last}"), record["index_version"]
