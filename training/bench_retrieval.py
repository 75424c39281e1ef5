"""Benchmark of the vector index kinds: build time, query latency, recall of HNSW against exact.

Run: ``.venv/bin/python -m training.bench_retrieval [--sizes 10000 100000] [--queries 200]``.

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
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matcher.index import IndexConfig, VectorIndex, build_index


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


@dataclass(frozen=True)
class Row:
    size: int
    kind: str
    build_s: float
    p50_ms: float
    p99_ms: float
    recall: float


def real_vectors(config: BenchConfig) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(base, queries): encoded BA job titles and KldB task phrases."""
    from matcher.encoder import Encoder, EncoderConfig, packaged_minilm_path
    from matcher.reference import ReferenceData

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


def bench_size(size: int, base: NDArray[np.float32], queries: NDArray[np.float32],
               config: BenchConfig) -> list[Row]:  # fmt: skip
    """Exact and HNSW at one size, then HNSW again with a share of rows tombstoned."""
    vectors = expand(base, size, config)
    ids = [str(i) for i in range(size)]
    built: dict[str, tuple[VectorIndex, float]] = {}
    for kind in ("exact", "hnsw"):
        start = time.perf_counter()
        built[kind] = (build_index(ids, vectors, "bench", "bench", IndexConfig(kind=kind)),  # type: ignore[arg-type]
                       time.perf_counter() - start)  # fmt: skip
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


def print_table(rows: list[Row], threads: int) -> None:
    print(f"\nk=100, single-query latency, {threads} FAISS threads")
    print(f"{'vectors':>9} {'index':<18} {'build s':>8} {'p50 ms':>8} {'p99 ms':>8} {'recall@100':>11}")
    for r in rows:
        build = f"{r.build_s:8.1f}" if r.build_s else f"{'-':>8}"
        print(f"{r.size:>9,} {r.kind:<18} {build} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.recall:11.4f}")


def run(config: BenchConfig) -> list[Row]:
    import faiss

    faiss.omp_set_num_threads(config.threads)
    start = time.perf_counter()
    base, queries = real_vectors(config)
    print(f"encoded {len(base)} titles and {len(queries)} queries in {time.perf_counter() - start:.0f} s")
    rows = [row for size in config.sizes for row in bench_size(size, base, queries, config)]
    print_table(rows, config.threads)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(BenchConfig.sizes))
    parser.add_argument("--queries", type=int, default=BenchConfig.queries)
    parser.add_argument("--base", type=int, default=BenchConfig.base_texts)
    parser.add_argument("--threads", type=int, default=BenchConfig.threads)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the packaged model never needs the network
    run(BenchConfig(sizes=tuple(args.sizes), base_texts=args.base, queries=args.queries,
                    threads=args.threads))


if __name__ == "__main__":
    main()
