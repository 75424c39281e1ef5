"""Server-side sessions: signed ids, rows in the store, idle and absolute timeouts, sign-in tokens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from api.security import Principal, Role
from api.web.sessions import Sessions, web_sessions_table
from matcher.records.store import Store

WHO = Principal("demo-caseworker", Role.CASEWORKER)


@pytest.fixture
def sessions(tmp_path: Path) -> Sessions:
    # The sessions' table is part of the store's schema (created with it, upgraded by migrations).
    return Sessions(Store(f"sqlite:///{tmp_path / 's.db'}").engine, b"k" * 32, idle_minutes=30, max_hours=10)


def test_a_session_is_found_by_its_signed_cookie_only(sessions: Sessions) -> None:
    cookie, started = sessions.start(WHO)
    found = sessions.get(cookie)
    assert found is not None and found.principal == WHO and found.csrf == started.csrf
    session_id, _, signature = cookie.rpartition(".")
    assert sessions.get(session_id + ".AAAA") is None  # a forged signature
    assert sessions.get(cookie.split(".")[0]) is None  # the bare id
    assert sessions.get(None) is None and sessions.get("") is None
    with sessions.engine.connect() as conn:
        stored = conn.execute(select(web_sessions_table.c.id_sha256)).scalars().all()
    assert cookie.split(".")[0] not in stored  # the store holds a hash of the id, not the id


def test_idle_and_absolute_timeouts_end_a_session(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    cookie, _ = sessions.start(WHO)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 29 * 60)
    assert sessions.get(cookie) is not None  # and the idle clock moves
    monkeypatch.setattr(time, "time", lambda: now + 58 * 60)
    assert sessions.get(cookie) is not None
    monkeypatch.setattr(time, "time", lambda: now + 58 * 60 + 31 * 60)
    assert sessions.get(cookie) is None  # idle for 31 minutes
    cookie, _ = sessions.start(WHO)
    start = time.time()
    for minutes in range(20, 10 * 60, 20):  # active all day, a request every 20 minutes
        monkeypatch.setattr(time, "time", lambda m=minutes: start + m * 60)
        assert sessions.get(cookie) is not None, minutes
    monkeypatch.setattr(time, "time", lambda: start + 10 * 3600 + 1)
    assert sessions.get(cookie) is None  # ten hours in any case


def test_signing_out_ends_the_session(sessions: Sessions) -> None:
    cookie, _ = sessions.start(WHO)
    sessions.end(cookie)
    assert sessions.get(cookie) is None


def test_csrf_tokens(sessions: Sessions) -> None:
    cookie, session = sessions.start(WHO)
    assert session.csrf_ok(session.csrf)
    assert not session.csrf_ok(None) and not session.csrf_ok("") and not session.csrf_ok(session.csrf[:-1] + "x")
    signin_cookie, token = sessions.signin_token()
    assert sessions.signin_ok(signin_cookie, token)
    assert not sessions.signin_ok(signin_cookie, "other") and not sessions.signin_ok(None, token)
    other_cookie, _ = sessions.signin_token()
    assert not sessions.signin_ok(other_cookie, token)  # the token belongs to its own cookie
