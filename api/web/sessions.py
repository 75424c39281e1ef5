"""Server-side sessions of the web app: signed cookie, session row in the store, CSRF token.

The cookie (``kl_session``: ``HttpOnly``, ``SameSite=Strict``, path ``/app``) holds only a random
session id, signed with a key in the home (``session.key``, 0600). The session itself, who signed in
with which role and the session's CSRF token, is a row in the store, so every worker and replica
sees the same sessions, and signing out ends a session everywhere at once. The row is keyed by a
SHA-256 of the id: a copy of the database holds no usable session. A session ends after
``idle_minutes`` without a request and after ``max_hours`` in any case.

CSRF: every form that changes something carries the session's token (``csrf_token``) and the
server compares it in constant time. The sign-in form, before any session exists, carries a token
that is bound to a short-lived signed cookie of its own (``kl_signin``, double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from api.security import AccessReason, Principal, Role
from matcher.records.store import web_sessions_table
from matcher.services.keyfile import load_or_create_key

SESSION_COOKIE = "kl_session"
SIGNIN_COOKIE = "kl_signin"
COOKIE_PATH = "/app"
CSRF_FIELD = "csrf_token"
_SIGNIN_SECONDS = 15 * 60
_TOUCH_EVERY_SECONDS = 30.0  # the idle clock is moved at most this often (one write, not one per page)
# The flash message rides in the session row's JSON ``reasons`` under this key (no job seeker id
# starts with "~"), so that it needs no column of its own.
_FLASH_KEY = "~flash"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class WebSession:
    """A signed-in user: who (the principal of the token or identity) and the form token."""

    principal: Principal
    csrf: str
    started_at: float
    seen_at: float
    via: str = "token"
    reasons: dict[str, str] = field(default_factory=dict)
    flash: tuple[str, str] | None = None  # (kind, text): a message for the next page, shown once

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")

    def principal_for(self, candidate_id: str | None) -> Principal:
        """The principal, with the reason given in this session for reaching this job seeker."""
        reason = self.reasons.get(candidate_id or "")
        return self.principal if reason is None else self.principal.with_reason(AccessReason(reason))


class Sessions:
    """Sessions in the store's database; see the module docstring."""

    def __init__(self, engine: Engine, key: bytes, idle_minutes: float, max_hours: float) -> None:
        self.engine = engine
        self.key = key  # also signs the kept form of an ended session (api.web.stash)
        self._signer = TimestampSigner(key, salt="kl-matcher-session")
        self._signin = TimestampSigner(key, salt="kl-matcher-signin")
        self.idle_seconds = idle_minutes * 60
        self.max_seconds = max_hours * 3600

    @classmethod
    def open(cls, engine: Engine, key_file: str, idle_minutes: float, max_hours: float) -> Sessions:
        from pathlib import Path

        return cls(engine, load_or_create_key(Path(key_file)), idle_minutes, max_hours)

    # --- sessions --------------------------------------------------------------------------
    def start(self, principal: Principal, via: str = "token", replaces: str | None = None) -> tuple[str, WebSession]:
        """A new session; returns the signed cookie value and the session. ``replaces``: the cookie
        of the browser's earlier session, which ends now (signing in again never leaves it valid)."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        session = WebSession(principal, secrets.token_urlsafe(32), now, now, via)
        earlier = self._unsign(replaces)
        with self.engine.begin() as conn:
            if earlier is not None:
                conn.execute(delete(web_sessions_table).where(web_sessions_table.c.id_sha256 == _digest(earlier)))
            conn.execute(
                insert(web_sessions_table).values(
                    id_sha256=_digest(session_id),
                    token_id=principal.user_id,
                    role=principal.role.value,
                    teams="," + ",".join(sorted(principal.teams)) + ",",
                    via=via,
                    csrf=session.csrf,
                    started_at=now,
                    seen_at=now,
                )
            )
            # Sessions that ended long ago are removed as new ones start.
            conn.execute(delete(web_sessions_table).where(web_sessions_table.c.seen_at < now - self.max_seconds))
        return self._signer.sign(session_id).decode(), session

    def get(self, cookie: str | None) -> WebSession | None:
        """The live session of a cookie (None: none, forged, idle too long or too old); moves the idle clock."""
        session_id = self._unsign(cookie)
        if session_id is None:
            return None
        t = web_sessions_table
        key = _digest(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id_sha256 == key)).mappings().first()
        if row is None:
            return None
        now = time.time()
        if now - row["seen_at"] > self.idle_seconds or now - row["started_at"] > self.max_seconds:
            return None  # ended; the row stays until new sessions clear old ones (``owner`` reads it)
        if now - row["seen_at"] > _TOUCH_EVERY_SECONDS:
            with self.engine.begin() as conn:
                conn.execute(update(t).where(t.c.id_sha256 == key).values(seen_at=now))
        teams = frozenset(t for t in (row["teams"] or "").split(",") if t)
        principal = Principal(row["token_id"], Role(row["role"]), teams)
        stored = json.loads(row["reasons"]) if row["reasons"] else {}
        flash = stored.pop(_FLASH_KEY, None)
        return WebSession(
            principal,
            row["csrf"],
            row["started_at"],
            now,
            row["via"] or "token",
            stored,
            (str(flash[0]), str(flash[1])) if isinstance(flash, list) and len(flash) == 2 else None,
        )

    def owner(self, cookie: str | None) -> str | None:
        """The staff id of a cookie's session, live or ended (whose typed form may be restored)."""
        session_id = self._unsign(cookie)
        if session_id is None:
            return None
        t = web_sessions_table
        with self.engine.connect() as conn:
            found = conn.execute(select(t.c.token_id).where(t.c.id_sha256 == _digest(session_id))).scalar_one_or_none()
        return None if found is None else str(found)

    def give_reason(self, cookie: str | None, candidate_id: str, reason: AccessReason) -> None:
        """Remember, for this session only, why its person reaches another team's job seeker."""
        session = self.get(cookie)
        session_id = self._unsign(cookie)
        if session is None or session_id is None:
            return
        reasons: dict[str, object] = {**session.reasons, candidate_id: reason.value}
        if session.flash is not None:
            reasons[_FLASH_KEY] = list(session.flash)
        with self.engine.begin() as conn:
            conn.execute(
                update(web_sessions_table)
                .where(web_sessions_table.c.id_sha256 == _digest(session_id))
                .values(reasons=json.dumps(reasons))
            )

    def set_flash(self, cookie: str | None, text: str, kind: str = "success") -> None:
        """A message for the next page of this session (shown once): ``kind`` "success" (green,
        ``role=status``) or "problem". Taken from the server, never from the URL."""
        self._write_flash(cookie, [kind, text])

    def take_flash(self, cookie: str | None, session: WebSession) -> tuple[str, str] | None:
        """The session's message, removed from the session (shown once)."""
        if session.flash is not None:
            self._write_flash(cookie, None)
        return session.flash

    def _write_flash(self, cookie: str | None, flash: list[str] | None) -> None:
        session_id = self._unsign(cookie)
        if session_id is None:
            return
        t, key = web_sessions_table, _digest(session_id)
        with self.engine.begin() as conn:
            raw = conn.execute(select(t.c.reasons).where(t.c.id_sha256 == key)).scalar_one_or_none()
            stored = json.loads(raw) if raw else {}
            stored.pop(_FLASH_KEY, None)
            if flash is not None:
                stored[_FLASH_KEY] = flash
            conn.execute(update(t).where(t.c.id_sha256 == key).values(reasons=json.dumps(stored) if stored else None))

    def count_live(self) -> int:
        """Sessions that have not ended (for the operators' metrics)."""
        now = time.time()
        t = web_sessions_table
        stmt = select(t.c.id_sha256).where(
            t.c.seen_at >= now - self.idle_seconds, t.c.started_at >= now - self.max_seconds
        )
        with self.engine.connect() as conn:
            return len(conn.execute(stmt).all())

    def end(self, cookie: str | None) -> None:
        session_id = self._unsign(cookie)
        if session_id is not None:
            self._end(_digest(session_id))

    def _end(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions_table).where(web_sessions_table.c.id_sha256 == key))

    def live_count(self) -> int:
        """How many sessions are live now (neither idle too long nor too old): one count query."""
        t, now = web_sessions_table, time.time()
        live = (t.c.seen_at >= now - self.idle_seconds) & (t.c.started_at >= now - self.max_seconds)
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t).where(live)).scalar_one())

    def _unsign(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._signer.unsign(cookie).decode()
        except BadSignature:
            return None

    # --- the sign-in form's CSRF token (before a session exists) ---------------------------
    def signin_token(self) -> tuple[str, str]:
        """(cookie value, form token) for one sign-in form: the form token is the cookie's nonce."""
        nonce = secrets.token_urlsafe(24)
        return self._signin.sign(nonce).decode(), nonce

    def signin_ok(self, cookie: str | None, form_token: str | None) -> bool:
        if not cookie or not form_token:
            return False
        try:
            nonce = self._signin.unsign(cookie, max_age=_SIGNIN_SECONDS).decode()
        except (BadSignature, SignatureExpired):
            return False
        return hmac.compare_digest(nonce, form_token)
