"""Shortlists, ad-hoc matches and pair scores: happy paths and every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from matcher.ranking.filters import FILTER_ORDER
from tests.api.conftest import Ids, World

DETAIL_KEYS = {
    "matched_skills",
    "missing_skills",
    "distance_km",
    "commute_minutes",
    "working_time",
    "licences",
    "language",
}


def _profile(ids: Ids, **changes: Any) -> dict[str, Any]:
    c = ids.candidate_record
    fields = (
        "ags",
        "postcode",
        "occupations",
        "skills",
        "level",
        "german_level",
        "licences",
        "has_car",
        "working_time",
        "hours_per_week",
        "profile_text",
    )
    return {**{f: c[f] for f in fields}, **changes}


def _check_shortlist(body: dict[str, Any], k: int, reasons: bool = True) -> None:
    assert 0 < len(body["items"]) <= k and body["k"] == k
    assert [i["rank"] for i in body["items"]] == list(range(1, len(body["items"]) + 1))
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert body["model"]["version"] == "1" and body["model"]["scorer"] == "lightgbm:1"
    assert body["index"]["kind"] == "exact" and body["index"]["count"] > 0
    assert set(FILTER_ORDER) <= set(body["excluded"])
    for item in body["items"]:
        assert item["facts"]
        if reasons:
            assert item["reasons"] and all(isinstance(r, str) for r in item["reasons"])
            assert set(item["details"]) >= DETAIL_KEYS
        else:
            assert item["reasons"] is None and item["details"] is None


def test_vacancies_for_candidate(client: TestClient, api_world: World, ids: Ids) -> None:
    response = client.post(
        f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 5}, headers=api_world.auth(Role.CASEWORKER)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    _check_shortlist(body, 5)
    assert body["query_id"] == ids.candidate and body["direction"] == "vacancies_for_candidate"
    assert any("Deutsch" in r or "Beruf" in r for i in body["items"] for r in i["reasons"])  # German reasons


def test_candidates_for_vacancy_without_body_and_reasons(client: TestClient, api_world: World, ids: Ids) -> None:
    headers = api_world.auth(Role.EMPLOYER_SERVICE)
    default = client.post(f"/v1/vacancies/{ids.vacancy}/candidates", headers=headers)
    assert default.status_code == 200, default.text
    assert default.json()["k"] == 10
    plain = client.post(
        f"/v1/vacancies/{ids.vacancy}/candidates",
        headers=headers,
        json={"k": 3, "include_reasons": False, "filters": {"enabled": False}},
    )
    _check_shortlist(plain.json(), 3, reasons=False)
    assert not any(plain.json()["excluded"].values())  # every filter off
    # the employer service sees pseudonymised cards: no postcode, no text, no protected attribute
    hidden = {"postcode", "ags", "profile_text", "source_id", "gender", "birth_year", "citizenship_group"}
    for item in default.json()["items"]:
        assert not hidden & set(item["facts"]), item["facts"]


def test_filters_count_what_they_exclude(client: TestClient, api_world: World, ids: Ids) -> None:
    response = client.post(
        f"/v1/candidates/{ids.candidate}/vacancies",
        headers=api_world.auth(Role.CASEWORKER),
        json={"k": 100, "filters": {"max_distance_km": 0.5, "working_time": False}},
    )
    body = response.json()
    assert response.status_code == 200 and body["excluded"]["distance"] > 0
    assert body["excluded"]["working_time"] == 0
    assert body["warnings"]  # fewer than k pass: said, not hidden


def test_ad_hoc_profile(client: TestClient, api_world: World, ids: Ids) -> None:
    profile = _profile(ids, profile_text="Ich suche Arbeit als Maurer, gerne auch auf dem Bau in Vollzeit.")
    total = client.get("/v1/candidates?limit=1", headers=api_world.auth(Role.ADMIN)).json()["total"]
    response = client.post(
        "/v1/match/vacancies", json={"profile": profile, "k": 4}, headers=api_world.auth(Role.CASEWORKER)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    _check_shortlist(body, 4)
    assert body["query_id"] == f"adhoc-{body['request_id']}"
    assert client.get("/v1/candidates?limit=1", headers=api_world.auth(Role.ADMIN)).json()["total"] == total


def test_thin_profile_is_refused_with_what_is_missing(client: TestClient, api_world: World, ids: Ids) -> None:
    response = client.post(
        "/v1/match/vacancies",
        json={"profile": _profile(ids, skills=[], profile_text="Arbeit")},
        headers=api_world.auth(Role.CASEWORKER),
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "insufficient profile", "missing": ["skills", "profile_text"]}


def test_score_pairs(client: TestClient, api_world: World, ids: Ids) -> None:
    masked = api_world.pseudonym(ids.vacancy, ids.candidate)
    pairs = [{"candidate_id": masked, "vacancy_id": ids.vacancy}] * 2
    response = client.post("/v1/score", json={"pairs": pairs}, headers=api_world.auth(Role.EMPLOYER_SERVICE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["candidate_id"] for i in body["items"]] == [masked, masked]  # the employer service's name
    unknown = client.post(
        "/v1/score",
        json={"pairs": [{"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}]},
        headers=api_world.auth(Role.EMPLOYER_SERVICE),
    )
    assert unknown.status_code == 404  # a customer number is no name on the employer service's cards
    assert len(body["items"]) == 2 and body["items"][0]["score"] == pytest.approx(body["items"][1]["score"])
    assert body["items"][0]["reasons"] and set(body["items"][0]["details"]) >= DETAIL_KEYS
    assert set(body["indexes"]) == {"candidates", "vacancies"}


def test_score_agrees_with_shortlist(client: TestClient, api_world: World, ids: Ids) -> None:
    shortlist = client.post(
        f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 3}, headers=api_world.auth(Role.CASEWORKER)
    ).json()
    pairs = [{"candidate_id": ids.candidate, "vacancy_id": i["id"]} for i in shortlist["items"]]
    scored = client.post("/v1/score", json={"pairs": pairs}, headers=api_world.auth(Role.CASEWORKER)).json()
    assert [s["score"] for s in scored["items"]] == pytest.approx([i["score"] for i in shortlist["items"]], abs=1e-4)


SHORTLIST = "/v1/candidates/{c}/vacancies"
BAD_INPUT = [
    ("k zero", SHORTLIST, {"k": 0}, 422),
    ("k too large", SHORTLIST, {"k": 101}, 422),
    ("k wrong type", SHORTLIST, {"k": "ten"}, 422),
    ("unknown option", SHORTLIST, {"k": 3, "explain": True}, 422),
    ("unknown filter", SHORTLIST, {"filters": {"max_salary": 3}}, 422),
    ("negative distance", SHORTLIST, {"filters": {"max_distance_km": -1}}, 422),
    ("bad date", SHORTLIST, {"filters": {"available_by": "31.12.2026"}}, 422),
    ("body not an object", SHORTLIST, [1, 2], 422),
    ("unknown candidate", "/v1/candidates/nobody/vacancies", {}, 404),
    ("unknown vacancy", "/v1/vacancies/nothing/candidates", {}, 404),
    ("profile missing", "/v1/match/vacancies", {"k": 3}, 422),
    (
        "profile bad postcode",
        "/v1/match/vacancies",
        {"profile": {"ags": "07312000", "postcode": "6765", "occupations": ["32122"], "level": 2}},
        422,
    ),
    (
        "profile bad licence",
        "/v1/match/vacancies",
        {
            "profile": {
                "ags": "07312000",
                "postcode": "67655",
                "occupations": ["32122"],
                "level": 2,
                "licences": ["Z9"],
                "skills": ["x"],
            }
        },
        422,
    ),
    ("no pairs", "/v1/score", {"pairs": []}, 422),
    ("too many pairs", "/v1/score", {"pairs": [{"candidate_id": "a", "vacancy_id": "b"}] * 201}, 422),
    ("unknown pair ids", "/v1/score", {"pairs": [{"candidate_id": "nobody", "vacancy_id": "b"}]}, 404),
]


@pytest.mark.parametrize(("path", "body", "code"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_a_clear_4xx(
    client: TestClient, api_world: World, ids: Ids, path: str, body: Any, code: int
) -> None:
    response = client.post(path.format(c=ids.candidate), json=body, headers=api_world.auth(Role.ADMIN))
    assert response.status_code == code, response.text
    assert response.json()["detail"]


def test_malformed_json(client: TestClient, api_world: World, ids: Ids) -> None:
    headers = {**api_world.auth(Role.CASEWORKER), "Content-Type": "application/json"}
    response = client.post(f"/v1/candidates/{ids.candidate}/vacancies", content=b'{"k": 3,', headers=headers)
    assert response.status_code == 422 and "JSON" in response.json()["detail"]


def test_validation_errors_do_not_echo_the_input(client: TestClient, api_world: World, ids: Ids) -> None:
    secret = "Frau Beispiel wohnt in der Musterstraße 1"
    profile = _profile(ids, profile_text=secret, level=9)
    response = client.post("/v1/match/vacancies", json={"profile": profile}, headers=api_world.auth(Role.CASEWORKER))
    assert response.status_code == 422 and secret not in response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_413(client: TestClient, api_world: World, ids: Ids, chunked: bool) -> None:
    big = b'{"k": 3, "pad": "' + b"x" * (api_world.settings.max_body_bytes + 10) + b'"}'
    headers = {**api_world.auth(Role.CASEWORKER), "Content-Type": "application/json"}
    content: Any = iter([big[i : i + 65536] for i in range(0, len(big), 65536)]) if chunked else big
    response = client.post(f"/v1/candidates/{ids.candidate}/vacancies", content=content, headers=headers)
    assert response.status_code == 413, response.text
    assert "larger than" in response.json()["detail"]


def test_lean_answers_match_their_response_schemas(client: TestClient, api_world: World, ids: Ids) -> None:
    """Shortlists and scores skip pydantic on the way out: their shape is checked here instead."""
    from api.schemas import ScoreResponse, ShortlistResponse

    caseworker = api_world.auth(Role.CASEWORKER)
    body = client.post(f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 5}, headers=caseworker).json()
    assert body["items"] and ShortlistResponse.model_validate(body).model_dump(mode="json") == body
    pair = {"candidate_id": ids.candidate, "vacancy_id": body["items"][0]["id"]}
    scored = client.post("/v1/score", json={"pairs": [pair]}, headers=api_world.auth(Role.ADMIN)).json()
    assert ScoreResponse.model_validate(scored).model_dump(mode="json") == scored
