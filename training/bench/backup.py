"""Benchmark of ``matcher backup`` and ``matcher restore`` on the default world.

    .venv/bin/python -m training.bench.backup [--home DIR] [--repeat N]

The default world lives under ``--home`` (default ``$MATCHER_HOME``), prepared by the CLI when
missing (``training.bench.serving.prepare_world``: 12,000 job seekers, ingest, index, train). Each
round writes a backup with keys into a scratch folder, restores it into an empty home there and
opens the restored store; the table gives the wall time of each step, the backup file's size and
the sizes of the parts (store, indexes, MLflow store and artifacts, encoder). Nothing serves the
home meanwhile: the figures are the commands' own cost (a serving API shares the cores).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from api.settings import ServiceSettings


def _mib(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 if path.exists() else 0.0


def one_round(settings: ServiceSettings, scratch: Path) -> dict[str, float]:
    """Back up ``settings``' home, restore it into an empty one under ``scratch``; seconds and MiB."""
    from matcher.records.store import Store
    from matcher.services.backup import restore_backup, write_backup

    out = scratch / "backup.tar.gz"
    start = time.perf_counter()
    write_backup(settings, out, with_keys=True)
    backed_up = time.perf_counter()
    target = ServiceSettings(
        home=scratch / "restored", MLFLOW_TRACKING_URI=f"sqlite:///{scratch / 'restored/mlflow.db'}"
    )
    restore_backup(out, target)
    Store(target.store_url).close()
    restored = time.perf_counter()
    size = _mib(out)
    shutil.rmtree(scratch / "restored")
    out.unlink()
    return {"backup_s": backed_up - start, "restore_s": restored - backed_up, "file_mib": size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("MATCHER_HOME", "var")))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from training.bench.worlds import prepare_world

    prepare_world(args.home)
    settings = ServiceSettings(home=args.home)
    parts = {
        "store": Path(settings.store_url.removeprefix("sqlite:///")),
        "indexes": settings.index_dir,
        "mlflow store": Path(settings.tracking_uri.removeprefix("sqlite:///")),
        "mlflow artifacts": settings.artifact_dir,
        "encoder": settings.encoder_dir,
        "audit log": settings.audit_log,
    }
    print("parts (MiB): " + ", ".join(f"{name} {_mib(path):.1f}" for name, path in parts.items()))
    rounds = []
    with tempfile.TemporaryDirectory(dir=args.home.parent) as tmp:  # the home's disk, not tmpfs
        for _ in range(args.repeat):
            rounds.append(one_round(settings, Path(tmp)))
            print(rounds[-1], file=sys.stderr)
    print(f"{'step':<10}{'median s':>10}{'min s':>10}{'max s':>10}")
    for step in ("backup_s", "restore_s"):
        values = [r[step] for r in rounds]
        print(f"{step[:-2]:<10}{statistics.median(values):>10.2f}{min(values):>10.2f}{max(values):>10.2f}")
    print(f"backup file: {statistics.median(r['file_mib'] for r in rounds):.1f} MiB (gzip level 1, keys included)")


if __name__ == "__main__":
    main()
