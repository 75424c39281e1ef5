"""The one module of training that talks to MLflow.

A run logs the config as params, the metrics of the model and the baselines, the fairness and
history tables, plots, a model card, and the LightGBM booster as an MLflow model that is
registered under ``Settings.model_name``. Every new version gets the ``challenger`` alias; the
``champion`` alias moves only when the pipeline's promotion decision says so (registry aliases,
not the deprecated stages). Loading for serving lives in :mod:`matcher.ranking.model_registry`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.errors import ModelNotFoundError
from matcher.ranking.features import FEATURE_NAMES
from matcher.ranking.model_registry import (
    CALIBRATION_KEY,
    CHALLENGER,
    CHAMPION,
    RegisteredReranker,
    load_model,
    local_path,
    owns_tracking_store,
    prepare_tracking_store,
)
from matcher.ranking.reranker import LightGBMReranker
from matcher.records.private import private_dir
from matcher.services.release import record_promotion
from matcher.settings import Settings
from training.calibrate import CalibrationReport
from training.config import TrainingConfig


@dataclass(frozen=True)
class Registry:
    """Where training logs its runs and registers its models: plain values, not the settings."""

    tracking_uri: str
    artifact_dir: Path
    model_name: str  # the serving model's registered name
    actor: str = "cli"  # who trains: a staff id (recorded on the version it registers or promotes)

    @classmethod
    def of(cls, settings: Settings, actor: str = "cli") -> Registry:
        return cls(settings.tracking_uri, settings.artifact_dir, settings.model_name, actor)


_MLFLOW_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
_INVALID_KEY = re.compile(r"[^0-9A-Za-z_\-. /]")
_KEY_WORDS = {"@": "_at_", "<": "lt", "+": "plus"}


def metric_key(*parts: str) -> str:
    """An MLflow-safe key: ``model.ndcg@10`` -> ``model.ndcg_at_10``, ``50+`` -> ``50plus``."""
    key = ".".join(parts)
    for char, word in _KEY_WORDS.items():
        key = key.replace(char, word)
    return _INVALID_KEY.sub("_", key)


@dataclass(frozen=True)
class RunArtifacts:
    """What a run writes besides params and metrics (tables as DataFrames, texts, figures)."""

    metrics: pd.DataFrame  # rankers x metrics
    fairness: pd.DataFrame
    history: pd.DataFrame
    importance: pd.Series
    model_card: str
    decision: dict[str, Any]
    figures: Mapping[str, Callable[[Path], None]]  # file name -> writes the figure there
    tables_md: Mapping[str, str]
    calibration: CalibrationReport | None = None  # logged as metrics and calibration.json


@contextmanager
def tracking_to(tracking_uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at the settings' store for the block, then restore.

    ``mlflow.set_tracking_uri`` also writes ``MLFLOW_TRACKING_URI`` (and the registry's) into
    the process environment, where ``Settings`` would pick it up: a later run or the API in the
    same process would then silently use this run's store.
    """
    import mlflow

    saved = {key: os.environ.get(key) for key in _MLFLOW_ENV}
    prepare_tracking_store(tracking_uri)  # a SQLite store is created 0600, before MLflow opens it
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(saved["MLFLOW_TRACKING_URI"])  # type: ignore[arg-type]
        mlflow.set_registry_uri(saved["MLFLOW_REGISTRY_URI"])  # type: ignore[arg-type]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _experiment_id(name: str, artifact_location: str | None, tracking_uri: str) -> str:
    """The experiment, with its artifacts under ``MATCHER_HOME`` (not the cwd), created if need be.

    MLflow keeps an experiment's artifact location as an absolute path. In a copied home (a
    backup, a test copy) the experiment found by name still points into the original home, and
    its runs and logged models would be written there. So when the store is the home's own
    (:func:`matcher.ranking.model_registry.owns_tracking_store`) and the experiment's location is not
    under ``artifact_location``, that experiment is renamed out of the way (its runs stay, under
    ``<name> (artifacts of another home, #<id>)``) and a new one under this home takes the name.
    A shared store (a tracking server, a SQLite file elsewhere) is left as it is.
    """
    import mlflow

    wanted = local_path(artifact_location) if artifact_location else None
    if wanted is not None:
        private_dir(wanted)
    found = mlflow.get_experiment_by_name(name)
    if found is None:
        return str(mlflow.create_experiment(name, artifact_location=artifact_location))
    if wanted is None or not owns_tracking_store(tracking_uri, wanted):
        return str(found.experiment_id)
    location = local_path(found.artifact_location)
    if location is not None and (location == wanted or location.is_relative_to(wanted)):
        return str(found.experiment_id)
    client = mlflow.MlflowClient()
    client.rename_experiment(found.experiment_id, f"{name} (artifacts of another home, #{found.experiment_id})")
    client.set_experiment_tag(found.experiment_id, "kl_matcher.artifacts_elsewhere", str(found.artifact_location))
    return str(mlflow.create_experiment(name, artifact_location=artifact_location))


def log_encoder_build(
    tracking_uri: str,
    artifact_location: str | None,
    experiment: str,
    params: Mapping[str, object],
    metrics: Mapping[str, float],
    model_dir: Path | None,
) -> str:
    """Log an encoder build (params, German eval, the model folder) as a run; returns its id."""
    import mlflow

    with tracking_to(tracking_uri):
        experiment_id = _experiment_id(experiment, artifact_location, tracking_uri)
        with mlflow.start_run(experiment_id=experiment_id, run_name="default-encoder") as run:
            mlflow.log_params(dict(params))
            mlflow.log_metrics(dict(metrics))
            if model_dir is not None:
                mlflow.log_artifacts(str(model_dir), artifact_path="model")
            return str(run.info.run_id)


def current_champion(registry: Registry, name: str) -> RegisteredReranker | None:
    """The registered ``@champion``, or None when there is none yet.

    A champion built on another feature list cannot score this code's features; it is treated
    as absent, so the new model is judged like a first one (fairness gate only).
    """
    try:
        return load_model(registry.tracking_uri, registry.artifact_dir, name, CHAMPION)
    except ModelNotFoundError:
        return None
    except ValueError as exc:
        if "differ from this code's" not in str(exc):
            raise
        return None


def _plot_importance(importance: pd.Series, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: training runs headless
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    importance.sort_values().plot.barh(ax=ax)
    ax.set_xlabel("total gain")
    ax.set_title("LambdaMART feature importance")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _write_artifacts(out: Path, artifacts: RunArtifacts) -> None:
    artifacts.metrics.to_csv(out / "metrics.csv", index_label="ranker")
    artifacts.fairness.to_csv(out / "fairness.csv", index=False)
    artifacts.history.to_csv(out / "history_by_age.csv", index=False)
    for name, text in artifacts.tables_md.items():
        (out / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    artifacts.importance.to_csv(out / "feature_importance.csv", header=["gain"])
    _plot_importance(artifacts.importance, out / "feature_importance.png")
    (out / "features.json").write_text(json.dumps(list(FEATURE_NAMES), indent=1), encoding="utf-8")
    (out / "model_card.md").write_text(artifacts.model_card, encoding="utf-8")
    for file_name, draw in artifacts.figures.items():
        draw(out / file_name)
    (out / "promotion.json").write_text(json.dumps(artifacts.decision, indent=1), encoding="utf-8")
    if artifacts.calibration is not None:
        report = json.dumps(artifacts.calibration.to_json(), indent=1, allow_nan=False)
        (out / "calibration.json").write_text(report, encoding="utf-8")


def _flat_metrics(metrics: pd.DataFrame, fairness: pd.DataFrame) -> dict[str, float]:
    flat = {
        metric_key(ranker, column): float(value)
        for ranker, row in metrics.iterrows()
        for column, value in row.items()
        if pd.notna(value)
    }
    for record in fairness.to_dict(orient="records"):
        for column in ("exposure_ratio", "ndcg@10"):
            value = record.get(column)
            if value is not None and pd.notna(value):
                flat[metric_key("fairness", record["attribute"], record["group"], column)] = float(value)
    return flat


def _log_model(model: LightGBMReranker, name: str) -> str:
    """Log the booster with a signature over the features; register it; return the version.

    The model's calibration travels in the MLflow model's metadata (``MLmodel``, key
    :data:`matcher.ranking.model_registry.CALIBRATION_KEY`), so the registered version carries it and
    :func:`matcher.ranking.model_registry.load_model` loads it with the booster.
    """
    import lightgbm
    import mlflow.lightgbm
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    signature = ModelSignature(inputs=Schema([ColSpec("float", f) for f in FEATURE_NAMES]))
    info = mlflow.lightgbm.log_model(
        model.booster,
        name="model",
        signature=signature,
        registered_model_name=name,
        # Explicit requirements: inferring them imports and probes the environment (slow).
        pip_requirements=[f"lightgbm=={lightgbm.__version__}"],
        metadata=None if model.calibration is None else {CALIBRATION_KEY: model.calibration.to_json()},
    )
    if info.registered_model_version is None:
        raise RuntimeError(f"MLflow did not register {name!r}")
    return str(info.registered_model_version)


@contextmanager
def _active_run(registry: Registry, config: TrainingConfig) -> Iterator[str]:
    import mlflow

    prepare_tracking_store(registry.tracking_uri, registry.artifact_dir)
    with tracking_to(registry.tracking_uri):
        experiment = _experiment_id(config.experiment_name, registry.artifact_dir.as_uri(), registry.tracking_uri)
        with mlflow.start_run(experiment_id=experiment) as run:
            yield str(run.info.run_id)


def log_training(
    registry: Registry, config: TrainingConfig, model: LightGBMReranker, artifacts: RunArtifacts, promote: bool
) -> tuple[str, str]:
    """Log one training run, register the model, set ``challenger`` (and ``champion``).

    Returns:
        (run id, registered version).
    """
    import mlflow
    from mlflow import MlflowClient

    name = config.model_name(registry.model_name)
    with _active_run(registry, config) as run_id:
        mlflow.log_params(config.to_params())
        mlflow.log_metrics(_flat_metrics(artifacts.metrics, artifacts.fairness))
        if artifacts.calibration is not None:
            mlflow.log_metrics(artifacts.calibration.metrics())
        with tempfile.TemporaryDirectory(prefix="kl-matcher-run-") as tmp:
            _write_artifacts(Path(tmp), artifacts)
            mlflow.log_artifacts(tmp)
        version = _log_model(model, name)
        mlflow.set_tag("promoted", str(promote).lower())
    client = MlflowClient(tracking_uri=registry.tracking_uri, registry_uri=registry.tracking_uri)
    model_metrics = artifacts.metrics.loc["model"]
    for metric, value in model_metrics.items():
        client.set_model_version_tag(name, version, metric_key(str(metric)), f"{value:.6f}")
    client.set_model_version_tag(name, version, "run_id", run_id)
    client.set_model_version_tag(name, version, "registered_by", registry.actor)
    client.set_registered_model_alias(name, CHALLENGER, version)
    if promote:  # tags promoted_by and promoted_at, moves @champion, appends to the promotion history
        record_promotion(client, name, version, registry.actor)
    return run_id, version
