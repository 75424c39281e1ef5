"""Without model and indexes the app starts, says what is missing, and refuses to rank (503)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import issue_demo_tokens
from api.security import Role
from tests.api.conftest import home_settings


def test_starts_without_model_and_indexes(tmp_path: Path, default_encoder_dir: Path) -> None:
    settings = home_settings(tmp_path, str(default_encoder_dir))
    tokens = issue_demo_tokens(settings)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["status"] == "ok"
        admin = {"Authorization": f"Bearer {tokens[Role.ADMIN.value]}"}
        ready = client.get("/ready", headers=admin)
        assert ready.status_code == 503
        assert ready.json()["ready"] is False and {"model", "indexes"} <= set(ready.json()["problems"])
        for path in ("/v1/candidates/x/vacancies", "/v1/vacancies/x/candidates"):
            response = client.post(path, json={}, headers=admin)
            assert response.status_code == 503 and "cannot rank yet" in response.json()["detail"]
        assert client.get("/v1/candidates", headers=admin).json()["total"] == 0  # the store still reads
        assert client.post("/v1/model/reload", headers=admin).status_code == 503
        assert client.get("/v1/model", headers=admin).status_code == 503
