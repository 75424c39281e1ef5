"""Benchmark: the server CPU that metrics and the request log cost per shortlist.

    .venv/bin/python -m training.bench.metrics [--home DIR] [--requests N] [--rounds R] [--workers W]

Three servers over the same home (the default world, prepared as ``training.bench.serving`` does
when it is missing) run side by side, each ``--workers`` uvicorn workers on loopback, started as
``matcher serve`` starts them (:func:`api.server.server_command`):

- ``off``: ``MATCHER_METRICS=false``, log level warning (no request lines);
- ``metrics``: metrics on, log level warning;
- ``metrics + request log``: metrics on, log level info (one JSON line per request, to a file).

In each round every server answers the same ``--requests`` shortlists (POST
``/v1/candidates/{id}/vacancies``, k=10, reasons on, 2 httpx threads), one server after the other,
in an order that turns each round. A server's CPU seconds (its processes, from /proc) over its
requests give CPU ms per shortlist; the figure is the median over rounds, and the overhead is
relative to ``off``. Interleaving in one run keeps the machine's other load alike for all three.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from api.server import server_command
from training.bench.common import LOOPBACK, OtherLoad
from training.bench.serving_http import _caseworker_token, _cpu_seconds, _free_port, _httpx_load, _wait_ready
from training.bench.worlds import prepare_world

CONCURRENCY = 2


@dataclass(frozen=True)
class Variant:
    """One server configuration of the comparison."""

    name: str
    metrics: bool
    log_level: str


VARIANTS = (
    Variant("off", False, "warning"),
    Variant("metrics", True, "warning"),
    Variant("metrics + request log", True, "info"),
)


@dataclass
class Running:
    variant: Variant
    process: subprocess.Popen[bytes]
    port: int
    cpu_ms: list[float]


def start(variant: Variant, home: Path, workers: int, logs: Path, stack: ExitStack) -> Running:
    """A server of ``variant`` on a free port, its output to a file; stopped when ``stack`` closes."""
    port = _free_port()
    env = {**os.environ, "MATCHER_HOME": str(home), "MATCHER_METRICS": str(variant.metrics).lower()}
    cmd = server_command(LOOPBACK, port, workers, "--log-level", variant.log_level)
    out = stack.enter_context((logs / f"{port}.log").open("wb"))
    process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    stack.callback(_stop, process)
    return Running(variant, process, port, [])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


def measure(server: Running, token: str, ids: list[str]) -> dict[str, Any]:
    """Server CPU ms per shortlist over ``ids``, and the load result."""
    before, load = _cpu_seconds(server.process.pid), OtherLoad()
    result = _httpx_load(server.port, token, ids, CONCURRENCY)
    cpu = _cpu_seconds(server.process.pid) - before
    if result["errors"]:
        raise RuntimeError(f"{server.variant.name}: {result['errors']} failed requests")
    server.cpu_ms.append(cpu * 1000 / len(ids))
    return {"other_load_cores": load.cores(cpu), "p50_ms": result["p50_ms"]}


def run(home: Path, requests: int, rounds: int, workers: int, seed: int = 0) -> dict[str, Any]:
    from matcher.ranking.index import load_index
    from matcher.settings import Settings

    prepare_world(home)
    token = _caseworker_token(home)
    pool = load_index(Settings(home=home).index_dir / "candidates").ids()
    rng = random.Random(seed)
    other: list[float] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        servers = [start(v, home, workers, Path(tmp), stack) for v in VARIANTS]
        for server in servers:
            # One worker runs in uvicorn's own process: no child processes to wait for.
            _wait_ready(server.port, token, server.process, workers if workers > 1 else 0)
            _httpx_load(server.port, token, rng.sample(pool, min(100, len(pool))), CONCURRENCY)  # warm-up
        for r in range(rounds):
            ids = [rng.choice(pool) for _ in range(requests)]
            for server in servers[r % 3 :] + servers[: r % 3]:
                other.append(measure(server, token, ids)["other_load_cores"])
    return summarise(servers, other)


def summarise(servers: list[Running], other: list[float]) -> dict[str, Any]:
    base = float(np.median(servers[0].cpu_ms))
    rows = []
    for server in servers:
        median = float(np.median(server.cpu_ms))
        rows.append(
            {
                "variant": server.variant.name,
                "cpu_ms_per_shortlist": round(median, 3),
                "rounds": [round(x, 3) for x in server.cpu_ms],
                "overhead_pct": round((median - base) / base * 100, 2),
            }
        )
    return {"variants": rows, "other_load_cores_max": max(other)}


def per_request_micro(n: int = 20_000) -> dict[str, float]:
    """Microseconds of what a served shortlist adds, in this process (multiprocess mode, as served):
    the request's counter and histogram, five stage observations and one audit observation; and
    one request line formatted as JSON. Free of the HTTP noise of :func:`run`."""
    import logging
    import time

    from api.logs import JsonFormatter
    from api.metrics import Metrics, multiprocess_dir

    with multiprocess_dir():
        metrics = Metrics()
        start = time.perf_counter()
        for _ in range(n):
            metrics.observe_request("POST", "/v1/candidates/{candidate_id}/vacancies", 200, 0.012)
            for stage in ("filter", "search", "features", "score", "explain"):
                metrics.observe_stage(stage, 0.001)
            metrics.audit.observe(0.001)
        metric_us = (time.perf_counter() - start) / n * 1e6
    record = logging.LogRecord("api.requests", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"request_id": "0" * 32, "user": "demo-caseworker", "route": "/v1/x/{id}", "status": 200}
    formatter, start = JsonFormatter(), time.perf_counter()
    for _ in range(n):
        formatter.format(record)
    return {"metrics_us": round(metric_us, 1), "log_line_us": round((time.perf_counter() - start) / n * 1e6, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("MATCHER_HOME", "var")))
    parser.add_argument("--requests", type=int, default=1500, help="shortlists per server and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    args = parser.parse_args(argv)
    micro = per_request_micro()
    print(f"in process, per shortlist: metrics {micro['metrics_us']} us, request log line {micro['log_line_us']} us")
    result = run(args.home, args.requests, args.rounds, args.workers)
    command = shlex.join(["python", "-m", "training.bench.metrics", *(argv if argv is not None else sys.argv[1:])])
    print(f"command: {command}")
    print(f"other load (max over measurements): {result['other_load_cores_max']} cores")
    print("| server | CPU ms per shortlist (median of rounds) | overhead vs off | target |")
    print("|---|---|---|---|")
    for row in result["variants"]:
        print(f"| {row['variant']} | {row['cpu_ms_per_shortlist']} | {row['overhead_pct']:+.2f} % | < 3 % |")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
