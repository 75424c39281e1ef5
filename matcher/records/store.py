"""The store: SQLAlchemy Core over SQLite by default, PostgreSQL when ``DATABASE_URL`` says so.

Each record is kept whole as JSON next to the few columns that queries filter on, so the schema
is the canonical model in ``matcher.records.models`` and the same code runs on both databases. Protected
attributes live in their own table and are only read through :meth:`Store.protected_attributes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from matcher.errors import UnknownCandidateError, UnknownVacancyError
from matcher.records.clock import utc_stamp
from matcher.records.models import Candidate, Proposal, ProtectedAttributes, Vacancy

metadata = MetaData()

candidates_table = Table(
    "candidates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", String(32), nullable=False, index=True),
    Column("ags", String(8), nullable=False),
    Column("main_kldb", String(5), nullable=False, index=True),
    Column("data", JSON, nullable=False),
)
vacancies_table = Table(
    "vacancies",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("kldb", String(5), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("ags", String(8), nullable=False),
    Column("posted_at", Date, nullable=False),
    Column("data", JSON, nullable=False),
)
vacancy_aliases_table = Table(
    "vacancy_aliases",
    metadata,
    Column("alias_id", String(64), primary_key=True),
    Column("vacancy_id", String(64), nullable=False, index=True),
)
proposals_table = Table(
    "proposals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("vacancy_id", String(64), nullable=False, index=True),
    Column("proposed_at", Date, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("outcome_at", Date, nullable=True),
    Column("recorded_by", String(64), nullable=True),  # the staff id that recorded the latest outcome
    info={"person_columns": ("candidate_id",)},
)
protected_table = Table(
    "protected_attributes",
    metadata,
    Column("candidate_id", String(64), primary_key=True),
    Column("gender", String(1), nullable=True),
    Column("birth_year", Integer, nullable=True),
    Column("citizenship_group", String(16), nullable=True),
    Column("severe_disability", Boolean, nullable=True),
    info={"person_columns": ("candidate_id",)},
)


# The change log: every upsert, delete and model change, numbered in commit order. Readers (API
# workers, replicas, the CLI) apply what they have not seen; see ``Store.changes_since``.
change_log_table = Table(
    "change_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(64), nullable=False, index=True),
    Column("op", String(16), nullable=False),
    Column("vector", LargeBinary, nullable=True),
    Column("at", String(32), nullable=False),
)


# Sessions of the web app (api.web.sessions): keyed by a SHA-256 of the cookie's session id. Defined
# here so that the one ``metadata`` holds the whole schema that the migrations manage.
web_sessions_table = Table(
    "web_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("token_id", String(64), nullable=False),  # the person's staff id
    Column("role", String(32), nullable=False),
    Column("teams", String(400), nullable=True),  # ",team,...,"
    Column("via", String(16), nullable=True),  # "token" or "oidc": how to sign out
    Column("reasons", Text, nullable=True),  # JSON {job seeker id: reason}: break-glass reasons given here
    Column("csrf", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
)

ChangeKind = Literal["candidate", "vacancy", "model"]
UPSERT, DELETE, CHAMPION = "upsert", "delete", "champion"


@dataclass(frozen=True)
class Change:
    """One change-log entry, with the record as the store holds it now (None: gone).

    Attributes:
        seq: position in the log (commit order).
        kind: "candidate", "vacancy" or "model".
        record_id: the record's id, or the model version for a model change.
        op: "upsert" or "delete" for records, "champion" for a model change.
        vector: the record's embedding as written with it, if the writer had one.
        record: the current record (read in the same statement as the entry).
    """

    seq: int
    kind: str
    record_id: str
    op: str
    vector: NDArray[np.float32] | None
    record: Candidate | Vacancy | None


def _candidate_row(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.id,
        "source": c.source.value,
        "ags": c.ags,
        "main_kldb": c.main_occupation,
        "data": c.model_dump(mode="json"),
    }


def _vacancy_row(v: Vacancy) -> dict[str, Any]:
    return {
        "id": v.id,
        "source": v.source,
        "kldb": v.kldb,
        "status": v.status.value,
        "ags": v.ags,
        "posted_at": v.posted_at,
        "data": v.model_dump(mode="json"),
    }


def _proposal_row(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "candidate_id": p.candidate_id,
        "vacancy_id": p.vacancy_id,
        "proposed_at": p.proposed_at,
        "outcome": p.outcome.value,
        "outcome_at": p.outcome_at,
    }


def _protected_row(p: ProtectedAttributes) -> dict[str, Any]:
    return p.model_dump(mode="json")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Keyed = TypeVar("Keyed", bound=_HasId)


def walk_pages(fetch: Callable[[int, str], Sequence[Keyed]], page_size: int) -> Iterator[list[Keyed]]:
    """Keyset paging: pages of ``fetch(page_size, last id)`` until one comes back empty.

    Each page starts after the last id of the one before (``WHERE id > :last ORDER BY id``), so a
    page costs what it reads and a walk stays linear in the rows; an ``OFFSET`` walk is quadratic.
    A row inserted or deleted during the walk behind the cursor is not seen; ahead of it, it is
    (once); no row is returned twice or skipped for another row's sake.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    last = ""  # every id is above "": the first page is a keyset page too
    while page := list(fetch(page_size, last)):
        yield page
        last = page[-1].id
        if len(page) < page_size:
            return


class Store:
    """Read and write the canonical records. Writes go through :meth:`transaction`."""

    def __init__(self, url: str) -> None:
        """Open the store at ``url``.

        Raises:
            SchemaOutdatedError: the schema is older than this release's (``matcher db upgrade``).
            SchemaUnknownError: a newer release's schema, or not a store at all.
        """
        if url.startswith("sqlite:///") and url.removeprefix("sqlite:///") not in ("", ":memory:"):
            from matcher.records.private import touch_private  # 0600 before SQLite creates it (-wal/-shm follow)

            touch_private(Path(url.removeprefix("sqlite:///").split("?", 1)[0]))
        self.url = url
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        from matcher.schema import ensure_current

        # An empty database gets the current schema; an older one is refused (`matcher db upgrade`).
        ensure_current(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything inside is committed together or not at all."""
        with self.engine.begin() as conn:
            yield conn

    # --- writes ------------------------------------------------------------------------------
    def upsert_rows(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], key: str) -> None:
        """Insert or update ``rows`` of any table of the schema by its ``key`` column (services'
        tables too); columns the rows do not carry keep their values."""
        if not rows:
            return
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table)
        given = rows[0].keys()  # columns the rows do not carry (who recorded an outcome, say) are kept
        update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key and c.name in given}
        stmt = stmt.on_conflict_do_update(index_elements=[key], set_=update)
        for start in range(0, len(rows), 5000):
            conn.execute(stmt, list(rows[start : start + 5000]))

    def upsert_candidates(
        self, conn: Connection, candidates: Iterable[Candidate], vectors: NDArray[np.float32] | None = None
    ) -> None:
        """Insert or replace job seekers, and log each change (with its vector, if given).

        Records equal to the stored ones are skipped: a re-import changes nothing, not even the log.
        """
        candidates, vectors = self.changed_records(conn, candidates_table, list(candidates), vectors)
        self.upsert_rows(conn, candidates_table, [_candidate_row(c) for c in candidates], "id")
        self.log_changes(conn, "candidate", [c.id for c in candidates], UPSERT, vectors)

    def upsert_vacancies(
        self, conn: Connection, vacancies: Iterable[Vacancy], vectors: NDArray[np.float32] | None = None
    ) -> None:
        """Insert or replace vacancies, and log each change; merged duplicates' ids become aliases."""
        vacancies, vectors = self.changed_records(conn, vacancies_table, list(vacancies), vectors)
        self.upsert_rows(conn, vacancies_table, [_vacancy_row(v) for v in vacancies], "id")
        aliases = [{"alias_id": a, "vacancy_id": v.id} for v in vacancies for a in v.source_ids if a != v.id]
        # A posting stored on its own by an earlier import may have become a duplicate now, and
        # the other way round: an id is either a vacancy or an alias, never both.
        ids, alias_ids = [v.id for v in vacancies], [a["alias_id"] for a in aliases]
        dropped: list[str] = []
        for start in range(0, max(len(ids), len(alias_ids)), 500):
            conn.execute(
                delete(vacancy_aliases_table).where(vacancy_aliases_table.c.alias_id.in_(ids[start : start + 500]))
            )
            dropped += conn.execute(
                delete(vacancies_table)
                .where(vacancies_table.c.id.in_(alias_ids[start : start + 500]))
                .returning(vacancies_table.c.id)
            ).scalars()
        self.upsert_rows(conn, vacancy_aliases_table, aliases, "alias_id")
        self.log_changes(conn, "vacancy", ids, UPSERT, vectors)
        self.log_changes(conn, "vacancy", dropped, DELETE)

    def changed_records(
        self, conn: Connection, table: Table, records: list[Any], vectors: NDArray[np.float32] | None
    ) -> tuple[list[Any], NDArray[np.float32] | None]:
        """The records (and their vectors) that differ from what the table holds."""
        stored: dict[str, Any] = {}
        ids = [r.id for r in records]
        for start in range(0, len(ids), 500):
            stmt = select(table.c.id, table.c.data).where(table.c.id.in_(ids[start : start + 500]))
            stored.update((row[0], row[1]) for row in conn.execute(stmt))
        keep = [i for i, r in enumerate(records) if stored.get(r.id) != r.model_dump(mode="json")]
        if len(keep) == len(records):
            return records, vectors
        return [records[i] for i in keep], None if vectors is None else vectors[keep]

    def upsert_proposals(self, conn: Connection, proposals: Iterable[Proposal]) -> None:
        self.upsert_rows(conn, proposals_table, [_proposal_row(p) for p in proposals], "id")

    def set_recorded_by(self, conn: Connection, proposal_id: str, staff_id: str) -> None:
        """Name the person (staff id) who recorded a proposal's latest outcome."""
        conn.execute(update(proposals_table).where(proposals_table.c.id == proposal_id).values(recorded_by=staff_id))

    def upsert_protected(self, conn: Connection, rows: Iterable[ProtectedAttributes]) -> None:
        self.upsert_rows(conn, protected_table, [_protected_row(p) for p in rows], "candidate_id")

    def delete_candidate(self, candidate_id: str) -> None:
        """Remove a person: profile, logged vectors, and their rows in every table that declares
        ``info["person_columns"]`` (protected attributes, proposals, contact requests, feedback,
        nightly matches)."""
        from matcher.schema import full_metadata

        with self.transaction() as conn:
            found = conn.execute(delete(candidates_table).where(candidates_table.c.id == candidate_id)).rowcount
            if not found:
                raise UnknownCandidateError(candidate_id)
            for table in full_metadata().sorted_tables:  # every table that names people, services' too
                if columns := table.info.get("person_columns"):
                    conn.execute(delete(table).where(or_(*(table.c[name] == candidate_id for name in columns))))
            self.log_changes(conn, "candidate", [candidate_id], DELETE)

    def delete_vacancy(self, vacancy_id: str) -> None:
        with self.transaction() as conn:
            found = conn.execute(delete(vacancies_table).where(vacancies_table.c.id == vacancy_id)).rowcount
            if not found:
                raise UnknownVacancyError(vacancy_id)
            conn.execute(delete(vacancy_aliases_table).where(vacancy_aliases_table.c.vacancy_id == vacancy_id))
            self.log_changes(conn, "vacancy", [vacancy_id], DELETE)

    # --- change log --------------------------------------------------------------------------
    def log_changes(
        self,
        conn: Connection,
        kind: ChangeKind,
        ids: Sequence[str],
        op: str,
        vectors: NDArray[np.float32] | None = None,
    ) -> None:
        """Append one entry per id, in the caller's transaction.

        On PostgreSQL the log is locked first, so that sequence numbers are handed out in commit
        order: without it a reader could see seq 6 committed before seq 5, move past 5 and never
        apply it. (SQLite serialises writers anyway.) A delete also clears the vectors of the
        record's earlier entries: an erased person leaves no embedding behind.
        """
        if not ids:
            return
        if self.engine.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE change_log IN SHARE ROW EXCLUSIVE MODE"))
        if op == DELETE:
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(change_log_table)
                    .where(change_log_table.c.kind == kind, change_log_table.c.record_id.in_(ids[start : start + 500]))
                    .values(vector=None)
                )
        at = utc_stamp()
        blobs = [None] * len(ids) if vectors is None else [np.asarray(v, np.float32).tobytes() for v in vectors]
        rows = [{"kind": kind, "record_id": i, "op": op, "vector": b, "at": at} for i, b in zip(ids, blobs)]
        for start in range(0, len(rows), 5000):
            conn.execute(insert(change_log_table), rows[start : start + 5000])

    def log_model_change(self, name: str, version: str) -> int:
        """Log that ``name@champion`` now points at ``version`` (every reader reloads); its seq."""
        with self.transaction() as conn:
            self.log_changes(conn, "model", [f"{name}:{version}"], CHAMPION)
            return int(conn.execute(select(func.max(change_log_table.c.seq))).scalar_one())

    def last_change(self) -> int:
        """The newest entry's seq (0 for an empty log).

        A bare ``max`` of the primary key: SQLite answers it from the end of the index, but scans the
        whole log once the ``max`` is wrapped (``coalesce(max(seq), 0)``: 0.3 ms at 120,000 entries).
        """
        with self.engine.connect() as conn:
            return int(conn.execute(_LAST_CHANGE).scalar_one() or 0)

    def changes_since(self, seq: int) -> list[Change]:
        """Entries after ``seq``, oldest first, each with its record as stored now.

        One statement on the log's primary key, so entries and records come from one snapshot:
        the newest entry of a record was written in the same transaction as the record read
        with it, and its vector belongs to that version.
        """
        with self.engine.connect() as conn:
            rows = conn.execute(_CHANGES_SINCE, {"after": seq}).all()
        return [_change(*row) for row in rows]

    # --- audit checkpoints ------------------------------------------------------------------
    # --- reads -------------------------------------------------------------------------------
    def get_candidate(self, candidate_id: str) -> Candidate:
        with self.engine.connect() as conn:
            data = conn.execute(
                select(candidates_table.c.data).where(candidates_table.c.id == candidate_id)
            ).scalar_one_or_none()
        if data is None:
            raise UnknownCandidateError(candidate_id)
        return Candidate.model_validate(data)

    def resolve_vacancy_id(self, vacancy_id: str) -> str:
        """The id a vacancy is stored under (follows ids of merged duplicates)."""
        with self.engine.connect() as conn:
            target = conn.execute(
                select(vacancy_aliases_table.c.vacancy_id).where(vacancy_aliases_table.c.alias_id == vacancy_id)
            ).scalar_one_or_none()
        return target or vacancy_id

    def get_vacancy(self, vacancy_id: str) -> Vacancy:
        vacancy_id = self.resolve_vacancy_id(vacancy_id)
        with self.engine.connect() as conn:
            data = conn.execute(
                select(vacancies_table.c.data).where(vacancies_table.c.id == vacancy_id)
            ).scalar_one_or_none()
        if data is None:
            raise UnknownVacancyError(vacancy_id)
        return Vacancy.model_validate(data)

    def candidate_ids(self) -> list[str]:
        """Every stored job seeker's id, sorted."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(candidates_table.c.id).order_by(candidates_table.c.id)).scalars())

    def candidates(
        self,
        limit: int | None = None,
        offset: int = 0,
        where: ColumnElement[bool] | None = None,
        after: str | None = None,
    ) -> list[Candidate]:
        """Job seekers by id, paged; ``where``: a condition on ``candidates_table`` (a team, say);
        ``after``: only ids above this one (keyset paging: a page costs its own rows, where an
        ``offset`` makes the database step over every row before it)."""
        stmt = select(candidates_table.c.data).order_by(candidates_table.c.id).offset(offset)
        if where is not None:
            stmt = stmt.where(where)
        if after is not None:
            stmt = stmt.where(candidates_table.c.id > after)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [Candidate.model_validate(d) for d in conn.execute(stmt).scalars()]

    def count_candidates(self, where: ColumnElement[bool] | None = None) -> int:
        stmt = select(func.count()).select_from(candidates_table)
        if where is not None:
            stmt = stmt.where(where)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def vacancies(
        self, limit: int | None = None, offset: int = 0, status: str | None = None, after: str | None = None
    ) -> list[Vacancy]:
        """Vacancies by id, paged, optionally of one status; ``after`` as in :meth:`candidates`."""
        stmt = select(vacancies_table.c.data).order_by(vacancies_table.c.id).offset(offset)
        if status is not None and after is not None:
            # ``status || ''``: no index on it, so the database walks the primary key from ``after``
            # and stops at ``limit``; with the status index it sorted every open vacancy per page.
            stmt = stmt.where(vacancies_table.c.status.concat("") == status, vacancies_table.c.id > after)
        elif status is not None:
            stmt = stmt.where(vacancies_table.c.status == status)
        elif after is not None:
            stmt = stmt.where(vacancies_table.c.id > after)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [Vacancy.model_validate(d) for d in conn.execute(stmt).scalars()]

    def walk_candidates(
        self, page_size: int = 2048, where: ColumnElement[bool] | None = None
    ) -> Iterator[list[Candidate]]:
        """Every job seeker (``where``: of a team, say) in id order, one page at a time."""
        return walk_pages(lambda n, last: self.candidates(n, where=where, after=last), page_size)

    def walk_vacancies(self, page_size: int = 2048, status: str | None = None) -> Iterator[list[Vacancy]]:
        """Every vacancy (of one status) in id order, one page at a time."""
        return walk_pages(lambda n, last: self.vacancies(n, status=status, after=last), page_size)

    def count(self, table: str) -> int:
        tables = {t.name: t for t in metadata.sorted_tables}
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(tables[table])).scalar_one())

    def count_vacancies(self, status: str) -> int:
        """Vacancies with this status (open, filled, withdrawn)."""
        stmt = select(func.count()).select_from(vacancies_table).where(vacancies_table.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def proposals(self) -> pd.DataFrame:
        """All proposals as a DataFrame (id, candidate_id, vacancy_id, dates, outcome)."""
        with self.engine.connect() as conn:
            frame = pd.read_sql(select(proposals_table).order_by(proposals_table.c.id), conn)
        for column in ("proposed_at", "outcome_at"):
            frame[column] = pd.to_datetime(frame[column])
        return frame

    def protected_attributes(self) -> pd.DataFrame:
        """Protected attributes, for the fairness audit only."""
        with self.engine.connect() as conn:
            return pd.read_sql(select(protected_table).order_by(protected_table.c.candidate_id), conn)

    # --- measures ----------------------------------------------------------------------------
    def vacuum(self) -> None:
        """After an erasure: SQLite rewrites the file and empties its write-ahead log, so no deleted
        row survives in a free page (``secure_delete`` zeroes them too); PostgreSQL vacuums."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.exec_driver_sql("VACUUM")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM")

    def snapshot(self) -> dict[str, list[Any]]:
        """Every row of every table, for comparing two states of the store (tests, checks)."""
        with self.engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables
            }


_LAST_CHANGE = select(func.max(change_log_table.c.seq))  # built once: the check before every answer
_CHANGES_SINCE = (
    select(
        change_log_table.c.seq,
        change_log_table.c.kind,
        change_log_table.c.record_id,
        change_log_table.c.op,
        change_log_table.c.vector,
        candidates_table.c.data,
        vacancies_table.c.data,
    )
    .outerjoin(
        candidates_table,
        (change_log_table.c.kind == "candidate") & (candidates_table.c.id == change_log_table.c.record_id),
    )
    .outerjoin(
        vacancies_table, (change_log_table.c.kind == "vacancy") & (vacancies_table.c.id == change_log_table.c.record_id)
    )
    .where(change_log_table.c.seq > bindparam("after"))
    .order_by(change_log_table.c.seq)
)


def _change(seq: int, kind: str, record_id: str, op: str, vector: bytes | None, candidate: Any, vacancy: Any) -> Change:
    record: Candidate | Vacancy | None = None
    if candidate is not None:
        record = Candidate.model_validate(candidate)
    elif vacancy is not None:
        record = Vacancy.model_validate(vacancy)
    array = None if vector is None else np.frombuffer(vector, dtype=np.float32).copy()
    return Change(int(seq), kind, record_id, op, array, record)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows (erased people) are overwritten, not left behind
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
