"""Checkpoints of the audit log: each written batch's last sequence number and MAC, kept in the
store, apart from the log file, so that a log cut short, emptied or replaced by an older copy fails
verification (:func:`matcher.services.audit.verify`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import BigInteger, Boolean, Column, String, Table, delete, insert, select

from matcher.records.clock import utc_stamp
from matcher.records.store import Store, metadata


@dataclass(frozen=True)
class Checkpoint:
    """A record's sequence number and MAC as written to the store; ``anchor``: the last record
    rotated out (what is kept chains onto it)."""

    seq: int
    mac: str
    anchor: bool = False


class Checkpoints(Protocol):
    """Where checkpoints live (the store: apart from the log file)."""

    def add(self, seq: int, mac: str) -> None: ...

    def all(self) -> list[Checkpoint]: ...

    def set_anchor(self, seq: int, mac: str) -> None:
        """Make (seq, mac) the anchor and drop the checkpoints up to it."""
        ...


# Checkpoints of the audit log (sequence number, MAC), kept in the store, apart from the log file.
audit_checkpoints_table = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("mac", String(64), nullable=False),
    Column("anchor", Boolean, nullable=False, default=False),
    Column("at", String(32), nullable=False),
)


class StoreCheckpoints:
    """Checkpoints in the store's ``audit_checkpoints`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, seq: int, mac: str) -> None:
        t = audit_checkpoints_table
        with self.store.transaction() as conn:
            conn.execute(delete(t).where(t.c.seq == seq))
            conn.execute(insert(t).values(seq=seq, mac=mac, anchor=False, at=utc_stamp()))

    def all(self) -> list[Checkpoint]:
        t = audit_checkpoints_table
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(t.c.seq, t.c.mac, t.c.anchor).order_by(t.c.seq)).all()
        return [Checkpoint(int(seq), str(mac), bool(anchor)) for seq, mac, anchor in rows]

    def set_anchor(self, seq: int, mac: str) -> None:
        """(seq, MAC) becomes the anchor of what the log keeps; earlier checkpoints go."""
        t = audit_checkpoints_table
        with self.store.transaction() as conn:
            conn.execute(delete(t).where(t.c.seq <= seq))
            conn.execute(insert(t).values(seq=seq, mac=mac, anchor=True, at=utc_stamp()))
