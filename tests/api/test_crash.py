"""Crash tests: ``kill -9`` in the middle of an upsert burst and of a compaction.

A writer runs as a real subprocess over a copy of the served home and prints a line for each
write the engine acknowledged. After the kill, a fresh engine loads the home: what is there
loads, the index and the store agree, and every acknowledged write is there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matcher.ranking.engine import Engine
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.serving import open_engine
from tests.api.conftest import World, copy_world
from tests.api.servers import home_env

pytestmark = pytest.mark.slow

UPSERTS = """
import sys
from matcher.services.serving import open_engine
from matcher.settings import Settings
from matcher.records.models import Candidate

engine = open_engine(Settings(), scorer="similarity")
template = engine.store.candidates(1)[0]
print("ready", flush=True)
for i in range(100_000):
    record = template.model_copy(update={"id": f"CRASH-{i:05d}", "hours_per_week": float(10 + i % 30)})
    engine.upsert_candidate(record)
    if i % 3 == 2:
        engine.delete_candidate(f"CRASH-{i - 1:05d}")
        print(f"del CRASH-{i - 1:05d}", flush=True)
    print(f"ack CRASH-{i:05d}", flush=True)
"""

COMPACTIONS = """
from matcher.ranking.snapshot import save_snapshot
from matcher.services.serving import open_engine
from matcher.settings import Settings

engine = open_engine(Settings(), scorer="similarity")
print("ready", flush=True)
while True:
    save_snapshot(engine, Settings().index_dir)
    print("saved", flush=True)
"""


def _started(home: World, script: str) -> subprocess.Popen[str]:
    """``script`` running over the home in a process group of its own, once it printed "ready"."""
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        env=home_env(home.settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def _run_until(home: World, script: str, lines: int) -> list[str]:
    """Start ``script``, read until it printed ``lines`` lines after "ready", then kill -9 it."""
    process = _started(home, script)
    assert process.stdout is not None
    out: list[str] = []
    try:
        while len(out) < lines:
            line = process.stdout.readline()
            assert line, "the writer died on its own"
            out.append(line.strip())
    finally:
        _kill(process)
    return out


def _load(home: World) -> Engine:
    return open_engine(
        home.settings, scorer="similarity", store=Store(home.settings.store_url), reference=ReferenceData()
    )


def _agree(engine: Engine) -> None:
    stored = {c.id for c in engine.store.candidates()}
    assert set(engine.candidates.index.ids()) == stored
    assert set(engine.vacancies.index.ids()) == {v.id for v in engine.store.vacancies(status="open")}


def test_kill_during_an_upsert_burst_loses_nothing_acknowledged(api_world: World, tmp_path: Path) -> None:
    home = copy_world(api_world, tmp_path / "home")
    for round_ in range(3):  # several moments: the kill lands wherever the writer is
        lines = _run_until(home, UPSERTS, 15 + 20 * round_)
        engine = _load(home)
        _agree(engine)
        acked = {line.split()[1] for line in lines if line.startswith("ack")}
        deleted = {line.split()[1] for line in lines if line.startswith("del")}
        assert acked - deleted <= set(engine.candidates.index.ids())
        assert not deleted & set(engine.candidates.index.ids())
        for item_id in acked - deleted:
            assert engine.candidate(item_id).hours_per_week is not None
        engine.store.close()


def test_kill_during_compaction_leaves_a_snapshot_that_loads(api_world: World, tmp_path: Path) -> None:
    home = copy_world(api_world, tmp_path / "home")
    _run_until(home, UPSERTS, 30)  # a log to compact
    for delay in (0.0, 0.05, 0.2, 0.5):
        process = _started(home, COMPACTIONS)
        time.sleep(delay)
        _kill(process)
        engine = _load(home)
        _agree(engine)
        assert engine.applied_seq == engine.store.last_change()
        engine.store.close()
