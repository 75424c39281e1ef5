"""The trained re-ranker behind the engine's ``Scorer`` protocol.

Features come from :mod:`matcher.features` exactly as in training; reasons from the model's own
feature contributions (:mod:`matcher.explain`), computed only for the pairs that are returned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from matcher.explain import explain
from matcher.features import CandidateArrays, VacancyArrays, pair_features
from matcher.geo import Gazetteer
from matcher.reference import ReferenceData
from matcher.reranker import Reranker
from matcher.retrieval import Explained, PairBatch


class RerankerScorer:
    """Scores pairs with a re-ranker; ``name`` carries the model kind and registry version."""

    def __init__(self, reranker: Reranker, reference: ReferenceData, max_reasons: int = 6) -> None:
        self.reranker = reranker
        self.reference = reference
        self.gazetteer = Gazetteer(reference)
        self.max_reasons = max_reasons
        self.name = f"{reranker.kind}:{reranker.version}"

    def features(self, pairs: PairBatch, positions: Sequence[int] | None = None) -> NDArray[np.float32]:
        """The feature matrix of the pairs (or of the pairs at ``positions``)."""
        chosen = range(len(pairs)) if positions is None else positions
        cands = CandidateArrays.build([pairs.candidates[i] for i in chosen], self.gazetteer)
        vacs = VacancyArrays.build([pairs.vacancies[i] for i in chosen], self.gazetteer)
        rows = np.arange(len(chosen), dtype=np.int64)
        similarity = np.asarray(pairs.similarity)[list(chosen)]
        return pair_features(cands, rows, vacs, rows, similarity, pairs.as_of)

    def score(self, pairs: PairBatch) -> NDArray[np.float32]:
        if len(pairs) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.reranker.score(self.features(pairs)).astype(np.float32)

    def explain(self, pairs: PairBatch, positions: Sequence[int]) -> list[Explained]:
        if len(positions) == 0:
            return []
        features = self.features(pairs, positions)
        contributions = self.reranker.contributions(features)
        result = []
        for row, i in enumerate(positions):
            contrib = None if contributions is None else contributions[row]
            explanation = explain(pairs.candidates[i], pairs.vacancies[i], features[row], contrib,
                                  self.reference, self.max_reasons)  # fmt: skip
            details = {**explanation.facts,
                       "effects": {r.family: round(r.effect, 4) for r in explanation.reasons}}  # fmt: skip
            result.append(Explained([r.text for r in explanation.reasons], details))
        return result
