"""The one way to build the serving engine, for the CLI and the API alike.

``open_engine`` loads the encoder, the index snapshots plus the change log since them, and the
registry's ``@champion`` (or the similarity baseline). The champion loader stays with the engine:
when the change log says the champion moved (``matcher train`` promoting, ``POST
/v1/model/reload`` on any worker), every engine loads it on its next ``sync``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from matcher.ranking.encoder import Encoder, load_default_encoder
from matcher.ranking.engine import Engine, EngineConfig
from matcher.ranking.model_registry import CHAMPION, load_model
from matcher.ranking.reranker import SimilarityReranker
from matcher.ranking.serving_model import ModelInfo, ModelLoader, ServingModel
from matcher.ranking.shortlist import scorer_name
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.audit import AuditLog, rotate
from matcher.services.audit_checkpoints import StoreCheckpoints
from matcher.services.keyfile import load_or_create_key
from matcher.settings import Settings

ScorerChoice = Literal["champion", "similarity"]


def open_audit_log(settings: Settings, store: Store) -> AuditLog:
    """The home's audit log, with its key (created 0600 on first use) and checkpoints in the store."""
    return AuditLog(settings.audit_log, load_or_create_key(settings.audit_key), StoreCheckpoints(store))


def rotate_audit_log(settings: Settings, audit_log: AuditLog) -> int:
    """Remove the audit records older than the retention period; how many."""
    assert audit_log.checkpoints is not None  # open_audit_log gives every home's log its checkpoints
    keep = timedelta(days=settings.audit_retention_days)
    return rotate(audit_log.path, audit_log.key, audit_log.checkpoints, keep)


def champion_loader(settings: Settings, ref: str = CHAMPION) -> ModelLoader:
    """A function that loads the registry's current ``ref`` (raises ModelNotFoundError)."""

    def load() -> ServingModel:
        registered = load_model(settings.tracking_uri, settings.artifact_dir, settings.model_name, ref)
        reranker = registered.reranker
        info = ModelInfo(registered.name, registered.version, registered.run_id, scorer_name(reranker))
        return ServingModel(reranker, info)

    return load


SIMILARITY = ModelInfo("similarity", "baseline", None, "similarity")


def open_engine(
    settings: Settings,
    scorer: ScorerChoice = "champion",
    encoder: Encoder | None = None,
    store: Store | None = None,
    reference: ReferenceData | None = None,
    config: EngineConfig | None = None,
) -> Engine:
    """The serving engine over ``settings``' home.

    With ``scorer="champion"`` the ``@champion`` is loaded now and followed through the change
    log; a missing champion leaves ``engine.model`` None and the reason in ``engine.problems``.
    With ``"similarity"`` the engine ranks by embedding similarity alone (the baseline).

    Raises:
        EncoderNotBuiltError, IndexMissingError, IndexModelMismatchError, IndexCorruptError.
    """
    champion = scorer == "champion"
    return Engine.load(
        settings.index_dir,
        encoder or load_default_encoder(settings.encoder, settings.encoder_dir),
        store or Store(settings.store_url),
        reference or ReferenceData(),
        config=config or EngineConfig(),
        serving=None if champion else ServingModel(SimilarityReranker(), SIMILARITY),
        model_loader=champion_loader(settings) if champion else None,
    )


def erase_caches(settings: Settings) -> int:
    """Remove the cached training embeddings of job seekers (they hold every person's vector)."""
    removed = 0
    for file in settings.embedding_cache_dir.glob("*"):
        if file.is_file() and "candidate" in file.name:
            file.unlink()
            removed += 1
    return removed


__all__ = [
    "SIMILARITY",
    "ModelInfo",
    "ScorerChoice",
    "ServingModel",
    "champion_loader",
    "erase_caches",
    "open_audit_log",
    "open_engine",
    "rotate_audit_log",
]
