"""Benchmark of the vector index kinds: build time, query latency, recall of HNSW against exact.

Run: ``.venv/bin/python -m training.bench.retrieval [--sizes 10000 100000] [--queries 200]
[--subset-size 100000] [--fractions 0.001 0.01 0.05 0.2 1] [--recall-floor 0.95]``.

Data: real embeddings, made bigger. ``--base`` BA job titles (from the reference data) are
encoded with the packaged all-MiniLM-L6-v2 (384 dimensions); each index size is reached by
copying those vectors with Gaussian jitter (sigma 0.03 a dimension, so a copy keeps a cosine
of ~0.85 to its original) and re-normalising. That keeps the clustered shape of real job-language
embeddings (many near-duplicate profiles), which is harder for an approximate index than
uniformly random vectors. Queries are held-out real texts: first task phrases of KldB positions.
Latency is per single query (k=100, one query at a time, as the API searches) with ``--threads``
FAISS threads (default 1: a serving process answers concurrent requests on separate threads, and
on a busy machine OpenMP's spinning made a flat search 5x slower with 2 threads than with 1);
recall@100 is HNSW's share of the exact top-100.

Filtered search (``--subset-size``, default 100,000 vectors; 0 skips it): the filter-first
``VectorIndex.search_rows`` for eligible sets of ``--fractions`` of the rows (a fresh uniform random
set per query: hard filters on place, hours and licences are unrelated to the text embedding), on
both index kinds, with each path forced: ``numpy`` (``exact_subset_below`` huge: one matrix product
over the eligible rows' vectors) and ``faiss`` (``exact_subset_below=0``: a FAISS search with an
``IDSelectorBitmap``). recall@100 is against the exact top-100 of the same eligible set (when
fewer than 100 rows are eligible, against all of them). The crossover printed under the table is
the eligible count above which the FAISS path is faster (p50), per index kind: what
``IndexConfig.exact_subset_below`` should be.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.index import IndexConfig, RowHits, VectorIndex, build_index

FORCE_NUMPY = 1 << 62  # exact_subset_below above any eligible count: always the numpy path
FORCE_FAISS = 0  # no eligible set is that small: always the FAISS selector path


@dataclass(frozen=True)
class BenchConfig:
    sizes: tuple[int, ...] = (10_000, 100_000)
    base_texts: int = 2000
    queries: int = 200
    k: int = 100
    jitter: float = 0.03
    tombstone_share: float = 0.1
    seed: int = 0
    threads: int = 1
    subset_size: int = 100_000
    recall_floor: float = 0.95
    # The five asked for (0.1 %, 1 %, 5 %, 20 %, 100 %) and points between them for the crossover.
    fractions: tuple[float, ...] = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0)


@dataclass(frozen=True)
class Row:
    size: int
    kind: str
    build_s: float
    p50_ms: float
    p99_ms: float
    recall: float


@dataclass(frozen=True)
class SubsetRow:
    kind: str  # the index kind
    fraction: float
    eligible: int
    path: str  # "numpy" or "faiss"
    p50_ms: float
    p99_ms: float
    recall: float  # against the exact top-k of the same eligible set
    short: int  # queries answered with fewer than min(k, eligible) rows


def real_vectors(config: BenchConfig) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(base, queries): encoded BA job titles and KldB task phrases."""
    from matcher.ranking.encoder import Encoder, EncoderConfig, packaged_minilm_path
    from matcher.records.reference import ReferenceData

    reference = ReferenceData()
    titles = reference.job_titles["title"].tolist()
    base = titles[:: max(1, len(titles) // config.base_texts)][: config.base_texts]
    kldb5 = reference.kldb[reference.kldb["level"] == 5]
    tasks = [t.split(" | ")[0] for t in kldb5["tasks"] if t]
    queries = tasks[:: max(1, len(tasks) // config.queries)][: config.queries]
    encoder = Encoder(EncoderConfig(str(packaged_minilm_path())))
    vectors = encoder.encode(base + queries)
    return vectors[: len(base)], vectors[len(base) :]


def expand(base: NDArray[np.float32], size: int, config: BenchConfig) -> NDArray[np.float32]:
    """``size`` vectors: the base ones, then jittered copies of them, all unit length."""
    rng = np.random.default_rng(config.seed)
    picks = np.concatenate([np.arange(len(base)), rng.integers(0, len(base), size - len(base))])
    noise = rng.normal(0.0, config.jitter, (size, base.shape[1])).astype(np.float32)
    noise[: len(base)] = 0.0
    vectors = base[picks] + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def latencies_ms(index: VectorIndex, queries: NDArray[np.float32], k: int) -> NDArray[np.float64]:
    times = []
    for query in queries:
        start = time.perf_counter()
        index.search(query, k)
        times.append((time.perf_counter() - start) * 1000)
    return np.array(times)


def recall(approx: VectorIndex, exact: VectorIndex, queries: NDArray[np.float32], k: int) -> float:
    truth, found = exact.search(queries, k), approx.search(queries, k)
    return float(np.mean([len(set(t.ids) & set(f.ids)) / k for t, f in zip(truth, found)]))


def build_both(size: int, base: NDArray[np.float32], config: BenchConfig) -> dict[str, tuple[VectorIndex, float]]:
    """An exact and an HNSW index over the same ``size`` vectors, with their build seconds."""
    vectors = expand(base, size, config)
    ids = [str(i) for i in range(size)]
    built: dict[str, tuple[VectorIndex, float]] = {}
    for kind in ("exact", "hnsw"):
        start = time.perf_counter()
        built[kind] = (
            build_index(ids, vectors, "bench", "bench", IndexConfig(kind=kind)),  # type: ignore[arg-type]
            time.perf_counter() - start,
        )
    return built


def bench_size(
    size: int,
    base: NDArray[np.float32],
    queries: NDArray[np.float32],
    config: BenchConfig,
    built: dict[str, tuple[VectorIndex, float]] | None = None,
) -> list[Row]:
    """Exact and HNSW at one size, then HNSW again with a share of rows tombstoned."""
    built = built or build_both(size, base, config)
    ids = built["exact"][0].ids()
    rows = []
    for kind, (index, seconds) in built.items():
        ms = latencies_ms(index, queries, config.k)
        hit = recall(index, built["exact"][0], queries, config.k)
        rows.append(Row(size, kind, seconds, *np.percentile(ms, [50, 99]), hit))
    deleted = ids[:: int(1 / config.tombstone_share)]
    for index, _ in built.values():
        for item in deleted:
            index.delete(item)
    hnsw, exact = built["hnsw"][0], built["exact"][0]
    ms = latencies_ms(hnsw, queries, config.k)
    label = f"hnsw -{config.tombstone_share:.0%} tomb."
    rows.append(Row(size, label, 0.0, *np.percentile(ms, [50, 99]), recall(hnsw, exact, queries, config.k)))
    return rows


def _search(
    index: VectorIndex, path: int, query: NDArray[np.float32], k: int, eligible: NDArray[np.bool_]
) -> tuple[RowHits, float]:
    """``search_rows`` with the path forced by ``exact_subset_below``; hits and milliseconds."""
    index.config = replace(index.config, exact_subset_below=path)
    start = time.perf_counter()
    hits = index.search_rows(query, k, eligible)
    return hits, (time.perf_counter() - start) * 1000


def bench_subsets(
    built: dict[str, tuple[VectorIndex, float]], queries: NDArray[np.float32], config: BenchConfig
) -> list[SubsetRow]:
    """Filter-first search over eligible fractions: numpy path vs FAISS path, per index kind.

    Each query gets its own random eligible set; both paths of both kinds see the same sets, in
    alternating order so that a drifting machine hits them alike. The truth is the numpy path on
    the exact index (exact by construction).
    """
    exact = built["exact"][0]
    n = exact.rows
    rng = np.random.default_rng(config.seed + 1)
    paths = {"numpy": FORCE_NUMPY, "faiss": FORCE_FAISS}
    out = []
    for fraction in config.fractions:
        count = max(1, round(fraction * n))
        times: dict[tuple[str, str], list[float]] = {(kind, p): [] for kind in built for p in paths}
        hit: dict[tuple[str, str], list[float]] = {key: [] for key in times}
        short: dict[tuple[str, str], int] = dict.fromkeys(times, 0)
        for q, query in enumerate(queries):
            eligible = np.zeros(n, dtype=bool)
            eligible[rng.choice(n, count, replace=False)] = True
            truth, _ = _search(exact, FORCE_NUMPY, query, config.k, eligible)
            want = set(truth.rows.tolist())
            order = list(times) if q % 2 == 0 else list(reversed(times))
            for kind, path in order:
                hits, ms = _search(built[kind][0], paths[path], query, config.k, eligible)
                times[(kind, path)].append(ms)
                hit[(kind, path)].append(len(want & set(hits.rows.tolist())) / len(want))
                short[(kind, path)] += len(hits.rows) < len(want)
                assert eligible[hits.rows].all(), "an ineligible row came back"
        for (kind, path), ms in times.items():
            p50, p99 = np.percentile(ms, [50, 99])
            out.append(
                SubsetRow(
                    kind,
                    fraction,
                    count,
                    path,
                    float(p50),
                    float(p99),
                    float(np.mean(hit[(kind, path)])),
                    short[(kind, path)],
                )
            )
    for index, _ in built.values():
        index.config = replace(index.config, exact_subset_below=IndexConfig().exact_subset_below)
    return out


def crossover(rows: list[SubsetRow], kind: str) -> str:
    """Where the FAISS path starts to beat the numpy path (p50), between two measured sizes."""
    by = {(r.eligible, r.path): r.p50_ms for r in rows if r.kind == kind}
    sizes = sorted({e for e, _ in by})
    faster = [e for e in sizes if by[(e, "faiss")] < by[(e, "numpy")]]
    if not faster:
        return f"numpy is faster at every measured size (up to {sizes[-1]:,})"
    first = faster[0]
    below = [e for e in sizes if e < first]
    if not below:
        return f"FAISS is faster at every measured size (from {sizes[0]:,})"
    # Linear interpolation of the p50 difference between the last numpy win and the first FAISS win.
    lo = below[-1]
    d_lo, d_hi = by[(lo, "numpy")] - by[(lo, "faiss")], by[(first, "numpy")] - by[(first, "faiss")]
    at = lo + (first - lo) * (-d_lo) / (d_hi - d_lo) if d_hi != d_lo else first
    tail = "" if faster == [e for e in sizes if e >= first] else " (not monotonic: see the table)"
    return f"between {lo:,} and {first:,} eligible rows, ~{at:,.0f} by interpolation{tail}"


def print_subsets(rows: list[SubsetRow], size: int, config: BenchConfig) -> None:
    print(
        f"\nfilter-first search_rows over {size:,} vectors, k={config.k}, random eligible sets, "
        f"{config.queries} queries, {config.threads} FAISS thread(s)"
    )
    print(
        f"{'index':<6} {'eligible':>10} {'share':>7} {'path':<6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'recall@100':>11} {'short':>6}"
    )
    for r in rows:
        print(
            f"{r.kind:<6} {r.eligible:>10,} {r.fraction:>7.1%} {r.path:<6} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
            f"{r.recall:11.4f} {r.short:>6}"
        )
    for kind in dict.fromkeys(r.kind for r in rows):
        print(
            f"crossover ({kind}, p50 time): {crossover(rows, kind)}; exact_subset_below now "
            f"{IndexConfig().exact_subset_below:,}"
        )
        faiss_rows = sorted((r for r in rows if r.kind == kind and r.path == "faiss"), key=lambda r: r.eligible)
        bad = [r for r in faiss_rows if r.recall < config.recall_floor]
        if bad:
            good = [r for r in faiss_rows if r.eligible > bad[-1].eligible]
            since = f"from {good[0].eligible:,} eligible ({good[0].fraction:.1%})" if good else "at no measured size"
            print(
                f"  {kind} + selector reaches recall@{config.k} >= {config.recall_floor} {since}; below that "
                f"only the numpy path is exact (worst: {min(r.recall for r in bad):.3f} at "
                f"{min(bad, key=lambda r: r.recall).eligible:,})"
            )


def print_table(rows: list[Row], threads: int) -> None:
    print(f"\nk=100, single-query latency, {threads} FAISS threads")
    print(f"{'vectors':>9} {'index':<18} {'build s':>8} {'p50 ms':>8} {'p99 ms':>8} {'recall@100':>11}")
    for r in rows:
        build = f"{r.build_s:8.1f}" if r.build_s else f"{'-':>8}"
        print(f"{r.size:>9,} {r.kind:<18} {build} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.recall:11.4f}")


def run(config: BenchConfig) -> tuple[list[Row], list[SubsetRow]]:
    import faiss
    from threadpoolctl import threadpool_limits

    faiss.omp_set_num_threads(config.threads)
    start = time.perf_counter()
    base, queries = real_vectors(config)
    print(f"encoded {len(base)} titles and {len(queries)} queries in {time.perf_counter() - start:.0f} s")
    rows: list[Row] = []
    subsets: list[SubsetRow] = []
    for size in dict.fromkeys([*config.sizes, *([config.subset_size] if config.subset_size else [])]):
        built = build_both(size, base, config)
        if size == config.subset_size:  # before bench_size tombstones rows
            # The numpy path's matrix product runs in OpenBLAS: as many threads as FAISS gets.
            with threadpool_limits(limits=config.threads, user_api="blas"):
                subsets = bench_subsets(built, queries, config)
        if size in config.sizes:
            rows += bench_size(size, base, queries, config, built)
    print_table(rows, config.threads)
    if subsets:
        print_subsets(subsets, config.subset_size, config)
    return rows, subsets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(BenchConfig.sizes))
    parser.add_argument("--queries", type=int, default=BenchConfig.queries)
    parser.add_argument("--base", type=int, default=BenchConfig.base_texts)
    parser.add_argument("--threads", type=int, default=BenchConfig.threads)
    parser.add_argument(
        "--subset-size",
        type=int,
        default=BenchConfig.subset_size,
        help="vectors of the filtered-search table (0: skip it)",
    )
    parser.add_argument(
        "--fractions",
        type=float,
        nargs="+",
        default=list(BenchConfig.fractions),
        help="eligible shares of the rows in the filtered-search table",
    )
    parser.add_argument(
        "--recall-floor",
        type=float,
        default=BenchConfig.recall_floor,
        help="recall@k the FAISS path must reach to be usable",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the packaged model never needs the network
    run(
        BenchConfig(
            sizes=tuple(args.sizes),
            base_texts=args.base,
            queries=args.queries,
            threads=args.threads,
            subset_size=args.subset_size,
            fractions=tuple(args.fractions),
            recall_floor=args.recall_floor,
        )
    )


if __name__ == "__main__":
    main()
