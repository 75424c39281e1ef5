"""Known answers for the ranking metrics, the oracle and the lexical baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.evaluate import oracle_scores, query_metrics, summarise
from training.fairness import age_group, exposure_ratios


def _bounds(*sizes: int) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def test_ideal_ranking_scores_one() -> None:
    labels = np.array([0, 1, 3, 0, 2], dtype=np.int64)
    m = summarise(query_metrics(labels.astype(float), labels, _bounds(5)))
    assert m == {"ndcg@10": 1.0, "map": 1.0, "mrr": 1.0, "recall@10": 1.0, "recall@50": 1.0}


def test_graded_ranking_known_answer() -> None:
    labels = np.array([3, 2, 0, 0, 1, 0], dtype=np.int64)
    scores = np.array([6.0, 5, 4, 3, 2, 1])
    m = summarise(query_metrics(scores, labels, _bounds(6)))
    # hired first, interview second, applied fifth: not ideal (applied belongs third)
    ideal = np.array([7, 3, 1]) / np.log2([2, 3, 4])
    actual = np.array([7, 3, 1]) / np.log2([2, 3, 6])
    assert m["ndcg@10"] == pytest.approx(actual.sum() / ideal.sum())
    assert m["mrr"] == 1.0
    assert m["map"] == pytest.approx((1 + 1 + 3 / 5) / 3)
    assert m["recall@10"] == 1.0


def test_hire_outside_top_10_and_queries_without_relevance() -> None:
    labels = np.zeros(60, dtype=np.int64)
    labels[30] = 3
    scores = -np.arange(60, dtype=float)  # row order is the ranking
    per_query = query_metrics(
        np.concatenate([scores, scores[:5]]), np.concatenate([labels, np.zeros(5, np.int64)]), _bounds(60, 5)
    )
    assert per_query.iloc[1].isna().all()  # nothing relevant: undefined, not zero
    m = summarise(per_query)
    assert m["recall@10"] == 0.0 and m["recall@50"] == 1.0
    assert m["mrr"] == pytest.approx(1 / 31)
    assert m["ndcg@10"] == 0.0


def test_ties_keep_row_order() -> None:
    labels = np.array([0, 0, 3], dtype=np.int64)
    m = summarise(query_metrics(np.zeros(3), labels, _bounds(3)))
    assert m["mrr"] == pytest.approx(1 / 3)


def test_age_groups() -> None:
    assert [age_group(y, 2026) for y in (2005, 2001, 1977, 1976, None)] == ["<25", "25-49", "25-49", "50+", "unknown"]


def test_exposure_ratio_parity_and_exclusion() -> None:
    from training.dataset import RankingSet

    n = 20
    queries = pd.DataFrame({"query": [0], "as_of": [0]})
    data = RankingSet(
        np.zeros((n, 1), np.float32),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.arange(n),
        np.zeros(n, np.int64),
        np.zeros(n, bool),
        np.full(n, np.nan),
        queries,
    )
    groups = np.array(["a", "b"] * 10, dtype=object)
    parity = exposure_ratios(np.arange(n, dtype=float) % 2, data, groups)  # b ranked first
    assert parity["b"] == pytest.approx(2.0) and parity["a"] == pytest.approx(0.0)
    assert oracle_scores(data) is None
