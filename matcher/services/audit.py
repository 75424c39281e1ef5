"""Append-only, tamper-evident audit log of every access to personal data.

One JSON object a line: who (role, pseudonymous staff id, teams; for a break-glass read the reason
and the team reached), when, which endpoint, which ids were asked for and
returned (with scores for rankings), which model and index answered. Pseudonymous ids, scores and
versions only: never names, texts or other values.

Integrity. Each record carries an HMAC-SHA256, under a key kept apart from the log, over the
previous record's MAC and its own canonical content: changing, removing or reordering a record,
or re-chaining the tail, needs the key. After each written batch, a checkpoint (sequence number,
MAC) goes to the store, so a log cut short, emptied or replaced by an older copy fails
verification against the checkpoints, which name the first missing or altered record. What this
does not protect against: an attacker who holds the key *and* can write the store can forge a
consistent log and checkpoints; keep the key where the service can read it but the log's readers
and the database's administrators cannot (see README).

Retention: records older than the retention period are rotated out (:func:`rotate`); the last one
removed becomes the anchor checkpoint, so what is kept still verifies.

Group commit: the appends of one process to one file share a :class:`_GroupCommit`. Whoever finds no
write in progress becomes the leader and writes everything queued so far as one batch: it takes an
exclusive ``flock``, reads the last record (another process may have appended since; skipped while
the file is as its own last batch left it: same inode, size and time), chains the batch onto it,
writes it with one ``write`` and makes it durable with one ``fsync``. Callers that arrive meanwhile
queue up and go out in the next batch, so under load one fsync covers many records. No ``append``
returns before the fsync that covers its record; if the batch fails, every caller in it gets the
error and the batch is cut off the file again. The flock keeps the chain intact across processes
(several API workers can share one log).

A torn last line (a crash in the middle of an append) is moved to a quarantine file next to the
log, and appends go on after the last complete record: the log's past never fails a request.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The readers and the key file live apart; these names stay importable from here.
from matcher.services.audit_checkpoints import Checkpoint, Checkpoints

GENESIS = "0" * 64
CHAIN_FIELDS = ("prev_mac", "mac")  # what the chain adds to a record's body
QUARANTINE_GLOB = "*.torn-*"


def _mac(key: bytes, prev_mac: str, body: dict[str, Any]) -> str:
    """The chain link: the one place that says how a record's MAC is made (writer and verifier)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, (prev_mac + canonical).encode("utf-8"), hashlib.sha256).hexdigest()


def _seal(key: bytes, prev_mac: str, body: dict[str, Any]) -> dict[str, Any]:
    """A record: its body chained onto the previous record's MAC."""
    return {**body, "prev_mac": prev_mac, "mac": _mac(key, prev_mac, body)}


@dataclass(frozen=True)
class AuditEntry:
    """One access: who, through which endpoint, what was asked for and what came back.

    ``items`` are the ids returned, with a score for rankings (None for reads and writes).
    """

    role: str
    user_id: str
    endpoint: str
    query_id: str
    items: Sequence[tuple[str, float | None]]
    model_version: str = "-"
    index_version: str = "-"
    kind: str = "shortlist"  # shortlist | score | read | write | feedback | ...
    team: str = "-"  # the person's teams, comma-separated
    reason: str | None = None  # a break-glass access: why (X-Access-Reason) ...
    reached_team: str | None = None  # ... and the other team whose job seeker was reached

    def body(self, seq: int, time: str) -> dict[str, Any]:
        body = {
            "seq": seq,
            "time": time,
            "kind": self.kind,
            "role": self.role,
            "user_id": self.user_id,
            "team": self.team,
            "endpoint": self.endpoint,
            "query_id": self.query_id,
            "items": [{"id": i, "score": None if s is None else round(float(s), 6)} for i, s in self.items],
            "model_version": self.model_version,
            "index_version": self.index_version,
        }
        if self.reason is not None:
            body["reason"] = self.reason
            body["reached_team"] = self.reached_team
        return body


@dataclass(frozen=True)
class Recovery:
    """A torn final line found and moved aside."""

    quarantine: Path
    bytes: int
    after_seq: int


def _tail(handle: Any) -> tuple[dict[str, Any] | None, int]:
    """The last complete record of an open log and the offset where it ends.

    Reads backwards from the end. A last line without its newline, or that does not parse, is
    torn: the offset then points before it.
    """
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    pos, data = end, b""
    while pos > 0:
        step = min(1 << 16, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step) + data
        cut = len(data)
        while True:
            newline = data.rfind(b"\n", 0, cut)
            if newline < 0:
                break
            start = data.rfind(b"\n", 0, newline) + 1
            if start == 0 and pos > 0:
                break  # the line may begin before this block: read more
            try:
                return json.loads(data[start:newline]), pos + newline + 1
            except ValueError:
                cut = start  # not a record: look at the line before
    return None, 0


def _quarantine(path: Path, handle: Any, offset: int, after_seq: int) -> Recovery | None:
    """Move the bytes after ``offset`` (a torn tail) to a quarantine file; truncate the log there."""
    end = handle.seek(0, os.SEEK_END)
    if end == offset:
        return None
    handle.seek(offset)
    torn = handle.read(end - offset)
    target = _beside(path, "torn")
    _write_durable(target, [torn], os.O_EXCL)
    os.ftruncate(handle.fileno(), offset)
    os.fsync(handle.fileno())
    return Recovery(target, len(torn), after_seq)


def _beside(path: Path, why: str) -> Path:
    """A file next to the log for what is moved aside (``audit.log.torn-<UTC time>``)."""
    return path.with_name(f"{path.name}.{why}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}")


def _write_durable(path: Path, chunks: Sequence[bytes], mode: int) -> None:
    """Write a private (0600) file and fsync it; ``mode``: O_EXCL (new) or O_TRUNC (replace)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.writelines(chunks)
        out.flush()
        os.fsync(out.fileno())


@contextmanager
def _locked(path: Path) -> Iterator[Any]:
    """The log, open for appending and exclusively flocked.

    A rotation renames a new file over the log: whoever opened the old one before and waited for
    its lock would append to a file nobody reads. So after locking, the open file must still be
    the one at ``path``; otherwise open again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        handle = os.fdopen(fd, "a+b", buffering=0)  # unbuffered: nothing left to flush on close
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = -1
            if current == os.fstat(fd).st_ino:
                yield handle
                return
        finally:
            handle.close()  # closing releases the flock


class _Pending:
    """One queued append: the entry, and once its batch is done, its record or its error."""

    __slots__ = ("entry", "record", "error", "done")

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry
        self.record: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.done = False


@dataclass(frozen=True)
class _End:
    """Where this process's last batch left the log: the file as ``fstat`` saw it, and the (seq,
    MAC) of its last record. While the file is still so, the next batch chains on without reading
    the tail back (any other writer's append, cut or rename changes the size or the inode)."""

    file: tuple[int, int, int, int]  # device, inode, size, modification time (ns)
    seq: int
    mac: str


def _file_state(handle: Any) -> tuple[int, int, int, int]:
    st = os.fstat(handle.fileno())
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _write_batch(
    path: Path, key: bytes, checkpoints: Checkpoints | None, batch: Sequence[_Pending], known: _End | None = None
) -> _End | None:
    """Chain, write and fsync ``batch`` under one exclusive flock; set each one's record or error.

    An entry whose body cannot be built fails alone and takes no sequence number. If the write or
    the fsync fails, the file is cut back to where the batch began and every entry gets the error.
    A torn tail left by a crashed writer is quarantined first. The batch's last (seq, MAC) goes to
    the checkpoints once it is durable. ``known``: where this process's previous batch left the
    log; returns where this one leaves it (None when nothing was written).
    """
    with _locked(path) as handle:
        start = _chain_start(path, handle, checkpoints, known)
        if start is None:  # a log of the earlier, unkeyed format was moved aside: a new chain
            return _write_batch(path, key, checkpoints, batch)
        seq, prev, offset = start
        sealed = _seal_batch(key, seq, prev, batch)
        if not sealed:
            return None
        _write_all(handle, b"".join(line for _, _, line in sealed), offset)
        last = sealed[-1][1]
        if checkpoints is not None:
            checkpoints.add(last["seq"], last["mac"])  # durable in the log first: never runs ahead
        for pending, record, _ in sealed:
            pending.record = record
        return _End(_file_state(handle), last["seq"], last["mac"])


def _chain_start(
    path: Path, handle: Any, checkpoints: Checkpoints | None, known: _End | None
) -> tuple[int, str, int] | None:
    """The (seq, MAC) a batch chains onto and the offset where it begins; None after moving a log
    of the earlier, unkeyed format aside."""
    if known is not None and known.file == _file_state(handle):
        return known.seq, known.mac, known.file[2]
    last, offset = _tail(handle)
    if last is not None and "mac" not in last:
        _retire(path)
        return None
    seq, prev = (last["seq"], last["mac"]) if last else _start(checkpoints)
    _quarantine(path, handle, offset, seq)
    return seq, prev, offset


def _seal_batch(
    key: bytes, seq: int, prev: str, batch: Sequence[_Pending]
) -> list[tuple[_Pending, dict[str, Any], bytes]]:
    """Each entry sealed onto the one before, with its line; an entry that fails gets its error."""
    time = datetime.now(UTC).isoformat(timespec="milliseconds")
    sealed: list[tuple[_Pending, dict[str, Any], bytes]] = []
    for pending in batch:
        try:
            record = _seal(key, prev, pending.entry.body(seq + 1, time))
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        except Exception as exc:  # this entry only
            pending.error = exc
            continue
        seq, prev = record["seq"], record["mac"]
        sealed.append((pending, record, line))
    return sealed


def _write_all(handle: Any, data: bytes, start: int) -> None:
    """Append ``data`` and fsync it; on failure cut the file back to ``start`` and raise."""
    view = memoryview(data)
    try:
        while view:  # O_APPEND: every write lands at the end
            view = view[handle.write(view) :]
        os.fsync(handle.fileno())
    except BaseException:
        try:
            os.ftruncate(handle.fileno(), start)
            os.fsync(handle.fileno())
        except OSError:
            pass
        raise


def _retire(path: Path) -> Path:
    """Move a log of the earlier format (plain SHA-256 chain, no MAC) aside; a new chain begins.

    The old file is kept as it was, for an auditor; its records cannot be re-keyed honestly.
    """
    target = _beside(path, "unkeyed")
    os.rename(path, target)
    return target


def _anchor(marks: Sequence[Checkpoint]) -> Checkpoint:
    """Where the kept log's chain starts: after the last rotation's anchor, else at the beginning."""
    anchors = [c for c in marks if c.anchor]
    return anchors[-1] if anchors else Checkpoint(0, GENESIS, True)


def _start(checkpoints: Checkpoints | None) -> tuple[int, str]:
    """The (seq, MAC) an empty log's first record chains onto."""
    anchor = _anchor(checkpoints.all() if checkpoints else [])
    return anchor.seq, anchor.mac


class _GroupCommit:
    """The one appender of a process for one file: the leader writes what queued behind it."""

    def __init__(self, path: Path, key: bytes, checkpoints: Checkpoints | None) -> None:
        self.path, self.key, self.checkpoints = path, key, checkpoints
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False
        self._end: _End | None = None  # only the leader (``_writing``) reads or sets it

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
                    self._lead(batch)
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

    def _lead(self, batch: list[_Pending]) -> None:
        """Write one batch; on failure every entry without a record gets the error."""
        known, self._end = self._end, None
        try:
            self._end = _write_batch(self.path, self.key, self.checkpoints, batch, known)
        except BaseException as exc:
            for waiting in batch:
                if waiting.record is None and waiting.error is None:
                    waiting.error = exc


_appenders: dict[tuple[str, bytes], _GroupCommit] = {}
_appenders_lock = threading.Lock()


def _appender(path: Path, key: bytes, checkpoints: Checkpoints | None) -> _GroupCommit:
    name = os.path.abspath(path)
    with _appenders_lock:
        appender = _appenders.get((name, key))
        if appender is None:
            appender = _appenders[(name, key)] = _GroupCommit(Path(name), key, checkpoints)
        return appender


def _forget_appenders() -> None:
    """In a forked child: the parent's queues, leaders and locks are not this process's."""
    global _appenders_lock
    _appenders_lock = threading.Lock()
    _appenders.clear()


os.register_at_fork(after_in_child=_forget_appenders)


class AuditLog:
    """Appends HMAC-chained records to one file, with checkpoints in ``checkpoints``.

    Cheap to create: all instances for one path and key in a process share one group-commit
    appender, so ``AuditLog(...).append(entry)`` per request batches with the others in flight.
    """

    def __init__(self, path: Path, key: bytes, checkpoints: Checkpoints | None = None) -> None:
        self.path, self.key, self.checkpoints = path, key, checkpoints

    def append(self, entry: AuditEntry) -> dict[str, Any]:
        """Append one record; returns it once it is on disk (fsynced), possibly with others."""
        return _appender(self.path, self.key, self.checkpoints).append(entry)

    def recover(self) -> Recovery | None:
        """Quarantine a torn final line now (start-up); None when the log ends cleanly."""
        with _locked(self.path) as handle:
            last, offset = _tail(handle)
            if last is not None and "mac" not in last:
                retired = _retire(self.path)
                return Recovery(retired, handle.seek(0, os.SEEK_END), 0)
            return _quarantine(self.path, handle, offset, last["seq"] if last else 0)


@dataclass(frozen=True)
class VerifyResult:
    """The verdict, with what it rests on.

    Attributes:
        ok: the chain is intact and agrees with every checkpoint.
        records: records read and verified before the first problem (all, when ok).
        checkpoints: checkpoints in the store (the anchor included).
        first_bad_seq: the first missing or altered record's sequence number.
        first_bad_line: the line where the chain breaks, if it breaks inside the file.
        reason: what is wrong.
        notes: what an auditor should know although it is no break (quarantined torn lines,
            an anchor from a rotation).
    """

    ok: bool
    records: int
    checkpoints: int = 0
    first_bad_seq: int | None = None
    first_bad_line: int | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def verify(path: Path, key: bytes, checkpoints: Checkpoints | None = None) -> VerifyResult:
    """Check every record's MAC and order, then the log against the checkpoints."""
    marks = checkpoints.all() if checkpoints else []
    anchor = _anchor(marks)
    notes = [f"quarantined torn line: {p.name}" for p in sorted(path.parent.glob(path.name + ".torn-*"))]
    notes += [f"earlier unkeyed log kept aside: {p.name}" for p in sorted(path.parent.glob(path.name + ".unkeyed-*"))]
    if anchor.seq:
        notes.append(f"records up to #{anchor.seq} rotated out (retention); the kept ones chain onto its MAC")
    macs: dict[int, str] = {}
    bad = _check_chain(path, key, anchor, macs, len(marks), notes)
    if bad is not None:
        return bad
    return _against_checkpoints(marks, anchor, macs, notes)


def _against_checkpoints(
    marks: Sequence[Checkpoint], anchor: Checkpoint, macs: dict[int, str], notes: list[str]
) -> VerifyResult:
    """The verdict on a chain that holds: each checkpoint after the anchor names a record there."""
    last = max(macs, default=anchor.seq)
    for mark in sorted((m for m in marks if not m.anchor and m.seq > anchor.seq), key=lambda m: m.seq):
        if mark.seq > last:
            what = "the log is empty" if not macs else f"the log ends at #{last}"
            reason, bad = f"record #{last + 1} is missing: {what}, a checkpoint has #{mark.seq}", last + 1
        elif macs.get(mark.seq) != mark.mac:
            reason, bad = f"record #{mark.seq} was altered: its MAC differs from the checkpoint", mark.seq
        else:
            continue
        return VerifyResult(False, len(macs), len(marks), bad, None, reason, notes)
    return VerifyResult(True, len(macs), len(marks), notes=notes)


def _check_chain(
    path: Path, key: bytes, anchor: Checkpoint, macs: dict[int, str], marks: int, notes: list[str]
) -> VerifyResult | None:
    """Walk the file: each record's MAC, its predecessor and its number; None when all hold."""
    prev, expected = None, None
    for number, line in enumerate(_lines(path), start=1):
        try:
            record = json.loads(line)
            body = {k: v for k, v in record.items() if k not in CHAIN_FIELDS}
            seq, stored_prev, stored_mac = int(record["seq"]), record["prev_mac"], record["mac"]
        except (ValueError, KeyError, TypeError, AttributeError):
            if not line.endswith(b"\n"):
                notes.append(f"torn last line ({len(line)} bytes): quarantined at the next start")
                return None
            return VerifyResult(False, len(macs), marks, (expected or 1), number, "not a valid audit record", notes)
        if expected is None:  # the first kept record: the beginning, or right after the anchor
            start = {1: GENESIS, anchor.seq + 1: anchor.mac}
            if seq not in start or stored_prev != start[seq]:
                return VerifyResult(
                    False,
                    0,
                    marks,
                    min(anchor.seq + 1, seq),
                    number,
                    "the log does not begin where it should (head removed)",
                    notes,
                )
            prev, expected = stored_prev, seq
        if seq != expected:
            return VerifyResult(False, len(macs), marks, expected, number, f"record #{expected} is missing", notes)
        if stored_prev != prev or not hmac.compare_digest(_mac(key, prev, body), stored_mac):
            return VerifyResult(False, len(macs), marks, seq, number, f"record #{seq} was altered", notes)
        if seq == anchor.seq and stored_mac != anchor.mac:
            return VerifyResult(False, len(macs), marks, seq, number, f"record #{seq} differs from the anchor", notes)
        macs[seq] = stored_mac
        prev, expected = stored_mac, seq + 1
    return None


def _lines(path: Path) -> Iterator[bytes]:
    if path.exists():
        with path.open("rb") as handle:
            yield from handle


def rotate(path: Path, key: bytes, checkpoints: Checkpoints, keep: timedelta, now: datetime | None = None) -> int:
    """Remove the records older than ``keep``; how many. What is kept verifies on its own.

    The last record removed becomes the anchor checkpoint *before* the file is rewritten (a crash
    in between leaves a longer log that still verifies against the anchor). The rewrite goes to a
    temporary file that is fsynced and renamed over the log, under the log's flock.
    """
    cutoff = ((now or datetime.now(UTC)) - keep).isoformat(timespec="milliseconds")
    with _locked(path):  # held until the new file is in place
        kept: list[bytes] = []
        cut, removed = None, 0
        for line in _lines(path):
            record = json.loads(line) if line.endswith(b"\n") else None
            if record is not None and not kept and record["time"] < cutoff:
                cut, removed = record, removed + 1
            elif record is not None:
                kept.append(line)
        if cut is None:
            return 0
        checkpoints.set_anchor(int(cut["seq"]), cut["mac"])
        tmp = path.with_name(f".{path.name}.rotate")
        _write_durable(tmp, kept, os.O_TRUNC)
        os.replace(tmp, path)  # the old file's flock goes with it when the context closes it
        return removed
