import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matcher.audit import AuditEntry, AuditLog, _Pending, _write_batch, verify


def entry(query: str = "S-1") -> AuditEntry:
    return AuditEntry(role="caseworker", token_id="cw-1", endpoint="/v1/candidates/{id}/vacancies",
                      query_id=query, items=[("V-1", 0.91), ("V-2", 0.5)],
                      model_version="3", index_version="2026-11-25T10:00:00")  # fmt: skip


def test_chain_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    records = [log.append(entry(f"S-{i}")) for i in range(5)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[1]["prev_hash"] == records[0]["hash"]
    result = verify(log.path)
    assert result.ok and result.records == 5


def test_modified_record_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    for i in range(4):
        log.append(entry(f"S-{i}"))
    lines = log.path.read_text().splitlines()
    record = json.loads(lines[2])
    record["items"][0]["score"] = 0.99
    lines[2] = json.dumps(record)
    log.path.write_text("\n".join(lines) + "\n")
    result = verify(log.path)
    assert not result.ok and result.first_bad_line == 3 and "modified" in result.reason


def test_removed_record_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    for i in range(3):
        log.append(entry(f"S-{i}"))
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = verify(log.path)
    assert not result.ok and result.first_bad_line == 2


def test_records_hold_ids_and_scores_only(tmp_path: Path) -> None:
    record = AuditLog(tmp_path / "a.log").append(entry())
    assert set(record) == {"seq", "time", "role", "token_id", "endpoint", "query_id", "items",
                           "model_version", "index_version", "prev_hash", "hash"}  # fmt: skip


# --- group commit ---------------------------------------------------------------------------------


def _append_from_threads(path: Path, threads: int, per_thread: int, tag: str = "T") -> list[dict[str, Any]]:
    """``threads`` threads released together, each appending ``per_thread`` entries."""
    start = threading.Barrier(threads)
    returned: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                record = AuditLog(path).append(entry(f"{tag}{t}-{i}"))  # a new instance each call, as the API does
                with guard:
                    returned.append(record)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors, errors
    return returned


def _query_ids(path: Path) -> list[str]:
    return [json.loads(line)["query_id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_concurrent_threads_chain_every_record_once(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    returned = _append_from_threads(path, threads=16, per_thread=40)
    expected = {f"T{t}-{i}" for t in range(16) for i in range(40)}
    result = verify(path)
    assert result.ok and result.records == len(expected)
    ids = _query_ids(path)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert sorted(r["seq"] for r in returned) == list(range(1, len(expected) + 1))
    on_disk = {json.loads(line)["hash"] for line in path.read_text(encoding="utf-8").splitlines()}
    assert {r["hash"] for r in returned} == on_disk  # each caller got the record that was written


_CHILD = """
import sys, threading, time
from pathlib import Path
from matcher.audit import AuditEntry, AuditLog
tag, path, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
threads, per_thread = int(sys.argv[4]), int(sys.argv[5])
def work(t):
    for i in range(per_thread):
        AuditLog(path).append(AuditEntry("caseworker", "cw-1", "/x", f"{tag}{t}-{i}", [("V-1", 0.5)], "3", "i"))
while not go.exists():
    time.sleep(0.001)
pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
[p.start() for p in pool]
[p.join() for p in pool]
"""


def test_two_processes_share_one_chain(tmp_path: Path) -> None:
    path, go = tmp_path / "audit.log", tmp_path / "go"
    threads, per_thread = 4, 60
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    args = [str(path), str(go), str(threads), str(per_thread)]
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, tag, *args], env=env, cwd=root, stderr=subprocess.PIPE)
        for tag in ("A", "B")
    ]
    go.touch()  # both start appending together
    for child in children:
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr.decode()
    expected = {f"{tag}{t}-{i}" for tag in "AB" for t in range(threads) for i in range(per_thread)}
    result = verify(path)
    assert result.ok and result.records == len(expected), result
    ids = _query_ids(path)
    assert len(ids) == len(set(ids)) and set(ids) == expected


class _FsyncSpy:
    """Stands in for os.fsync: slow (so appends pile up), and notes which seqs each one made durable."""

    def __init__(self, path: Path, real: Callable[[int], None]) -> None:
        self.path, self.real = path, real
        self.events: list[tuple[str, Any]] = []  # ("fsync", seqs on disk) and ("ack", seq), in order
        self.lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        on_disk = {json.loads(line)["seq"] for line in self.path.read_text(encoding="utf-8").splitlines()}
        time.sleep(0.01)
        self.real(fd)
        with self.lock:
            self.events.append(("fsync", on_disk))

    def ack(self, seq: int) -> None:
        with self.lock:
            self.events.append(("ack", seq))


def test_appends_are_batched_and_acknowledged_only_after_their_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.log"
    spy = _FsyncSpy(path, os.fsync)
    monkeypatch.setattr(os, "fsync", spy)
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)

    def work(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            spy.ack(AuditLog(path).append(entry(f"T{t}-{i}"))["seq"])

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()

    records = threads * per_thread
    assert verify(path).records == records
    fsyncs = [seqs for kind, seqs in spy.events if kind == "fsync"]
    assert len(fsyncs) < records / 2, f"{len(fsyncs)} fsyncs for {records} records: no batching"
    durable: set[int] = set()
    acked = 0
    for kind, value in spy.events:
        if kind == "fsync":
            durable |= value
        else:
            assert value in durable, f"seq {value} acknowledged before an fsync covered it"
            acked += 1
    assert acked == records


def test_failed_fsync_fails_the_batch_and_leaves_no_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(tmp_path / "audit.log")
    log.append(entry("S-0"))
    real = os.fsync
    calls = {"n": 0}

    def failing_once(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", failing_once)
    with pytest.raises(OSError):
        log.append(entry("S-1"))
    assert _query_ids(log.path) == ["S-0"]  # cut back: never acknowledged, not in the log
    assert log.append(entry("S-2"))["seq"] == 2
    assert verify(log.path).ok and _query_ids(log.path) == ["S-0", "S-2"]


def test_a_bad_entry_fails_alone_in_its_batch(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    bad = AuditEntry("caseworker", "cw-1", "/x", "bad", [("V-1", "not a score")], "3", "i")  # type: ignore[list-item]
    batch = [_Pending(entry("S-1")), _Pending(bad), _Pending(entry("S-2"))]
    _write_batch(path, batch)
    assert isinstance(batch[1].error, ValueError) and batch[1].record is None
    assert batch[0].record is not None and batch[2].record is not None
    assert [batch[0].record["seq"], batch[2].record["seq"]] == [1, 2]
    assert verify(path).ok and _query_ids(path) == ["S-1", "S-2"]
