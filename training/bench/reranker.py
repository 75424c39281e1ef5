"""Benchmark of the re-ranker: training time and per-request latency.

``.venv/bin/python -m training.bench.reranker [--home DIR] [--rows N] [--library-defaults]``

1. Training on the world's training set (the store under ``MATCHER_HOME``, embeddings from the
   training cache; skipped with a note when the store is empty).
2. Training on a synthetic set of ``--rows`` rows (default 1,000,000) x 24 features, 20 rows per
   query, graded labels from a noisy function of the features (target: <= 60 s on 2 cores).
3. Features + prediction for 200 pairs (one job seeker, 200 vacancies: a shortlist request),
   p50/p99 over 300 repetitions (target: p50 <= 5 ms).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.features import N_FEATURES, pair_features
from matcher.ranking.reranker import LambdaMartParams, LightGBMReranker
from matcher.records.store import Store
from matcher.settings import Settings
from training.config import TrainingConfig, default_lambdamart

ROWS_PER_QUERY = 20


def synthetic_set(rows: int, seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]:
    """(features, graded labels 0-3, group sizes) with a learnable signal."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, N_FEATURES)).astype(np.float32)
    weights = rng.normal(size=N_FEATURES)
    utility = features @ weights + 0.5 * np.sin(features[:, 0] * features[:, 1]) + rng.normal(0, 2.0, rows)
    labels = np.digitize(utility, np.quantile(utility, [0.85, 0.95, 0.985])).astype(np.int64)
    groups = np.full(rows // ROWS_PER_QUERY, ROWS_PER_QUERY, dtype=np.int64)
    groups[-1] += rows - groups.sum()
    return features, labels, groups


def time_fit(
    features: NDArray[np.float32], labels: NDArray[np.int64], groups: NDArray[np.int64], params: LambdaMartParams
) -> tuple[float, LightGBMReranker]:
    start = time.perf_counter()
    model = LightGBMReranker.fit(features, labels, groups, params)
    return time.perf_counter() - start, model


def world_training(settings: Settings, params: LambdaMartParams) -> tuple[str, float, int] | None:
    """Training time on the store's training set, or None when the store is empty."""
    from matcher.ranking.encoder import load_default_encoder
    from training.pipeline import TrainingInputs, prepare

    store = Store(settings.store_url)
    if store.count("proposals") == 0:
        return None
    encoder = load_default_encoder(settings.encoder, settings.encoder_dir)
    data = prepare(TrainingInputs(TrainingConfig(params=params), encoder, store, settings.embedding_cache_dir))
    assert data.train is not None
    train = data.train.with_relevant()
    seconds, _ = time_fit(train.features, train.labels, train.group_sizes(), params)
    return f"world training set ({len(train.queries)} queries)", seconds, len(train)


def request_latency(settings: Settings, model: LightGBMReranker, repeats: int = 300) -> NDArray[np.float64]:
    """Milliseconds for features + scores of 200 pairs, per repetition."""
    from matcher.ranking.columns import CandidateTable, VacancyTable
    from matcher.records.geo import Gazetteer
    from matcher.records.reference import ReferenceData

    store = Store(settings.store_url)
    candidates, vacancies = store.candidates(limit=50), store.vacancies(limit=200)
    if not candidates or len(vacancies) < 200:
        raise SystemExit("latency needs an ingested world with 200 vacancies under MATCHER_HOME")
    gazetteer = Gazetteer(ReferenceData())
    cands, vacs = CandidateTable.build(candidates, gazetteer), VacancyTable.build(vacancies, gazetteer)
    rng = np.random.default_rng(0)
    timings = np.zeros(repeats)
    vi = np.arange(200, dtype=np.int64)
    for r in range(repeats):
        ci = np.full(200, r % len(candidates), dtype=np.int64)
        similarity = rng.random(200).astype(np.float32)  # retrieval hands these over
        start = time.perf_counter()
        model.score(pair_features(cands, ci, vacs, vi, similarity, date(2026, 11, 25)))
        timings[r] = (time.perf_counter() - start) * 1000.0
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="MATCHER_HOME with an ingested world")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--library-defaults", action="store_true", help="also time LambdaMartParams() (300 rounds, 255 bins, 2 threads)"
    )
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    settings = Settings(home=args.home) if args.home else Settings()
    params = default_lambdamart()
    table: list[tuple[str, str]] = []
    world = world_training(settings, params)
    table.append(
        ("train: " + world[0], f"{world[1]:.1f} s ({world[2]:,} rows)")
        if world
        else ("train: world training set", "skipped (no ingested world)")
    )
    features, labels, groups = synthetic_set(args.rows)
    seconds, model = time_fit(features, labels, groups, params)
    table.append((f"train: synthetic {args.rows:,} x {N_FEATURES}, pipeline params", f"{seconds:.1f} s"))
    if args.library_defaults:
        seconds, _ = time_fit(features, labels, groups, LambdaMartParams())
        table.append((f"train: synthetic {args.rows:,} x {N_FEATURES}, LambdaMartParams()", f"{seconds:.1f} s"))
    timings = request_latency(settings, model)
    table.append(("features + prediction, 200 pairs: p50", f"{np.percentile(timings, 50):.2f} ms"))
    table.append(("features + prediction, 200 pairs: p99", f"{np.percentile(timings, 99):.2f} ms"))
    width = max(len(k) for k, _ in table)
    print(f"{'measure':<{width}}  result\n{'-' * width}  ------")
    for key, value in table:
        print(f"{key:<{width}}  {value}")
    print(
        f"(params: {params.num_boost_round} rounds, lr {params.learning_rate}, "
        f"max_bin {params.extra.get('max_bin', 255)}, {params.num_threads} threads)"
    )


if __name__ == "__main__":
    main()
