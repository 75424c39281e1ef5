"""The honest oracle on the small world: the hidden utility of every evaluated pair, never in
training; negatives whose posting ages follow the proposals'; the oracle as the utility ceiling."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from matcher.ranking.features import FEATURE_NAMES
from matcher.ranking.reranker import RuleReranker, SimilarityReranker
from training.dataset import Datasets, RankingSet
from training.evaluate import baseline_scores, oracle_scores, utility_ndcg

AGE = FEATURE_NAMES.index("vacancy_age_days")


def test_every_evaluated_pair_has_its_hidden_utility_and_training_none(small_datasets: Datasets) -> None:
    test = small_datasets.test
    assert len(test) > 10_000 and np.isfinite(test.utility).all()
    assert small_datasets.train is not None and np.isnan(small_datasets.train.utility).all()
    assert (~test.proposed).sum() > 10 * test.proposed.sum()  # the negatives are covered, not just proposals


def test_proposed_pairs_get_exactly_the_exported_utility(small_world, small_datasets: Datasets) -> None:
    test, corpus = small_datasets.test, small_datasets.corpus
    exported = pd.read_csv(small_world / "world" / "oracle_utilities.csv", dtype={"kunden_id": str, "stellen_id": str})
    by_pair = exported.groupby(["kunden_id", "stellen_id"])["utility"].max()
    rows = np.flatnonzero(test.proposed)
    keys = [(corpus.candidates.records[test.cand[r]].id, corpus.vacancies.records[test.vac[r]].id) for r in rows]
    found = [(r, by_pair[k]) for r, k in zip(rows, keys) if k in by_pair.index]
    assert len(found) > 0.9 * len(rows)  # the rest name a merged duplicate's id in the export
    computed = np.array([test.utility[r] for r, _ in found])
    np.testing.assert_allclose(computed, [u for _, u in found], atol=5e-5)


def _age_ks(data: RankingSet) -> float:
    ages = data.features[:, AGE]
    return float(stats.ks_2samp(ages[data.proposed], ages[~data.proposed]).statistic)


def test_negatives_follow_the_proposals_posting_ages(small_datasets: Datasets) -> None:
    # Drawn by similarity alone, negatives were a median 60 % older than proposals (KS ~0.3).
    assert small_datasets.train is not None
    assert _age_ks(small_datasets.test) < 0.05
    assert _age_ks(small_datasets.train) < 0.06


def test_oracle_is_the_utility_ceiling(small_datasets: Datasets) -> None:
    test = small_datasets.test
    bounds = test.bounds()
    oracle = oracle_scores(test)
    assert oracle is not None
    assert utility_ndcg(oracle, test.utility, bounds) == 1.0
    others = [SimilarityReranker().score(test.features), RuleReranker().score(test.features)]
    others.append(np.random.default_rng(0).random(len(test)))
    assert all(utility_ndcg(s, test.utility, bounds) < 1.0 for s in others)
    assert set(baseline_scores(small_datasets.corpus, test)) >= {"oracle", "embedding"}
