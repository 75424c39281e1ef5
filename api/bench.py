"""Benchmark of the serving path: in-process shortlist latency and HTTP throughput on loopback.

    .venv/bin/python -m api.bench [--home DIR] [--requests N] [--concurrency C] [--no-100k]

Works on the world under ``--home`` (default ``$MATCHER_HOME``); when it holds no store, index
or @champion yet, the ``matcher`` CLI prepares one (generate 12,000 job seekers, ingest, index,
train). The 100k variant copies that home and adds synthetic vacancies (copies of the world's
open vacancies, jittered in place, hours and posting date) up to 100,000, then re-indexes.

Reported: p50/p99 of ``Engine.shortlist_for_candidate`` for stored job seekers (k=10, reasons
on, FAISS on one thread, as ``matcher serve`` runs it); and shortlists/s with p50/p99 over HTTP
against ``uvicorn`` in a subprocess on 127.0.0.1, driven by a thread pool of httpx clients on the
same machine (the load generator competes for the same cores). Only loopback is used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from matcher.settings import Settings

LOOPBACK = "127.0.0.1"
DEFAULT_CANDIDATES = 12_000
BIG_VACANCIES = 100_000


def _cli() -> str:
    return str(Path(sys.executable).parent / "matcher")


def _run_cli(home: Path, *args: str) -> None:
    env = {**os.environ, "MATCHER_HOME": str(home)}
    print(f"$ matcher {' '.join(args)}", file=sys.stderr, flush=True)
    subprocess.run([_cli(), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_world(home: Path) -> None:
    """Generate, ingest, index and train with the CLI unless the home already serves."""
    from matcher.errors import ModelNotFoundError
    from matcher.model_registry import load_registered

    settings = Settings(home=home)
    if not (settings.home / "matcher.db").exists():
        _run_cli(home, "generate", "--out", str(home / "world"), "--candidates", str(DEFAULT_CANDIDATES))
        _run_cli(home, "ingest", str(home / "world"), "--json")
    if not (settings.index_dir / "vacancies").exists():
        _run_cli(home, "index")
    try:
        load_registered(settings)
    except ModelNotFoundError:
        print("no @champion yet: training", file=sys.stderr)
        _run_cli(home, "train", "--json")


def prepare_big(home: Path, big: Path, target: int = BIG_VACANCIES, seed: int = 0) -> None:
    """A copy of ``home`` whose store and index hold ``target`` open vacancies."""
    from matcher.encoder import load_default_encoder
    from matcher.engine import build_indexes
    from matcher.models import VacancyStatus
    from matcher.reference import ReferenceData
    from matcher.store import Store

    settings = Settings(home=big)
    if (settings.index_dir / "vacancies").exists():
        return
    big.mkdir(parents=True, exist_ok=True)
    for name in ("matcher.db", "mlflow.db", "tokens.json", "demo_tokens.json"):
        if (home / name).exists():
            shutil.copy2(home / name, big / name)
    if (home / "encoder").exists() and not (big / "encoder").exists():
        shutil.copytree(home / "encoder", big / "encoder")
    store = Store(settings.store_url)
    rng = random.Random(seed)
    base = store.vacancies(status=VacancyStatus.OPEN.value)
    places = [(v.ags, v.postcode) for v in base]
    synthetic = []
    for n in range(max(0, target - len(base))):
        v = rng.choice(base)
        ags, postcode = rng.choice(places)
        hours = None if v.hours_per_week is None else float(min(60, max(5, v.hours_per_week + rng.randint(-5, 5))))
        synthetic.append(v.model_copy(update={
            "id": f"SYN-{n:06d}", "source_ids": [], "ags": ags, "postcode": postcode,
            "hours_per_week": hours, "posted_at": v.posted_at - timedelta(days=rng.randint(0, 60)),
        }))  # fmt: skip
    print(f"storing {len(synthetic)} synthetic vacancies", file=sys.stderr, flush=True)
    with store.transaction() as conn:
        store.upsert_vacancies(conn, synthetic)
    encoder = load_default_encoder(settings.encoder, settings.encoder_dir)
    print(build_indexes(store, encoder, ReferenceData(), settings.index_dir, progress=True), file=sys.stderr)
    store.close()


def _percentiles(ms: list[float]) -> dict[str, float]:
    values = np.asarray(ms)
    return {"p50_ms": round(float(np.percentile(values, 50)), 2), "p99_ms": round(float(np.percentile(values, 99)), 2),
            "mean_ms": round(float(values.mean()), 2), "n": len(ms)}  # fmt: skip


def in_process(home: Path, queries: int, reasons: bool = True, seed: int = 1) -> dict[str, Any]:
    """Latency of the engine's shortlist for stored job seekers (k=10, reasons on or off)."""
    import faiss

    from api.service import Service

    faiss.omp_set_num_threads(1)  # as in `matcher serve`
    service = Service.start(Settings(home=home))
    engine = service.ready_engine()
    ids = random.Random(seed).sample(engine.candidate_index.ids(), min(queries, len(engine.candidate_index)))
    for cid in ids[:20]:  # warm-up: first calls build caches
        engine.shortlist_for_candidate(cid, 10)
    timings = []
    for cid in ids:
        start = time.perf_counter()
        engine.shortlist_for_candidate(cid, 10, explain=reasons)
        timings.append((time.perf_counter() - start) * 1000)
    result = {**_percentiles(timings), "reasons": reasons, "vacancies": len(engine.vacancy_index),
              "index": engine.vacancy_index.kind, "scorer": engine.scorer.name}  # fmt: skip
    service.close()
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _caseworker_token(home: Path) -> str:
    from api.security import issue_demo_tokens

    settings = Settings(home=home)
    if not settings.demo_tokens_file.exists():
        issue_demo_tokens(settings.tokens_file, settings.demo_tokens_file)
    return str(json.loads(settings.demo_tokens_file.read_text(encoding="utf-8"))["caseworker"])


def _wait_ready(port: int, token: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            headers = {"Authorization": f"Bearer {token}"}
            if httpx.get(f"http://{LOOPBACK}:{port}/ready", headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not become ready")


def _load(port: int, token: str, ids: list[str], concurrency: int, reasons: bool = True
          ) -> tuple[list[float], float, int]:  # fmt: skip
    """Send one shortlist per id from ``concurrency`` threads; latencies, wall time, errors."""
    import httpx

    # A generous timeout: slow answers are measured, not dropped.
    clients = [httpx.Client(base_url=f"http://{LOOPBACK}:{port}", headers={"Authorization": f"Bearer {token}"},
                            timeout=120) for _ in range(concurrency)]  # fmt: skip
    chunks = [ids[i::concurrency] for i in range(concurrency)]

    def worker(n: int) -> tuple[list[float], int]:
        times, errors = [], 0
        for cid in chunks[n]:
            start = time.perf_counter()
            response = clients[n].post(f"/v1/candidates/{cid}/vacancies", json={"k": 10, "include_reasons": reasons})
            times.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200
        return times, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, range(concurrency)))
    wall = time.perf_counter() - start
    for c in clients:
        c.close()
    return [t for r in results for t in r[0]], wall, sum(r[1] for r in results)


def over_http(home: Path, requests: int, concurrency: int, workers: int, reasons: bool = True,
              seed: int = 2) -> dict[str, Any]:  # fmt: skip
    """Throughput and latency of shortlists through uvicorn on loopback."""
    from matcher.index import load_index

    token, port = _caseworker_token(home), _free_port()
    env = {**os.environ, "MATCHER_HOME": str(home)}
    cmd = [sys.executable, "-m", "uvicorn", "api.app:serving_app", "--factory", "--host", LOOPBACK,
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(cmd, env=env)
    try:
        _wait_ready(port, token, server)
        pool = load_index(Settings(home=home).index_dir / "candidates").ids()
        rng = random.Random(seed)
        _load(port, token, rng.sample(pool, min(50, len(pool))), concurrency)  # warm-up
        ids = [rng.choice(pool) for _ in range(requests)]
        latencies, wall, errors = _load(port, token, ids, concurrency, reasons)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {**_percentiles(latencies), "reasons": reasons, "throughput_rps": round(len(ids) / wall, 1),
            "errors": errors, "concurrency": concurrency, "workers": workers, "command": " ".join(cmd[1:])}  # fmt: skip


def _timed(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"-- {label}", file=sys.stderr, flush=True)
    result = fn()
    print(f"{label}: {json.dumps(result)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="default: $MATCHER_HOME")
    parser.add_argument("--queries", type=int, default=500, help="in-process shortlists")
    parser.add_argument("--requests", type=int, default=1000, help="HTTP shortlists")
    parser.add_argument("--no-reasons", dest="reasons", action="store_false", help="include_reasons=false")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--no-100k", dest="big", action="store_false", help="skip the 100k-vacancy variant")
    args = parser.parse_args(argv)
    home = (args.home or Settings().home).resolve()
    prepare_world(home)
    report = {"world": {
        "in_process": _timed("in-process", lambda: in_process(home, args.queries, args.reasons)),
        "http": _timed("http", lambda: over_http(home, args.requests, args.concurrency, args.workers, args.reasons)),
    }}  # fmt: skip
    if args.big:
        big = home.parent / f"{home.name}-100k"
        prepare_big(home, big)
        report["100k"] = {
            "in_process": _timed("100k in-process", lambda: in_process(big, args.queries, args.reasons)),
            "http": _timed("100k http", lambda: over_http(big, args.requests // 2, args.concurrency, args.workers,
                                                          args.reasons)),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
