"""Benchmark of the scale path: a 1,000,000-vacancy world in process, and batch-match on Ray.

``python -m training.bench.batch --home var-bench`` (a home made by ``matcher demo``, default
world: 12,000 job seekers, 3,000 open vacancies) prints JSON lines:

1. ``world``: 1,000,000 open vacancies, jittered copies of the home's open ones as
   ``training.bench.serving.prepare_big`` makes its 100k world (another place and postcode of the region, hours
   +-5, posted up to 60 days earlier). Their vectors are *not* re-embedded (1M texts would take the
   encoder most of an hour here): each copy's vector is its original's vector from the home's
   index (the encoder's embedding of its rendered text) plus Gaussian noise (``--jitter`` per
   dimension), L2-normalised.
2. ``index``: the project's ``IVFIndex`` (``--index ivf``, the default, what "auto" picks at
   this size) or ``HNSWIndex`` (``--index hnsw``) over them: build seconds and memory.
3. ``search``: per ``nprobe`` (IVF) or ``efSearch`` (HNSW), wall and thread-CPU p50/p99 ms and
   recall@10 against exact search over the same eligible rows, for real job seekers as queries,
   with their hard filters (filter-first, the engine's ``search_rows``) and without filters.
4. ``shortlist``: the engine's whole shortlist (filter, search, featurise, re-rank, explain) over
   the 1M-vacancy side, p50/p99 ms.
5. ``batch``: batch-match throughput (people per second) on the home's own world with 1 and 2 Ray
   workers, after a warm-up run that opens the engine in each worker (``--skip-batch``: not).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from matcher.settings import Settings


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _pct(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2)}


def _emit(part: str, **fields: Any) -> None:
    print(json.dumps({"part": part, **fields}, default=str), flush=True)


def synthetic_world(engine: Any, target: int, jitter: float, seed: int = 0) -> tuple[list[Any], np.ndarray]:
    """``target`` open vacancies copied from the engine's, and their jittered vectors."""
    rng, noise = random.Random(seed), np.random.default_rng(seed)
    side = engine.vacancies
    base = [side.record(i) for i in side.index.ids()]
    vectors = side.index.vectors([v.id for v in base])
    places = [(v.ags, v.postcode) for v in base]
    records, out = [], np.empty((target, vectors.shape[1]), dtype=np.float32)
    for n in range(target):
        b = rng.randrange(len(base))
        v = base[b]
        ags, postcode = rng.choice(places)
        hours = None if v.hours_per_week is None else float(min(60, max(5, v.hours_per_week + rng.randint(-5, 5))))
        update = {"id": f"SYN-{n:07d}", "source_ids": [], "ags": ags, "postcode": postcode, "hours_per_week": hours}
        records.append(v.model_copy(update={**update, "posted_at": v.posted_at - timedelta(days=rng.randint(0, 60))}))
        out[n] = vectors[b]
    for start in range(0, target, 100_000):  # in blocks: the noise of 1M rows at once is another 1 GB
        block = out[start : start + 100_000]
        block += noise.normal(0.0, jitter, block.shape).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return records, out


def build_big_side(engine: Any, records: list[Any], vectors: np.ndarray, config: Any) -> float:
    """Swap the engine's vacancy side for the big one (an index of ``config.kind``); the build seconds."""
    from matcher.ranking.columns import Rows, VacancyTable
    from matcher.ranking.engine import VACANCY_INDEX
    from matcher.ranking.index import create_index
    from matcher.ranking.sides import Side

    old = engine.vacancies.index
    start = time.perf_counter()
    index = create_index(vectors.shape[1], old.encoder_name, old.encoder_fingerprint, config, len(records))
    index.add([r.id for r in records], vectors)  # one batch: IVF trains its centroids on it
    seconds = time.perf_counter() - start
    engine.vacancies = Side(VACANCY_INDEX, index, Rows.of(VacancyTable, records, engine.gazetteer))
    return seconds


def _eligible(engine: Any, candidate_id: str) -> np.ndarray:
    from matcher.ranking.columns import CandidateTable
    from matcher.ranking.filters import apply_filters

    own = CandidateTable.build([engine.candidate(candidate_id)], engine.gazetteer)
    items = engine.vacancies.rows.view()
    places = (engine.gazetteer.place_lat, engine.gazetteer.place_lon)
    alive = engine.vacancies.index.alive()
    return apply_filters(own, items, engine.config.filters, within=alive, places=places).keep


def _truth(matrix: np.ndarray, vector: np.ndarray, eligible: np.ndarray, k: int) -> tuple[set[int], float]:
    """The exact top-k rows among the eligible, and the k-th score (for ties)."""
    scores = np.where(eligible[: len(matrix)], matrix @ vector[0], -np.inf)
    top = np.argpartition(-scores, k)[:k]
    top = top[np.isfinite(scores[top])]
    return set(top.tolist()), float(scores[top].min()) if len(top) else np.inf


def search_sweep(engine: Any, queries: list[str], knobs: list[dict[str, Any]], k: int = 10) -> None:
    """Latency and recall@k of ``search_rows`` per search setting, filtered and unfiltered.

    recall@k counts a found row whose exact score ties the k-th best (within 1e-5) as found: the
    jittered copies make near-ties, and an approximate index may return either of two. People
    without any eligible vacancy are timed but left out of recall (nothing to find).
    """
    index = engine.vacancies.index
    matrix = index._matrix()  # the index's own vectors, for the exact answer
    cases = []
    for cid in queries:
        vector = engine.vector_of(engine.candidate(cid))
        cases.append((vector, _eligible(engine, cid), "filtered"))
        cases.append((vector, index.alive(), "unfiltered"))
    exact = [_truth(matrix, vector, eligible, k) for vector, eligible, _ in cases]
    shares = [float(np.mean(e)) for _, e, kind in cases if kind == "filtered"]
    base = index.config
    for knob in knobs:
        index.config = replace(base, **knob)
        for kind in ("filtered", "unfiltered"):
            ms, cpu, recall = [], [], []
            for (vector, eligible, case), (truth, kth) in zip(cases, exact):
                if case != kind:
                    continue
                start, start_cpu = time.perf_counter(), time.thread_time()
                hits = index.search_rows(vector, k, eligible)
                ms.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
                if truth:  # a person with no eligible vacancy has nothing to recall
                    found = {
                        r for r, s in zip(hits.rows.tolist(), hits.scores.tolist()) if r in truth or s >= kth - 1e-5
                    }
                    recall.append(min(len(found), len(truth)) / len(truth))
            _emit(
                "search",
                index=index.kind,
                **knob,
                filters=kind,
                queries=len(ms),
                without_eligible=len(ms) - len(recall),
                recall_at_10=round(float(np.mean(recall)), 4),
                recall_at_10_min=round(float(np.min(recall)), 2),
                eligible_share_median=round(float(np.median(shares)), 4) if kind == "filtered" else 1.0,
                **_pct(ms),
                **{f"cpu_{key}": value for key, value in _pct(cpu).items()},
            )
    index.config = base


def shortlist_latency(engine: Any, queries: list[str], k: int = 10) -> None:
    engine.shortlist_for_candidate(queries[0], k)  # the reasons' reference labels load lazily
    ms = []
    for cid in queries:
        start = time.perf_counter()
        engine.shortlist_for_candidate(cid, k)
        ms.append((time.perf_counter() - start) * 1000)
    _emit("shortlist", vacancies=len(engine.vacancies.index), k=k, queries=len(ms), **_pct(ms))


def batch_throughput(home: Path, people: int, workers: list[int]) -> None:
    """batch-match (vacancies for ``people`` job seekers, k=20) on a copy of the home's store."""
    import ray

    from matcher.services.batch import BatchConfig, run_batch

    scratch = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        for name in ("encoder", "indexes", "mlartifacts"):
            shutil.copytree(home / name, scratch / name, symlinks=True)
        for name in ("matcher.db", "mlflow.db", "pseudonym.key"):
            if (home / name).exists():
                shutil.copy2(home / name, scratch / name)
        settings = Settings(home=scratch, MLFLOW_TRACKING_URI=f"sqlite:///{scratch / 'mlflow.db'}")
        for n in workers:
            ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
            try:
                warm = BatchConfig(direction="vacancies", k=20, shard_size=50, sample=50 * n, run_id=f"warm-{n}")
                run_batch(settings, warm)  # opens the engine in each worker
                config = BatchConfig(direction="vacancies", k=20, shard_size=250, sample=people, run_id=f"timed-{n}")
                summary = run_batch(settings, config)
            finally:
                ray.shutdown()
            rate = summary.people / summary.seconds
            _emit(
                "batch",
                workers=n,
                people=summary.people,
                pairs=summary.pairs,
                shards=summary.shards,
                seconds=summary.seconds,
                people_per_s=round(rate, 1),
                ms_per_person_per_worker=round(1000 * n / rate, 2),
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, default=Path("var-bench"))
    parser.add_argument("--vacancies", type=int, default=1_000_000)
    parser.add_argument("--jitter", type=float, default=0.03, help="noise per dimension before normalising")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index", choices=["ivf", "hnsw"], default="ivf")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--nprobe", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--lists-per-sqrt", type=float, default=None, help="IVF lists per sqrt(rows)")
    parser.add_argument("--batch-people", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not args.skip_big:
        big(args)
    if not args.skip_batch:
        batch_throughput(args.home.resolve(), args.batch_people, args.workers)


def _index_config(engine: Any, args: argparse.Namespace) -> tuple[Any, list[dict[str, Any]]]:
    """The big side's index config, and the search settings to sweep."""
    config = replace(engine.config.index, kind=args.index)
    if args.index == "hnsw":
        config = replace(config, hnsw_m=args.hnsw_m, hnsw_ef_construction=args.ef_construction)
        return config, [{"hnsw_ef_search": ef} for ef in args.ef_search]
    if args.lists_per_sqrt:
        config = replace(config, ivf_lists_per_sqrt=args.lists_per_sqrt)
    return config, [{"ivf_nprobe": n} for n in args.nprobe]


def _index_figures(index: Any, args: argparse.Namespace) -> dict[str, Any]:
    if index.kind == "hnsw":
        extra = {"m": args.hnsw_m, "ef_construction": args.ef_construction}
        return extra | {"graph_bytes_per_million_mib": round(args.hnsw_m * 2 * 4 * 1e6 / 2**20)}
    ids_mib = 8 * 1e6 / 2**20  # the lists' int64 row ids; the centroids are a few MB
    return {"lists": index.lists(), "list_ids_per_million_mib": round(ids_mib)}


def big(args: argparse.Namespace) -> None:
    import faiss

    from training.bench.serving import scratch_engine

    faiss.omp_set_num_threads(2)  # the build uses both cores; queries below run on one
    with scratch_engine(args.home) as (engine, _load):
        queries = random.Random(1).sample(engine.candidates.index.ids(), args.queries)
        start, before = time.perf_counter(), _rss_mib()
        records, vectors = synthetic_world(engine, args.vacancies, args.jitter)
        made = time.perf_counter() - start
        _emit("world", vacancies=len(records), seconds=round(made, 1), rss_mib=round(_rss_mib() - before))
        before = _rss_mib()
        config, knobs = _index_config(engine, args)
        seconds = build_big_side(engine, records, vectors, config)
        del vectors
        index = engine.vacancies.index
        _emit(
            "index",
            kind=index.kind,
            build_s=round(seconds, 1),
            rss_growth_mib=round(_rss_mib() - before),
            vector_bytes_per_million_mib=round(index._faiss.ntotal * 4 * index.dimension / 2**20 * 1e6 / len(records)),
            **_index_figures(index, args),
            peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        )
        faiss.omp_set_num_threads(1)
        search_sweep(engine, queries, knobs)
        shortlist_latency(engine, queries[:100])


if __name__ == "__main__":
    main()
