"""The exact index's scan of eligible rows: float32 against the quantised first pass, in one run.

Part of ``training/bench/serving.py`` (the 100k world): shortlists for stored job seekers run with
the vacancy index's ``quantised_scan`` "off" (the float32 scan) and "int8" alternately, query by
query, so both see the same machine load; then each search the shortlists made (query vector,
fetch size, eligible rows: recorded while they ran) is repeated at k=100 both ways, timed, and
the quantised result's recall@100 against the float32 one is counted (a row tied with the k-th
float32 score counts as found).
"""

from __future__ import annotations

import dataclasses
import random
import time
from typing import Any

import numpy as np

from training.bench.common import K, OtherLoad, _stats, _table

MODES = ("off", "int8")


def _set_scan(index: Any, mode: str) -> None:
    index.config = dataclasses.replace(index.config, quantised_scan=mode)


def _record_searches(index: Any, calls: list[tuple[Any, int, Any]]) -> Any:
    original = index.search_rows

    def recording(vector: Any, k: int, eligible: Any) -> Any:
        calls.append((np.array(vector, dtype=np.float32), k, np.array(eligible, dtype=bool)))
        return original(vector, k, eligible)

    index.search_rows = recording
    return original


def shortlists_both_ways(engine: Any, queries: int, seed: int = 7) -> tuple[dict[str, Any], list[Any]]:
    """Whole shortlists (k=10, reasons on), the scan off and int8 alternately; the searches made."""
    index = engine.vacancies.index
    ids = random.Random(seed).sample(engine.candidates.index.ids(), queries)
    for item_id in ids[:20]:  # warm-up, both ways (the quantised copy is made at load)
        for mode in MODES:
            _set_scan(index, mode)
            engine.shortlist_for_candidate(item_id, K)
    timings: dict[str, list[float]] = {m: [] for m in MODES}
    cpu: dict[str, float] = dict.fromkeys(MODES, 0.0)
    calls: list[tuple[Any, int, Any]] = []
    original = _record_searches(index, calls)
    load = OtherLoad()
    try:
        for n, item_id in enumerate(ids):
            for mode in MODES if n % 2 else MODES[::-1]:
                _set_scan(index, mode)
                wall, started = time.perf_counter(), time.process_time()
                engine.shortlist_for_candidate(item_id, K, explain=True)
                timings[mode].append((time.perf_counter() - wall) * 1000)
                cpu[mode] += time.process_time() - started
    finally:
        index.search_rows = original
        _set_scan(index, "int8")
    out = {m: {**_stats(timings[m]), "cpu_ms_mean": round(cpu[m] / len(ids) * 1000, 2)} for m in MODES}
    out["other_load_cores"] = load.cores()
    return out, calls[:: len(MODES)]


def recall_and_scan(index: Any, calls: list[Any], k: int = 100) -> dict[str, Any]:
    """Each recorded search repeated at ``k`` both ways: scan times and recall@k of int8."""
    times: dict[str, list[float]] = {m: [] for m in MODES}
    found = wanted = 0
    eligible_counts = []
    try:
        for vector, _fetch, eligible in calls:
            results = {}
            for mode in MODES:
                _set_scan(index, mode)
                started = time.process_time()
                results[mode] = index.search_rows(vector, k, eligible)
                times[mode].append((time.process_time() - started) * 1000)
            exact = results["off"]
            if not len(exact.scores):
                continue
            kth = float(exact.scores[-1])
            matrix = index._matrix()
            got = results["int8"].rows
            found += int(np.sum(matrix[got] @ np.asarray(vector).ravel() >= kth - 1e-6))
            wanted += len(exact.rows)
            eligible_counts.append(int(eligible.sum()))
    finally:
        _set_scan(index, "int8")
    return {
        "recall_at_k": round(found / max(wanted, 1), 4),
        "k": k,
        "searches": len(calls),
        "eligible_p50": int(np.median(eligible_counts)) if eligible_counts else 0,
        **{f"scan_{m}": _stats(times[m]) for m in MODES},
    }


def report_scan(engine: Any, queries: int) -> tuple[str, dict[str, Any]]:
    """The markdown table of both parts, and the raw figures."""
    shortlists, calls = shortlists_both_ways(engine, queries)
    scan = recall_and_scan(engine.vacancies.index, calls)
    rows = []
    for mode in MODES:
        s, t = shortlists[mode], scan[f"scan_{mode}"]
        label = "float32 scan (before)" if mode == "off" else "int8 first pass + exact re-score (after)"
        rows.append([label, s["n"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["cpu_ms_mean"], t["p50_ms"], t["p99_ms"]])
    header = ["vacancy scan", "shortlists", "p50 ms", "p95 ms", "p99 ms", "CPU ms/shortlist"]
    header += ["search@100 p50 ms (CPU)", "search@100 p99 ms (CPU)"]
    ratio = shortlists["off"]["p99_ms"] / max(shortlists["int8"]["p99_ms"], 1e-9)
    note = (
        f"Interleaved query by query in one process; other load {shortlists['other_load_cores']} cores. "
        f"recall@{scan['k']} of the int8 path against the float32 scan over the {scan['searches']} searches "
        f"the shortlists made (eligible p50 {scan['eligible_p50']:,}): **{scan['recall_at_k']}**; "
        f"p99 before/after: {ratio:.2f}x."
    )
    return _table(header, rows) + "\n\n" + note, {"shortlists": shortlists, "scan": scan}
