"""The engine: one facade over encoder, indexes, filters and scorer.

``Engine._shortlist`` is the recipe: render and encode the query, search with over-fetch while
applying the hard filters, re-score the survivors, cut to k. Candidate and open-vacancy records
are held in memory (loaded from the store when the engine is built) so that filtering hundreds of
hits does not cost hundreds of database reads; single upserts and deletes update store, index
and memory together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from matcher.encoder import Encoder
from matcher.errors import InsufficientProfileError
from matcher.filters import (
    CandidateColumns,
    ColumnTable,
    FilterOptions,
    FilterResult,
    VacancyColumns,
    apply_filters,
)
from matcher.geo import Gazetteer
from matcher.index import Hits, IndexConfig, VectorIndex, create_index, load_index
from matcher.models import Candidate, Vacancy, VacancyStatus
from matcher.reference import ReferenceData
from matcher.render import RenderConfig, occupation_title, place_name, render_candidate, render_vacancy
from matcher.retrieval import (
    Direction,
    Explained,
    IndexVersion,
    PairBatch,
    RetrievalConfig,
    Scorer,
    Shortlist,
    ShortlistItem,
    SimilarityScorer,
    candidate_facts,
    over_fetch,
    rank,
    vacancy_facts,
)
from matcher.store import Store

VACANCY_INDEX = "vacancies"
CANDIDATE_INDEX = "candidates"
NOT_IN_STORE = "not_in_store"

Record = TypeVar("Record", Candidate, Vacancy)


@dataclass(frozen=True)
class EngineConfig:
    """Defaults of the engine; requests override ``filters`` per call."""

    filters: FilterOptions = field(default_factory=FilterOptions)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    index: IndexConfig = field(default_factory=IndexConfig)


def _version(index: VectorIndex) -> IndexVersion:
    return IndexVersion(index.kind, index.encoder_name, index.encoder_fingerprint,
                        index.built_at, len(index))  # fmt: skip


class Engine:
    """Shortlists in both directions, and single-record updates of store and indexes."""

    def __init__(
        self, encoder: Encoder, vacancy_index: VectorIndex, candidate_index: VectorIndex,
        store: Store, reference: ReferenceData, scorer: Scorer | None = None,
        config: EngineConfig = EngineConfig(),
    ) -> None:  # fmt: skip
        self.encoder, self.store, self.reference = encoder, store, reference
        self.vacancy_index, self.candidate_index = vacancy_index, candidate_index
        self.scorer: Scorer = scorer or SimilarityScorer()
        self.config = config
        self.gazetteer = Gazetteer(reference)
        self._candidates: dict[str, Candidate] = {c.id: c for c in store.candidates()}
        self._vacancies: dict[str, Vacancy] = {
            v.id: v for v in store.vacancies(status=VacancyStatus.OPEN.value)
        }
        self._candidate_columns = ColumnTable(self._candidates, CandidateColumns.of, self.gazetteer)
        self._vacancy_columns = ColumnTable(self._vacancies, VacancyColumns.of, self.gazetteer)

    @classmethod
    def load(
        cls, index_dir: Path, encoder: Encoder, store: Store, reference: ReferenceData,
        scorer: Scorer | None = None, config: EngineConfig = EngineConfig(),
    ) -> Engine:  # fmt: skip
        """An engine over the indexes saved in ``index_dir`` (checked against the encoder).

        Raises:
            IndexMissingError, IndexModelMismatchError, IndexCorruptError: see ``load_index``.
        """
        vacancies = load_index(index_dir / VACANCY_INDEX, encoder.fingerprint, config.index)
        candidates = load_index(index_dir / CANDIDATE_INDEX, encoder.fingerprint, config.index)
        return cls(encoder, vacancies, candidates, store, reference, scorer, config)

    # --- shortlists --------------------------------------------------------------------------
    def shortlist_for_candidate(
        self, candidate: str | Candidate, k: int = 10, filters: FilterOptions | None = None,
        explain: bool = True,
    ) -> Shortlist:
        """Open vacancies for a stored candidate (by id) or an ad-hoc profile.

        Raises:
            UnknownCandidateError: no candidate with that id.
            InsufficientProfileError: the profile is too thin to rank for (says what is missing).
        """
        query = candidate if isinstance(candidate, Candidate) else self.candidate(candidate)
        require_profile(query)
        vector = self._query_vector(self.candidate_index, candidate, query)
        return self._shortlist(query, vector, k, filters, "vacancies_for_candidate", explain)

    def shortlist_for_vacancy(
        self, vacancy: str | Vacancy, k: int = 10, filters: FilterOptions | None = None,
        explain: bool = True,
    ) -> Shortlist:
        """Candidates for a stored vacancy (by id or a merged duplicate's id) or an ad-hoc one.

        Raises:
            UnknownVacancyError: no vacancy with that id.
            InsufficientProfileError: the vacancy is too thin to rank for (says what is missing).
        """
        query = vacancy if isinstance(vacancy, Vacancy) else self.vacancy(vacancy)
        require_profile(query)
        vector = self._query_vector(self.vacancy_index, vacancy, query)
        return self._shortlist(query, vector, k, filters, "candidates_for_vacancy", explain)

    def _query_vector(self, index: VectorIndex, asked: str | Candidate | Vacancy,
                      query: Candidate | Vacancy) -> NDArray[np.float32]:  # fmt: skip
        """A stored record's vector from its index (upserts keep it current); else encode."""
        if isinstance(asked, str) and query.id in index:
            return index.vectors([query.id])
        render = render_candidate if isinstance(query, Candidate) else render_vacancy
        return self.encoder.encode([render(query, self.reference, self.config.render)])  # type: ignore[arg-type]

    def _shortlist(
        self, query: Candidate | Vacancy, vector: NDArray[np.float32], k: int,
        filters: FilterOptions | None, direction: Direction, explain: bool = True,
    ) -> Shortlist:  # fmt: skip
        """The recipe: over-fetch and filter, re-score, cut."""
        options = filters or self.config.filters
        as_of = options.today or date.today()  # one reference date for filters and scorer
        index = self.vacancy_index if direction == "vacancies_for_candidate" else self.candidate_index
        stale: list[int] = []  # index hits without a record, counted in the last round only
        evaluate = self._evaluator(query, options, as_of, stale)
        found = over_fetch(index, vector, k, evaluate, self.config.retrieval)
        keep = np.flatnonzero(found.filtered.keep)
        pairs = self._pairs(query, found.hits, found.filtered, keep, direction, as_of)
        scores = self.scorer.score(pairs)
        top = rank(scores, pairs.similarity, k)
        explained = self.scorer.explain(pairs, top) if explain else [Explained([])] * len(top)
        items = [self._item(pairs, scores, explained[r], i, r + 1) for r, i in enumerate(top)]
        warnings = [] if len(items) >= k else [
            f"only {len(items)} of {k} requested items pass the filters "
            f"({len(index)} in the index; see 'excluded')"
        ]  # fmt: skip
        return Shortlist(
            direction=direction, query_id=query.id, items=items,
            excluded={NOT_IN_STORE: stale[-1] if stale else 0, **found.filtered.excluded},
            considered=len(found.hits.ids), eligible=len(keep), index=_version(index),
            scorer=self.scorer.name, rounds=found.rounds, warnings=warnings,
        )  # fmt: skip

    def _evaluator(
        self, query: Candidate | Vacancy, options: FilterOptions, as_of: date, stale: list[int]
    ) -> Callable[[Hits], FilterResult]:
        """Filters for one query: hits -> which pass (hits without a record never pass)."""

        others: dict[str, Any] = self._vacancies if isinstance(query, Candidate) else self._candidates
        g = self.gazetteer

        def evaluate(hits: Hits) -> FilterResult:
            records = [others.get(i) for i in hits.ids]
            found = [r for r in records if r is not None]
            if isinstance(query, Candidate):
                columns = CandidateColumns.of([query], g), self._vacancy_columns.take(found)
            else:
                columns = self._candidate_columns.take(found), VacancyColumns.of([query], g)
            stale.append(len(records) - len(found))
            result = apply_filters(*columns, options, as_of)
            return _spread(result, [r is not None for r in records])

        return evaluate

    def _pairs(
        self, query: Candidate | Vacancy, hits: Hits, filtered: FilterResult,
        keep: NDArray[np.intp], direction: Direction, as_of: date,
    ) -> PairBatch:  # fmt: skip
        if isinstance(query, Candidate):
            others: list[Any] = [self._vacancies[hits.ids[i]] for i in keep]
            candidates, vacancies = [query] * len(others), others
        else:
            others = [self._candidates[hits.ids[i]] for i in keep]
            candidates, vacancies = others, [query] * len(others)
        return PairBatch(candidates, vacancies, hits.scores[keep], filtered.distance_km[keep],
                         filtered.commute_minutes[keep], direction, as_of)  # fmt: skip

    def _item(
        self, pairs: PairBatch, scores: NDArray[np.float32], explained: Explained,
        i: int, position: int,
    ) -> ShortlistItem:  # fmt: skip
        ref = self.reference
        if pairs.direction == "vacancies_for_candidate":
            v = pairs.vacancies[i]
            item_id = v.id
            facts = vacancy_facts(v, occupation_title(v.kldb, ref), place_name(v.ags, ref))
        else:
            c = pairs.candidates[i]
            item_id = c.id
            facts = candidate_facts(c, occupation_title(c.main_occupation, ref),
                                    place_name(c.ags, ref))  # fmt: skip
        distance, commute = float(pairs.distance_km[i]), float(pairs.commute_minutes[i])
        facts["distance_km"] = None if np.isnan(distance) else round(distance, 1)
        facts["commute_minutes"] = None if np.isnan(commute) else round(commute)
        return ShortlistItem(item_id, position, float(scores[i]), float(pairs.similarity[i]),
                             facts, list(explained.reasons), dict(explained.details))  # fmt: skip

    # --- records -----------------------------------------------------------------------------
    def candidate(self, candidate_id: str) -> Candidate:
        """A candidate from memory, else from the store (raises UnknownCandidateError)."""
        return self._candidates.get(candidate_id) or self.store.get_candidate(candidate_id)

    def vacancy(self, vacancy_id: str) -> Vacancy:
        """A vacancy from memory, else from the store (follows merged ids; UnknownVacancyError)."""
        return self._vacancies.get(vacancy_id) or self.store.get_vacancy(vacancy_id)

    # --- single-record updates ---------------------------------------------------------------
    def upsert_candidate(self, candidate: Candidate) -> None:
        """Store a candidate and make it findable at once (encoded before anything is written)."""
        vector = self.encoder.encode([render_candidate(candidate, self.reference, self.config.render)])
        with self.store.transaction() as conn:
            self.store.upsert_candidates(conn, [candidate])
        self.candidate_index.upsert(candidate.id, vector)
        self._candidates[candidate.id] = candidate
        self._candidate_columns.update(candidate)

    def upsert_vacancy(self, vacancy: Vacancy) -> None:
        """Store a vacancy; open ones are (re)indexed, filled or withdrawn ones leave the index."""
        vector = self.encoder.encode([render_vacancy(vacancy, self.reference, self.config.render)])
        with self.store.transaction() as conn:
            self.store.upsert_vacancies(conn, [vacancy])
        if vacancy.status == VacancyStatus.OPEN:
            self.vacancy_index.upsert(vacancy.id, vector)
            self._vacancies[vacancy.id] = vacancy
            self._vacancy_columns.update(vacancy)
        else:
            self.vacancy_index.delete(vacancy.id)
            self._vacancies.pop(vacancy.id, None)

    def delete_candidate(self, candidate_id: str) -> None:
        """Remove a candidate from store and index (raises UnknownCandidateError)."""
        self.store.delete_candidate(candidate_id)
        self.candidate_index.delete(candidate_id)
        self._candidates.pop(candidate_id, None)

    def delete_vacancy(self, vacancy_id: str) -> None:
        """Remove a vacancy from store and index (raises UnknownVacancyError)."""
        vacancy_id = self.store.resolve_vacancy_id(vacancy_id)
        self.store.delete_vacancy(vacancy_id)
        self.vacancy_index.delete(vacancy_id)
        self._vacancies.pop(vacancy_id, None)

    def save_indexes(self, index_dir: Path) -> dict[str, Any]:
        """Write both indexes atomically (after upserts, so that a restart keeps them)."""
        return {name: index.save(index_dir / name).to_json() for name, index in
                ((VACANCY_INDEX, self.vacancy_index), (CANDIDATE_INDEX, self.candidate_index))}  # fmt: skip


# Fewer words than this in a free text do not describe anything.
MIN_TEXT_WORDS = 5


def profile_gaps(record: Candidate | Vacancy) -> list[str]:
    """What a profile lacks to be ranked for: skills or a describing text (either will do)."""
    if isinstance(record, Candidate):
        skills, text = record.skills, record.profile_text
    else:
        skills, text = [*record.required_skills, *record.optional_skills], record.description
    if skills or len(text.split()) >= MIN_TEXT_WORDS:
        return []
    kind = "profile_text" if isinstance(record, Candidate) else "description"
    return ["skills", kind]


def require_profile(record: Candidate | Vacancy) -> None:
    """Refuse to rank for a profile that would only produce a made-up ranking."""
    missing = profile_gaps(record)
    if missing:
        raise InsufficientProfileError(missing)


def _spread(result: FilterResult, present: list[bool]) -> FilterResult:
    """Widen a filter result over the found records back to all hits (missing: not kept)."""
    if all(present):
        return result
    rows = np.flatnonzero(present)
    n = len(present)

    def widen(values: NDArray[Any], fill: Any) -> NDArray[Any]:
        out = np.full(n, fill, dtype=values.dtype)
        out[rows] = values
        return out

    return FilterResult(widen(result.keep, False), result.excluded,
                        widen(np.asarray(result.distance_km), np.nan),
                        widen(np.asarray(result.commute_minutes), np.nan))  # fmt: skip


def _pages(fetch: Callable[[int, int], Sequence[Record]], size: int) -> Iterator[list[Record]]:
    offset = 0
    while page := list(fetch(size, offset)):
        yield page
        offset += len(page)


def _build_one(
    name: str, pages: Iterator[list[Record]], render: Callable[[Record], str], expected: int,
    encoder: Encoder, config: EngineConfig, out_dir: Path, progress: bool,
) -> dict[str, Any]:  # fmt: skip
    """Embed page by page into an index of the kind that suits ``expected`` records; save it."""
    from tqdm import tqdm  # CLI nicety, kept out of import time

    start = time.perf_counter()
    index = create_index(encoder.dimension, encoder.name, encoder.fingerprint, config.index,
                         expected)  # fmt: skip
    with tqdm(total=expected, desc=f"embedding {name}", disable=not progress, unit="rec") as bar:
        for page in pages:
            index.add([r.id for r in page], encoder.encode([render(r) for r in page]))
            bar.update(len(page))
        bar.total = bar.n  # the expected count is an upper bound (vacancies: all statuses)
    manifest = index.save(out_dir / name)
    return {**manifest.to_json(), "seconds": round(time.perf_counter() - start, 1)}


def build_indexes(
    store: Store, encoder: Encoder, reference: ReferenceData, out_dir: Path,
    progress: bool = False, config: EngineConfig = EngineConfig(), page_size: int = 2048,
) -> dict[str, Any]:  # fmt: skip
    """Embed every open vacancy and every candidate, and save both indexes atomically.

    Records are read page by page, so memory holds one page of records, not the whole store.

    Returns:
        Per index name: the manifest's fields (count, kind, ...) and the build seconds.
    """

    def open_vacancies(size: int, offset: int) -> list[Vacancy]:
        return store.vacancies(size, offset, VacancyStatus.OPEN.value)

    def render_v(v: Vacancy) -> str:
        return render_vacancy(v, reference, config.render)

    def render_c(c: Candidate) -> str:
        return render_candidate(c, reference, config.render)

    vacancies = _build_one(VACANCY_INDEX, _pages(open_vacancies, page_size), render_v,
                           store.count("vacancies"), encoder, config, out_dir, progress)  # fmt: skip
    candidates = _build_one(CANDIDATE_INDEX, _pages(store.candidates, page_size), render_c,
                            store.count("candidates"), encoder, config, out_dir, progress)  # fmt: skip
    return {VACANCY_INDEX: vacancies, CANDIDATE_INDEX: candidates}
