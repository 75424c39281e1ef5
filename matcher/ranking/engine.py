"""The engine: one facade over encoder, indexes, column tables and re-ranker.

A shortlist is the recipe, in this order: **filter** (a vectorised mask over every item of the
other side), **search** (the most similar eligible rows only), **featurise**, **score**, **rank**,
**explain** (only the returned items).

State. The store is the source of truth; each side of the market (``Side``) holds its vectors in a
FAISS index and its records as a column table in the same row order. An engine starts from the
index snapshot on disk and the store's change log since that snapshot, and :meth:`Engine.sync`
applies every log entry it has not seen, so engines in several processes (API workers, replicas
sharing a database, the CLI) converge on the same state. Writes go to the store (record and log
entry in one transaction) and are then applied through the same ``sync`` as everybody else's.
Nothing here rewrites the snapshot; :func:`matcher.ranking.snapshot.save_snapshot` (``matcher index
--compact``) does, and :func:`matcher.ranking.snapshot.build_indexes` builds one from the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matcher.errors import ModelNotFoundError
from matcher.ranking.audience import EXACT, Audience
from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.concurrency import ReadWriteLock
from matcher.ranking.encoder import Encoder
from matcher.ranking.filters import FilterOptions, FilterResult, apply_filters, pair_geography
from matcher.ranking.geography import PairGeography, batch_geographies, returned_geographies
from matcher.ranking.index import IndexConfig, RowHits, VectorIndex, load_index
from matcher.ranking.profiles import require_profile
from matcher.ranking.reranker import Reranker, SimilarityReranker
from matcher.ranking.serving_model import ModelInfo, ModelLoader, ServingModel
from matcher.ranking.shortlist import (
    CandidateFacts,
    Explained,
    IndexVersion,
    PairBatch,
    RetrievalConfig,
    Shortlist,
    ShortlistItem,
    VacancyFacts,
    candidate_facts,
    explain_pairs,
    probabilities,
    rank,
    scorer_name,
    vacancy_facts,
)
from matcher.ranking.sides import Side, Way
from matcher.ranking.stages import StageClock, StageObserver
from matcher.records.geo import Gazetteer
from matcher.records.models import Candidate, Vacancy, VacancyStatus
from matcher.records.reference import ReferenceData
from matcher.records.render import RenderConfig, occupation_title, place_name, render_candidate, render_vacancy
from matcher.records.store import DELETE, Change, Store

VACANCY_INDEX = "vacancies"
CANDIDATE_INDEX = "candidates"

SideName = Literal["candidates", "vacancies"]


@dataclass(frozen=True)
class EngineConfig:
    """Defaults of the engine; requests override ``filters`` per call."""

    filters: FilterOptions = field(default_factory=FilterOptions)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    index: IndexConfig = field(default_factory=IndexConfig)


@dataclass(frozen=True)
class EngineParts:
    """What an engine is made of: encoder, store, reference data and the two index snapshots."""

    encoder: Encoder
    store: Store
    reference: ReferenceData
    vacancy_index: VectorIndex
    candidate_index: VectorIndex


@dataclass(frozen=True)
class _Ranked:
    """A shortlist between ranking and explaining: the fetched pairs, their features and scores,
    the positions of the returned ones (best first), and the filters' result."""

    pairs: PairBatch
    features: NDArray[np.float32]
    scores: NDArray[np.float32]
    top: list[int]
    filtered: FilterResult
    audience: Audience


class Engine:
    """Shortlists in both directions over a state that follows the store's change log."""

    def __init__(
        self,
        parts: EngineParts,
        config: EngineConfig = EngineConfig(),
        serving: ServingModel | None = None,
        model_loader: ModelLoader | None = None,
    ) -> None:
        """An engine over ``parts``. The model that serves is ``serving``, else what ``model_loader``
        loads now (followed through the change log), else the similarity baseline with no info."""
        encoder, store = parts.encoder, parts.store
        vacancy_index, candidate_index = parts.vacancy_index, parts.candidate_index
        self.encoder, self.store, self.reference, self.config = encoder, store, parts.reference, config
        self.gazetteer = Gazetteer(parts.reference)
        self.model_loader = model_loader
        self.problems: dict[str, str] = {}
        self.stage_observer: StageObserver | None = None  # the API's metrics; None: stages are not timed
        self.step_observer: StageObserver | None = None  # SHORTLIST_STEPS (benchmarks); None: not timed
        self._lock = ReadWriteLock()
        self._sync_lock = threading.Lock()
        start = min(vacancy_index.applied_seq, candidate_index.applied_seq)
        changes = store.changes_since(start)  # before the records: a change in between is re-applied
        self.applied_seq = changes[-1].seq if changes else start
        candidates = {c.id: c for c in store.candidates()}
        vacancies = {v.id: v for v in store.vacancies(status=VacancyStatus.OPEN.value)}
        places = self.gazetteer
        self.vacancies = Side.of(VACANCY_INDEX, vacancy_index, VacancyTable, vacancies, places)
        self.candidates = Side.of(CANDIDATE_INDEX, candidate_index, CandidateTable, candidates, places)
        self._catch_up(changes, candidates, vacancies)
        # The state now includes the replayed entries: /ready and the audit labels say so (they
        # showed the snapshot's position after a restart).
        self.vacancies.index.applied_seq = self.candidates.index.applied_seq = self.applied_seq
        self.serving: ServingModel = serving or self._reload() or ServingModel(SimilarityReranker())

    @property
    def reranker(self) -> Reranker:
        """The serving model's re-ranker (read it once per request: ``sync`` may swap the model)."""
        return self.serving.reranker

    @property
    def model(self) -> ModelInfo | None:
        """What the registry says about the serving model; None: no model serves yet."""
        return self.serving.info

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """The engine to oneself: no shortlist and no ``sync`` runs meanwhile (a snapshot's write)."""
        with self._lock.write():
            yield

    def serving_info(self) -> ModelInfo:
        """The serving model's registry info (a ready engine has one); else ModelNotFoundError."""
        info = self.serving.info
        if info is None:
            raise ModelNotFoundError(self.problems.get("model", "no model serves"))
        return info

    @classmethod
    def load(
        cls,
        index_dir: Path,
        encoder: Encoder,
        store: Store,
        reference: ReferenceData,
        config: EngineConfig = EngineConfig(),
        serving: ServingModel | None = None,
        model_loader: ModelLoader | None = None,
    ) -> Engine:
        """An engine over the snapshots in ``index_dir`` and the change log since them.

        Raises:
            IndexMissingError, IndexModelMismatchError, IndexCorruptError: see ``load_index``.
        """
        vacancies = load_index(index_dir / VACANCY_INDEX, encoder.fingerprint, config.index)
        candidates = load_index(index_dir / CANDIDATE_INDEX, encoder.fingerprint, config.index)
        return cls(EngineParts(encoder, store, reference, vacancies, candidates), config, serving, model_loader)

    # --- keeping up with the store -----------------------------------------------------------
    def _catch_up(self, changes: list[Change], candidates: dict[str, Candidate], vacancies: dict[str, Vacancy]) -> None:
        """Put every record the snapshot lacks or holds in an older version."""
        changed = {(c.kind, c.record_id): c for c in changes if c.kind != "model"}
        for side, records, kind in ((self.candidates, candidates, "candidate"), (self.vacancies, vacancies, "vacancy")):
            stale = [r for r in records.values() if r.id not in side or (kind, r.id) in changed]
            vectors = self._vectors(stale, [changed.get((kind, r.id)) for r in stale])
            for record, vector in zip(stale, vectors):
                side.put(record, vector)

    def sync(self) -> int:
        """Apply the change-log entries this engine has not seen; how many there were.

        Checking costs one indexed query. New entries are prepared (records parsed, missing
        vectors encoded, a new model loaded) outside the request lock, then applied under its
        write side, so no shortlist sees half of a change. One applier at a time; nothing is
        applied twice.
        """
        if self.store.last_change() <= self.applied_seq:  # the cheap check: max of the primary key
            return 0
        with self._sync_lock:
            changes = self.store.changes_since(self.applied_seq)
            if not changes:
                return 0
            latest = {(c.kind, c.record_id): c for c in changes}
            records = [c for c in latest.values() if c.kind != "model" and _stays(c)]
            vectors = self._vectors([c.record for c in records], records)
            model = self._reload() if any(c.kind == "model" for c in changes) else None
            with self._lock.write():
                for change in latest.values():
                    if change.kind != "model" and not _stays(change):
                        self._side(change.kind).remove(change.record_id)
                for change, vector in zip(records, vectors):
                    self._side(change.kind).put(change.record, vector)
                if model is not None:
                    self.serving = model
                self.applied_seq = changes[-1].seq
                self.vacancies.index.applied_seq = self.candidates.index.applied_seq = self.applied_seq
            return len(changes)

    def _reload(self) -> ServingModel | None:
        """The champion a model change points at; on failure the old model keeps serving."""
        if self.model_loader is None:
            return None
        try:
            loaded = self.model_loader()
        except ModelNotFoundError as exc:
            self.problems["model"] = str(exc)
            return None
        self.problems.pop("model", None)
        return loaded

    def _side(self, kind: str) -> Side[Any]:
        return self.candidates if kind == "candidate" else self.vacancies

    def _vectors(self, records: Sequence[Any], changes: Sequence[Change | None]) -> list[NDArray[np.float32]]:
        """A vector per record: the one logged with this version, else freshly encoded."""
        dim = self.encoder.dimension
        out: list[NDArray[np.float32] | None] = [
            c.vector.reshape(1, dim) if c is not None and c.vector is not None and c.vector.size == dim else None
            for c in changes
        ]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:
            encoded = self.encoder.encode([self._render(records[i]) for i in missing])
            for row, i in enumerate(missing):
                out[i] = encoded[row : row + 1]
        return [v for v in out if v is not None]

    def _render(self, record: Candidate | Vacancy) -> str:
        if isinstance(record, Candidate):
            return render_candidate(record, self.reference, self.config.render)
        return render_vacancy(record, self.reference, self.config.render)

    # --- shortlists --------------------------------------------------------------------------
    def shortlist_for_candidate(
        self,
        candidate: str | Candidate,
        k: int = 10,
        filters: FilterOptions | None = None,
        explain: bool = True,
        audience: Audience = EXACT,
    ) -> Shortlist:
        """Open vacancies for a stored candidate (by id) or an ad-hoc profile, for ``audience``.

        Raises:
            UnknownCandidateError: no candidate with that id.
            InsufficientProfileError: the profile is too thin to rank for (says what is missing).
        """
        with self._lock.read():
            query = candidate if isinstance(candidate, Candidate) else self.candidate(candidate)
            way = Way("vacancies_for_candidate", self.vacancies, True)
            return self._shortlist(way, query, k, self._options(filters, audience), explain, audience)

    def shortlist_for_vacancy(
        self,
        vacancy: str | Vacancy,
        k: int = 10,
        filters: FilterOptions | None = None,
        explain: bool = True,
        audience: Audience = EXACT,
    ) -> Shortlist:
        """Candidates for a stored vacancy (by id or a merged duplicate's id) or an ad-hoc one, for
        ``audience`` (the employer service's cards: distances from the card's municipality).

        Raises:
            UnknownVacancyError: no vacancy with that id.
            InsufficientProfileError: the vacancy is too thin to rank for (says what is missing).
        """
        with self._lock.read():
            query = vacancy if isinstance(vacancy, Vacancy) else self.vacancy(vacancy)
            way = Way("candidates_for_vacancy", self.candidates, False)
            return self._shortlist(way, query, k, self._options(filters, audience), explain, audience)

    def _options(self, filters: FilterOptions | None, audience: Audience) -> FilterOptions:
        """The request's filters (None: the defaults) as ``audience`` may apply them."""
        options = filters or self.config.filters
        return options.override(coarse_places=True) if audience.coarse_places else options

    def target_occupation_filters(self, candidate: Candidate, filters: FilterOptions | None = None) -> FilterResult:
        """The filters over the indexed vacancies in the person's target occupation (same KldB
        code) only: ``excluded`` counts them per filter (first failing filter), ``keep`` marks
        those that pass. One vectorised filter pass, no search or scoring."""
        with self._lock.read():
            options = filters or self.config.filters
            items = self.vacancies.rows.view()
            target = np.asarray(items.kldb) == int(candidate.main_occupation)
            alive = np.asarray(self.vacancies.index.alive(), dtype=bool)
            within = alive[: len(target)] & target[: len(alive)]
            places = (self.gazetteer.place_lat, self.gazetteer.place_lon)
            own = CandidateTable.build([candidate], self.gazetteer)
            as_of = options.today or date.today()
            return apply_filters(own, items, options, as_of, within=within, places=places)

    def _shortlist(
        self,
        way: Way,
        query: Candidate | Vacancy,
        k: int,
        filters: FilterOptions | None,
        explain: bool,
        audience: Audience,
    ) -> Shortlist:
        """Filter, search, featurise, score, rank, explain (each stage timed for the observers)."""
        clock = StageClock(self.stage_observer, self.step_observer)
        vector = self.vector_of(query)
        clock.step("query vector")
        clock.begin()
        require_profile(query)
        options = filters or self.config.filters
        as_of = options.today or date.today()  # one reference date for filters and features
        own = self._table(query)
        clock.step("query table")
        items = way.items.rows.view()
        alive = way.items.index.alive()
        places = (self.gazetteer.place_lat, self.gazetteer.place_lon)
        filtered = apply_filters(*way.orient(own, items), options, as_of, within=alive, places=places)
        clock.lap("filter")
        clock.step("filters")
        hits = way.items.index.search_rows(vector, self.config.retrieval.fetch(k), filtered.keep)
        clock.lap("search")
        clock.step("search")
        pairs = self._pairs(way, own, items, hits, filtered, as_of)
        clock.step("pairs")
        features = pairs.features()
        clock.lap("features")
        clock.step("features")
        scores = self.reranker.score(features).astype(np.float32)
        clock.step("score")
        top = rank(scores, pairs.similarity, k)
        clock.lap("score")
        clock.step("rank")
        ranked = _Ranked(pairs, features, scores, top, filtered, audience)
        return self._finish(way, query, k, ranked, explain, clock)

    def _finish(
        self, way: Way, query: Candidate | Vacancy, k: int, ranked: _Ranked, explain: bool, clock: StageClock
    ) -> Shortlist:
        """Explain the returned items only, and build their facts and the answer."""
        pairs, features, scores, top = ranked.pairs, ranked.features, ranked.scores, ranked.top
        explained = (
            explain_pairs(self.reranker, pairs, features, top, self.reference)
            if explain
            else [Explained([])] * len(top)
        )
        clock.step("explain")
        chances = probabilities(self.reranker, scores[top])  # the same model as the scores (read lock)
        geographies = returned_geographies(pairs, top, ranked.audience)
        result = [
            self._item(way, pairs, scores, explained[r], i, r + 1, chances[r], geographies[r])
            for r, i in enumerate(top)
        ]
        records = {item.id: self._other(way, pairs, i) for item, i in zip(result, top)}
        clock.lap("explain")  # the reasons and the items' facts
        clock.step("items and facts")
        return self._answer(way, query, k, result, records, ranked.filtered, explain)

    def _table(self, query: Candidate | Vacancy) -> CandidateTable | VacancyTable:
        """The query as a one-row table."""
        if isinstance(query, Candidate):
            return CandidateTable.build([query], self.gazetteer)
        return VacancyTable.build([query], self.gazetteer)

    def _answer(
        self,
        way: Way,
        query: Candidate | Vacancy,
        k: int,
        items: list[ShortlistItem],
        records: dict[str, Candidate | Vacancy],
        filtered: FilterResult,
        explained: bool,
    ) -> Shortlist:
        """The shortlist over the ranked items, with the filters' counts and a warning when short."""
        considered = len(way.items.index)
        warnings = []
        if len(items) < k:
            warnings.append(
                f"only {len(items)} of {k} requested items pass the filters ({considered} in the index; see 'excluded')"
            )
        return Shortlist(
            direction=way.direction,
            query_id=query.id,
            items=items,
            excluded=filtered.excluded,
            considered=considered,
            eligible=int(np.count_nonzero(filtered.keep)),
            index=way.items.version(),
            scorer=scorer_name(self.reranker),
            warnings=warnings,
            records=records,
            model=self.model,
            query=query,
            k=k,
            explained=explained,
        )

    def _pairs(self, way: Way, own: Any, items: Any, hits: RowHits, filtered: FilterResult, as_of: date) -> PairBatch:
        zeros = np.zeros(len(hits.rows), dtype=np.int64)
        ci, vi = (zeros, hits.rows) if way.query_is_candidate else (hits.rows, zeros)
        cands, vacs = way.orient(own, items)
        return PairBatch(
            cands,
            ci,
            vacs,
            vi,
            hits.scores,
            filtered.distance_km[hits.rows],
            filtered.commute_minutes[hits.rows],
            way.direction,
            as_of,
        )

    @staticmethod
    def _other(way: Way, pairs: PairBatch, i: int) -> Candidate | Vacancy:
        return pairs.vacancy(i) if way.query_is_candidate else pairs.candidate(i)

    def _item(
        self,
        way: Way,
        pairs: PairBatch,
        scores: NDArray[np.float32],
        explained: Explained,
        i: int,
        position: int,
        probability: float | None,
        geography: PairGeography,
    ) -> ShortlistItem:
        ref = self.reference
        distance, commute = float(pairs.distance_km[i]), float(pairs.commute_minutes[i])
        km = None if np.isnan(distance) else round(distance, 1)
        minutes = None if np.isnan(commute) else round(commute)
        facts: VacancyFacts | CandidateFacts
        if way.query_is_candidate:
            v = pairs.vacancy(i)
            facts = vacancy_facts(v, occupation_title(v.kldb, ref), place_name(v.ags, ref), km, minutes)
        else:
            c = pairs.candidate(i)
            facts = candidate_facts(c, occupation_title(c.main_occupation, ref), place_name(c.ags, ref), km, minutes)
        item_id = self._other(way, pairs, i).id
        return ShortlistItem(
            item_id,
            position,
            float(scores[i]),
            float(pairs.similarity[i]),
            facts,
            list(explained.reasons),
            explained.details,
            probability,
            geography,
        )

    def score_pairs(
        self, pairs: Sequence[tuple[str, str]], as_of: date, explain: bool = True
    ) -> tuple[PairBatch, NDArray[np.float32], list[Explained], list[float | None]]:
        """Scores (and reasons) of given (candidate id, vacancy id) pairs, in order, unfiltered,
        with each pair's calibrated probability (all None when the model has no calibration).

        The caller asked about these pairs, so no hard filter applies. Records not in an index
        (a filled vacancy, say) are rendered and encoded.

        Raises:
            UnknownCandidateError, UnknownVacancyError: an id is not in the store.
        """
        with self._lock.read():
            cands = CandidateTable.build([self.candidate(c) for c, _ in pairs], self.gazetteer)
            vacs = VacancyTable.build([self.vacancy(v) for _, v in pairs], self.gazetteer)
            left = np.vstack([self.vector_of(c) for c in cands.records if c]) if pairs else np.zeros((0, 1))
            right = np.vstack([self.vector_of(v) for v in vacs.records if v]) if pairs else np.zeros((0, 1))
            rows = np.arange(len(pairs), dtype=np.int64)
            distance, commute = pair_geography(cands, vacs)
            batch = PairBatch(
                cands,
                rows,
                vacs,
                rows,
                np.einsum("ij,ij->i", left, right).astype(np.float32),
                distance,
                commute,
                "vacancies_for_candidate",
                as_of,
            )
            features = batch.features()
            scores = self.reranker.score(features).astype(np.float32)
            explained = explain_pairs(self.reranker, batch, features, list(rows), self.reference) if explain else []
            return batch, scores, explained, probabilities(self.reranker, scores)

    def live_table(self, side: SideName) -> Any:
        """The live rows of one side (``"candidates"`` or ``"vacancies"``) as one table: a copy,
        taken under the read lock (the rows change in place when the engine syncs)."""
        own = self.candidates if side == "candidates" else self.vacancies
        with self._lock.read():
            return own.rows.view().take(np.flatnonzero(own.index.alive()))

    def geographies(self, batch: PairBatch, audience: Audience) -> list[PairGeography]:
        """Each pair's geography for ``audience`` (:func:`matcher.ranking.geography.batch_geographies`)."""
        return batch_geographies(batch, audience)

    def pair_geography(self, candidate: Candidate, vacancy: Vacancy, audience: Audience) -> PairGeography:
        """One pair's geography for ``audience`` (e.g. a stored nightly result)."""
        cands = CandidateTable.build([candidate], self.gazetteer)
        vacs = VacancyTable.build([vacancy], self.gazetteer)
        distance, commute = pair_geography(cands, vacs, coarse=audience.coarse_places)
        return PairGeography.of(float(distance[0]), float(commute[0]), candidate, audience.is_exact)

    # --- records -----------------------------------------------------------------------------
    def candidate(self, candidate_id: str) -> Candidate:
        """A candidate from memory, else from the store (raises UnknownCandidateError)."""
        found = self.candidates.record(candidate_id)
        return found if found is not None else self.store.get_candidate(candidate_id)

    def vacancy(self, vacancy_id: str) -> Vacancy:
        """An open vacancy from memory, else from the store (follows merged ids; UnknownVacancyError)."""
        found = self.vacancies.record(vacancy_id)
        return found if found is not None else self.store.get_vacancy(vacancy_id)

    def vector_of(self, record: Candidate | Vacancy) -> NDArray[np.float32]:
        """A record's vector: the indexed one when ``record`` is the very object the engine holds
        (a stored record looked up by id; re-encoding it cost 1.8 ms a shortlist), else encoded
        (an ad-hoc profile, a changed copy, a record not in an index)."""
        side = self.candidates if isinstance(record, Candidate) else self.vacancies
        if side.record(record.id) is record:
            return side.index.vectors([record.id])
        return self.encoder.encode([self._render(record)])

    # --- writes: to the store, then applied like everybody else's ----------------------------
    def upsert_candidate(self, candidate: Candidate) -> None:
        """Store a candidate with its vector and change-log entry; findable once synced (here: at once)."""
        vector = self.encoder.encode([self._render(candidate)])  # before anything is written
        with self.store.transaction() as conn:
            self.store.upsert_candidates(conn, [candidate], vector)
        self.sync()

    def upsert_vacancy(self, vacancy: Vacancy) -> None:
        """Store a vacancy; open ones are (re)indexed, filled or withdrawn ones leave the index."""
        vector = self.encoder.encode([self._render(vacancy)])
        with self.store.transaction() as conn:
            self.store.upsert_vacancies(conn, [vacancy], vector)
        self.sync()

    def delete_candidate(self, candidate_id: str) -> None:
        """Remove a candidate from store and index (raises UnknownCandidateError)."""
        self.store.delete_candidate(candidate_id)
        self.sync()

    def delete_vacancy(self, vacancy_id: str) -> None:
        """Remove a vacancy from store and index (raises UnknownVacancyError)."""
        self.store.delete_vacancy(self.store.resolve_vacancy_id(vacancy_id))
        self.sync()

    def versions(self) -> dict[str, IndexVersion]:
        return {CANDIDATE_INDEX: self.candidates.version(), VACANCY_INDEX: self.vacancies.version()}


def _stays(change: Change) -> bool:
    """Whether a record change leaves the record in its index (stored, and open if a vacancy)."""
    if change.op == DELETE or change.record is None:
        return False
    return not isinstance(change.record, Vacancy) or change.record.status == VacancyStatus.OPEN
