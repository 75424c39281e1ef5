"""POST /v1/occupations/suggest: the contract's shape, every role, 422 for bad input, 503 unloaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import issue_demo_tokens
from api.security import Role
from tests.api.conftest import World, home_settings

PATH = "/v1/occupations/suggest"
ITEM_KEYS = {"kldb", "title_de", "esco_uri", "esco_title_de", "score"}


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role))
def test_every_role_gets_codes_best_first(client: TestClient, api_world: World, role: Role) -> None:
    response = client.post(PATH, json={"text": "Staplerfahrer Nachtschicht", "k": 5}, headers=api_world.auth(role))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items"} and len(body["items"]) == 5
    assert all(set(item) == ITEM_KEYS for item in body["items"])
    assert body["items"][0]["kldb"] == "52531"
    assert body["items"][0]["esco_uri"].startswith("http://data.europa.eu/esco/occupation/")
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_k_defaults_to_five(client: TestClient, api_world: World) -> None:
    response = client.post(PATH, json={"text": "Bäckerin"}, headers=api_world.auth(Role.CASEWORKER))
    assert response.status_code == 200 and len(response.json()["items"]) == 5


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 201},
        {"text": "Bäcker", "k": 0},
        {"text": "Bäcker", "k": 21},
        {"text": "Bäcker", "k": "viele"},
        {"k": 5},
        {"text": "Bäcker", "extra": 1},
        {"text": 5},
    ],
)
def test_bad_input_is_422_with_a_message(client: TestClient, api_world: World, body: dict[str, object]) -> None:
    response = client.post(PATH, json=body, headers=api_world.auth(Role.EMPLOYER_SERVICE))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail and (isinstance(detail, str) or all(error["msg"] for error in detail))


def test_needs_a_token(client: TestClient) -> None:
    assert client.post(PATH, json={"text": "Bäcker"}).status_code == 401


def test_without_the_engine_it_is_503(tmp_path: Path, default_encoder_dir: Path) -> None:
    settings = home_settings(tmp_path, str(default_encoder_dir))
    tokens = issue_demo_tokens(settings)
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {tokens[Role.ADMIN.value]}"}
        response = client.post(PATH, json={"text": "Bäcker"}, headers=admin)
        assert response.status_code == 503 and "encoder" in response.json()["detail"]


# Titles as a job seeker from Romania, Bulgaria or Syria writes them: the encoder learnt ESCO's
# labels in those languages, the index holds German labels only.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "code"),
    [("șofer de camion", "52122"), ("готвач", "29302"), ("خباز", "29222")],
    ids=["ro-truck-driver", "bg-cook", "ar-baker"],
)
def test_a_title_in_another_language_finds_its_german_occupation(
    client: TestClient, api_world: World, text: str, code: str
) -> None:
    response = client.post(PATH, json={"text": text, "k": 5}, headers=api_world.auth(Role.CASEWORKER))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert code in [item["kldb"] for item in items], items
    assert all(item["title_de"] for item in items)
