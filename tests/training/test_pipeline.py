"""End to end: ``matcher train --json`` and ``matcher evaluate`` on a small generated world."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from matcher.errors import ModelNotFoundError
from matcher.ranking.features import FEATURE_NAMES
from matcher.ranking.model_registry import load_champion, load_model
from matcher.ranking.reranker import LightGBMReranker
from matcher.settings import Settings
from tests.training.conftest import CliRun, RegistryRuns

RANKERS = ("model", "embedding", "lexical", "rules", "oracle")
METRICS = ("ndcg@10", "map", "mrr", "recall@10", "recall@50")
ATTRIBUTES = ("gender", "age_group", "citizenship_group", "severe_disability")

pytestmark = pytest.mark.slow


def _champion(settings: Settings) -> LightGBMReranker:
    return load_champion(settings.tracking_uri, settings.artifact_dir, settings.model_name)


def test_train_json_contract(cli_trained: CliRun) -> None:
    result = cli_trained.result
    assert isinstance(result["run_id"], str) and result["run_id"]
    assert result["model_version"] == "1"
    assert isinstance(result["promoted"], bool)
    assert set(RANKERS) <= set(result["metrics"])
    for ranker in RANKERS:
        values = result["metrics"][ranker]
        assert set(METRICS) <= set(values), ranker
        assert all(0.0 <= values[m] <= 1.0 for m in METRICS), (ranker, values)
    assert set(ATTRIBUTES) <= set(result["fairness"])
    for groups in result["fairness"].values():
        assert groups
        for values in groups.values():
            assert "exposure_ratio" in values and "ndcg@10" in values
    assert {"<25", "25-49", "50+"} & set(result["fairness"]["age_group"])
    assert "training LambdaMART" in cli_trained.stderr  # progress goes to stderr


def test_model_beats_similarity_and_the_oracle_is_the_utility_ceiling(cli_trained: CliRun) -> None:
    metrics = cli_trained.result["metrics"]
    assert metrics["model"]["ndcg@10"] > metrics["embedding"]["ndcg@10"]
    assert metrics["model"]["ndcg@10"] > 0.3
    # On outcome labels the oracle is no ceiling (unproposed good matches count 0); on utility it is.
    oracle = metrics["oracle"]
    assert oracle["ndcg@10_utility"] == pytest.approx(1.0) and oracle["spearman_utility"] == pytest.approx(1.0)
    for ranker in ("model", "embedding", "lexical", "rules"):
        assert metrics[ranker]["ndcg@10_utility"] < 1.0 and metrics[ranker]["spearman_utility"] < 1.0
    ratio = metrics["model"]["ndcg@10"] / oracle["ndcg@10"]
    assert metrics["model"]["ndcg@10_of_oracle"] == pytest.approx(ratio)
    assert metrics["model"]["ndcg@10_vs_embedding"] > 1.0


def test_run_logs_params_metrics_and_artifacts(cli_trained: CliRun) -> None:
    settings = Settings(home=cli_trained.home)
    client = MlflowClient(tracking_uri=settings.tracking_uri)
    run = client.get_run(cli_trained.result["run_id"])
    assert run.data.params["negatives_train"] == "15"
    assert "model.ndcg_at_10" in run.data.metrics
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    expected = {
        "model_card.md",
        "fairness.csv",
        "fairness.md",
        "fairness.png",
        "metrics.csv",
        "feature_importance.png",
        "features.json",
        "history_by_age.csv",
    }
    assert expected <= names
    local = client.download_artifacts(run.info.run_id, "features.json", str(cli_trained.home))
    with open(local, encoding="utf-8") as handle:
        assert json.load(handle) == list(FEATURE_NAMES)


def test_first_fair_model_is_champion(registry_runs: RegistryRuns) -> None:
    assert registry_runs.first.promoted, registry_runs.first.decision
    champion = _champion(registry_runs.settings)
    assert isinstance(champion, LightGBMReranker)
    assert champion.version == registry_runs.first.model_version


def test_worse_model_is_refused_but_becomes_challenger(registry_runs: RegistryRuns) -> None:
    first, shuffled = registry_runs.first, registry_runs.shuffled
    assert shuffled.metrics["model"]["ndcg@10"] < first.metrics["model"]["ndcg@10"]
    assert not shuffled.promoted
    assert any("does not beat" in reason for reason in shuffled.decision)
    assert shuffled.previous_champion == first.model_version
    assert _champion(registry_runs.settings).version == first.model_version
    s = registry_runs.settings
    challenger = load_model(s.tracking_uri, s.artifact_dir, s.model_name, "challenger")
    assert challenger.version == shuffled.model_version


def test_evaluate_compares_champion_and_challenger(registry_runs: RegistryRuns, cli_env: dict[str, str]) -> None:
    from training.cli import app

    env = {**cli_env, "MATCHER_HOME": str(registry_runs.settings.home)}
    result = CliRunner().invoke(app, ["evaluate", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["a"]["version"] == registry_runs.first.model_version
    assert report["b"]["version"] == registry_runs.shuffled.model_version
    assert report["better"] == "champion"
    # Same test window as training: the champion's NDCG@10 is reproduced.
    assert report["metrics"]["champion"]["ndcg@10"] == pytest.approx(
        registry_runs.first.metrics["model"]["ndcg@10"], abs=1e-9
    )


def test_no_model_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotFoundError, match="matcher train"):
        _champion(Settings(home=tmp_path))
