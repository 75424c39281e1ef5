"""Index snapshots on disk: a full build from the store, and a compacted copy of a running engine.

A snapshot is the two FAISS indexes (``vacancies``, ``candidates``) with their manifests, saved
atomically per index (see :mod:`matcher.ranking.index_io`); an engine starts from it and replays the
store's change log since the position it records (see :mod:`matcher.ranking.engine`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.encoder import Encoder
from matcher.ranking.engine import CANDIDATE_INDEX, VACANCY_INDEX, Engine, EngineConfig
from matcher.ranking.index import create_index
from matcher.ranking.index_io import IndexManifest
from matcher.records.models import Candidate, Vacancy, VacancyStatus
from matcher.records.reference import ReferenceData
from matcher.records.render import render_candidate, render_vacancy
from matcher.records.store import Store

Record = TypeVar("Record", Candidate, Vacancy)
_DEFAULTS = EngineConfig()


@dataclass(frozen=True)
class IndexSummary:
    """One index written by :func:`build_indexes` or :func:`save_snapshot`: its manifest and the build time."""

    manifest: IndexManifest
    seconds: float | None = None  # embedding and saving; None for a snapshot (nothing embedded)

    def to_json(self) -> dict[str, Any]:
        """The manifest's fields, plus ``seconds`` for a build."""
        out = self.manifest.to_json()
        return out if self.seconds is None else {**out, "seconds": self.seconds}


@dataclass(frozen=True)
class IndexBuild(Generic[Record]):
    """One index to build: its name, the store's records page by page, how to render one, and how
    many there are (the index kind suits the count)."""

    name: str
    pages: Iterator[list[Record]]
    render: Callable[[Record], str]
    expected: int


@dataclass(frozen=True)
class _Builder:
    """What every index of one snapshot shares: encoder, settings, folder and change-log position."""

    encoder: Encoder
    config: EngineConfig
    out_dir: Path
    applied_seq: int
    progress: bool = False

    def build(self, job: IndexBuild[Any]) -> IndexSummary:
        """Embed page by page into an index of the kind that suits ``job.expected`` records; save it."""
        from tqdm import tqdm  # CLI nicety, kept out of import time

        start, encoder = time.perf_counter(), self.encoder
        index = create_index(encoder.dimension, encoder.name, encoder.fingerprint, self.config.index, job.expected)
        index.applied_seq = self.applied_seq
        with tqdm(total=job.expected, desc=f"embedding {job.name}", disable=not self.progress, unit="rec") as bar:
            for page in job.pages:
                index.add([r.id for r in page], encoder.encode([job.render(r) for r in page]))
                bar.update(len(page))
            bar.total = bar.n  # a write during the build can change the count read before it
        manifest = index.save(self.out_dir / job.name)
        return IndexSummary(manifest, round(time.perf_counter() - start, 1))


def build_indexes(
    store: Store,
    encoder: Encoder,
    reference: ReferenceData,
    out_dir: Path,
    progress: bool = False,
    config: EngineConfig = _DEFAULTS,
    page_size: int = 2048,
) -> dict[str, IndexSummary]:
    """Embed every open vacancy and every candidate, and save both indexes atomically.

    The snapshot records the change-log position read *before* the first page: a write during
    the build is then applied again by every engine that loads it, which is harmless (applying
    is idempotent), where recording a later position could skip it.

    Returns:
        Per index name: its manifest (count, kind, ...) and the build seconds.
    """
    builder = _Builder(encoder, config, out_dir, store.last_change(), progress)
    open_ = VacancyStatus.OPEN.value
    vacancies = builder.build(
        IndexBuild[Vacancy](
            VACANCY_INDEX,
            store.walk_vacancies(page_size, open_),
            lambda v: render_vacancy(v, reference, config.render),
            store.count_vacancies(open_),
        )
    )
    candidates = builder.build(
        IndexBuild[Candidate](
            CANDIDATE_INDEX,
            store.walk_candidates(page_size),
            lambda c: render_candidate(c, reference, config.render),
            store.count("candidates"),
        )
    )
    return {VACANCY_INDEX: vacancies, CANDIDATE_INDEX: candidates}


def save_snapshot(engine: Engine, index_dir: Path) -> dict[str, IndexSummary]:
    """Write both indexes as a new snapshot (compacted) at the engine's change-log position.

    The only writer of snapshot files besides a full build; atomic per index (see ``index_io``).
    """
    engine.sync()
    out: dict[str, IndexSummary] = {}
    with engine.exclusive():
        for side, kind in ((engine.vacancies, VacancyTable), (engine.candidates, CandidateTable)):
            side.compact(kind, engine.gazetteer)  # type: ignore[arg-type]
            side.index.applied_seq = engine.applied_seq
            out[side.name] = IndexSummary(side.index.save(index_dir / side.name))
    return out


__all__ = ["IndexBuild", "IndexSummary", "build_indexes", "save_snapshot"]
