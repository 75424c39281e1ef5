"""Loading registered re-rankers from the MLflow model registry, for serving.

Training registers every model under ``Settings.model_name`` and moves the ``champion`` alias;
this module only reads. It lives in the core so that the API can load a model without importing
``training``. Its functions take the tracking URI, the home's artifact folder and the model name
as plain values (the callers read them from their settings). MLflow is imported inside the
functions: ``import matcher`` stays light.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from matcher.errors import ModelNotFoundError
from matcher.ranking.calibration import Calibration
from matcher.ranking.reranker import LightGBMReranker
from matcher.records.private import private_dir, sqlite_file, touch_private

CHAMPION = "champion"
CHALLENGER = "challenger"
# File name of the booster inside an MLflow ``lightgbm`` flavour model folder.
_BOOSTER_FILE = "model.lgb"
# Key of the score -> probability map in the MLflow model's metadata (``MLmodel``), written by
# training.tracking. A version registered without it (before calibration existed, or from a window
# too small to fit one) loads and serves with ``probability`` null.
CALIBRATION_KEY = "kl_matcher_calibration"


@dataclass(frozen=True)
class RegisteredReranker:
    """A loaded model with where it came from."""

    reranker: LightGBMReranker
    name: str
    version: str
    run_id: str | None
    aliases: list[str]
    tags: dict[str, str]


def local_path(uri: str | None) -> Path | None:
    """The absolute local path of a ``file:`` URI or a plain path; None for remote stores."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(os.path.abspath(url2pathname(parsed.path)))
    if parsed.scheme == "":
        return Path(os.path.abspath(uri))
    return None


def owns_tracking_store(tracking_uri: str, artifact_dir: Path) -> bool:
    """Whether the tracking store is a home's own: the SQLite file beside its artifact folder.

    A home's own store is shared with no other home, so any artifact location in it that is not
    under ``artifact_dir`` was written by the home this one was copied from (a backup, a test
    copy): its experiments and model versions still name the original's absolute paths.
    """
    db = sqlite_file(tracking_uri)
    return db is not None and Path(os.path.abspath(db)).parent == Path(os.path.abspath(artifact_dir)).parent


def prepare_tracking_store(tracking_uri: str, artifact_dir: Path | None = None) -> None:
    """Create the SQLite tracking file 0600 and the artifact folder 0700 before MLflow does."""
    db = sqlite_file(tracking_uri)
    if db is not None:
        touch_private(db)
    if artifact_dir is not None:
        private_dir(artifact_dir)


def _client(tracking_uri: str, artifact_dir: Path) -> Any:
    from mlflow import MlflowClient

    prepare_tracking_store(tracking_uri, artifact_dir)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _under(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def in_this_home(tracking_uri: str, artifact_dir: Path, client: Any, uri: str) -> str:
    """``uri`` moved into this home's artifact folder when it points into the home copied from.

    In a home's own tracking store (:func:`owns_tracking_store`), a local artifact URI outside
    ``artifact_dir`` but under the artifact location of one of the store's experiments
    is re-rooted from that location onto ``artifact_dir`` (a copied home keeps the
    layout below it). Other URIs are returned as they are.

    Raises:
        ModelNotFoundError: the URI points into another home and this home has no copy.
    """
    from mlflow.entities import ViewType

    here = Path(os.path.abspath(artifact_dir))
    path = local_path(uri)
    if path is None or _under(path, here) or not owns_tracking_store(tracking_uri, here):
        return uri
    roots = [local_path(e.artifact_location) for e in client.search_experiments(view_type=ViewType.ALL)]
    matching = [r for r in roots if r is not None and not _under(r, here) and _under(path, r)]
    if not matching:
        return uri
    root = max(matching, key=lambda r: len(r.parts))
    moved = here / path.relative_to(root)
    if not moved.exists():
        raise ModelNotFoundError(
            f"the registry points at another home's files ({path}); this home has no copy of them at {moved}"
        )
    return moved.as_uri()


def _resolve(client: Any, name: str, ref: str) -> Any:
    """The model version for an alias (``champion``) or a version number (``3``)."""
    from mlflow.exceptions import MlflowException

    try:
        if ref.isdigit():
            return client.get_model_version(name, ref)
        return client.get_model_version_by_alias(name, ref)
    except MlflowException as exc:
        raise ModelNotFoundError(
            f"no model {name!r} at {'version' if ref.isdigit() else 'alias'} {ref!r} in the "
            f"registry; train one with `matcher train` ({exc.message.splitlines()[0]})"
        ) from exc


def _calibration(folder: Path, what: str) -> Calibration | None:
    """The calibration in a downloaded MLflow model folder's metadata; None when it has none.

    Raises:
        ModelNotFoundError: the metadata holds a calibration that is not valid.
    """
    from mlflow.models import Model

    metadata = Model.load(str(folder)).metadata or {}
    found = metadata.get(CALIBRATION_KEY)
    if found is None:
        return None
    try:
        return Calibration.from_json(found)
    except (TypeError, ValueError) as exc:
        raise ModelNotFoundError(f"{what} has an invalid calibration: {exc}") from exc


def load_model(tracking_uri: str, artifact_dir: Path, name: str, ref: str = CHAMPION) -> RegisteredReranker:
    """Load the registered LightGBM re-ranker ``name`` by alias or version number ``ref``.

    Args:
        tracking_uri: the MLflow tracking store (and registry).
        artifact_dir: the home's artifact folder (a copied home's model files are found there).

    Raises:
        ModelNotFoundError: no such model, alias or version, or its files are gone.
    """
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri, artifact_dir)
    version = _resolve(client, name, ref)
    try:
        download = client.get_model_version_download_uri(name, version.version)
        uri = in_this_home(tracking_uri, artifact_dir, client, download)
        with tempfile.TemporaryDirectory(prefix="kl-matcher-model-") as tmp:
            local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp, tracking_uri=tracking_uri)
            booster = Path(local) / _BOOSTER_FILE
            if not booster.is_file():
                raise ModelNotFoundError(f"model {name!r} version {version.version} has no {_BOOSTER_FILE}")
            calibration = _calibration(Path(local), f"model {name!r} version {version.version}")
            reranker = LightGBMReranker.load(booster, version=str(version.version), calibration=calibration)
    except (MlflowException, OSError) as exc:
        raise ModelNotFoundError(f"model {name!r} version {version.version} cannot be loaded: {exc}") from exc
    return RegisteredReranker(
        reranker=reranker,
        name=name,
        version=str(version.version),
        run_id=version.run_id,
        aliases=list(version.aliases),
        tags=dict(version.tags),
    )


def load_champion(tracking_uri: str, artifact_dir: Path, name: str) -> LightGBMReranker:
    """The current ``@champion`` re-ranker; its ``version`` is the registry version number.

    Raises:
        ModelNotFoundError: nothing is registered or no version carries the alias.
    """
    return load_model(tracking_uri, artifact_dir, name, CHAMPION).reranker


def _iso_ms(millis: int | None) -> str | None:
    from datetime import UTC, datetime

    return None if millis is None else datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


def describe_registered(tracking_uri: str, artifact_dir: Path, name: str, ref: str = CHAMPION) -> dict[str, Any]:
    """What the registry knows about a version: version, aliases, tags, its run's metrics and dates.

    MLflow keeps no timestamp for moving an alias, so ``promoted_at`` is the version tag
    ``promoted_at`` when training set one, else the end of the training run whose ``promoted``
    tag is ``true`` (the run moves ``@champion`` as it finishes), else None.

    Raises:
        ModelNotFoundError: no such model, alias or version, or the registry cannot be read.
    """
    client = _client(tracking_uri, artifact_dir)
    version = _resolve(client, name, ref)
    tags = dict(version.tags)
    metrics, run_info = _run_of(client, version, name) if version.run_id else ({}, {})
    promoted_at = tags.get("promoted_at")
    if promoted_at is None and run_info.get("promoted_by_run"):
        promoted_at = run_info["finished_at"]
    return {
        "name": name,
        "version": str(version.version),
        "aliases": list(version.aliases),
        "run_id": version.run_id,
        "registered_at": _iso_ms(version.creation_timestamp),
        "promoted_at": promoted_at,
        "tags": tags,
        "metrics": metrics,
        "run": run_info,
    }


def _run_of(client: Any, version: Any, name: str) -> tuple[dict[str, float], dict[str, Any]]:
    """A registered version's training run: its metrics, and its name, status, dates and whether
    it moved ``@champion`` (raises ModelNotFoundError when it cannot be read)."""
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(version.run_id)
    except MlflowException as exc:
        raise ModelNotFoundError(
            f"run {version.run_id} of {name!r} version {version.version} cannot be read: {exc.message.splitlines()[0]}"
        ) from exc
    return dict(run.data.metrics), {
        "run_name": run.info.run_name,
        "status": run.info.status,
        "started_at": _iso_ms(run.info.start_time),
        "finished_at": _iso_ms(run.info.end_time),
        "promoted_by_run": run.data.tags.get("promoted") == "true",
    }


# Artifacts of a training run that the data team's page shows (written by training.tracking).
RUN_TABLES = ("metrics.csv", "fairness.csv", "history_by_age.csv", "promotion.json")
RUN_FIGURES = ("fairness.png", "feature_importance.png")


def registered_versions(tracking_uri: str, artifact_dir: Path, name: str) -> list[dict[str, Any]]:
    """Every registered version of the model, newest first: version, aliases, run id, dates and
    the run's metrics (MLflow keys such as ``model.ndcg_at_10``, ``similarity.ndcg_at_10``).

    Raises:
        ModelNotFoundError: the registry cannot be read.
    """
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri, artifact_dir)
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException as exc:
        raise ModelNotFoundError(f"the registry cannot be read: {exc.message.splitlines()[0]}") from exc
    out = []
    for found in sorted(versions, key=lambda v: int(v.version), reverse=True):
        version = client.get_model_version(name, found.version)  # search results carry no aliases
        metrics: dict[str, float] = {}
        run_tags: dict[str, str] = {}
        finished = None
        if version.run_id:
            try:
                run = client.get_run(version.run_id)
            except MlflowException:
                run = None
            if run is not None:
                metrics, run_tags, finished = dict(run.data.metrics), dict(run.data.tags), _iso_ms(run.info.end_time)
        out.append(
            {
                "name": name,
                "version": str(version.version),
                "aliases": sorted(version.aliases),
                "run_id": version.run_id,
                "registered_at": _iso_ms(version.creation_timestamp),
                "finished_at": finished,
                "promoted": run_tags.get("promoted") == "true",
                "metrics": metrics,
            }
        )
    return out


def run_artifact(tracking_uri: str, artifact_dir: Path, run_id: str, path: str) -> bytes | None:
    """One artifact file of a run (``RUN_TABLES`` or ``RUN_FIGURES``), or None where the run has none.

    Raises:
        ValueError: ``path`` is not one of the files this function hands out.
    """
    from mlflow.exceptions import MlflowException

    if path not in RUN_TABLES + RUN_FIGURES:
        raise ValueError(f"not a run artifact of the data team's page: {path}")
    client = _client(tracking_uri, artifact_dir)
    try:
        run = client.get_run(run_id)
    except MlflowException:
        return None
    root = local_path(in_this_home(tracking_uri, artifact_dir, client, run.info.artifact_uri))
    if root is not None:  # a local store: read the file, no copy
        file = root / path
        return file.read_bytes() if file.is_file() else None
    with tempfile.TemporaryDirectory(prefix="kl-matcher-artifact-") as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except (MlflowException, OSError):
            return None
        return Path(local).read_bytes()
