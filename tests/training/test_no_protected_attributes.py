"""Protected attributes never reach the model: not as features, not through the dataset builder."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import update

from data.generate.oracle import load_oracle
from matcher.ranking.features import FEATURE_NAMES
from matcher.records.models import PROTECTED_ATTRIBUTE_NAMES
from matcher.records.store import Store, protected_table
from matcher.settings import Settings
from tests.training.conftest import RegistryRuns, small_config
from training import dataset, pipeline
from training.dataset import Datasets, TextEncoder

FORBIDDEN = (
    "gender",
    "geschlecht",
    "birth",
    "geburt",
    "age_group",
    "citizen",
    "nationality",
    "staatsangeh",
    "disab",
    "behinder",
    "registered_at",
)


def test_no_feature_names_a_protected_attribute_or_proxy() -> None:
    for name in FEATURE_NAMES:
        assert name not in PROTECTED_ATTRIBUTE_NAMES
        assert not any(word in name.lower() for word in FORBIDDEN), name


def test_registered_model_has_exactly_the_feature_names(registry_runs: RegistryRuns) -> None:
    from matcher.ranking.model_registry import load_champion

    s = registry_runs.settings
    booster = load_champion(s.tracking_uri, s.artifact_dir, s.model_name).booster
    assert list(booster.feature_name()) == list(FEATURE_NAMES)


def test_dataset_builder_never_reads_protected_attributes() -> None:
    for module in (dataset,):
        assert "protected_attributes(" not in inspect.getsource(module)
    # The pipeline reads them once, for the audit, after the sets are built.
    source = inspect.getsource(pipeline.run)
    assert source.index("protected_attributes(") > source.index("model = ")


def _scramble(store_url: str) -> None:
    """Invert every protected attribute in the store."""
    store = Store(store_url)
    with store.transaction() as conn:
        frame = pd.read_sql(protected_table.select(), conn)
        for row in frame.itertuples(index=False):
            conn.execute(
                update(protected_table)
                .where(protected_table.c.candidate_id == row.candidate_id)
                .values(
                    gender="d" if row.gender != "d" else "f",
                    birth_year=2012 - (int(row.birth_year or 1990) - 1940),
                    citizenship_group="third_country",
                    severe_disability=not bool(row.severe_disability),
                )
            )
    store.close()


def test_changing_protected_attributes_changes_no_feature(
    small_world: Path, small_datasets: Datasets, training_encoder: TextEncoder, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_world, home)
    settings = Settings(home=home)
    before = Store(settings.store_url).protected_attributes()
    _scramble(settings.store_url)
    after = Store(settings.store_url).protected_attributes()
    assert not before.equals(after)
    store = Store(settings.store_url)
    oracle = load_oracle(home / "world")
    rebuilt = pipeline.prepare(pipeline.TrainingInputs(small_config(), training_encoder, store, home / "cache", oracle))
    store.close()
    assert small_datasets.train is not None and rebuilt.train is not None
    for name in ("train", "test", "audit"):
        old, new = getattr(small_datasets, name), getattr(rebuilt, name)
        np.testing.assert_array_equal(old.features, new.features, err_msg=name)
        np.testing.assert_array_equal(old.labels, new.labels, err_msg=name)
        np.testing.assert_array_equal(old.vac, new.vac, err_msg=name)
