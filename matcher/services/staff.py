"""Named staff: people and machine clients with a role and teams, and their personal tokens.

The embedded default's identity store (an OpenID provider replaces it for people; see
:mod:`api.identity`). Each person gets a stable pseudonymous staff id (``u-`` and 12 hex digits):
the audit log, feedback, outcomes and contact requests name people by it, never by name. The name
lives here only, for the administrators' ``matcher users list``.

Tokens are random (256 bits), shown once, and stored as SHA-256 hashes, so a copy of the
database holds no usable token. Each expires (90 days by default) and can be revoked, with its
person; the check reads the store, so every worker and replica refuses a revoked token at its
next check (see :class:`api.identity.Authenticator` for the short cache in front of it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, Column, String, Table, and_, false, insert, not_, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from matcher.errors import MatcherError
from matcher.records.models import Candidate
from matcher.records.store import Store, candidates_table, metadata

# Named staff: people and machine clients with a role and teams, and their personal
# tokens, stored as SHA-256 hashes. ``id`` is a stable pseudonymous staff id; the audit log names
# people by it, never by name.
staff_table = Table(
    "staff",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("role", String(32), nullable=False),
    Column("teams", JSON, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)
staff_tokens_table = Table(
    "staff_tokens",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("staff_id", String(64), nullable=False, index=True),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
)


StaffKind = Literal["person", "client"]
DEFAULT_TOKEN_DAYS = 90
TEAM_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
ALL_TEAMS = "*"  # a member of staff in every team (the administrators; a caseworker's supervisor)
_TEAM = re.compile(TEAM_PATTERN)


class UnknownStaffError(MatcherError):
    """No person or client with this staff id."""

    def __init__(self, staff_id: str) -> None:
        super().__init__(f"no staff member with id {staff_id!r} (see `matcher users list`)")


class InvalidTeamError(MatcherError, ValueError):
    def __init__(self, team: str) -> None:
        super().__init__(f"team {team!r}: lower-case letters, digits, '-' and '_' only (at most 48), or '*' (all)")


@dataclass(frozen=True)
class StaffMember:
    """A person (or machine client) as the store holds it: no token, ever."""

    id: str
    name: str
    kind: StaffKind
    role: str
    teams: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None
    token_expires_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_teams(teams: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The teams, each checked against :data:`TEAM_PATTERN`, in order and without repeats."""
    for team in teams:
        if team != ALL_TEAMS and not _TEAM.match(team):
            raise InvalidTeamError(team)
    return tuple(dict.fromkeys(teams))


@dataclass(frozen=True)
class TeamRule:
    """Which team of the merged Jobcenter a job seeker belongs to, where the export names none:
    the team of the longest AGS prefix that matches the home municipality, else ``fallback``."""

    prefixes: dict[str, str]
    fallback: str

    def __post_init__(self) -> None:
        check_teams([*self.prefixes.values(), self.fallback])

    def team(self, ags: str) -> str:
        best = max((p for p in self.prefixes if ags.startswith(p)), key=len, default=None)
        return self.fallback if best is None else self.prefixes[best]

    def of(self, candidate: Candidate) -> str:
        """The job seeker's team: the one the record names, else the rule's."""
        return candidate.team or self.team(candidate.ags)

    @property
    def teams(self) -> tuple[str, ...]:
        """Every team the rule can give, in order."""
        return tuple(sorted({*self.prefixes.values(), self.fallback}))

    def condition(self, teams: tuple[str, ...]) -> ColumnElement[bool]:
        """The SQL condition on ``candidates_table`` of the job seekers of ``teams``: the team the
        record names, or, where it names none, the team the rule gives for the municipality."""
        ags, named = candidates_table.c.ags, candidates_table.c.data["team"].as_string()
        by_rule = [self._prefix_condition(ags, p) for p, team in self.prefixes.items() if team in teams]
        if self.fallback in teams:
            by_rule.append(and_(*(not_(ags.startswith(p)) for p in self.prefixes)))
        return or_(named.in_(teams), and_(named.is_(None), or_(false(), *by_rule)))

    def _prefix_condition(self, ags: Any, prefix: str) -> ColumnElement[bool]:
        """Municipalities under ``prefix`` that no longer prefix takes to another team."""
        longer = [p for p in self.prefixes if p != prefix and p.startswith(prefix)]
        others = [not_(ags.startswith(p)) for p in longer if self.prefixes[p] != self.prefixes[prefix]]
        return and_(ags.startswith(prefix), *others)


def _now() -> datetime:
    return datetime.now(UTC)


class StaffDirectory:
    """People, machine clients and their tokens in the store's ``staff`` tables."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        name: str,
        role: str,
        teams: tuple[str, ...] = (),
        expires_days: int = DEFAULT_TOKEN_DAYS,
        kind: StaffKind = "person",
    ) -> tuple[StaffMember, str]:
        """A new person (or client) and their personal token; the token is returned here only."""
        if not name.strip() or len(name) > 200:
            raise MatcherError("a name of 1 to 200 characters is needed")
        if expires_days < 1:
            raise MatcherError("--expires-days must be at least 1")
        teams = check_teams(teams)
        now = _now()
        member = StaffMember(f"u-{secrets.token_hex(6)}", name.strip(), kind, role, teams, now.isoformat())
        token = secrets.token_urlsafe(32)
        expires = (now + timedelta(days=expires_days)).isoformat()
        with self.store.transaction() as conn:
            conn.execute(
                insert(staff_table).values(
                    id=member.id,
                    name=member.name,
                    kind=kind,
                    role=role,
                    teams=list(teams),
                    created_at=member.created_at,
                )
            )
            conn.execute(
                insert(staff_tokens_table).values(
                    sha256=hash_token(token), staff_id=member.id, created_at=member.created_at, expires_at=expires
                )
            )
        return StaffMember(**{**member.__dict__, "token_expires_at": expires}), token

    def list(self) -> list[StaffMember]:
        """Everybody, oldest first, with the expiry of their newest token."""
        s, t = staff_table, staff_tokens_table
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(s).order_by(s.c.created_at, s.c.id)).mappings().all()
            expiry = dict(conn.execute(select(t.c.staff_id, t.c.expires_at).order_by(t.c.created_at)).all())
        return [_member(row, expiry.get(row["id"])) for row in rows]

    def get(self, staff_id: str) -> StaffMember:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(staff_table).where(staff_table.c.id == staff_id)).mappings().first()
        if row is None:
            raise UnknownStaffError(staff_id)
        return _member(row, None)

    def revoke(self, staff_id: str) -> StaffMember:
        """Revoke a person and every token they hold (at once, for every worker's next check)."""
        self.get(staff_id)
        at = _now().isoformat()
        with self.store.transaction() as conn:
            conn.execute(
                update(staff_table)
                .where(staff_table.c.id == staff_id, staff_table.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            conn.execute(
                update(staff_tokens_table)
                .where(staff_tokens_table.c.staff_id == staff_id, staff_tokens_table.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
        return self.get(staff_id)

    def by_token(self, token: str) -> StaffMember | None:
        """The active person behind a token (None: unknown, expired or revoked)."""
        s, t = staff_table, staff_tokens_table
        stmt = (
            select(s, t.c.expires_at, t.c.revoked_at.label("token_revoked_at"))
            .join(t, t.c.staff_id == s.c.id)
            .where(t.c.sha256 == hash_token(token))
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
        if row is None or row["revoked_at"] or row["token_revoked_at"]:
            return None
        if datetime.fromisoformat(row["expires_at"]) <= _now():
            return None
        return _member(row, row["expires_at"])


def _member(row: RowMapping, expires_at: str | None) -> StaffMember:
    return StaffMember(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        role=row["role"],
        teams=tuple(row["teams"] or ()),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        token_expires_at=expires_at,
    )
