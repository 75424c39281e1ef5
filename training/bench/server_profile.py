"""Where a serving worker's time goes under load: py-spy against one uvicorn worker, and the ratio
of the server's CPU per shortlist to the engine's.

1. ``matcher serve``'s command (2 workers) on the home; httpx threads send shortlists
   (``POST /v1/candidates/{id}/vacancies``, k=10, reasons on) for random stored job seekers.
2. Server CPU per request: the workers' CPU seconds (``/proc``) over a timed run, divided by the
   answers. Engine CPU per request: ``Engine.shortlist_for_candidate`` on the stored record (as the
   route calls it), timed with ``time.process_time`` in this process over the same ids. The ratio
   is what a request costs beyond the engine (target <= 1.5).
3. ``py-spy record --pid <worker> --nonblocking --format raw`` for ``--duration`` seconds while the
   load runs; the collapsed stacks are summed per function into "own" (the sampled frame itself)
   and "total" (anywhere on the stack) shares of the worker's busy samples. The raw file opens in
   speedscope or ``flamegraph.pl``.

    python -m training.bench.server_profile --home var --duration 20 --out var/profile
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from api.app import server_command
from matcher.settings import Settings
from training.bench.common import LOOPBACK, K, OtherLoad, _table
from training.bench.serving import scratch_engine
from training.bench.serving_http import (
    _caseworker_token,
    _children,
    _cpu_seconds,
    _free_port,
    _httpx_load,
    _wait_ready,
)

_LINE = re.compile(r":\d+\)$")
# Frames on every stack of a thread or a worker process: left out of the "by total" list.
_PLUMBING = (
    *("<module>", "_bootstrap", "run (", "Thread.", "BaseProcess.", "spawn_main", "_main (", "Process.target"),
    *("Server.run", "asyncio_run", "subprocess_started", "Runner.run", "WorkerThread.run"),
)


def engine_cpu_per_request(home: Path, ids: list[str]) -> float:
    """Mean CPU milliseconds of ``shortlist_for_candidate`` on the stored record (k=10, reasons)."""
    with scratch_engine(home) as (engine, _seconds):
        for cid in ids[:20]:
            engine.shortlist_for_candidate(engine.candidate(cid), K, explain=True)
        started = time.process_time()
        for cid in ids:
            engine.shortlist_for_candidate(engine.candidate(cid), K, explain=True)
        return (time.process_time() - started) / len(ids) * 1000


def summarise(raw: Path, top: int) -> tuple[list[list[Any]], int, float]:
    """Per function: own and total share of the samples; the sample count; the engine's share."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = engine = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_LINE.sub(")", f.replace(str(Path.cwd()) + "/", "")) for f in stack.split(";")]
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
        engine += n * any(f.startswith("Engine.shortlist_for_") for f in frames)
    rows = [
        [name, f"{own[name] / samples:.1%}", f"{total[name] / samples:.1%}"]
        for name, _ in sorted(total.items(), key=lambda kv: -own[kv[0]])[:top]
    ]
    by_total = [
        [name, f"{own[name] / samples:.1%}", f"{n / samples:.1%}"]
        for name, n in total.most_common(top * 2)
        if not name.startswith(_PLUMBING)
    ][:top]
    return rows + [["**by total**", "", ""]] + by_total, samples, engine / max(samples, 1)


def run(args: argparse.Namespace) -> str:
    home = args.home
    token, port = _caseworker_token(home), _free_port()
    cmd = server_command(LOOPBACK, port, args.workers, "--log-level", "warning", "--no-access-log")
    server = subprocess.Popen(cmd, env={**os.environ, "MATCHER_HOME": str(home)})
    from matcher.ranking.index import load_index

    pool = load_index(Settings(home=home).index_dir / "candidates").ids()
    rng = random.Random(3)
    try:
        _wait_ready(port, token, server, args.workers)
        _httpx_load(port, token, rng.sample(pool, 100), args.concurrency)  # warm-up, every worker
        ids = [rng.choice(pool) for _ in range(args.requests)]
        before, load = _cpu_seconds(server.pid), OtherLoad()
        measured = _httpx_load(port, token, ids, args.concurrency)
        server_cpu = _cpu_seconds(server.pid) - before
        other = load.cores(server_cpu)
        raw = args.out / "worker.raw.txt"
        worker = max(_children(server.pid), key=_cpu_seconds)  # a worker, not a helper process
        beside = Path(sys.executable).parent / "py-spy"  # the venv's, also when its bin is not on PATH
        found = str(beside) if beside.exists() else shutil.which("py-spy")
        if found is None:
            raise SystemExit("py-spy is missing: pip install py-spy (a dev extra)")
        spy = [
            found,
            *("record", "--pid", str(worker), "--duration", str(args.duration)),
            *("--rate", "200", "--nonblocking", "--format", "raw", "--output", str(raw)),
        ]
        # Enough requests to outlast py-spy at the rate just measured; the load ends before the server.
        load_ids = [rng.choice(pool) for _ in range(int(measured["throughput_rps"] * (args.duration + 5)) + 1)]
        loader = threading.Thread(target=_httpx_load, args=(port, token, load_ids, args.concurrency))
        loader.start()
        time.sleep(1.0)
        subprocess.run(spy, check=True, stdout=subprocess.DEVNULL)
        loader.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    engine_ms = engine_cpu_per_request(home, ids[: args.engine_queries])
    server_ms = server_cpu / measured["n"] * 1000
    rows, samples, engine_share = summarise(raw, args.top)
    head = _table(
        ["server CPU ms/request", "engine CPU ms/request", "ratio", "shortlists/s", "p50 ms", "p99 ms", "other load"],
        [
            [
                f"{server_ms:.2f}",
                f"{engine_ms:.2f}",
                f"{server_ms / engine_ms:.2f}",
                measured["throughput_rps"],
                measured["p50_ms"],
                measured["p99_ms"],
                other,
            ]
        ],
    )
    spied = _table(["function (file)", "own", "total"], rows)
    return (
        f"{head}\n\n{measured['n']} requests from {args.concurrency} httpx threads, {args.workers} workers; engine "
        f"CPU over {args.engine_queries} of the same ids in this process.\n\npy-spy, one worker, {args.duration} s, "
        f"{samples} samples while busy; the engine's shortlist on the stack in {engine_share:.0%} of them "
        f"(raw stacks: {raw}).\n\n{spied}\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="default: $MATCHER_HOME")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20, help="py-spy seconds")
    parser.add_argument("--engine-queries", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=None, help="where the raw stacks go; default: HOME/profile")
    args = parser.parse_args(argv)
    args.home = (args.home or Settings().home).resolve()
    args.out = (args.out or args.home / "profile").resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python -m training.bench.server_profile " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"### Server CPU per request against the engine's, and py-spy\n\n```\n$ {command}\n```\n\n{run(args)}")


if __name__ == "__main__":
    main()
