"""The serving benchmark over HTTP: 2 uvicorn workers on loopback, loaded by httpx threads or wrk;
server CPU per request beside requests/s and latencies (run by ``python -m training.bench.serving``)."""

from __future__ import annotations

import json
import os
import random
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api.app import server_command
from matcher.settings import Settings
from training.bench.common import LOOPBACK, PY, K, OtherLoad, _stats

WRK_SCRIPT = r"""
-- POST /v1/candidates/{id}/vacancies for the ids in $BENCH_IDS, round robin. After $BENCH_REQUESTS
-- answers (one wrk thread) it prints the wall time from the first request and stops; the caller
-- then interrupts wrk (its main thread sleeps for -d otherwise), and done() prints the latencies.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *t);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local limit = tonumber(os.getenv("BENCH_REQUESTS"))
local next_id, answered, started = 0, 0, nil
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
request = function()
  started = started or now()
  next_id = next_id % #ids + 1
  return wrk.format(nil, "/v1/candidates/" .. ids[next_id] .. "/vacancies")
end
response = function(status, headers, body)
  answered = answered + 1
  if answered == limit then
    io.write(string.format("BENCH_WALL %.6f %d\n", now() - started, answered))
    io.flush()
    wrk.thread:stop()
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _caseworker_token(home: Path) -> str:
    """The demo caseworker's personal token of this home (named demo people made if missing)."""
    from api.demo import ensure_demo_people
    from api.settings import ServiceSettings
    from matcher.records.store import Store

    settings = ServiceSettings(home=home)
    store = Store(settings.store_url)
    try:
        ensure_demo_people(settings, store)
    finally:
        store.close()
    return str(json.loads(settings.demo_tokens_file.read_text(encoding="utf-8"))["caseworker"])


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its (live) descendants, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        own = 0.0
    return own + sum(_cpu_seconds(c) for c in _children(pid))


def _wait_ready(port: int, token: str, server: subprocess.Popen[bytes], workers: int, timeout: float = 900) -> float:
    """Wait until /ready answers and every worker has finished loading (its CPU went idle)."""
    import httpx

    start = deadline = time.monotonic()
    deadline += timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            headers = {"Authorization": f"Bearer {token}"}
            if httpx.get(f"http://{LOOPBACK}:{port}/ready", headers=headers).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    else:
        raise RuntimeError("the server did not become ready")
    # /ready reached one worker; a worker still loading does not accept yet. Wait for quiet.
    before = _cpu_seconds(server.pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _cpu_seconds(server.pid)
        if len(_children(server.pid)) >= workers and now - before < 0.15:
            return round(time.monotonic() - start, 1)
        before = now
    raise RuntimeError("the workers did not settle")


def _httpx_load(port: int, token: str, ids: list[str], concurrency: int) -> dict[str, Any]:
    """One shortlist per id from ``concurrency`` threads, each with its own httpx client."""
    import httpx

    # A generous timeout: slow answers are measured, not dropped.
    clients = [
        httpx.Client(base_url=f"http://{LOOPBACK}:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=120)
        for _ in range(concurrency)
    ]
    chunks = [ids[i::concurrency] for i in range(concurrency)]

    def worker(n: int) -> tuple[list[float], int]:
        times, errors = [], 0
        for cid in chunks[n]:
            start = time.perf_counter()
            response = clients[n].post(f"/v1/candidates/{cid}/vacancies", json={"k": K, "include_reasons": True})
            times.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200
        return times, errors

    cpu, start = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, range(concurrency)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    for c in clients:
        c.close()
    latencies = [t for r in results for t in r[0]]
    return {
        **_stats(latencies),
        "throughput_rps": round(len(latencies) / wall, 1),
        "errors": sum(r[1] for r in results),
        "client_cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
    }


def _wrk_load(
    port: int, token: str, ids: list[str], requests: int, connections: int, workdir: Path
) -> tuple[dict[str, Any], str]:
    """The same requests from wrk (one thread, ``connections`` connections); results and command."""
    script, id_file = workdir / "shortlists.lua", workdir / "ids.txt"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    id_file.write_text("\n".join(ids) + "\n", encoding="utf-8")
    cmd = _wrk_command(port, requests, connections, script)
    env = {
        **os.environ,
        "BENCH_IDS": str(id_file),
        "BENCH_REQUESTS": str(requests),
        "BENCH_TOKEN": token,
        "BENCH_BODY": json.dumps({"k": K, "include_reasons": True}),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines, wall = _run_wrk(cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in lines if x.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    if not wall:
        raise RuntimeError(f"wrk stopped before {requests} answers: {''.join(lines)[-2000:]}")
    raw["requests"] = min(raw["requests"], requests)  # answers in flight at the stop are not counted
    errors = sum(raw[k] for k in ("non_2xx", "connect_errors", "read_errors", "write_errors", "timeouts"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        **{f"{p}_ms": round(raw[f"{p}_us"] / 1000, 2) for p in ("p50", "p95", "p99", "max", "mean")},
        "n": raw["requests"],
        "throughput_rps": round(raw["requests"] / wall, 1),
        "errors": errors,
        "client_cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
    }
    shown = shlex.join(cmd).replace(str(workdir), "$TMP")
    return result, f"BENCH_REQUESTS={requests} BENCH_IDS=$TMP/ids.txt BENCH_TOKEN=<caseworker> {shown}"


def _wrk_command(port: int, requests: int, connections: int, script: Path) -> list[str]:
    # -d only bounds the run (at 5 answers/s at least); the script stops it after ``requests`` answers.
    return [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(120, requests // 5)}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://{LOOPBACK}:{port}",
    ]


def _run_wrk(cmd: list[str], env: dict[str, str]) -> tuple[list[str], float]:
    """wrk's output lines and the wall time the script reported (0.0: it never did)."""
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        lines, wall = [], 0.0
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("BENCH_WALL "):
                wall = float(line.split()[1])
                proc.send_signal(signal.SIGINT)  # wrk's handler ends the run and prints the summary
        if proc.wait() != 0:
            raise RuntimeError(f"wrk failed ({proc.returncode}): {''.join(lines)[-2000:]}")
    return lines, wall


def over_http(
    home: Path, requests: int, concurrency: list[int], workers: int, use_wrk: bool, seed: int = 2
) -> dict[str, Any]:
    """Shortlists through uvicorn on loopback, from httpx threads and from wrk, per concurrency."""
    from matcher.ranking.index import load_index

    token, port = _caseworker_token(home), _free_port()
    env = {**os.environ, "MATCHER_HOME": str(home)}
    cmd = server_command(LOOPBACK, port, workers, "--log-level", "warning", "--no-access-log")
    wrk = shutil.which("wrk") if use_wrk else None
    server = subprocess.Popen(cmd, env=env)
    out: dict[str, Any] = {"server": f"MATCHER_HOME={home} " + shlex.join([PY, *cmd[1:]]), "runs": []}
    workdir = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
    try:
        out["server_ready_s"] = _wait_ready(port, token, server, workers)
        pool = load_index(Settings(home=home).index_dir / "candidates").ids()
        rng = random.Random(seed)
        _httpx_load(port, token, rng.sample(pool, min(100, len(pool))), max(concurrency))  # warm-up, both workers
        for c in concurrency:
            ids = [rng.choice(pool) for _ in range(requests)]
            server_cpu, load = _cpu_seconds(server.pid), OtherLoad()
            result = _httpx_load(port, token, ids, c)
            result["server_cpu_s"] = round(_cpu_seconds(server.pid) - server_cpu, 2)
            result["other_load_cores"] = load.cores(result["server_cpu_s"])  # the client is this process
            out["runs"].append(
                {
                    "generator": f"httpx, {c} threads x 1 client",
                    "concurrency": c,
                    **result,
                    "command": f"training.bench.serving_http._httpx_load({requests} requests, {c} threads)",
                }
            )
            if wrk:
                server_cpu, load = _cpu_seconds(server.pid), OtherLoad()
                result, command = _wrk_load(port, token, ids, requests, c, workdir)
                result["server_cpu_s"] = round(_cpu_seconds(server.pid) - server_cpu, 2)
                result["other_load_cores"] = load.cores(result["server_cpu_s"] + result["client_cpu_s"])
                out["runs"].append({"generator": f"wrk -t1 -c{c}", "concurrency": c, **result, "command": command})
        if not wrk:
            out["wrk"] = "not run: --no-wrk" if not use_wrk else "not installed (apt-get install -y wrk)"
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)
    return out
