"""What the API serves from: store, engine, model, tokens and audit log, and how they change.

``Service.start`` never fails for a missing model, index or encoder: it records why and the app
starts anyway (``/health`` answers, ``/ready`` says what is missing, shortlists answer 503).

Concurrency: handlers run in a thread pool. Shortlists and scores hold the read side of one
readers-writer lock; writes (upserts, deletes) and the model swap hold the write side, so no
request sees a half-applied update or mixes two models in one answer. A reload builds the new
scorer *outside* the lock: the old model keeps serving until the new one is loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.errors import NotReadyError, ReloadFailedError
from api.security import Principal, TokenStore
from matcher.audit import AuditEntry, AuditLog
from matcher.encoder import Encoder, EncoderNotBuiltError, load_default_encoder
from matcher.engine import Engine
from matcher.errors import (
    IndexCorruptError,
    IndexMissingError,
    IndexModelMismatchError,
    ModelNotFoundError,
)
from matcher.index import VectorIndex
from matcher.model_registry import CHAMPION, load_registered
from matcher.reference import ReferenceData
from matcher.retrieval import IndexVersion
from matcher.scoring import RerankerScorer
from matcher.settings import Settings
from matcher.store import Store

_INDEX_ERRORS = (IndexMissingError, IndexCorruptError, IndexModelMismatchError)


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds new readers back (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class ModelInfo:
    """The model that serves: registry name, version and run."""

    name: str
    version: str
    run_id: str | None
    scorer: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "run_id": self.run_id, "scorer": self.scorer}


def index_version(index: VectorIndex) -> IndexVersion:
    """Which index state answers: kind, encoder, build time and current size."""
    return IndexVersion(index.kind, index.encoder_name, index.encoder_fingerprint, index.built_at, len(index))


def index_label(version: IndexVersion) -> str:
    """One string per index state for the audit log: kind, encoder, build time, size."""
    return f"{version.kind}:{version.encoder_fingerprint}:{version.built_at}:{version.count}"


@dataclass
class Service:
    """Everything a request needs; held in ``app.state.service``."""

    settings: Settings
    store: Store
    reference: ReferenceData
    encoder: Encoder | None = None
    engine: Engine | None = None
    model: ModelInfo | None = None
    problems: dict[str, str] = field(default_factory=dict)
    lock: ReadWriteLock = field(default_factory=ReadWriteLock)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _tokens: TokenStore = field(default_factory=lambda: TokenStore({}))
    _tokens_mtime: float | None = None

    @classmethod
    def start(cls, settings: Settings) -> Service:
        """Open the store and load encoder, indexes and the @champion; record what is missing."""
        service = cls(settings, Store(settings.store_url), ReferenceData())
        try:
            service.encoder = load_default_encoder(settings.encoder, settings.encoder_dir)
            service.engine = Engine.load(settings.index_dir, service.encoder, service.store,
                                         service.reference)  # fmt: skip
        except EncoderNotBuiltError as exc:
            service.problems["encoder"] = str(exc)
        except _INDEX_ERRORS as exc:
            service.problems["indexes"] = str(exc)
        try:
            scorer, info = service._load_model()
        except ModelNotFoundError as exc:
            service.problems["model"] = str(exc)
        else:
            service._swap(scorer, info)
        return service

    def close(self) -> None:
        self.store.close()

    # --- readiness ---------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.engine is not None and self.model is not None

    def ready_engine(self) -> Engine:
        """The engine, if it can rank (indexes and model loaded).

        Raises:
            NotReadyError: with what is missing and how to fix it.
        """
        if self.engine is None or self.model is None:
            missing = "; ".join(f"{k}: {v}" for k, v in self.problems.items()) or "still loading"
            raise NotReadyError(f"the service cannot rank yet ({missing})")
        return self.engine

    def index_engine(self) -> Engine:
        """The engine for record writes (needs the indexes, not the model)."""
        if self.engine is None:
            reason = self.problems.get("indexes") or self.problems.get("encoder") or "not loaded"
            raise NotReadyError(f"the indexes are not loaded ({reason}); run `matcher index`")
        return self.engine

    # --- model -------------------------------------------------------------------------------
    def _load_model(self) -> tuple[RerankerScorer, ModelInfo]:
        registered = load_registered(self.settings, CHAMPION)
        scorer = RerankerScorer(registered.reranker, self.reference)
        return scorer, ModelInfo(registered.name, registered.version, registered.run_id, scorer.name)

    def _swap(self, scorer: RerankerScorer, info: ModelInfo) -> None:
        with self.lock.write():
            if self.engine is not None:
                self.engine.scorer = scorer
            self.model = info
            self.problems.pop("model", None)

    def reload_model(self) -> tuple[ModelInfo | None, ModelInfo]:
        """Switch to the registry's current @champion; on failure nothing changes.

        Returns:
            (the model before, the model now).

        Raises:
            ReloadFailedError: the champion cannot be loaded (says which model still serves).
        """
        with self._reload_lock:
            before = self.model
            try:
                scorer, info = self._load_model()  # slow part, outside the request lock
            except ModelNotFoundError as exc:
                serving = before.version if before else None
                keeps = f"; version {serving} keeps serving" if serving else ""
                raise ReloadFailedError(f"reload failed: {exc}{keeps}", serving) from exc
            if self.engine is None:
                self._retry_engine()
            self._swap(scorer, info)
            return before, info

    def _retry_engine(self) -> None:
        """Indexes missing at start may have been built since: try once more on reload."""
        try:
            encoder = self.encoder or load_default_encoder(self.settings.encoder, self.settings.encoder_dir)
            engine = Engine.load(self.settings.index_dir, encoder, self.store, self.reference)
        except EncoderNotBuiltError as exc:
            self.problems["encoder"] = str(exc)
            return
        except _INDEX_ERRORS as exc:
            self.problems["indexes"] = str(exc)
            return
        with self.lock.write():
            self.encoder, self.engine = encoder, engine
            self.problems.pop("indexes", None)
            self.problems.pop("encoder", None)

    # --- tokens and audit --------------------------------------------------------------------
    def authenticate(self, token: str) -> Principal | None:
        """The principal of a token; the token file is re-read when it changed on disk."""
        path = self.settings.tokens_file
        mtime = path.stat().st_mtime if path.exists() else None
        if mtime != self._tokens_mtime:
            self._tokens, self._tokens_mtime = TokenStore.load(path), mtime
        return self._tokens.authenticate(token)

    def audit(self, principal: Principal, endpoint: str, query_id: str,
              items: list[tuple[str, float]], model_version: str, index_version: str) -> None:  # fmt: skip
        """Append one record to the hash-chained audit log (ids, scores and versions only)."""
        entry = AuditEntry(principal.role.value, principal.token_id, endpoint, query_id, items,
                           model_version, index_version)  # fmt: skip
        AuditLog(Path(self.settings.audit_log)).append(entry)
