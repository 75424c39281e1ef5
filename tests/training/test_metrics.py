"""Known answers for the ranking metrics, the oracle and the lexical baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.ranking.features import N_FEATURES
from training.dataset import RankingSet, outcome_groups
from training.evaluate import oracle_scores, proposals_ndcg, query_metrics, summarise
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


def test_proposals_ndcg_orders_each_job_seekers_proposals() -> None:
    # Job seeker 7: three proposals (hired, nothing, applied) on different days, among negatives;
    # job seeker 8: one proposal (no group); negatives scored on top change nothing.
    labels = np.array([0, 3, 0, 0, 1, 0, 2, 0], dtype=np.int64)
    proposed = np.array([False, True, True, False, True, False, True, False])
    cand = np.array([7, 7, 7, 7, 7, 7, 8, 8])
    data = RankingSet(
        features=np.zeros((8, N_FEATURES), dtype=np.float32),
        labels=labels,
        query=np.array([0, 0, 0, 1, 1, 1, 2, 2]),
        cand=cand,
        vac=np.arange(8),
        proposed=proposed,
        utility=np.full(8, np.nan),
        queries=pd.DataFrame({"query": [0, 1, 2], "as_of": [1, 2, 3], "cand": [7, 7, 8]}),
    )
    groups = outcome_groups(data, "cand")
    assert [sorted(g) for g in groups] == [[1, 2, 4]]
    scores = np.array([9.0, 1, 3, 8, 2, 7, 0, 5])
    ideal = 7 / np.log2(2) + 1 / np.log2(3)
    actual = 7 / np.log2(4) + 1 / np.log2(3)
    assert proposals_ndcg(scores, labels, groups) == pytest.approx(actual / ideal)
    assert proposals_ndcg(labels.astype(float), labels, groups) == 1.0
    assert np.isnan(proposals_ndcg(scores, labels, []))


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


def test_spearman_known_answers() -> None:
    from training.evaluate import spearman

    x = np.array([1.0, 2, 3, 4, 5])
    assert spearman(x, 10 * x) == pytest.approx(1.0)
    assert spearman(x, -x) == pytest.approx(-1.0)
    # y ranks 1, 2, 3.5, 5, 3.5: sum dx*dy = 8, sum dx^2 = 10, sum dy^2 = 9.5
    assert spearman(x, np.array([5.0, 6, 7, 8, 7])) == pytest.approx(8 / np.sqrt(95))
    with_gaps = np.array([5.0, 6, 7, 8, 7, np.nan])
    assert spearman(np.append(x, 0.0), with_gaps) == pytest.approx(8 / np.sqrt(95))  # nan pairs left out
    assert np.isnan(spearman(x[:2], x[:2]))


def test_oracle_ranks_every_item_by_utility_and_is_the_utility_ceiling() -> None:
    from training.dataset import RankingSet
    from training.evaluate import utility_ndcg

    rng = np.random.default_rng(3)
    n, sizes = 40, (15, 25)
    utility = rng.normal(size=n)
    data = RankingSet(
        np.zeros((n, 1), np.float32),
        np.zeros(n, np.int64),
        np.repeat([0, 1], sizes),
        np.arange(n),
        np.arange(n),
        np.arange(n) % 5 == 0,  # proposed or not: the oracle does not look
        utility,
        pd.DataFrame({"query": [0, 1], "as_of": [0, 0]}),
    )
    oracle = oracle_scores(data)
    assert oracle is not None and np.array_equal(np.argsort(oracle), np.argsort(utility))
    bounds = _bounds(*sizes)
    assert utility_ndcg(oracle, utility, bounds) == pytest.approx(1.0)
    assert utility_ndcg(-utility, utility, bounds) < 0.5
    for seed in range(5):
        assert utility_ndcg(np.random.default_rng(seed).random(n), utility, bounds) < 1.0
    # Known answer: one query, utilities log 3 and 0 (gains 1 and 1/3 after the shift), reversed.
    two = np.log([3.0, 1.0])
    assert utility_ndcg(np.array([0.0, 1.0]), two, _bounds(2)) == pytest.approx(
        (1 / 3 + 1 / np.log2(3)) / (1 + 1 / 3 / np.log2(3))
    )
