"""Fixtures of the training tests: a small generated world, ingested, trained once per session.

The world (1,000 job seekers, 300 open vacancies) is generated and ingested into a temporary
``MATCHER_HOME``; copies of it are trained on by ``matcher train --json`` (``cli_trained``) and by
the pipeline twice into one registry (``registry_runs``: a real model, then a worse one), each
into a temporary SQLite MLflow store.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.ranking.reranker import LightGBMReranker
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.settings import Settings
from training.config import TrainingConfig
from training.dataset import Datasets, TextEncoder
from training.pipeline import TrainingResult

# Fewer people leave LambdaMART a few hundred relevant training queries: too few to beat the
# hand-weighted rule score reliably (it still beats embedding similarity from ~1,000 people).
WORLD_CANDIDATES = 1000
WORLD_VACANCIES = 300
WORLD_SEED = 7


@pytest.fixture(scope="session")
def training_encoder(default_encoder: TextEncoder) -> TextEncoder:
    """The encoder the training tests embed with (swap here to test another one)."""
    return default_encoder


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated and ingested world: ``$MATCHER_HOME`` with ``world/`` and the store."""
    from data.generate import WorldConfig, generate_world
    from data.ingest import ingest_folder

    home = tmp_path_factory.mktemp("world-home")
    config = WorldConfig(candidates=WORLD_CANDIDATES, vacancies=WORLD_VACANCIES, seed=WORLD_SEED)
    generate_world(home / "world", config)
    store = Store(Settings(home=home).store_url)
    ingest_folder(home / "world", store, ReferenceData(), home / "rejects", progress=False)
    store.close()
    return home


def small_config() -> TrainingConfig:
    """The groups of a 1,000-person world are too small for a stable exposure ratio, so this
    config reports them without gating (``test_fairness_gate`` covers the gate itself). The API's
    300-person world has about 150 proposals in its calibration window, fewer than the default
    minimum of 200: 50 here, so that its model ships a calibration the API tests can serve."""
    return TrainingConfig(fairness_min_support=1_000_000, calibration_min_rows=50)


def copy_world(small_world: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A fresh ``MATCHER_HOME`` holding the small world's export folder and store."""
    home = tmp_path_factory.mktemp(name)
    shutil.copytree(small_world, home, dirs_exist_ok=True)
    return home


@dataclass(frozen=True)
class CliRun:
    home: Path
    result: dict[str, Any]
    stderr: str


@pytest.fixture(scope="session")
def cli_env(default_encoder_dir: Path) -> dict[str, str]:
    return {"MATCHER_ENCODER": str(default_encoder_dir), "MLFLOW_DISABLE_TELEMETRY": "true"}


@pytest.fixture(scope="session")
def cli_trained(small_world: Path, cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """``matcher train --json`` on a copy of the small world, into a fresh MLflow store."""
    from training.cli import app

    home = copy_world(small_world, tmp_path_factory, "cli-home")
    result = CliRunner().invoke(app, ["train", "--json"], env={**cli_env, "MATCHER_HOME": str(home)})
    assert result.exit_code == 0, result.stderr + result.stdout
    return CliRun(home, json.loads(result.stdout), result.stderr)


@dataclass(frozen=True)
class RegistryRuns:
    """Two runs into one registry: a real model, then one trained on shuffled labels."""

    settings: Settings
    first: TrainingResult
    shuffled: TrainingResult


def shuffled_trainer(data: Datasets, config: TrainingConfig) -> LightGBMReranker:
    """A model that learnt nothing: labels permuted within each training query."""
    assert data.train is not None
    train = data.train.with_relevant()
    rng = np.random.default_rng(0)
    bounds = train.bounds()
    labels = train.labels.copy()
    for q in range(len(bounds) - 1):
        labels[bounds[q] : bounds[q + 1]] = rng.permutation(labels[bounds[q] : bounds[q + 1]])
    return LightGBMReranker.fit(train.features, labels, train.group_sizes(), config.params)


@pytest.fixture(scope="session")
def registry_runs(
    small_world: Path, training_encoder: TextEncoder, tmp_path_factory: pytest.TempPathFactory
) -> RegistryRuns:
    from data.generate.oracle import load_oracle
    from training.pipeline import TrainingInputs, run
    from training.tracking import Registry

    home = copy_world(small_world, tmp_path_factory, "registry-home")
    settings = Settings(home=home)
    store = Store(settings.store_url)
    inputs = TrainingInputs(small_config(), training_encoder, store, home / "cache", load_oracle(home / "world"))
    registry = Registry.of(settings)
    first = run(inputs, registry)
    shuffled = run(inputs, registry, trainer=shuffled_trainer)
    store.close()
    return RegistryRuns(settings, first, shuffled)


@pytest.fixture(scope="session")
def small_datasets(small_world: Path, training_encoder: TextEncoder) -> Datasets:
    """The small world's learning-to-rank sets (embeddings cached under the world's home)."""
    from data.generate.oracle import load_oracle
    from training.pipeline import TrainingInputs, prepare

    store = Store(Settings(home=small_world).store_url)
    oracle = load_oracle(small_world / "world")
    data = prepare(TrainingInputs(small_config(), training_encoder, store, small_world / "cache", oracle))
    store.close()
    return data
