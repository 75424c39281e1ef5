import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from matcher.services.audit import AuditEntry, AuditLog, _mac, _Pending, _write_batch, rotate, verify
from matcher.services.audit_checkpoints import Checkpoint
from matcher.services.audit_reads import accesses
from matcher.services.keyfile import load_or_create_key

KEY = bytes(range(32))


def entry(query: str = "S-1") -> AuditEntry:
    return AuditEntry(
        role="caseworker",
        user_id="cw-1",
        endpoint="/v1/candidates/{id}/vacancies",
        query_id=query,
        items=[("V-1", 0.91), ("V-2", 0.5)],
        model_version="3",
        index_version="2026-11-25T10:00:00",
    )


def test_chain_verifies(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log", KEY)
    records = [log.append(entry(f"S-{i}")) for i in range(5)]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[1]["prev_mac"] == records[0]["mac"]
    result = verify(log.path, KEY)
    assert result.ok and result.records == 5


def test_modified_record_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log", KEY)
    for i in range(4):
        log.append(entry(f"S-{i}"))
    lines = log.path.read_text().splitlines()
    record = json.loads(lines[2])
    record["items"][0]["score"] = 0.99
    lines[2] = json.dumps(record)
    log.path.write_text("\n".join(lines) + "\n")
    result = verify(log.path, KEY)
    assert not result.ok and result.first_bad_line == 3 and "altered" in result.reason


def test_removed_record_is_detected(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log", KEY)
    for i in range(3):
        log.append(entry(f"S-{i}"))
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = verify(log.path, KEY)
    assert not result.ok and result.first_bad_line == 2


def test_records_hold_ids_and_scores_only(tmp_path: Path) -> None:
    record = AuditLog(tmp_path / "a.log", KEY).append(entry())
    assert set(record) == {
        "seq",
        "time",
        "kind",
        "role",
        "user_id",
        "team",
        "endpoint",
        "query_id",
        "items",
        "model_version",
        "index_version",
        "prev_mac",
        "mac",
    }


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
                record = AuditLog(path, KEY).append(entry(f"{tag}{t}-{i}"))  # a new instance each call, as the API does
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
    result = verify(path, KEY)
    assert result.ok and result.records == len(expected)
    ids = _query_ids(path)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert sorted(r["seq"] for r in returned) == list(range(1, len(expected) + 1))
    on_disk = {json.loads(line)["mac"] for line in path.read_text(encoding="utf-8").splitlines()}
    assert {r["mac"] for r in returned} == on_disk  # each caller got the record that was written


_CHILD = """
import sys, threading, time
from pathlib import Path
from matcher.services.audit import AuditEntry, AuditLog
KEY = bytes(range(32))
tag, path, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
threads, per_thread = int(sys.argv[4]), int(sys.argv[5])
def work(t):
    for i in range(per_thread):
        AuditLog(path, KEY).append(AuditEntry("caseworker", "cw-1", "/x", f"{tag}{t}-{i}", [("V-1", 0.5)], "3", "i"))
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
    result = verify(path, KEY)
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
            spy.ack(AuditLog(path, KEY).append(entry(f"T{t}-{i}"))["seq"])

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()

    records = threads * per_thread
    assert verify(path, KEY).records == records
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
    log = AuditLog(tmp_path / "audit.log", KEY)
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
    assert verify(log.path, KEY).ok and _query_ids(log.path) == ["S-0", "S-2"]


def test_a_bad_entry_fails_alone_in_its_batch(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    bad = AuditEntry("caseworker", "cw-1", "/x", "bad", [("V-1", "not a score")], "3", "i")  # type: ignore[list-item]
    batch = [_Pending(entry("S-1")), _Pending(bad), _Pending(entry("S-2"))]
    _write_batch(path, KEY, None, batch)
    assert isinstance(batch[1].error, ValueError) and batch[1].record is None
    assert batch[0].record is not None and batch[2].record is not None
    assert [batch[0].record["seq"], batch[2].record["seq"]] == [1, 2]
    assert verify(path, KEY).ok and _query_ids(path) == ["S-1", "S-2"]


# --- keyed chain, checkpoints, recovery, retention -------------------------------------------------
class MemoryCheckpoints:
    """Checkpoints kept in memory (the store's table is tested through the API and CLI)."""

    def __init__(self) -> None:
        self.marks: dict[int, tuple[str, bool]] = {}

    def add(self, seq: int, mac: str) -> None:
        self.marks[seq] = (mac, False)

    def all(self) -> list[Checkpoint]:
        return [Checkpoint(seq, mac, anchor) for seq, (mac, anchor) in sorted(self.marks.items())]

    def set_anchor(self, seq: int, mac: str) -> None:
        self.marks = {s: m for s, m in self.marks.items() if s > seq}
        self.marks[seq] = (mac, True)


def _logged(tmp_path: Path, n: int = 20) -> tuple[AuditLog, MemoryCheckpoints]:
    marks = MemoryCheckpoints()
    log = AuditLog(tmp_path / "audit.log", KEY, marks)
    for i in range(n):
        log.append(entry(f"S-{i}"))
    return log, marks


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_truncated_tail_fails_against_the_checkpoints(tmp_path: Path) -> None:
    log, marks = _logged(tmp_path)
    assert verify(log.path, KEY, marks).ok and verify(log.path, KEY, marks).checkpoints == 20
    lines = _lines(log)
    log.path.write_text("".join(lines[:-1]))  # the last line
    result = verify(log.path, KEY, marks)
    assert not result.ok and result.first_bad_seq == 20 and "missing" in result.reason
    log.path.write_text("".join(lines[:-5]))  # the last five records
    assert verify(log.path, KEY, marks).first_bad_seq == 16


def test_removed_middle_line_fails(tmp_path: Path) -> None:
    log, marks = _logged(tmp_path)
    lines = _lines(log)
    log.path.write_text("".join(lines[:7] + lines[8:]))
    result = verify(log.path, KEY, marks)
    assert not result.ok and result.first_bad_seq == 8 and result.first_bad_line == 8


def test_forged_and_rechained_log_fails(tmp_path: Path) -> None:
    """Without the key, a rewritten record cannot carry a valid MAC, however the chain is redone."""
    log, marks = _logged(tmp_path)
    lines = [json.loads(line) for line in _lines(log)]
    forged_key = b"attacker without the real key..."
    prev = lines[9]["mac"]
    for record in lines[10:]:  # re-chain everything from record 11 with the attacker's key
        body = {k: v for k, v in record.items() if k not in ("prev_mac", "mac")}
        body["items"] = []
        record.update(body, prev_mac=prev, mac=_mac(forged_key, prev, body))
        prev = record["mac"]
    log.path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    result = verify(log.path, KEY, marks)
    assert not result.ok and result.first_bad_seq == 11 and "altered" in result.reason
    # Even a plain hash chain redone correctly fails: the MAC needs the key.
    assert not verify(log.path, forged_key, marks).ok  # and the checkpoints hold the real MACs


def test_empty_or_missing_log_with_checkpoints_fails(tmp_path: Path) -> None:
    log, marks = _logged(tmp_path, 3)
    log.path.write_text("")
    result = verify(log.path, KEY, marks)
    assert not result.ok and result.first_bad_seq == 1 and "empty" in result.reason
    log.path.unlink()
    assert not verify(log.path, KEY, marks).ok
    assert verify(log.path, KEY, MemoryCheckpoints()).ok  # a new home: nothing logged, nothing expected


def test_rotation_keeps_a_log_that_verifies(tmp_path: Path) -> None:
    log, marks = _logged(tmp_path, 10)
    lines = [json.loads(line) for line in _lines(log)]
    cutoff_time = datetime.fromisoformat(lines[6]["time"])  # records 1..6 are older than the cut
    old = [{**r} for r in lines]
    for record in old[:6]:  # age them: rewrite times and MACs with the key, as if written long ago
        record["time"] = "2020-01-01T00:00:00.000+00:00"
    prev = "0" * 64
    for record in old:
        body = {k: v for k, v in record.items() if k not in ("prev_mac", "mac")}
        record.update(prev_mac=prev, mac=_mac(KEY, prev, body))
        prev = record["mac"]
    log.path.write_text("".join(json.dumps(r) + "\n" for r in old))
    marks.marks = {r["seq"]: (r["mac"], False) for r in old}
    removed = rotate(log.path, KEY, marks, timedelta(days=183), now=cutoff_time)
    assert removed == 6 and [json.loads(line)["seq"] for line in _lines(log)] == [7, 8, 9, 10]
    result = verify(log.path, KEY, marks)
    assert result.ok and result.records == 4 and any("rotated" in n for n in result.notes), result
    assert log.append(entry("S-new"))["seq"] == 11 and verify(log.path, KEY, marks).ok
    log.path.write_text("".join(_lines(log)[1:]))  # removing the kept head is still caught
    assert not verify(log.path, KEY, marks).ok


def test_torn_final_line_is_quarantined_and_appends_go_on(tmp_path: Path) -> None:
    log, marks = _logged(tmp_path, 5)
    with log.path.open("ab") as handle:
        handle.write(b'{"seq": 6, "time": "2026-12-01T10:00')  # a crash in the middle of an append
    assert any("torn" in n for n in verify(log.path, KEY, marks).notes)
    recovered = log.recover()
    assert recovered is not None and recovered.after_seq == 5 and recovered.quarantine.is_file()
    assert recovered.quarantine.read_bytes().startswith(b'{"seq": 6')
    assert oct(recovered.quarantine.stat().st_mode & 0o777) == "0o600"
    assert log.append(entry("S-after"))["seq"] == 6
    result = verify(log.path, KEY, marks)
    assert result.ok and result.records == 6 and any("quarantined" in n for n in result.notes)


def test_a_torn_tail_found_while_serving_is_quarantined_by_the_next_append(tmp_path: Path) -> None:
    log, marks = _logged(tmp_path, 2)
    with log.path.open("ab") as handle:
        handle.write(b'{"seq": 3, "ti')
    assert log.append(entry("S-next"))["seq"] == 3
    assert verify(log.path, KEY, marks).ok


def test_the_tail_is_read_back_only_after_another_writer_changed_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matcher.services.audit as audit_module

    reads: list[int] = []
    real_tail = audit_module._tail
    monkeypatch.setattr(audit_module, "_tail", lambda handle: reads.append(1) or real_tail(handle))
    log, marks = _logged(tmp_path, 3)  # one appender, three batches: the first one reads the tail
    assert len(reads) == 1
    _write_batch(log.path, KEY, marks, [_Pending(entry("S-other"))])  # another process's writer
    assert log.append(entry("S-mine"))["seq"] == 5  # the file changed: read back, chained on #4
    with log.path.open("ab") as handle:
        handle.write(b'{"seq": 6, "ti')  # a writer that crashed mid-line: same inode, longer file
    assert log.append(entry("S-after-torn"))["seq"] == 6
    assert len(reads) == 4
    result = verify(log.path, KEY, marks)
    assert result.ok and result.records == 6, result
    assert _query_ids(log.path)[3:] == ["S-other", "S-mine", "S-after-torn"]


def test_log_and_key_are_private(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "audit.key")
    assert len(key) == 32 and load_or_create_key(tmp_path / "audit.key") == key
    log, _ = _logged(tmp_path, 1)
    for path in (tmp_path / "audit.key", log.path):
        assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_subject_access_export_lists_every_access(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log", KEY)
    log.append(AuditEntry("caseworker", "cw-1", "GET /v1/candidates/{id}", "P-1", [("P-1", None)], kind="read"))
    log.append(
        AuditEntry(
            "employer_service", "es-1", "POST /v1/vacancies/{id}/candidates", "V-9", [("P-2", 0.4), ("P-1", 0.3)]
        )
    )
    log.append(AuditEntry("admin", "ad-1", "POST /v1/score", "r-1", [("P-1|V-9", 0.3)], kind="score"))
    log.append(AuditEntry("caseworker", "cw-1", "GET /v1/candidates/{id}", "P-2", [("P-2", None)], kind="read"))
    found = list(accesses(log.path, "P-1"))
    assert [(a["seq"], a["as"], a["role"]) for a in found] == [
        (1, "query", "caseworker"),
        (2, "result", "employer_service"),
        (3, "result", "admin"),
    ]
    assert list(accesses(log.path, "P-1", date(2999, 1, 1))) == []


def test_a_log_of_the_earlier_unkeyed_format_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_text(
        json.dumps({"seq": 1, "time": "2026-11-01T00:00:00.000+00:00", "prev_hash": "0" * 64, "hash": "ab" * 32}) + "\n"
    )
    log = AuditLog(path, KEY)
    assert log.append(entry("S-new"))["seq"] == 1  # never a failed request because of the log's past
    kept = list(tmp_path.glob("audit.log.unkeyed-*"))
    assert len(kept) == 1 and '"prev_hash"' in kept[0].read_text()
    result = verify(path, KEY)
    assert result.ok and any("unkeyed" in note for note in result.notes)


def test_a_key_made_by_several_starters_at_once_is_one_whole_key(tmp_path: Path) -> None:
    """Two workers start together: each reads the same complete key (never a file still empty)."""

    from matcher.services.keyfile import load_or_create_key

    path = tmp_path / "keys" / "audit.key"
    keys: list[bytes] = []
    starters = [threading.Thread(target=lambda: keys.append(load_or_create_key(path))) for _ in range(8)]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) >= 16
    assert [p.name for p in path.parent.iterdir()] == ["audit.key"]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o600
