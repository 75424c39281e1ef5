"""``probability`` on every shortlist item and scored pair: in [0, 1], monotone in the score within
one model version, the same for a pair however it is asked; null for a model without calibration."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from matcher.ranking.model_registry import CHAMPION, load_model
from matcher.settings import Settings
from tests.api.conftest import Ids, World
from training import tracking
from training.config import TrainingConfig


def _monotone(items: list[dict[str, Any]]) -> None:
    """Probabilities in [0, 1] that never rise where the score falls."""
    assert items
    ranked = sorted(items, key=lambda i: -i["score"])
    chances = [i["probability"] for i in ranked]
    assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in chances), chances
    assert all(a >= b for a, b in zip(chances, chances[1:])), chances


def _post(client: TestClient, world: World, path: str, body: dict[str, Any], role: Role) -> dict[str, Any]:
    response = client.post(path, json=body, headers=world.auth(role))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_shortlists_in_both_directions_carry_probabilities(client: TestClient, api_world: World, ids: Ids) -> None:
    for path, role in (
        (f"/v1/candidates/{ids.candidate}/vacancies", Role.CASEWORKER),
        (f"/v1/vacancies/{ids.vacancy}/candidates", Role.EMPLOYER_SERVICE),
    ):
        body = _post(client, api_world, path, {"k": 25}, role)
        _monotone(body["items"])
        assert [i["rank"] for i in body["items"]] == list(range(1, len(body["items"]) + 1))
        assert body["model"]["version"] == "1"  # one model version answered


def test_ad_hoc_match_carries_probabilities(client: TestClient, api_world: World, ids: Ids) -> None:
    c = ids.candidate_record
    fields = ("ags", "postcode", "occupations", "skills", "level", "german_level", "licences", "has_car")
    fields += ("working_time", "hours_per_week", "profile_text")
    profile = {f: c[f] for f in fields}
    body = _post(client, api_world, "/v1/match/vacancies", {"profile": profile, "k": 10}, Role.CASEWORKER)
    _monotone(body["items"])


def test_scored_pairs_agree_with_the_shortlist(client: TestClient, api_world: World, ids: Ids) -> None:
    shortlist = _post(client, api_world, f"/v1/candidates/{ids.candidate}/vacancies", {"k": 8}, Role.CASEWORKER)
    pairs = [{"candidate_id": ids.candidate, "vacancy_id": i["id"]} for i in shortlist["items"]]
    scored = _post(client, api_world, "/v1/score", {"pairs": pairs, "include_reasons": False}, Role.CASEWORKER)
    _monotone(scored["items"])
    expected = [i["probability"] for i in shortlist["items"]]
    assert [s["probability"] for s in scored["items"]] == pytest.approx(expected, abs=2e-4)


def _register_without_calibration(settings: Settings) -> str:
    """The champion's booster registered again as a release before calibration did: no calibration."""
    from mlflow import MlflowClient

    model = load_model(settings.tracking_uri, settings.artifact_dir, settings.model_name).reranker
    assert model.calibration is not None  # training ships one
    model.calibration = None
    registry = tracking.Registry.of(settings)
    with tracking._active_run(registry, TrainingConfig()):  # this home's experiment and artifact folder
        version = tracking._log_model(model, settings.model_name)
    client = MlflowClient(settings.tracking_uri, settings.tracking_uri)
    client.set_registered_model_alias(settings.model_name, CHAMPION, version)
    return version


def test_a_model_without_calibration_serves_null(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    version = _register_without_calibration(fresh_world.settings)
    reload = fresh_client.post("/v1/model/reload", headers=fresh_world.auth(Role.DATA_TEAM))
    assert reload.status_code == 200, reload.text
    assert reload.json()["current"]["version"] == version
    path = f"/v1/candidates/{ids.candidate}/vacancies"
    body = _post(fresh_client, fresh_world, path, {"k": 5}, Role.CASEWORKER)
    assert body["model"]["version"] == version and body["items"]
    assert all(i["probability"] is None and i["score"] is not None for i in body["items"])
    pairs = [{"candidate_id": ids.candidate, "vacancy_id": body["items"][0]["id"]}]
    scored = _post(fresh_client, fresh_world, "/v1/score", {"pairs": pairs}, Role.CASEWORKER)
    assert scored["items"][0]["probability"] is None
