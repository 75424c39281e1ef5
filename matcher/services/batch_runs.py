"""The stored nightly runs: their rows in the store, and what changed between two of them.

A run (:mod:`matcher.services.batch` computes it) is one row of ``batch_runs``, its shards and its results.
It is written in three steps, each one transaction: :meth:`BatchRuns.begin` (the run and its shard
plan, status ``running``), :meth:`BatchRuns.write_shard` per shard (its rows replace whatever an
earlier attempt of the same shard wrote, so a retried shard never duplicates), and
:meth:`BatchRuns.commit` (status ``committed``). Readers see committed runs only, so an aborted
run leaves nothing visible; running it again under the same id finishes the missing shards.

Rows hold ids, ranks, scores and the reasons as data (family and values, never a sentence
with a distance: the API's presentation renders them per role); no names, no free text. Runs
stored before that hold German sentences, which only roles that read full records are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import JSON, Column, Date, Float, Integer, String, Table, and_, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from matcher.ranking.shortlist import Direction
from matcher.records.clock import utc_stamp
from matcher.records.store import Store, candidates_table, metadata

# Nightly matching (matcher.services.batch, matcher.services.batch_runs): one row per run; its shards, each written in
# one transaction; and the top-k per query. Readers read only runs whose status is "committed".
batch_runs_table = Table(
    "batch_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("direction", String(16), nullable=False),
    Column("k", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("index_versions", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("started_at", String(32), nullable=False),
    Column("committed_at", String(32), nullable=True),
    Column("counts", JSON, nullable=True),
)
batch_shards_table = Table(
    "batch_shards",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("direction", String(32), primary_key=True),
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("query_ids", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("done_at", String(32), nullable=True),
    Column("pairs", Integer, nullable=True),
)
batch_results_table = Table(
    "batch_results",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("direction", String(32), primary_key=True),
    Column("query_id", String(64), primary_key=True),
    Column("rank", Integer, primary_key=True, autoincrement=False),
    Column("shard", Integer, nullable=False),
    Column("item_id", String(64), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    info={"person_columns": ("query_id", "item_id")},  # a job seeker as the query and as an item
)


RunDirection = Literal["vacancies", "candidates", "both"]
RUNNING, COMMITTED, ABORTED = "running", "committed", "aborted"

# Which shortlist directions a run of each kind computes.
DIRECTIONS: dict[RunDirection, tuple[Direction, ...]] = {
    "vacancies": ("vacancies_for_candidate",),
    "candidates": ("candidates_for_vacancy",),
    "both": ("vacancies_for_candidate", "candidates_for_vacancy"),
}


@dataclass(frozen=True)
class RunInfo:
    """One run as stored: what it ranked with and, once committed, its counts."""

    run_id: str
    direction: RunDirection
    k: int
    as_of: date
    model_version: str
    index_versions: dict[str, Any]
    status: str
    started_at: str
    committed_at: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)

    def covers(self, direction: Direction) -> bool:
        return direction in DIRECTIONS[self.direction]


@dataclass(frozen=True)
class ShardPlan:
    """One shard of a run: its number and query ids in one shortlist direction."""

    run_id: str
    direction: Direction
    shard: int
    query_ids: list[str]


@dataclass(frozen=True)
class ResultRow:
    """One item of one query's stored top-k."""

    query_id: str
    rank: int
    item_id: str
    score: float
    reasons: list[Any]  # reasons as data (matcher.ranking.explain.reason_data); runs before issue 24: sentences


@dataclass(frozen=True)
class NewMatches:
    """What a run found for one query against the run before it (None: no run yet / first run).

    Attributes:
        items: the items of this run's top-k that were not in the previous run's, best first.
        gone: ids of the previous top-k that this run's lacks (the caller says why).
    """

    run: RunInfo | None
    previous: RunInfo | None
    items: list[ResultRow]
    gone: list[str]


def plan_shards(run_id: str, direction: Direction, ids: Sequence[str], shard_size: int) -> list[ShardPlan]:
    """The query ids in sorted order, cut into shards of ``shard_size``."""
    ordered = sorted(ids)
    return [
        ShardPlan(run_id, direction, n, ordered[start : start + shard_size])
        for n, start in enumerate(range(0, len(ordered), shard_size))
    ]


def _run(row: Any) -> RunInfo:
    m = row._mapping
    return RunInfo(
        m["run_id"],
        m["direction"],
        int(m["k"]),
        m["as_of"],
        m["model_version"],
        dict(m["index_versions"]),
        m["status"],
        m["started_at"],
        m["committed_at"],
        dict(m["counts"] or {}),
    )


class BatchRuns:
    """Reads and writes of the nightly runs in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- writing a run ------------------------------------------------------------------------
    def begin(self, run: RunInfo, shards: Sequence[ShardPlan]) -> None:
        """Record a new run (status running) and its shard plan, in one transaction."""
        row = {**run.__dict__, "status": RUNNING}
        with self.store.transaction() as conn:
            conn.execute(insert(batch_runs_table).values(**row))
            plan = [
                {
                    "run_id": s.run_id,
                    "direction": s.direction,
                    "shard": s.shard,
                    "query_ids": s.query_ids,
                    "attempts": 0,
                }
                for s in shards
            ]
            if plan:
                conn.execute(insert(batch_shards_table), plan)

    def get(self, run_id: str) -> RunInfo | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(batch_runs_table).where(batch_runs_table.c.run_id == run_id)).first()
        return None if row is None else _run(row)

    def pending(self, run_id: str) -> list[ShardPlan]:
        """The shards of a run that no attempt has finished yet, by direction and number."""
        t = batch_shards_table
        stmt = select(t.c.direction, t.c.shard, t.c.query_ids).where(t.c.run_id == run_id, t.c.done_at.is_(None))
        with self.store.engine.connect() as conn:
            rows = conn.execute(stmt.order_by(t.c.direction, t.c.shard)).all()
        return [ShardPlan(run_id, d, int(n), list(ids)) for d, n, ids in rows]

    def attempt(self, plan: ShardPlan) -> int:
        """Count one more attempt of a shard (before it computes); which attempt this is."""
        t = batch_shards_table
        key = and_(t.c.run_id == plan.run_id, t.c.direction == plan.direction, t.c.shard == plan.shard)
        with self.store.transaction() as conn:
            conn.execute(update(t).where(key).values(attempts=t.c.attempts + 1))
            return int(conn.execute(select(t.c.attempts).where(key)).scalar_one())

    def write_shard(self, plan: ShardPlan, rows: Sequence[ResultRow]) -> None:
        """A shard's results in one transaction, replacing any earlier attempt's; marks it done."""
        r, t = batch_results_table, batch_shards_table
        values = [
            {
                "run_id": plan.run_id,
                "direction": plan.direction,
                "query_id": x.query_id,
                "rank": x.rank,
                "shard": plan.shard,
                "item_id": x.item_id,
                "score": x.score,
                "reasons": x.reasons,
            }
            for x in rows
        ]
        with self.store.transaction() as conn:
            conn.execute(
                delete(r).where(r.c.run_id == plan.run_id, r.c.direction == plan.direction, r.c.shard == plan.shard)
            )
            for start in range(0, len(values), 5000):
                conn.execute(insert(r), values[start : start + 5000])
            conn.execute(
                update(t)
                .where(t.c.run_id == plan.run_id, t.c.direction == plan.direction, t.c.shard == plan.shard)
                .values(done_at=utc_stamp(), pairs=len(values))
            )

    def abort(self, run_id: str) -> None:
        """Mark a run aborted (still invisible; the same run id may finish it later)."""
        with self.store.transaction() as conn:
            conn.execute(update(batch_runs_table).where(batch_runs_table.c.run_id == run_id).values(status=ABORTED))

    def retried(self, run_id: str) -> int:
        """Shards of the run that needed more than one attempt."""
        t = batch_shards_table
        stmt = select(func.count()).select_from(t).where(t.c.run_id == run_id, t.c.attempts > 1)
        with self.store.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def commit(self, run_id: str, counts: dict[str, Any]) -> None:
        """Make the run visible, if every shard is done (raises RuntimeError otherwise).

        The shard plans' query ids are cleared: they are needed only to finish a run.
        """
        t = batch_shards_table
        with self.store.transaction() as conn:
            missing = conn.execute(
                select(func.count()).select_from(t).where(t.c.run_id == run_id, t.c.done_at.is_(None))
            ).scalar_one()
            if missing:
                raise RuntimeError(f"run {run_id}: {missing} shards not done; not committed")
            conn.execute(update(t).where(t.c.run_id == run_id).values(query_ids=[]))
            conn.execute(
                update(batch_runs_table)
                .where(batch_runs_table.c.run_id == run_id)
                .values(status=COMMITTED, committed_at=utc_stamp(), counts=counts)
            )

    # --- reading committed runs ---------------------------------------------------------------
    def committed(self, direction: Direction, limit: int = 2) -> list[RunInfo]:
        """The newest committed runs that computed ``direction``, newest first."""
        kinds = [kind for kind, ways in DIRECTIONS.items() if direction in ways]
        b = batch_runs_table
        stmt = (
            select(b)
            .where(b.c.status == COMMITTED, b.c.direction.in_(kinds))
            .order_by(b.c.committed_at.desc(), b.c.run_id.desc())
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return [_run(row) for row in conn.execute(stmt)]

    def results(self, run_id: str, direction: Direction, query_id: str) -> list[ResultRow]:
        """One query's stored top-k in a run, by rank."""
        r = batch_results_table
        stmt = (
            select(r.c.query_id, r.c.rank, r.c.item_id, r.c.score, r.c.reasons)
            .where(r.c.run_id == run_id, r.c.direction == direction, r.c.query_id == query_id)
            .order_by(r.c.rank)
        )
        with self.store.engine.connect() as conn:
            return [ResultRow(q, int(k), i, float(s), list(reasons)) for q, k, i, s, reasons in conn.execute(stmt)]

    def new_matches(self, direction: Direction, query_id: str) -> NewMatches:
        """The latest committed run's top-k of a query against the run before it."""
        runs = self.committed(direction)
        if not runs:
            return NewMatches(None, None, [], [])
        current = self.results(runs[0].run_id, direction, query_id)
        if len(runs) < 2:
            return NewMatches(runs[0], None, current, [])
        before = {row.item_id for row in self.results(runs[1].run_id, direction, query_id)}
        now = {row.item_id for row in current}
        gone = sorted(before - now)
        return NewMatches(runs[0], runs[1], [row for row in current if row.item_id not in before], gone)

    def digest(
        self, direction: Direction, limit: int, offset: int, people: ColumnElement[bool] | None = None
    ) -> tuple[NewMatches, list[tuple[str, int]], int]:
        """The queries with new items in the latest run, most new first (then by id), a page of
        them, and how many there are in all; ``people``: only job seekers (queries) that meet this
        condition on ``candidates_table`` (a caseworker's teams)."""
        runs = self.committed(direction)
        if not runs:
            return NewMatches(None, None, [], []), [], 0
        r = batch_results_table
        current = and_(r.c.run_id == runs[0].run_id, r.c.direction == direction)
        stmt = select(r.c.query_id, func.count().label("new")).where(current)
        if len(runs) > 1:
            p = batch_results_table.alias("previous")
            seen = (
                select(p.c.item_id)
                .where(
                    p.c.run_id == runs[1].run_id,
                    p.c.direction == direction,
                    p.c.query_id == r.c.query_id,
                    p.c.item_id == r.c.item_id,
                )
                .exists()
            )
            stmt = stmt.where(~seen)
        if people is not None:
            stmt = stmt.where(r.c.query_id.in_(select(candidates_table.c.id).where(people)))
        grouped = stmt.group_by(r.c.query_id).subquery()
        page = select(grouped).order_by(grouped.c.new.desc(), grouped.c.query_id).limit(limit).offset(offset)
        with self.store.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(grouped)).scalar_one())
            rows = [(str(q), int(n)) for q, n in conn.execute(page)]
        return NewMatches(runs[0], runs[1] if len(runs) > 1 else None, [], []), rows, total
