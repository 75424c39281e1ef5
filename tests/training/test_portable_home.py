"""A copied ``MATCHER_HOME`` (a backup, a test copy) trains and serves from its own files.

MLflow stores artifact locations as absolute paths, so a copied tracking store still names the
original home's artifact folder. Training in the copy must not write there, and the copy's
registry must load models from the copy's artifacts.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from mlflow import MlflowClient

from matcher.ranking.model_registry import in_this_home, load_model, local_path
from matcher.records.store import Store
from matcher.settings import Settings
from tests.training.conftest import CliRun, small_config
from training.dataset import TextEncoder


def _settings(home: Path) -> Settings:
    return Settings(home=home, MLFLOW_TRACKING_URI=f"sqlite:///{(home / 'mlflow.db').resolve()}")


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: size, mtime and content hash."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, _sha256(p))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _under(uri: str, folder: Path) -> bool:
    path = local_path(uri)
    return path is not None and path.is_relative_to(folder.resolve())


def test_training_in_a_copied_home_stays_in_the_copy(
    cli_trained: CliRun, training_encoder: TextEncoder, tmp_path: Path
) -> None:
    from data.generate.oracle import load_oracle
    from training.pipeline import TrainingInputs, run
    from training.tracking import Registry

    original = _settings(cli_trained.home)
    before = _snapshot(original.artifact_dir)
    db_before = _snapshot(original.home)["mlflow.db"]
    assert before, "the trained home has artifacts"

    copy = _settings(tmp_path / "copy")
    shutil.copytree(original.home, copy.home)
    client = MlflowClient(tracking_uri=copy.tracking_uri, registry_uri=copy.tracking_uri)
    first = cli_trained.result["model_version"]
    stale = client.get_model_version_download_uri(original.model_name, first)
    assert _under(stale, original.artifact_dir)  # what MLflow alone would read: the original's files
    assert _under(in_this_home(copy.tracking_uri, copy.artifact_dir, client, stale), copy.artifact_dir)

    store = Store(copy.store_url)
    try:
        oracle = load_oracle(copy.home / "world")
        inputs = TrainingInputs(small_config(), training_encoder, store, copy.embedding_cache_dir, oracle)
        result = run(inputs, Registry.of(copy))
    finally:
        store.close()

    # The original home is byte-for-byte as it was: same files, sizes, mtimes and contents.
    assert _snapshot(original.artifact_dir) == before
    assert _snapshot(original.home)["mlflow.db"] == db_before
    # The new run and its model live under the copy.
    new_run = client.get_run(result.run_id)
    assert _under(new_run.info.artifact_uri, copy.artifact_dir), new_run.info.artifact_uri
    model_uri = client.get_model_version_download_uri(copy.model_name, result.model_version)
    assert _under(model_uri, copy.artifact_dir), model_uri
    run_files = local_path(new_run.info.artifact_uri)
    assert run_files is not None and (run_files / "model_card.md").is_file()
    experiment = client.get_experiment(new_run.info.experiment_id)
    assert _under(experiment.artifact_location, copy.artifact_dir)

    # A copy of the copy, with the copy gone: both versions load from the second copy's files.
    second = _settings(tmp_path / "second")
    shutil.copytree(copy.home, second.home)
    shutil.rmtree(copy.home)
    for version in (first, result.model_version):
        loaded = load_model(second.tracking_uri, second.artifact_dir, second.model_name, version)
        assert loaded.version == version
    second_client = MlflowClient(tracking_uri=second.tracking_uri, registry_uri=second.tracking_uri)
    for version in (first, result.model_version):
        uri = second_client.get_model_version_download_uri(second.model_name, version)
        assert _under(in_this_home(second.tracking_uri, second.artifact_dir, second_client, uri), second.artifact_dir)
    assert _snapshot(original.artifact_dir) == before
