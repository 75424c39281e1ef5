"""Benchmark of the audit log: appends/s with one fsync per record (the old way) vs group commit.

Run: ``.venv/bin/python -m training.bench.audit [--records 2000] [--threads 1 8] [--repeat 3] [--dir DIR]``.

Both modes run in the same process on the same filesystem, one fresh log per row. ``baseline``
is the pre-group-commit append: each call opens the log, takes the flock, reads the last record,
writes its one record and fsyncs (:func:`matcher.services.audit._write_batch` with a batch of one, called
from every thread on its own). ``group`` is :meth:`matcher.services.audit.AuditLog.append`. ``--threads``
threads share ``--records`` appends; each row is run ``--repeat`` times, the modes taking turns so
that a drifting disk hits both alike, and the repetition with the median appends/s is printed:
appends/s, fsyncs, records per fsync and the median and p99 latency of one append. Put ``--dir``
on the disk the API writes to: on tmpfs an fsync costs nothing and both modes look alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.services.audit import AuditEntry, AuditLog, _Pending, _write_batch, verify
from matcher.services.keyfile import new_key

# One HMAC key for every log of a run; no checkpoints (the API also writes one to the store per batch).
KEY = new_key()


@dataclass(frozen=True)
class Row:
    mode: str
    threads: int
    records: int
    seconds: float
    fsyncs: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds


def _entry(n: int) -> AuditEntry:
    items = [(f"V-{n * 10 + k}", 1.0 / (k + 1)) for k in range(10)]  # a shortlist of 10, as the API logs
    return AuditEntry(
        "caseworker",
        "cw-1",
        "POST /v1/candidates/{id}/vacancies",
        f"S-{n}",
        items,
        "lightgbm:1",
        "exact:2026-11-25T10:00:00",
    )


def _baseline(path: Path) -> Callable[[AuditEntry], dict[str, Any]]:
    def append(entry: AuditEntry) -> dict[str, Any]:
        pending = _Pending(entry)
        _write_batch(path, KEY, None, [pending])
        assert pending.record is not None
        return pending.record

    return append


def _group(path: Path) -> Callable[[AuditEntry], dict[str, Any]]:
    return AuditLog(path, KEY).append


def run(mode: str, threads: int, records: int, folder: Path) -> Row:
    path = folder / f"{mode}-{threads}.log"
    append = {"baseline": _baseline, "group": _group}[mode](path)
    real_fsync, fsyncs = os.fsync, [0]

    def counting_fsync(fd: int) -> None:
        fsyncs[0] += 1  # only the leader (or one baseline writer under the flock) calls it
        real_fsync(fd)

    shares = [records // threads + (t < records % threads) for t in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads + 1)

    def work(t: int) -> None:
        start.wait()
        for i in range(shares[t]):
            began = time.perf_counter()
            append(_entry(t * records + i))
            latencies[t].append(time.perf_counter() - began)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    os.fsync = counting_fsync  # type: ignore[assignment]
    try:
        for thread in pool:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in pool:
            thread.join()
        seconds = time.perf_counter() - began
    finally:
        os.fsync = real_fsync
    result = verify(path, KEY)
    assert result.ok and result.records == records, result
    every = sorted(x for per_thread in latencies for x in per_thread)
    p99 = every[min(len(every) - 1, int(0.99 * len(every)))]
    return Row(mode, threads, records, seconds, fsyncs[0], statistics.median(every) * 1e3, p99 * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="appends per row")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--repeat", type=int, default=3, help="runs a row; the median one is shown")
    parser.add_argument("--dir", type=Path, default=None, help="where the logs go (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-", dir=args.dir) as folder:
        print(f"logs in {folder}; {args.records} appends a row")
        print(f"{'mode':<9}{'threads':>8}{'appends/s':>11}{'fsyncs':>8}{'rec/fsync':>10}{'p50 ms':>8}{'p99 ms':>8}")
        for threads in args.threads:
            runs: dict[str, list[Row]] = {"baseline": [], "group": []}
            for rep in range(args.repeat):
                for mode, rows in runs.items():
                    (Path(folder) / str(rep)).mkdir(exist_ok=True)
                    rows.append(run(mode, threads, args.records, Path(folder) / str(rep)))
            for rows in runs.values():
                row = sorted(rows, key=lambda r: r.per_second)[len(rows) // 2]
                print(
                    f"{row.mode:<9}{row.threads:>8}{row.per_second:>11.0f}{row.fsyncs:>8}"
                    f"{row.records / row.fsyncs:>10.1f}{row.p50_ms:>8.2f}{row.p99_ms:>8.2f}"
                )


if __name__ == "__main__":
    main()
