"""Negative sampling for the learning-to-rank sets: the most similar items a query may get
(:func:`exact_top_k`), kept so that their posting ages are distributed as the proposals' are
(:func:`age_matched`). The sets themselves are built in :mod:`training.dataset`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

_CHUNK = 2048  # queries per similarity block: 2048 x 10k vacancies x 4 bytes = 80 MB
AGE_BINS = 20  # quantile bins of the proposals' posting ages


def exact_top_k(
    query_vecs: NDArray[np.float32],
    item_vecs: NDArray[np.float32],
    allowed: Callable[[slice], NDArray[np.bool_]],
    exclude: Sequence[NDArray[np.int64]],
    n: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """Exact top-``n`` items per query by inner product, among allowed and not excluded items.

    A second exact top-k beside :meth:`matcher.ranking.index.VectorIndex.search_rows` on purpose: every
    query has its own time mask (what was posted and open on its day), which an index cannot take.

    Returns:
        (query position, item index, similarity) of at most ``n`` items per query.
    """
    rows: list[NDArray[np.int64]] = []
    items: list[NDArray[np.int64]] = []
    scores: list[NDArray[np.float32]] = []
    n = min(n, item_vecs.shape[0])
    for start in range(0, len(query_vecs), _CHUNK):
        block = slice(start, min(start + _CHUNK, len(query_vecs)))
        sims = query_vecs[block] @ item_vecs.T
        sims[~allowed(block)] = -np.inf
        for r, skip in enumerate(exclude[block]):
            sims[r, skip] = -np.inf
        top = (
            np.argpartition(-sims, n - 1, axis=1)[:, :n]
            if n < sims.shape[1]
            else np.tile(np.arange(sims.shape[1]), (sims.shape[0], 1))
        )
        top_sims = np.take_along_axis(sims, top, axis=1)
        ok = np.isfinite(top_sims)
        rows.append(np.nonzero(ok)[0] + start)
        items.append(top[ok])
        scores.append(top_sims[ok])
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(items).astype(np.int64),
        np.concatenate(scores).astype(np.float32),
    )


def age_bins(proposal_ages: NDArray[np.int64], n_bins: int = AGE_BINS) -> NDArray[np.float64]:
    """Inner edges of quantile bins of the proposals' posting ages (ties merge bins)."""
    return np.unique(np.quantile(proposal_ages, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))


def age_matched(
    qpos: NDArray[np.int64],
    sims: NDArray[np.float32],
    ages: NDArray[np.int64],
    query_period: NDArray[np.int64],
    proposals: tuple[NDArray[np.int64], NDArray[np.int64]],
    n: int,
    seed: int,
) -> NDArray[np.bool_]:
    """Which pool rows become negatives: ``n`` per query, posting ages distributed as the proposals'.

    Each query draws the age bins of its ``n`` negatives from the bin shares of the proposals of
    its period, and takes, per bin, its most similar pool items of that age. Where the pool lacks
    items of a bin, the quota moves to the next older bin, and what is left at the oldest to the
    next younger ones. Periods matter: early in the history fewer old postings exist, and one
    distribution for all would leave a time-dependent difference the model learns.

    Args:
        qpos: query of each pool row (rows of one query need not be contiguous).
        sims: similarity of each pool row; ages: the posting's age at the query's date.
        query_period: period (index from 0) of each query.
        proposals: (posting age, period) of the proposed items: the distribution to match.
    """
    edges = age_bins(proposals[0])
    n_bins = len(edges) + 1
    quota = _age_quota(edges, query_period, proposals, n, seed)
    row_bin = np.searchsorted(edges, ages, side="right")
    available = np.zeros_like(quota)
    np.add.at(available, (qpos, row_bin), 1)
    for bins, step in ((range(n_bins - 1), 1), (range(n_bins - 1, 0, -1), -1)):
        for b in bins:
            excess = np.maximum(quota[:, b] - available[:, b], 0)
            quota[:, b] -= excess
            quota[:, b + step] += excess
    order = np.lexsort((-sims, row_bin, qpos))
    rank = _rank_within(qpos[order] * n_bins + row_bin[order])
    take = np.zeros(len(qpos), dtype=bool)
    take[order] = rank < quota[qpos[order], row_bin[order]]
    return take


def _age_quota(
    edges: NDArray[np.float64],
    query_period: NDArray[np.int64],
    proposals: tuple[NDArray[np.int64], NDArray[np.int64]],
    n: int,
    seed: int,
) -> NDArray[np.int64]:
    """Negatives wanted per query and age bin: ``n`` per query, drawn from the bin shares of the
    proposals of the query's period."""
    proposal_ages, proposal_period = proposals
    n_bins = len(edges) + 1
    shares = np.ones((int(query_period.max()) + 1, n_bins))  # +1: no bin is impossible
    np.add.at(shares, (proposal_period, np.searchsorted(edges, proposal_ages, side="right")), 1)
    shares /= shares.sum(axis=1, keepdims=True)
    uniform = np.random.default_rng(seed).random((len(query_period), n))
    wanted = (uniform[:, :, None] > np.cumsum(shares, axis=1)[query_period][:, None, :]).sum(axis=2)
    n_queries = len(query_period)
    quota = np.zeros((n_queries, n_bins), dtype=np.int64)
    np.add.at(quota, (np.repeat(np.arange(n_queries), n), np.minimum(wanted, n_bins - 1).ravel()), 1)
    return quota


def _rank_within(keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """0, 1, 2, ... within each run of equal (sorted) keys."""
    starts = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
    return np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
