"""How vector indexes are built and searched: one frozen config, every threshold with its reason
(:mod:`matcher.ranking.index` reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class IndexConfig:
    """Which index kind to build and how.

    Attributes:
        kind: "auto" picks exact below ``exact_below`` vectors and IVF from there on (HNSW only
            when asked for: it serves filtered queries worse, see ``HNSWIndex._search_eligible``).
        exact_below: size threshold of "auto".
        hnsw_m: graph degree; 32 keeps recall@100 >= 0.95 on sentence embeddings.
        hnsw_ef_construction: build-time beam width (quality of the graph vs build time).
        hnsw_ef_search: least search-time beam width.
        hnsw_ef_per_k: the beam is at least this many times k: on clustered sentence embeddings
            at 100k, recall@100 was 0.89 with a beam of 2k and 0.96 with 4k (see
            ``training/bench/retrieval.py``).
        compact_fraction: tombstoned share of rows above which ``save`` compacts.
        exact_subset_below: eligible sets up to this size are scored by one matrix product over
            their rows instead of a FAISS search (crossover measured at ~3,300 rows).
        hnsw_filtered_above: HNSW serves a filtered search only when at least this share of the
            live rows is eligible; below, an exact scan is both faster and right.
        ivf_lists_per_sqrt: IVF list count per square root of the rows of the first batch
            (at most one list per ``ivf_train_per_list`` rows, at least one).
        ivf_train_per_list: k-means training sample per list (FAISS warns below 39).
        ivf_nprobe: lists a query scans at least (of ~4,000 at 1M rows, 64 gave recall@10 0.970
            filtered and 0.998 unfiltered, p99 < 25 ms: ``training/bench/batch.py``).
        ivf_scan_per_k: a filtered query scans enough lists to meet about this many eligible
            rows per result wanted (the lists' mean size times the eligible share).
        ivf_exact_scan_share: when a filtered query would scan at least this share of the lists,
            it scans all of them (exact, at most 1/share times the cost; the bitmap check skips
            the ineligible rows' distances).
        quantised_scan: an exact index's first pass over many eligible rows: "int8" or "fp16"
            (:mod:`matcher.ranking.quantised`; the rows it keeps are re-scored exactly), "off": float32.
        quantised_scan_above: eligible rows from which the quantised first pass is used.
        rescore_min, rescore_per_k: rows the first pass keeps for the exact re-score, at least
            ``rescore_min`` and ``rescore_per_k`` x k (recall@100 against the float32 scan:
            ``training/bench/serving.py``).
    """

    kind: Literal["auto", "exact", "hnsw", "ivf"] = "auto"
    exact_below: int = 200_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 128
    hnsw_ef_per_k: int = 4
    compact_fraction: float = 0.2
    exact_subset_below: int = 3072
    hnsw_filtered_above: float = 0.7
    ivf_lists_per_sqrt: float = 4.0
    ivf_train_per_list: int = 64
    ivf_nprobe: int = 64
    ivf_scan_per_k: int = 40
    ivf_exact_scan_share: float = 0.25
    quantised_scan: Literal["off", "int8", "fp16"] = "int8"
    quantised_scan_above: int = 16_384
    rescore_min: int = 512
    rescore_per_k: int = 5
