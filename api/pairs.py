"""Scores and reasons for given (candidate, vacancy) pairs, outside any shortlist.

The pairs go through the same scorer as shortlists: similarity of the stored index vectors
(records not in an index, e.g. a filled vacancy, are rendered and encoded), distance and commute
as the filters compute them, then ``Scorer.score`` and ``Scorer.explain``. No hard filter is
applied: the caller asked about these pairs, so each gets its score and reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from matcher.engine import Engine
from matcher.filters import CandidateColumns, VacancyColumns, pair_geography
from matcher.index import VectorIndex
from matcher.models import Candidate, Vacancy
from matcher.render import render_candidate, render_vacancy
from matcher.retrieval import Explained, PairBatch

Record = TypeVar("Record", Candidate, Vacancy)


def _vectors(engine: Engine, index: VectorIndex, records: Sequence[Record],
             render: Callable[[Record], str]) -> NDArray[np.float32]:  # fmt: skip
    """One vector per record: from the index where it is indexed, else freshly encoded."""
    out = np.empty((len(records), index.dimension), dtype=np.float32)
    indexed = np.array([r.id in index for r in records], dtype=bool)
    if indexed.any():
        out[indexed] = index.vectors([r.id for r, hit in zip(records, indexed) if hit])
    if not indexed.all():
        rest = [r for r, hit in zip(records, indexed) if not hit]
        out[~indexed] = engine.encoder.encode([render(r) for r in rest])
    return out


def pair_batch(engine: Engine, pairs: Sequence[tuple[str, str]], as_of: date) -> PairBatch:
    """The scorer's input for the pairs.

    Raises:
        UnknownCandidateError, UnknownVacancyError: an id is not in the store.
    """
    candidates = [engine.candidate(c) for c, _ in pairs]
    vacancies = [engine.vacancy(v) for _, v in pairs]
    ref, render = engine.reference, engine.config.render
    left = _vectors(engine, engine.candidate_index, candidates, lambda c: render_candidate(c, ref, render))
    right = _vectors(engine, engine.vacancy_index, vacancies, lambda v: render_vacancy(v, ref, render))
    similarity = np.einsum("ij,ij->i", left, right).astype(np.float32)
    g = engine.gazetteer
    distance, commute = pair_geography(CandidateColumns.of(candidates, g), VacancyColumns.of(vacancies, g))
    n = len(pairs)
    return PairBatch(candidates, vacancies, similarity, np.broadcast_to(distance, (n,)),
                     np.broadcast_to(commute, (n,)), "vacancies_for_candidate", as_of)  # fmt: skip


def score_pairs(engine: Engine, batch: PairBatch, explain: bool) -> tuple[NDArray[np.float32], list[Explained]]:
    """Scores of every pair and, if asked, their reasons (in the order given)."""
    scores = engine.scorer.score(batch)
    explained = engine.scorer.explain(batch, list(range(len(batch)))) if explain else []
    return scores, explained
