"""The serving model: registry view, reload to a new @champion, a failed reload keeps the old one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

import matcher.services.serving
from api.security import Role
from matcher.errors import ModelNotFoundError
from matcher.ranking.model_registry import CHAMPION
from matcher.settings import Settings
from tests.api.conftest import Ids, World
from training.tracking import tracking_to


def _new_champion(settings: Settings) -> str:
    """Register the champion's model once more and move @champion to the new version."""
    uri = settings.tracking_uri
    # MLflow resolves a "models:/" source with the global client: point it here for the block.
    with tracking_to(uri):
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        current = client.get_model_version_by_alias(settings.model_name, CHAMPION)
        new = client.create_model_version(settings.model_name, source=current.source, run_id=current.run_id)
        client.set_registered_model_alias(settings.model_name, CHAMPION, new.version)
    return str(new.version)


def _serving_version(client: TestClient, world: World, ids: Ids) -> str:
    response = client.post(
        f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 2}, headers=world.auth(Role.CASEWORKER)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["model"]["version"])


def test_describe_model(client: TestClient, api_world: World) -> None:
    body = client.get("/v1/model", headers=api_world.auth(Role.DATA_TEAM)).json()
    assert body["serving"]["version"] == "1" and body["champion"]["version"] == "1"
    assert "model.ndcg_at_10" in body["champion"]["metrics"]
    assert body["champion"]["promoted_at"] and body["champion"]["registered_at"]
    assert CHAMPION in body["champion"]["aliases"] and body["reload_needed"] is False


def test_reload_swaps_to_the_new_champion(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    headers = fresh_world.auth(Role.DATA_TEAM)
    version = _new_champion(fresh_world.settings)
    assert fresh_client.get("/v1/model", headers=headers).json()["reload_needed"] is True
    assert _serving_version(fresh_client, fresh_world, ids) == "1"  # nothing changes until reload
    response = fresh_client.post("/v1/model/reload", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["changed"] and response.json()["previous"]["version"] == "1"
    assert response.json()["current"]["version"] == version == _serving_version(fresh_client, fresh_world, ids)


def test_failed_reload_keeps_the_old_model(
    fresh_client: TestClient, fresh_world: World, ids: Ids, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise ModelNotFoundError("model files are gone")

    monkeypatch.setattr(matcher.services.serving, "load_model", broken)
    response = fresh_client.post("/v1/model/reload", headers=fresh_world.auth(Role.ADMIN))
    assert response.status_code == 409
    assert "model files are gone" in response.json()["detail"] and response.json()["serving"] == "1"
    assert _serving_version(fresh_client, fresh_world, ids) == "1"
    assert fresh_client.get("/ready", headers=fresh_world.auth(Role.ADMIN)).status_code == 200
