"""Loading registered re-rankers from the MLflow model registry, for serving.

Training registers every model under ``Settings.model_name`` and moves the ``champion`` alias;
this module only reads. It lives in the core so that the API can load a model without importing
``training``. MLflow is imported inside the functions: ``import matcher`` stays light.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.errors import ModelNotFoundError
from matcher.reranker import LightGBMReranker
from matcher.settings import Settings

CHAMPION = "champion"
CHALLENGER = "challenger"
# File name of the booster inside an MLflow ``lightgbm`` flavour model folder.
_BOOSTER_FILE = "model.lgb"


@dataclass(frozen=True)
class RegisteredReranker:
    """A loaded model with where it came from."""

    reranker: LightGBMReranker
    name: str
    version: str
    run_id: str | None
    aliases: list[str]
    tags: dict[str, str]


def _client(settings: Settings) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.tracking_uri)


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


def load_registered(settings: Settings, ref: str = CHAMPION,
                    name: str | None = None) -> RegisteredReranker:  # fmt: skip
    """Load a registered LightGBM re-ranker by alias or version number.

    Raises:
        ModelNotFoundError: no such model, alias or version, or its files are gone.
    """
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    name = name or settings.model_name
    client = _client(settings)
    version = _resolve(client, name, ref)
    try:
        uri = client.get_model_version_download_uri(name, version.version)
        with tempfile.TemporaryDirectory(prefix="kl-matcher-model-") as tmp:
            local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp,
                                                        tracking_uri=settings.tracking_uri)  # fmt: skip
            booster = Path(local) / _BOOSTER_FILE
            if not booster.is_file():
                raise ModelNotFoundError(f"model {name!r} version {version.version} has no {_BOOSTER_FILE}")
            reranker = LightGBMReranker.load(booster, version=str(version.version))
    except (MlflowException, OSError) as exc:
        raise ModelNotFoundError(f"model {name!r} version {version.version} cannot be loaded: {exc}") from exc
    return RegisteredReranker(
        reranker=reranker, name=name, version=str(version.version), run_id=version.run_id,
        aliases=list(version.aliases), tags=dict(version.tags),
    )  # fmt: skip


def load_champion(settings: Settings) -> LightGBMReranker:
    """The current ``@champion`` re-ranker; its ``version`` is the registry version number.

    Raises:
        ModelNotFoundError: nothing is registered or no version carries the alias.
    """
    return load_registered(settings, CHAMPION).reranker


def _iso_ms(millis: int | None) -> str | None:
    from datetime import UTC, datetime

    return None if millis is None else datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


def describe_registered(settings: Settings, ref: str = CHAMPION, name: str | None = None) -> dict[str, Any]:
    """What the registry knows about a version: version, aliases, tags, its run's metrics and dates.

    MLflow keeps no timestamp for moving an alias, so ``promoted_at`` is the version tag
    ``promoted_at`` when training set one, else the end of the training run whose ``promoted``
    tag is ``true`` (the run moves ``@champion`` as it finishes), else None.

    Raises:
        ModelNotFoundError: no such model, alias or version, or the registry cannot be read.
    """
    from mlflow.exceptions import MlflowException

    name = name or settings.model_name
    client = _client(settings)
    version = _resolve(client, name, ref)
    tags = dict(version.tags)
    metrics: dict[str, float] = {}
    run_info: dict[str, Any] = {}
    promoted_at = tags.get("promoted_at")
    if version.run_id:
        try:
            run = client.get_run(version.run_id)
        except MlflowException as exc:
            raise ModelNotFoundError(f"run {version.run_id} of {name!r} version {version.version} "
                                     f"cannot be read: {exc.message.splitlines()[0]}") from exc  # fmt: skip
        metrics = dict(run.data.metrics)
        run_info = {"run_name": run.info.run_name, "status": run.info.status,
                    "started_at": _iso_ms(run.info.start_time), "finished_at": _iso_ms(run.info.end_time),
                    "promoted_by_run": run.data.tags.get("promoted") == "true"}  # fmt: skip
        if promoted_at is None and run_info["promoted_by_run"]:
            promoted_at = run_info["finished_at"]
    return {
        "name": name, "version": str(version.version), "aliases": list(version.aliases),
        "run_id": version.run_id, "registered_at": _iso_ms(version.creation_timestamp),
        "promoted_at": promoted_at, "tags": tags, "metrics": metrics, "run": run_info,
    }  # fmt: skip
