"""Benchmark of the serving path: shortlists and writes in process, shortlists over HTTP on loopback.

    .venv/bin/python -m training.bench.serving [--home DIR] [--queries N] [--upserts N] [--requests N]
        [--concurrency C ...] [--workers W] [--no-100k] [--no-http] [--no-wrk] [--profile N]

Worlds. The default world lives under ``--home`` (default ``$MATCHER_HOME``); when it holds no
store, index or @champion yet, the ``matcher`` CLI prepares one (generate 12,000 job seekers,
ingest, index, train: a few minutes the first time). The 100k world (``--big-home``, default
``HOME/bench-100k``) is a copy of that store with synthetic vacancies (copies of the world's open
vacancies, moved to another of its places, hours and posting date jittered) up to 100,000 open
ones, stored through ``Store.upsert_vacancies`` (change-log entries without vectors) and then
indexed with ``matcher index``, whose snapshot covers those entries: an engine opening it has
nothing to catch up on (checked, and printed).

Reported per world, each table under the command that reproduces it:

- in process: ``Engine.shortlist_for_candidate`` (vacancies for a stored job seeker, the main
  direction) and ``Engine.shortlist_for_vacancy``, k=10, reasons on, FAISS on one thread (as
  ``matcher serve``): p50/p95/p99/max, and how large the eligible sets were (which of the two
  search paths of ``VectorIndex.search_rows`` served them); then the time per stage of the main
  direction (filters, search, features, score, explain, ...), measured by wrapping those functions.
- writes: ``Engine.upsert_vacancy`` (encode, store transaction with its change-log entry, sync),
  half updates of stored vacancies and half new ones, split into encode / store / sync; and the
  ``Engine.sync`` that finds nothing (the check every request makes), in microseconds. The engine
  of these two tables runs over a scratch copy of the store, so the world stays as it was.
- over HTTP: ``uvicorn`` with ``--workers`` processes on 127.0.0.1, driven once by threads of httpx
  clients in this process and once by ``wrk`` (C, one thread, if installed; a Lua script stops it
  after ``--requests`` answers). Both share the machine's cores with the server; the CPU seconds
  each load generator used are reported, so is the server's.

``--profile N`` adds a cProfile (by cumulative time) of N shortlists in the largest world.
The machine may be shared: every table says how many cores other processes kept busy meanwhile
("other load", from /proc/stat less this process, the server and wrk); rerun when it is not ~0.
Only loopback is used.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import random
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.settings import Settings
from training.bench.common import LOOPBACK, PY, K, OtherLoad, _stats, _table
from training.bench.serving_http import over_http
from training.bench.worlds import (
    _copy_sqlite,
    prepare_big,
    prepare_world,
)

# --- worlds ----------------------------------------------------------------------------------


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Report:
    """Markdown sections, each under the command that reproduces it, and the raw figures."""

    argv: list[str]
    sections: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, title: str, command: str, table: str, notes: str = "") -> None:
        text = f"### {title}\n\n```\n$ {command}\n```\n\n{table}\n"
        if notes:
            text += f"\n{notes}\n"
        self.sections.append(text)
        print(text, flush=True)


def _reproduce(args: argparse.Namespace, world: str, part: str) -> str:
    """The command that measures one part of one world (and nothing else)."""
    cmd = [PY, "-m", "training.bench.serving", "--home", str(args.home)]
    if world == "100k":
        cmd += ["--big-home", str(args.big_home), "--only-100k"]
    else:
        cmd += ["--no-100k"]
    if part == "in-process":
        cmd += ["--queries", str(args.queries), "--no-writes", "--no-http"]
    elif part == "writes":
        cmd += ["--upserts", str(args.upserts), "--syncs", str(args.syncs), "--no-shortlists", "--no-http"]
    elif part == "http":
        cmd += [
            "--requests",
            str(args.requests),
            "--workers",
            str(args.workers),
            "--concurrency",
            *map(str, args.concurrency),
            "--no-shortlists",
            "--no-writes",
        ]
    elif part == "profile":
        cmd += ["--profile", str(args.profile), "--no-shortlists", "--no-writes", "--no-http"]
    return shlex.join(cmd)


@contextlib.contextmanager
def scratch_engine(home: Path) -> Iterator[Any]:
    """The serving engine (``open_engine``, @champion, FAISS on one thread) over a scratch copy of
    the home's store, so that writes leave the world unchanged."""
    import faiss

    from matcher.records.store import Store
    from matcher.services.serving import open_engine

    faiss.omp_set_num_threads(1)  # as in `matcher serve`
    settings = Settings(home=home)
    scratch = Path(tempfile.mkdtemp(prefix="bench-scratch-"))  # /tmp: the same disk here (check with df)
    try:
        _copy_sqlite(home / "matcher.db", scratch / "matcher.db")
        store = Store(f"sqlite:///{scratch / 'matcher.db'}")
        start = time.perf_counter()
        engine = open_engine(settings, scorer="champion", store=store)
        seconds = round(time.perf_counter() - start, 1)
        if engine.model is None:
            raise RuntimeError(f"no model serves under {home}: {engine.problems}")
        try:
            yield engine, seconds
        finally:
            store.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        gc.collect()


def _engine_facts(engine: Any, load_seconds: float) -> dict[str, Any]:
    return {
        "vacancies": len(engine.vacancies.index),
        "vacancy_index": engine.vacancies.index.kind,
        "candidates": len(engine.candidates.index),
        "candidate_index": engine.candidates.index.kind,
        "scorer": engine.model.scorer,
        "model_version": engine.model.version,
        "exact_subset_below": engine.config.index.exact_subset_below,
        "engine_load_s": load_seconds,
    }


RECORD_DIRECTION = "vacancies_for_candidate, by record"


def shortlist_latency(engine: Any, direction: str, queries: int, seed: int = 1) -> dict[str, Any]:
    """Latency of stored-record shortlists in one direction (k=10, reasons on)."""
    if direction == "vacancies_for_candidate":
        pool, run, other = engine.candidates.index.ids(), engine.shortlist_for_candidate, engine.vacancies
    elif direction == RECORD_DIRECTION:  # the stored record, not its id: as the HTTP route calls it

        def run(cid: str, k: int, explain: bool = True) -> Any:
            return engine.shortlist_for_candidate(engine.candidate(cid), k, explain=explain)

        pool, other = engine.candidates.index.ids(), engine.vacancies
    else:
        pool, run, other = engine.vacancies.index.ids(), engine.shortlist_for_vacancy, engine.candidates
    ids = random.Random(seed).sample(pool, min(queries, len(pool)))
    start = time.perf_counter()
    run(ids[0], K)  # the first call of a fresh engine loads lazy caches (reference labels, ...)
    first = (time.perf_counter() - start) * 1000
    for item_id in ids[1:20]:  # warm-up
        run(item_id, K)
    timings, eligible, short = [], [], 0
    load = OtherLoad()
    for item_id in ids:
        start = time.perf_counter()
        result = run(item_id, K, explain=True)
        timings.append((time.perf_counter() - start) * 1000)
        eligible.append(result.eligible)
        short += len(result.items) < K
    threshold = engine.config.index.exact_subset_below
    counts = np.asarray(eligible)
    return {
        **_stats(timings),
        "items": len(other.index),
        "eligible_p50": int(np.median(counts)),
        "eligible_max": int(counts.max()),
        "numpy_path_share": round(float(np.mean(counts <= threshold)), 3),
        "short_lists": short,
        "other_load_cores": load.cores(),
        "first_call_ms": round(first, 1),
    }


def _timed(spent: dict[str, float], label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, adding the milliseconds of each call to ``spent[label]``."""

    def timed(*a: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            spent[label] = spent.get(label, 0.0) + (time.perf_counter() - start) * 1000

    return timed


def _mean_p50_p99(values: Any) -> dict[str, float]:
    return {
        "mean_ms": float(np.mean(values)),
        "p50_ms": float(np.median(values)),
        "p99_ms": float(np.percentile(values, 99)),
    }


def stage_breakdown(engine: Any, queries: int, seed: int = 3) -> dict[str, dict[str, float]]:
    """Milliseconds per step of ``shortlist_for_candidate`` (the engine's ``step_observer``:
    :data:`matcher.ranking.stages.SHORTLIST_STEPS`), and the rest of the call (lock, result)."""
    from matcher.ranking.stages import SHORTLIST_STEPS

    spent: dict[str, float] = {}
    per: dict[str, list[float]] = {label: [] for label in SHORTLIST_STEPS}
    totals = []
    ids = random.Random(seed).sample(engine.candidates.index.ids(), min(queries, len(engine.candidates.index)))

    def observe(step: str, seconds: float) -> None:
        spent[step] = spent.get(step, 0.0) + seconds * 1000

    engine.step_observer = observe
    try:
        for cid in ids:
            spent.clear()
            start = time.perf_counter()
            engine.shortlist_for_candidate(cid, K, explain=True)
            totals.append((time.perf_counter() - start) * 1000)
            for label in per:
                per[label].append(spent.get(label, 0.0))
    finally:
        engine.step_observer = None
    out = {label: _mean_p50_p99(v) for label, v in per.items()}
    covered = np.sum([per[label] for label in per], axis=0)
    out["other (lock, result)"] = _mean_p50_p99(np.asarray(totals) - covered)
    out["total"] = _mean_p50_p99(totals)
    return out


def write_latency(engine: Any, upserts: int, syncs: int, seed: int = 4) -> dict[str, Any]:
    """``upsert_vacancy`` (half updates, half inserts), split into encode/store/sync; a no-op sync."""
    spent: dict[str, float] = {}
    records = _upsert_records(engine, upserts + 10, random.Random(seed))
    engine.sync = _timed(spent, "sync", engine.sync)  # instance attributes: the class stays as it is
    engine.encoder.encode = _timed(spent, "encode", engine.encoder.encode)
    load = OtherLoad()
    times: dict[str, list[float]] = {"all": [], "insert": [], "update": []}
    parts: dict[str, list[float]] = {"encode": [], "store": [], "sync": []}
    try:
        for n, (kind, record) in enumerate(records):
            spent.clear()
            start = time.perf_counter()
            engine.upsert_vacancy(record)
            total = (time.perf_counter() - start) * 1000
            if n < 10:
                continue  # warm-up
            times["all"].append(total)
            times[kind].append(total)
            parts["encode"].append(spent.get("encode", 0.0))
            parts["sync"].append(spent.get("sync", 0.0))
            parts["store"].append(total - spent.get("encode", 0.0) - spent.get("sync", 0.0))
    finally:
        del engine.sync, engine.encoder.encode
    last = records[-1][1]
    assert engine.vacancies.record(last.id) == last, "the last upsert is not what the engine serves"
    return {
        "upsert": {kind: _stats(v) for kind, v in times.items()},
        "parts": {kind: _stats(v) for kind, v in parts.items()},
        "sync_noop": _stats(_noop_syncs(engine, syncs), "us", 1),
        "vacancies_after": len(engine.vacancies.index),
        "other_load_cores": load.cores(),
    }


def _upsert_records(engine: Any, count: int, rng: random.Random) -> list[tuple[str, Any]]:
    """(kind, vacancy): updates of stored ones (another text, so another vector, and other hours)
    and new postings, alternating."""
    stored = engine.vacancies.index.ids()
    records = []
    for n in range(count):
        v = engine.vacancy(rng.choice(stored))
        if n % 2:
            hours = float(rng.randint(10, 40))
            update = {"description": f"{v.description} (Stand {n})", "hours_per_week": hours}
            records.append(("update", v.model_copy(update=update)))
        else:
            records.append(("insert", v.model_copy(update={"id": f"BENCH-{n:06d}", "source_ids": []})))
    return records


def _noop_syncs(engine: Any, syncs: int) -> list[float]:
    """Microseconds of each ``sync()`` that finds nothing to apply."""
    noop = []
    for _ in range(syncs):
        start = time.perf_counter()
        applied = engine.sync()
        noop.append((time.perf_counter() - start) * 1e6)
        assert applied == 0
    return noop


def profile(engine: Any, queries: int, top: int = 30, seed: int = 5) -> str:
    """cProfile of ``queries`` shortlists for stored job seekers, top functions by cumulative time."""
    ids = random.Random(seed).sample(engine.candidates.index.ids(), min(queries, len(engine.candidates.index)))
    for cid in ids[:20]:  # warm-up: the first call loads lazy caches, which is not the steady state
        engine.shortlist_for_candidate(cid, K, explain=True)
    profiler = cProfile.Profile()
    profiler.enable()
    for cid in ids:
        engine.shortlist_for_candidate(cid, K, explain=True)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- over HTTP -------------------------------------------------------------------------------


# --- the report ------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def report_world(report: Report, args: argparse.Namespace, world: str, home: Path, is_largest: bool) -> None:
    data: dict[str, Any] = report.data.setdefault(world, {})
    if args.shortlists or args.writes or (args.profile and is_largest):
        with scratch_engine(home) as (engine, load_seconds):
            facts = _engine_facts(engine, load_seconds)
            data["engine"] = facts
            if args.shortlists:
                _report_shortlists(report, args, world, engine, data, _facts_line(facts))
                _report_stages(report, args, world, engine, data)
                if engine.vacancies.index.kind == "exact" and len(engine.vacancies.index) >= 50_000:
                    _report_scan(report, args, world, engine, data)
            if args.writes:
                _report_writes(report, args, world, engine, data)
            if args.profile and is_largest:
                text = profile(engine, args.profile)
                data["profile"] = text
                report.add(
                    f"{world}: cProfile of {args.profile} shortlists for stored job seekers",
                    _reproduce(args, world, "profile"),
                    f"```\n{text.strip()}\n```",
                )
    if args.http:
        _report_http(report, args, world, home, data)


def _report_scan(report: Report, args: argparse.Namespace, world: str, engine: Any, data: dict[str, Any]) -> None:
    from training.bench.scan import report_scan

    table, data["vacancy_scan"] = report_scan(engine, args.queries)
    report.add(
        f"{world}: the vacancy scan, float32 against int8 + exact re-score (k={K}, reasons on)",
        _reproduce(args, world, "in-process"),
        table,
    )


def _facts_line(facts: dict[str, Any]) -> str:
    return (
        f"{facts['vacancies']:,} open vacancies ({facts['vacancy_index']} index), "
        f"{facts['candidates']:,} job seekers ({facts['candidate_index']} index), scorer "
        f"{facts['scorer']} v{facts['model_version']}, exact_subset_below "
        f"{facts['exact_subset_below']:,}, engine loaded in {facts['engine_load_s']} s"
    )


_LATENCY_HEAD = [
    *("direction", "items", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms"),
    *("eligible p50", "numpy path", "< k items", "first call ms", "other load (cores)"),
]


def _report_shortlists(
    report: Report, args: argparse.Namespace, world: str, engine: Any, data: dict[str, Any], facts_line: str
) -> None:
    rows = []
    for direction in ("vacancies_for_candidate", RECORD_DIRECTION, "candidates_for_vacancy"):
        r = shortlist_latency(engine, direction, args.queries)
        data[direction] = r
        rows.append(
            [
                direction,
                _fmt(r["items"]),
                *(r[key] for key in ("n", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")),
                _fmt(r["eligible_p50"]),
                f"{r['numpy_path_share']:.0%}",
                *(r[key] for key in ("short_lists", "first_call_ms", "other_load_cores")),
            ]
        )
    table = _table(_LATENCY_HEAD, rows)
    note = (
        f"{facts_line}. Queries are stored records, by id; '{RECORD_DIRECTION}' passes the "
        "record itself, as POST /v1/candidates/{id}/vacancies does. 'numpy path': share of "
        "queries whose eligible set was at most exact_subset_below."
    )
    report.add(
        f"{world}: in-process shortlists (k={K}, reasons on, FAISS 1 thread)",
        _reproduce(args, world, "in-process"),
        table,
        note,
    )


def _report_stages(report: Report, args: argparse.Namespace, world: str, engine: Any, data: dict[str, Any]) -> None:
    stages = stage_breakdown(engine, min(args.queries, 200))
    data["stages"] = stages
    table = _table(
        ["stage of vacancies_for_candidate", "mean ms", "p50 ms", "p99 ms"],
        [[k, f"{v['mean_ms']:.3f}", f"{v['p50_ms']:.3f}", f"{v['p99_ms']:.3f}"] for k, v in stages.items()],
    )
    report.add(
        f"{world}: where a shortlist's time goes ({min(args.queries, 200)} shortlists, the engine's steps)",
        _reproduce(args, world, "in-process"),
        table,
        "Each row is one step of the shortlist as the engine times it (Engine.step_observer, "
        "matcher.ranking.stages.SHORTLIST_STEPS); 'other' is the rest of the call (the lock, the result).",
    )


def _report_writes(report: Report, args: argparse.Namespace, world: str, engine: Any, data: dict[str, Any]) -> None:
    w = write_latency(engine, args.upserts, args.syncs)
    data["writes"] = w
    cols = ("p50", "p95", "p99", "max")
    rows = [
        [f"upsert_vacancy ({kind})", *(w["upsert"][kind][f"{p}_ms"] for p in cols), w["upsert"][kind]["n"]]
        for kind in ("all", "update", "insert")
    ]
    rows += [
        [f"  of which {part}", *(w["parts"][part][f"{p}_ms"] for p in cols), w["parts"][part]["n"]]
        for part in ("encode", "store", "sync")
    ]
    table = _table(["operation", "p50 ms", "p95 ms", "p99 ms", "max ms", "n"], rows)
    s = w["sync_noop"]
    table += "\n\n" + _table(
        ["operation", "p50 µs", "p95 µs", "p99 µs", "max µs", "n"],
        [["sync() that finds nothing", s["p50_us"], s["p95_us"], s["p99_us"], s["max_us"], s["n"]]],
    )
    report.add(
        f"{world}: writes (engine over a scratch copy of the store)",
        _reproduce(args, world, "writes"),
        table,
        "'store' is the store transaction (record, aliases, change-log entry, commit); "
        "'sync' applies the entry (reads it back, puts vector and row). Other processes kept "
        f"{w['other_load_cores']} cores busy meanwhile.",
    )


# key of a run -> its column
_HTTP_COLUMNS = {
    "generator": "load generator",
    "n": "requests",
    "throughput_rps": "shortlists/s",
    "p50_ms": "p50 ms",
    "p95_ms": "p95 ms",
    "p99_ms": "p99 ms",
    "max_ms": "max ms",
    "errors": "errors",
    "client_cpu_s": "client CPU s",
    "server_cpu_s": "server CPU s",
    "wall_s": "wall s",
    "other_load_cores": "other load (cores)",
}


def _report_http(report: Report, args: argparse.Namespace, world: str, home: Path, data: dict[str, Any]) -> None:
    h = over_http(home, args.requests, args.concurrency, args.workers, args.wrk)
    data["http"] = h
    table = _table(list(_HTTP_COLUMNS.values()), [[r[key] for key in _HTTP_COLUMNS] for r in h["runs"]])
    notes = [
        f"Server: `{h['server']}` (ready and settled after {h['server_ready_s']} s). "
        f'POST /v1/candidates/{{id}}/vacancies with {{"k": {K}, "include_reasons": true}}, random '
        "stored job seekers, closed loop (each connection sends its next request when the answer "
        "is in)."
    ]
    notes += [f"- `{r['generator']}`: `{r['command']}`" for r in h["runs"]]
    if "wrk" in h:
        notes.append(f"wrk {h['wrk']}.")
    report.add(
        f"{world}: over HTTP ({args.workers} uvicorn workers on {LOOPBACK})",
        _reproduce(args, world, "http"),
        table,
        "\n".join(notes),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="default world; default: $MATCHER_HOME")
    parser.add_argument("--big-home", type=Path, default=None, help="100k world; default: HOME/bench-100k")
    parser.add_argument("--queries", type=int, default=500, help="in-process shortlists per direction")
    parser.add_argument("--upserts", type=int, default=200, help="upsert_vacancy calls")
    parser.add_argument("--syncs", type=int, default=2000, help="no-op sync calls")
    parser.add_argument("--requests", type=int, default=2000, help="HTTP shortlists per load generator and level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8], help="client threads / connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many shortlists (largest world)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    parser.add_argument("--no-100k", dest="big", action="store_false", help="skip the 100k-vacancy world")
    parser.add_argument("--only-100k", dest="default", action="store_false", help="skip the default world")
    parser.add_argument("--no-shortlists", dest="shortlists", action="store_false", help="skip in-process shortlists")
    parser.add_argument("--no-writes", dest="writes", action="store_false", help="skip upserts and no-op syncs")
    parser.add_argument("--no-http", dest="http", action="store_false", help="skip the HTTP runs")
    parser.add_argument("--no-wrk", dest="wrk", action="store_false", help="HTTP: httpx threads only")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # here and in the server
    args.home = (args.home or Settings().home).resolve()
    args.big_home = (args.big_home or args.home / "bench-100k").resolve()
    report = Report(argv=sys.argv if argv is None else ["training/bench/serving.py", *argv])
    print(f"$ {shlex.join([PY, '-m', 'training.bench.serving', *report.argv[1:]])}\n", flush=True)
    worlds: list[tuple[str, Path]] = []
    if args.default:
        prepare_world(args.home)
        worlds.append(("default world", args.home))
    if args.big:
        prepare_world(args.home)
        snapshot = prepare_big(args.home, args.big_home)
        report.data["100k_snapshot"] = snapshot
        report.add(
            "100k world: snapshot against the change log",
            f"{PY} -c 'from training.bench.worlds import check_snapshot; "
            f'print(check_snapshot(__import__("pathlib").Path("{args.big_home}")))\'',
            f"```\n{json.dumps(snapshot, indent=2)}\n```",
            "entries_after_snapshot 0: the engine opens with nothing to apply (the bulk insert's "
            "vector-less entries are covered by the snapshot).",
        )
        worlds.append(("100k", args.big_home))
    for n, (world, home) in enumerate(worlds):
        report_world(report, args, world, home, is_largest=n == len(worlds) - 1)
    if args.json:
        args.json.write_text(json.dumps(report.data, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
