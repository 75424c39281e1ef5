"""Benchmark: opportunities for one job seeker, and the region report, on a home's world.

``python -m training.bench.opportunities [--home DIR] [--people 200]``: the home must hold an
ingested world with indexes and a @champion (``matcher demo``). Prints a table and the command.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from matcher.services.measures import stored_measures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("MATCHER_HOME", "var")))
    parser.add_argument("--people", type=int, default=200, help="job seekers timed one by one")
    parser.add_argument("--no-report", action="store_true", help="skip the region report")
    args = parser.parse_args(argv)
    os.environ["MATCHER_HOME"] = str(args.home)
    import faiss

    from matcher.records.reference import ReferenceData
    from matcher.services.measures import MeasureCatalogue
    from matcher.services.opportunities import find_opportunities
    from matcher.services.serving import open_engine
    from matcher.settings import Settings
    from training.region_report import build_report

    faiss.omp_set_num_threads(1)  # as served
    settings = Settings()
    engine = open_engine(settings)
    catalogue = MeasureCatalogue.build(stored_measures(engine.store), engine.gazetteer)
    ids = engine.candidates.index.ids()
    chosen = [ids[i] for i in np.random.default_rng(0).choice(len(ids), min(args.people, len(ids)), replace=False)]
    find_opportunities(engine, chosen[0], catalogue)  # warm-up: lazy reference labels
    times, items = [], []
    for candidate in chosen:
        start = time.perf_counter()
        try:
            result = find_opportunities(engine, candidate, catalogue)
        except Exception as exc:  # noqa: BLE001 - a thin profile is part of the world
            if type(exc).__name__ != "InsufficientProfileError":
                raise
            continue
        times.append((time.perf_counter() - start) * 1e3)
        items.append(len(result.items))
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    print(f"command: {' '.join(['python -m training.bench.opportunities', *(argv or sys.argv[1:])])}")
    print(f"world: {len(ids)} job seekers, {len(engine.vacancies.index)} open vacancies, {len(catalogue)} measures")
    print("| measure | target | measured |")
    print("|---|---|---|")
    print(
        f"| opportunities for one job seeker, p50 / p95 / p99 ({len(times)} people) | p95 <= 100 ms | "
        f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms |"
    )
    print(f"| changes listed per person, mean | | {np.mean(items):.1f} |")
    if not args.no_report:
        start = time.perf_counter()
        report = build_report(engine.store, ReferenceData(), date.today())
        total = time.perf_counter() - start
        parts = ", ".join(f"{k} {v} s" for k, v in report.seconds.items() if k != "total")
        print(f"| region report (every job seeker, every open vacancy) | <= 30 s | {total:.1f} s ({parts}) |")


if __name__ == "__main__":
    main()
