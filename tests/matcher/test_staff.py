"""Named staff and the team rule: tokens hashed, expiring and revocable; teams by rule or record."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from matcher.errors import MatcherError
from matcher.records.models import Candidate, CandidateSource
from matcher.records.store import Store, candidates_table
from matcher.services.staff import (
    InvalidTeamError,
    StaffDirectory,
    TeamRule,
    UnknownStaffError,
    hash_token,
    staff_tokens_table,
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'm.db'}")


def test_a_person_gets_a_token_that_only_the_hash_of_is_kept(store: Store) -> None:
    directory = StaffDirectory(store)
    member, token = directory.add("Erika Muster", "caseworker", ("stadt", "stadt", "landkreis"))
    assert member.id.startswith("u-") and member.teams == ("stadt", "landkreis")
    assert directory.by_token(token) == directory.by_token(token) is not None
    assert directory.by_token(token).id == member.id  # type: ignore[union-attr]
    with store.engine.connect() as conn:
        stored = conn.execute(select(staff_tokens_table.c.sha256)).scalars().all()
    assert stored == [hash_token(token)] and token not in str(stored)
    db = Path(store.url.removeprefix("sqlite:///"))
    dump = b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    assert token.encode() not in dump and b"Erika" in dump  # the name is kept, for the admins only


def test_revoked_and_expired_tokens_sign_nobody_in(store: Store) -> None:
    directory = StaffDirectory(store)
    kept, kept_token = directory.add("A", "caseworker", ("stadt",))
    gone, gone_token = directory.add("B", "caseworker", ("stadt",))
    old, old_token = directory.add("C", "data_team")
    directory.revoke(gone.id)
    with store.transaction() as conn:  # as if 91 days had passed for C's token
        conn.execute(
            update(staff_tokens_table)
            .where(staff_tokens_table.c.staff_id == old.id)
            .values(expires_at="2020-01-01T00:00:00+00:00")
        )
    assert directory.by_token(kept_token) is not None
    assert directory.by_token(gone_token) is None and directory.by_token(old_token) is None
    assert directory.by_token("not-a-token") is None
    listed = {m.id: m for m in directory.list()}
    assert listed[gone.id].revoked_at is not None and listed[kept.id].active
    with pytest.raises(UnknownStaffError):
        directory.revoke("u-000000000000")


def test_bad_names_and_teams_are_refused(store: Store) -> None:
    directory = StaffDirectory(store)
    with pytest.raises(InvalidTeamError):
        directory.add("A", "caseworker", ("Team Nord; DROP",))
    with pytest.raises(MatcherError):
        directory.add("   ", "caseworker")
    with pytest.raises(MatcherError):
        directory.add("A", "caseworker", expires_days=0)


def _person(i: int, ags: str, team: str | None = None) -> Candidate:
    return Candidate(
        id=f"K{i:04d}",
        source=CandidateSource.API,
        source_id=f"K{i:04d}",
        ags=ags,
        postcode="67655",
        occupations=["51312"],
        level=1,
        available_from=date(2026, 1, 1),
        registered_at=date(2026, 1, 1),
        team=team,
    )


def test_the_team_rule_and_its_sql_agree(store: Store) -> None:
    rule = TeamRule({"07312": "stadt", "07335": "landkreis", "0733501": "nord"}, "zentral")
    people = [
        _person(1, "07312000"),
        _person(2, "07335002"),
        _person(3, "07335012"),  # under 0733501: nord
        _person(4, "09999000"),  # no prefix: zentral
        _person(5, "07312000", team="nord"),  # the record names its team
    ]
    with store.transaction() as conn:
        store.upsert_candidates(conn, people)
    assert [rule.of(p) for p in people] == ["stadt", "landkreis", "nord", "zentral", "nord"]
    for teams in [("stadt",), ("landkreis",), ("nord",), ("zentral",), ("stadt", "nord"), ("leer",)]:
        with store.engine.connect() as conn:
            found = conn.execute(select(candidates_table.c.id).where(rule.condition(teams))).scalars().all()
        assert sorted(found) == sorted(p.id for p in people if rule.of(p) in teams), teams
    assert rule.teams == ("landkreis", "nord", "stadt", "zentral")
