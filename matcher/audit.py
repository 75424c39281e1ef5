"""Append-only, tamper-evident audit log of shortlists and scores.

One JSON object a line. Each record carries the SHA-256 of the previous record's hash and its own
canonical content, so changing, removing or reordering any record breaks the chain from there on
(:func:`verify`). Records hold pseudonymous ids, scores and versions only: never profile text.

Group commit: the appends of one process to one file share a :class:`_GroupCommit`. Whoever finds
no write in progress becomes the leader and writes everything queued so far as one batch: it takes
an exclusive ``flock``, reads the last record (another process may have appended since), chains the
batch onto it, writes it with one ``write`` and makes it durable with one ``fsync``. Callers that
arrive meanwhile queue up and go out in the next batch, so under load one fsync covers many
records. No ``append`` returns before the fsync that covers its record; if the batch fails, every
caller in it gets the error and the batch is cut off the file again. The flock keeps the chain
intact across processes (several API workers can share one log).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
CHAIN_FIELDS = ("prev_hash", "hash")  # what the chain adds to a record's body


def _digest(prev_hash: str, body: dict[str, Any]) -> str:
    """The chain link: the one place that says how a record's hash is made (writer and verifier)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _seal(prev_hash: str, body: dict[str, Any]) -> dict[str, Any]:
    """A record: its body chained onto the previous record's hash."""
    return {**body, "prev_hash": prev_hash, "hash": _digest(prev_hash, body)}


@dataclass(frozen=True)
class AuditEntry:
    """What one call returned, and to whom."""

    role: str
    token_id: str
    endpoint: str
    query_id: str
    items: Sequence[tuple[str, float]]
    model_version: str
    index_version: str

    def body(self, seq: int, time: str) -> dict[str, Any]:
        return {
            "seq": seq, "time": time, "role": self.role, "token_id": self.token_id,
            "endpoint": self.endpoint, "query_id": self.query_id,
            "items": [{"id": i, "score": round(float(s), 6)} for i, s in self.items],
            "model_version": self.model_version, "index_version": self.index_version,
        }  # fmt: skip


def _last_record(handle: Any) -> dict[str, Any] | None:
    """The last record of an open log (reads backwards from the end)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    block, data = 4096, b""
    while size > 0:
        step = min(block, size)
        size -= step
        handle.seek(size)
        data = handle.read(step) + data
        lines = data.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or size == 0:
            last = lines[-1].strip()
            return json.loads(last) if last else None
    return None


class _Pending:
    """One queued append: the entry, and once its batch is done, its record or its error."""

    __slots__ = ("entry", "record", "error", "done")

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry
        self.record: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.done = False


def _write_batch(path: Path, batch: Sequence[_Pending]) -> None:
    """Chain, write and fsync ``batch`` under one exclusive flock; set each one's record or error.

    An entry whose body cannot be built fails alone and takes no sequence number. If the write or
    the fsync fails, the file is cut back to where the batch began and every entry gets the error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b", buffering=0) as handle:  # unbuffered: nothing left to flush on close
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            last = _last_record(handle)
            start = handle.seek(0, os.SEEK_END)
            seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
            time = datetime.now(UTC).isoformat(timespec="milliseconds")
            lines: list[bytes] = []
            sealed: list[tuple[_Pending, dict[str, Any]]] = []
            for pending in batch:
                try:
                    record = _seal(prev, pending.entry.body(seq + 1, time))
                    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
                except Exception as exc:  # this entry only
                    pending.error = exc
                    continue
                seq, prev = record["seq"], record["hash"]
                lines.append(line)
                sealed.append((pending, record))
            if not lines:
                return
            data = memoryview(b"".join(lines))
            try:
                while data:  # O_APPEND: every write lands at the end
                    data = data[handle.write(data) :]
                os.fsync(handle.fileno())
            except BaseException:
                try:
                    os.ftruncate(handle.fileno(), start)
                    os.fsync(handle.fileno())
                except OSError:
                    pass
                raise
            for pending, record in sealed:
                pending.record = record
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _GroupCommit:
    """The one appender of a process for one file: the leader writes what queued behind it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False

    def append(self, entry: AuditEntry) -> dict[str, Any]:
        pending = _Pending(entry)
        with self._cond:
            self._queue.append(pending)
            while not pending.done:
                if self._writing:
                    self._cond.wait()
                    continue
                batch, self._queue = self._queue, []  # holds ``pending`` (else it would be done)
                self._writing = True
                self._cond.release()
                try:
                    _write_batch(self.path, batch)
                except BaseException as exc:
                    for waiting in batch:
                        if waiting.record is None and waiting.error is None:
                            waiting.error = exc
                finally:
                    self._cond.acquire()
                    self._writing = False
                    for waiting in batch:
                        waiting.done = True
                    self._cond.notify_all()
        if pending.error is not None:
            raise pending.error
        assert pending.record is not None
        return pending.record


_appenders: dict[str, _GroupCommit] = {}
_appenders_lock = threading.Lock()


def _appender(path: Path) -> _GroupCommit:
    key = os.path.abspath(path)
    with _appenders_lock:
        appender = _appenders.get(key)
        if appender is None:
            appender = _appenders[key] = _GroupCommit(Path(key))
        return appender


def _forget_appenders() -> None:
    """In a forked child: the parent's queues, leaders and locks are not this process's."""
    global _appenders_lock
    _appenders_lock = threading.Lock()
    _appenders.clear()


os.register_at_fork(after_in_child=_forget_appenders)


class AuditLog:
    """Appends hash-chained records to one file.

    Cheap to create: all instances for one path in a process share one group-commit appender, so
    ``AuditLog(path).append(entry)`` per request batches with the other requests in flight.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: AuditEntry) -> dict[str, Any]:
        """Append one record; returns it once it is on disk (fsynced), possibly with others."""
        return _appender(self.path).append(entry)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    first_bad_line: int | None = None
    reason: str = ""


def verify(path: Path) -> VerifyResult:
    """Check the whole chain; report the first line where it breaks."""
    if not path.exists():
        return VerifyResult(ok=True, records=0)
    prev, count = GENESIS, 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
                body = {k: v for k, v in record.items() if k not in CHAIN_FIELDS}
                stored_prev, stored_hash = record["prev_hash"], record["hash"]
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                return VerifyResult(False, count, number, "not a valid audit record")
            if stored_prev != prev:
                return VerifyResult(False, count, number, "chain broken: previous hash differs")
            if _digest(prev, body) != stored_hash:
                return VerifyResult(False, count, number, "record was modified")
            if body.get("seq") != count + 1:
                return VerifyResult(False, count, number, "sequence number out of order")
            prev, count = stored_hash, count + 1
    return VerifyResult(ok=True, records=count)
