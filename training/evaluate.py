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
TF-IDF cosine of the rendered texts), the transparent rule score, and the oracle: the generator's
hidden utility for the proposed items, with every non-proposed item ranked below them (the oracle
knows nothing of items it never saw proposed; it is the ceiling of "rank the proposals well").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.features import FEATURE_NAMES
from matcher.reranker import Reranker, RuleReranker, SimilarityReranker
from training.dataset import Corpus, RankingSet

METRICS: tuple[str, ...] = ("ndcg@10", "map", "mrr", "recall@10", "recall@50")
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
        texts = [corpus.cand_texts[i] for i in cands] + [corpus.vac_texts[i] for i in vacs]
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
    """The generator's utility for proposed items, below all of them everything else.

    None when the set carries no utility (no oracle file was given).
    """
    known = data.proposed & np.isfinite(data.utility)
    if not known.any():
        return None
    floor = np.nanmin(data.utility[known]) - 1.0
    return np.where(known, data.utility, floor - 1.0)


def baseline_scores(corpus: Corpus, data: RankingSet) -> dict[str, NDArray[np.float64] | None]:
    """Scores of the baselines on ``data``: embedding, lexical, rules and oracle."""
    return {
        "embedding": SimilarityReranker().score(data.features),
        "lexical": LexicalScorer().score(corpus, data),
        "rules": RuleReranker().score(data.features),
        "oracle": oracle_scores(data),
    }


def evaluate_rankers(
    scores: Mapping[str, NDArray[np.float64] | None], data: RankingSet
) -> dict[str, dict[str, float] | None]:
    """Metric summary per ranker (None for a ranker without scores, e.g. no oracle)."""
    bounds = data.bounds()
    return {name: None if s is None else summarise(query_metrics(s, data.labels, bounds)) for name, s in scores.items()}


def score_models(models: Mapping[str, Reranker], data: RankingSet) -> dict[str, NDArray[np.float64]]:
    return {name: model.score(data.features) for name, model in models.items()}


def metrics_table(metrics: Mapping[str, Mapping[str, float] | None]) -> pd.DataFrame:
    """Rankers as rows, metrics as columns."""
    rows = {name: dict(m) if m is not None else dict.fromkeys(METRICS, np.nan) for name, m in metrics.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))


def feature_importance(model: Reranker) -> pd.Series:
    """Total gain per feature of a LightGBM model, largest first (empty for other kinds)."""
    booster = getattr(model, "booster", None)
    if booster is None:
        return pd.Series(dtype=float)
    gain = booster.feature_importance(importance_type="gain")
    return pd.Series(gain, index=list(FEATURE_NAMES)).sort_values(ascending=False)


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a new model becomes champion, and why."""

    promote: bool
    reasons: list[str]


def decide_promotion(
    ndcg: float, fairness_passed: bool, fairness_failures: list[str], champion_ndcg: float | None
) -> PromotionDecision:
    """Champion only if fair enough and strictly better than the champion on the same data.

    Args:
        ndcg: the new model's NDCG@10 on the test window.
        fairness_passed: outcome of :func:`training.fairness.fairness_gate` (which already
            accepts a group below the threshold when the champion is no better there).
        fairness_failures: the gate's reasons, reported when it fails.
        champion_ndcg: the current champion's NDCG@10 on the same test window; None if none.
    """
    reasons: list[str] = []
    if not fairness_passed:
        reasons.append("fairness gate failed: " + "; ".join(fairness_failures))
    if champion_ndcg is None:
        reasons.append("no champion yet")
    elif not ndcg > champion_ndcg:
        reasons.append(f"NDCG@10 {ndcg:.4f} does not beat the champion's {champion_ndcg:.4f}")
    else:
        reasons.append(f"NDCG@10 {ndcg:.4f} beats the champion's {champion_ndcg:.4f}")
    better = champion_ndcg is None or ndcg > champion_ndcg
    return PromotionDecision(promote=fairness_passed and better, reasons=reasons)
