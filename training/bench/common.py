"""What the benchmarks share: the loopback address, k, the command prefix, the machine's other
load, and the statistics and tables they print."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

LOOPBACK = "127.0.0.1"


K = 10


PY = "python"  # how the printed commands start (run from the repository root)


def _busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all processes, all cores), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """How many cores other processes kept busy while a measurement ran (the machine is shared).

    ``cores(ours)``: the machine's busy CPU seconds minus this process's and ``ours`` (a server, a
    load generator), over the wall time.
    """

    def __init__(self) -> None:
        self.busy, self.cpu, self.wall = _busy_seconds(), time.process_time(), time.perf_counter()

    def cores(self, ours: float = 0.0) -> float:
        busy, cpu = _busy_seconds() - self.busy, time.process_time() - self.cpu
        return round(max(0.0, busy - cpu - ours) / max(1e-9, time.perf_counter() - self.wall), 2)


def _stats(ms: list[float] | np.ndarray, unit: str = "ms", digits: int = 2) -> dict[str, Any]:
    values = np.asarray(ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        f"p50_{unit}": round(float(p50), digits),
        f"p95_{unit}": round(float(p95), digits),
        f"p99_{unit}": round(float(p99), digits),
        f"max_{unit}": round(float(values.max()), digits),
        f"mean_{unit}": round(float(values.mean()), digits),
        "n": int(len(values)),
    }


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
