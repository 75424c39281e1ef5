"""Append-only, tamper-evident audit log of shortlists and scores.

One JSON object a line. Each record carries the SHA-256 of the previous record's hash and its own
canonical content, so changing, removing or reordering any record breaks the chain from there on
(:func:`verify`). Records hold pseudonymous ids, scores and versions only: never profile text.
Appends take an exclusive file lock, so several API workers can share one log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _digest(prev_hash: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


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


class AuditLog:
    """Appends hash-chained records to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: AuditEntry) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                last = _last_record(handle)
                seq = last["seq"] + 1 if last else 1
                prev = last["hash"] if last else GENESIS
                body = entry.body(seq, datetime.now(UTC).isoformat(timespec="milliseconds"))
                record = {**body, "prev_hash": prev, "hash": _digest(prev, body)}
                handle.seek(0, os.SEEK_END)
                handle.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return record


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
                body = {k: v for k, v in record.items() if k not in ("prev_hash", "hash")}
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
