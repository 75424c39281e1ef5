"""The benchmarks' worlds: the default world under ``MATCHER_HOME`` (built by ``matcher demo``) and
the 100k-vacancy world derived from it, each prepared once and kept."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from matcher.settings import Settings

DEFAULT_CANDIDATES = 12_000
BIG_VACANCIES = 100_000

DEFAULT_CANDIDATES = 12_000


BIG_VACANCIES = 100_000


def _cli() -> str:
    return str(Path(sys.executable).parent / "matcher")


def _run_cli(home: Path, *args: str) -> None:
    env = {**os.environ, "MATCHER_HOME": str(home)}
    print(f"$ MATCHER_HOME={home} matcher {' '.join(args)}", file=sys.stderr, flush=True)
    subprocess.run([_cli(), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_world(home: Path) -> None:
    """Generate, ingest, index and train with the CLI unless the home already serves."""
    from matcher.errors import ModelNotFoundError
    from matcher.ranking.model_registry import load_model

    settings = Settings(home=home)
    if not (settings.home / "matcher.db").exists():
        _run_cli(home, "generate", "--out", str(home / "world"), "--candidates", str(DEFAULT_CANDIDATES))
        _run_cli(home, "ingest", str(home / "world"), "--json")
    if not (settings.index_dir / "vacancies").exists():
        _run_cli(home, "index")
    try:
        load_model(settings.tracking_uri, settings.artifact_dir, settings.model_name)
    except ModelNotFoundError:
        print("no @champion yet: training", file=sys.stderr)
        _run_cli(home, "train", "--json")


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, WAL included (a file copy can miss the WAL)."""
    target.unlink(missing_ok=True)
    target.touch(mode=0o600)  # social data: owner only, as the home's own files
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def prepare_big(home: Path, big: Path, target: int = BIG_VACANCIES, seed: int = 0) -> dict[str, Any]:
    """A copy of ``home`` whose store and index hold ``target`` open vacancies; what it holds.

    The synthetic vacancies go in through ``Store.upsert_vacancies`` (one transaction; their
    change-log entries carry no vectors), then ``matcher index`` embeds every open vacancy and
    job seeker and writes a snapshot at the change-log position read before it started, so the
    snapshot covers those entries. Returns the counts and log positions, checked.
    """
    from matcher.records.models import VacancyStatus
    from matcher.records.store import Store

    settings = Settings(home=big)
    _copy_serving_files(home, big)
    if not (settings.index_dir / "vacancies").exists():
        _copy_sqlite(home / "matcher.db", big / "matcher.db")
        store = Store(settings.store_url)
        base = store.vacancies(status=VacancyStatus.OPEN.value)
        synthetic = _synthetic_vacancies(base, max(0, target - len(base)), random.Random(seed))
        print(f"storing {len(synthetic)} synthetic vacancies", file=sys.stderr, flush=True)
        with store.transaction() as conn:
            store.upsert_vacancies(conn, synthetic)
        store.close()
        _run_cli(big, "index")
    return check_snapshot(big)


def _copy_serving_files(home: Path, big: Path) -> None:
    """Encoder and the registry with its artifacts (a home serves only from its own files; its
    people are its own store's, made by :func:`_caseworker_token`)."""
    big.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not (big / "mlflow.db").exists():
        _copy_sqlite(home / "mlflow.db", big / "mlflow.db")
    for name in ("encoder", "mlartifacts"):
        if (home / name).exists() and not (big / name).exists():
            shutil.copytree(home / name, big / name)


def _synthetic_vacancies(base: list[Any], count: int, rng: random.Random) -> list[Any]:
    """``count`` copies of random ``base`` vacancies at random places of theirs, with other hours and dates."""
    places = [(v.ags, v.postcode) for v in base]
    synthetic = []
    for n in range(count):
        v = rng.choice(base)
        ags, postcode = rng.choice(places)
        hours = None if v.hours_per_week is None else float(min(60, max(5, v.hours_per_week + rng.randint(-5, 5))))
        synthetic.append(
            v.model_copy(
                update={
                    "id": f"SYN-{n:06d}",
                    "source_ids": [],
                    "ags": ags,
                    "postcode": postcode,
                    "hours_per_week": hours,
                    "posted_at": v.posted_at - timedelta(days=rng.randint(0, 60)),
                }
            )
        )
    return synthetic


def check_snapshot(home: Path) -> dict[str, Any]:
    """Whether the snapshot under ``home`` covers the whole change log (else: entries to apply)."""
    from matcher.ranking.index_io import read_manifest, resolve_dir
    from matcher.records.store import Store

    settings = Settings(home=home)
    store = Store(settings.store_url)
    try:
        out: dict[str, Any] = {"change_log_at": store.last_change()}
        for name in ("vacancies", "candidates"):
            manifest = read_manifest(resolve_dir(settings.index_dir / name))
            out[name] = {"count": manifest.count, "kind": manifest.kind, "applied_seq": manifest.applied_seq}
        start = min(out["vacancies"]["applied_seq"], out["candidates"]["applied_seq"])
        changes = store.changes_since(start)
        out["entries_after_snapshot"] = len(changes)
        out["entries_after_snapshot_without_vector"] = sum(c.vector is None and c.kind != "model" for c in changes)
    finally:
        store.close()
    return out
