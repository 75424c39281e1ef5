"""Ranking metrics on the test window, the baselines, and the promotion decision.

Metrics are means over queries (a job seeker on a proposal day, with the retrieved pool):

- ``ndcg@10``: gains ``2**rel - 1`` (the label gains LambdaMART is trained with), over queries
  with at least one relevant item (an all-zero query has no ideal ranking);
- ``map`` and ``mrr``: relevance > 0 counts as relevant, same queries;
- ``recall@10`` and ``recall@50``: share of the query's hires within the top k, over queries with
  a hire.

Ties are broken by the row order, which the dataset shuffles within each query, so a ranker that
gives many items the same score gains nothing from where the proposed items happen to sit.

Rankers: the trained model, embedding similarity alone, a lexical baseline (character 3-5-gram
TF-IDF cosine of the rendered texts), the transparent rule score, and the oracle: every item of a
query, proposed or retrieved, ranked by the generator's hidden utility (``RankingSet.utility``,
from :class:`data.generate.oracle.Oracle`). It knows the preferences that drew the outcomes, not
which items were proposed: the honest ceiling of a ranker that learns the preferences.

Beside the per-query metrics every ranker gets (:func:`relative_metrics`):

- ``ndcg@10_of_oracle`` and ``ndcg@10_vs_embedding``: its NDCG@10 over the oracle's and over
  embedding similarity's;
- ``ndcg@10_utility``: NDCG@10 with gain ``exp(utility)`` for every item, proposed or not: 1.0 for
  the oracle by construction; how much of the attainable utility a ranker puts in the top 10;
- ``spearman_utility``: Spearman's rank correlation of its scores with the hidden utility over all
  evaluated pairs (how well it recovers the preference model, whatever the labels);
- ``ndcg@10_proposals`` and ``ndcg@10_proposals_of_oracle``: outcome NDCG@10 among a job
  seeker's proposals of the test window only (job seekers with two or more and a relevant
  outcome), and its ratio to the oracle's. Every item there has an observed outcome drawn from its
  utility, so knowing which items were proposed is worth nothing and the oracle is the ceiling in
  expectation (outcome noise is large: a random order comes close, see the README).

Outcome labels give every retrieved negative 0, however good a match it is, so a model can beat
the oracle on outcome NDCG by learning which items caseworkers used to propose; on the utility
metrics the oracle is the ceiling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse, stats
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.ranking.features import FEATURE_NAMES
from matcher.ranking.reranker import Reranker, RuleReranker, SimilarityReranker
from matcher.services.promotion_gate import PromotionDecision as PromotionDecision  # the one gate, re-exported
from matcher.services.promotion_gate import decide_promotion as decide_promotion
from training.dataset import Corpus, RankingSet, outcome_groups

METRICS: tuple[str, ...] = ("ndcg@10", "map", "mrr", "recall@10", "recall@50")
RELATIVE: tuple[str, ...] = (
    "ndcg@10_of_oracle",
    "ndcg@10_vs_embedding",
    "ndcg@10_utility",
    "spearman_utility",
    "ndcg@10_proposals",
    "ndcg@10_proposals_of_oracle",
)
HIRED = 3
_PAIR_CHUNK = 20_000  # rows per sparse row-product block (memory stays ~100 MB)


def _dcg(gains: NDArray[np.float64], k: int) -> float:
    top = gains[:k]
    return float(np.sum(top / np.log2(np.arange(2, len(top) + 2))))


def query_metrics(scores: NDArray[np.float64], labels: NDArray[np.int64], bounds: NDArray[np.int64]) -> pd.DataFrame:
    """One row per query: the metrics (nan where undefined for that query)."""
    out = np.full((len(bounds) - 1, len(METRICS)), np.nan)
    for q in range(len(bounds) - 1):
        lab = labels[bounds[q] : bounds[q + 1]]
        if not np.any(lab > 0):
            continue
        # Stable sort keeps the shuffled row order among ties.
        ranked = lab[np.argsort(-scores[bounds[q] : bounds[q + 1]], kind="stable")]
        gains = np.power(2.0, ranked, dtype=np.float64) - 1.0
        ideal = _dcg(np.sort(gains)[::-1], 10)
        hits = np.nonzero(ranked > 0)[0]
        precision = np.arange(1, len(hits) + 1) / (hits + 1)
        hires = ranked == HIRED
        out[q, :3] = (_dcg(gains, 10) / ideal, precision.mean(), 1.0 / (hits[0] + 1))
        if hires.any():
            out[q, 3:] = (hires[:10].sum() / hires.sum(), hires[:50].sum() / hires.sum())
    return pd.DataFrame(out, columns=list(METRICS))


def summarise(per_query: pd.DataFrame) -> dict[str, float]:
    """Means over the queries where each metric is defined."""
    return {m: float(per_query[m].mean()) if per_query[m].notna().any() else float("nan") for m in METRICS}


@dataclass
class LexicalScorer:
    """Cosine of character 3-5-gram TF-IDF vectors of the rendered texts.

    The vocabulary and idf are fitted on the texts of the evaluated rows only (no labels are
    involved), which keeps the fit to a few thousand texts.
    """

    vectorizer: TfidfVectorizer = field(
        default_factory=lambda: TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, dtype=np.float32
        )
    )

    def score(self, corpus: Corpus, data: RankingSet) -> NDArray[np.float64]:
        cands, vacs = np.unique(data.cand), np.unique(data.vac)
        texts = [corpus.candidates.texts[i] for i in cands] + [corpus.vacancies.texts[i] for i in vacs]
        matrix = sparse.csr_matrix(self.vectorizer.fit_transform(texts))
        cand_pos = np.searchsorted(cands, data.cand)
        vac_pos = len(cands) + np.searchsorted(vacs, data.vac)
        out = np.zeros(len(data), dtype=np.float64)
        for start in range(0, len(data), _PAIR_CHUNK):
            rows = slice(start, start + _PAIR_CHUNK)
            product = matrix[cand_pos[rows]].multiply(matrix[vac_pos[rows]])
            out[rows] = np.asarray(product.sum(axis=1)).ravel()
        return out


def oracle_scores(data: RankingSet) -> NDArray[np.float64] | None:
    """Every item ranked by its hidden utility (an item without one, below all others).

    None when the set carries no utility (the world has no oracle files).
    """
    known = np.isfinite(data.utility)
    if not known.any():
        return None
    return np.where(known, data.utility, np.min(data.utility[known]) - 1.0)


def spearman(scores: NDArray[np.float64], utility: NDArray[np.float64]) -> float:
    """Spearman's rank correlation of scores and utility over the pairs that have both (nan if < 3)."""
    both = np.isfinite(scores) & np.isfinite(utility)
    if both.sum() < 3:
        return float("nan")
    return float(stats.spearmanr(scores[both], utility[both]).statistic)


def utility_ndcg(
    scores: NDArray[np.float64], utility: NDArray[np.float64], bounds: NDArray[np.int64], k: int = 10
) -> float:
    """Mean NDCG@k with gain ``exp(utility)`` (over queries whose items all have one; nan if none).

    Exponential gains, like ``2**rel - 1`` for labels, weigh the best matches most; the generator's
    outcome stages are logistic in the utility, so the odds of a hire grow about exponentially with
    it. NDCG does not change when a query's utilities shift by a constant.
    """
    values = []
    for q in range(len(bounds) - 1):
        u = utility[bounds[q] : bounds[q + 1]]
        if len(u) == 0 or not np.isfinite(u).all():
            continue
        gains = np.exp(u - u.max())
        ideal = _dcg(np.sort(gains)[::-1], k)
        values.append(_dcg(gains[np.argsort(-scores[bounds[q] : bounds[q + 1]], kind="stable")], k) / ideal)
    return float(np.mean(values)) if values else float("nan")


def proposals_ndcg(
    scores: NDArray[np.float64], labels: NDArray[np.int64], groups: Sequence[NDArray[np.int64]]
) -> float:
    """Mean outcome NDCG@10 within each group of rows (nan without groups)."""
    values = []
    for rows in groups:
        gains = np.power(2.0, labels[rows], dtype=np.float64) - 1.0
        order = np.argsort(-scores[rows], kind="stable")
        values.append(_dcg(gains[order], 10) / _dcg(np.sort(gains)[::-1], 10))
    return float(np.mean(values)) if values else float("nan")


def baseline_scores(corpus: Corpus, data: RankingSet) -> dict[str, NDArray[np.float64] | None]:
    """Scores of the baselines on ``data``: embedding, lexical, rules and oracle."""
    return {
        "embedding": SimilarityReranker().score(data.features),
        "lexical": LexicalScorer().score(corpus, data),
        "rules": RuleReranker().score(data.features),
        "oracle": oracle_scores(data),
    }


def _ratio(a: float | None, b: float | None) -> float:
    return float("nan") if a is None or b is None or not b > 0 else a / b


def relative_metrics(
    metrics: Mapping[str, dict[str, float] | None], scores: Mapping[str, NDArray[np.float64] | None], data: RankingSet
) -> dict[str, dict[str, float] | None]:
    """Each ranker's metrics plus :data:`RELATIVE` (nan where the oracle or the embedding is missing)."""
    oracle = (metrics.get("oracle") or {}).get("ndcg@10")
    embedding = (metrics.get("embedding") or {}).get("ndcg@10")
    bounds = data.bounds()
    groups = outcome_groups(data, "cand")  # each job seeker's proposals of the window
    among = {name: proposals_ndcg(score, data.labels, groups) for name, score in scores.items() if score is not None}
    out: dict[str, dict[str, float] | None] = {}
    for name, values in metrics.items():
        score = scores.get(name)
        if values is None or score is None:
            out[name] = values
            continue
        out[name] = values | {
            "ndcg@10_of_oracle": _ratio(values["ndcg@10"], oracle),
            "ndcg@10_vs_embedding": _ratio(values["ndcg@10"], embedding),
            "ndcg@10_utility": utility_ndcg(score, data.utility, bounds),
            "spearman_utility": spearman(score, data.utility),
            "ndcg@10_proposals": among[name],
            "ndcg@10_proposals_of_oracle": _ratio(among[name], among.get("oracle")),
        }
    return out


def evaluate_rankers(
    scores: Mapping[str, NDArray[np.float64] | None], data: RankingSet
) -> dict[str, dict[str, float] | None]:
    """Metric summary per ranker (None for a ranker without scores, e.g. no oracle)."""
    bounds = data.bounds()
    metrics = {
        name: None if s is None else summarise(query_metrics(s, data.labels, bounds)) for name, s in scores.items()
    }
    return relative_metrics(metrics, scores, data)


def score_models(models: Mapping[str, Reranker], data: RankingSet) -> dict[str, NDArray[np.float64]]:
    return {name: model.score(data.features) for name, model in models.items()}


def metrics_table(metrics: Mapping[str, Mapping[str, float] | None]) -> pd.DataFrame:
    """Rankers as rows, metrics as columns."""
    rows = {name: dict(m) if m is not None else dict.fromkeys(METRICS, np.nan) for name, m in metrics.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=[*METRICS, *RELATIVE])


def feature_importance(model: Reranker) -> pd.Series:
    """Total gain per feature of a LightGBM model, largest first (empty for other kinds)."""
    booster = getattr(model, "booster", None)
    if booster is None:
        return pd.Series(dtype=float)
    gain = booster.feature_importance(importance_type="gain")
    return pd.Series(gain, index=list(FEATURE_NAMES)).sort_values(ascending=False)
