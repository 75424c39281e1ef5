"""Contact requests from the employer service, and caseworkers' "passt nicht" feedback.

The engine recommends; people decide. The employer service, which sees pseudonymised cards only,
asks for a person with a contact request (*Vorschlag anfragen*). The request goes to the
caseworkers' inbox, never to the job seeker or the employer. A caseworker accepts it, which records
a placement proposal (:class:`matcher.records.models.Proposal`, outcome ``no_reaction``: proposed, nothing
heard yet), or declines it with a reason. The employer service sees the answer (a decline reason
in its neutral wording, :data:`DECLINE_REASONS_ES`); the customer number only once a caseworker
accepted. While a request is open, the employer service may withdraw it.

Feedback is a caseworker's "passt nicht" on one recommended pair, with a reason from
:data:`FEEDBACK_REASONS`: stored for the next training run (``training.dataset`` reads it as a
negative label) and written to the audit log by the caller.

Both tables live in the store (:mod:`matcher.records.store`); a person's erasure removes their rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import uuid4

import pandas as pd
from sqlalchemy import Column, String, Table, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from matcher.errors import ContactRequestClosedError, UnknownContactRequestError
from matcher.records.clock import utc_stamp
from matcher.records.models import Outcome, Proposal
from matcher.records.store import Store, candidates_table, metadata

# Contact requests of the employer service for a job seeker on a vacancy's shortlist, and the
# caseworker's answer (below). The employer service sees the person's pseudonym only.
contact_requests_table = Table(
    "contact_requests",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("vacancy_id", String(64), nullable=False, index=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("pseudonym", String(16), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requester_teams", String(400), nullable=True),  # ",team,...,": the requester's team sees it too
    Column("requested_at", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("answered_by", String(64), nullable=True),
    Column("answered_at", String(32), nullable=True),
    Column("decline_reason", String(32), nullable=True),
    Column("proposal_id", String(64), nullable=True),
    info={"person_columns": ("candidate_id",)},  # erased with the person (Store.delete_candidate)
)
# A caseworker's "passt nicht" on one recommended pair, with a reason from a short list: a label
# for the next training run (training.dataset), written to the audit log too.
feedback_table = Table(
    "feedback",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("candidate_id", String(64), nullable=False, index=True),
    Column("vacancy_id", String(64), nullable=False, index=True),
    Column("reason", String(32), nullable=False),
    Column("given_by", String(64), nullable=False),
    Column("given_at", String(32), nullable=False),
    Column("model_version", String(64), nullable=True),
    info={"person_columns": ("candidate_id",)},
)


class RequestStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the employer service, while it was open


# Why a caseworker declines a contact request: (code, German label), shown as a short list.
DECLINE_REASONS: dict[str, str] = {
    "nicht_verfuegbar": "derzeit nicht verfügbar (z. B. Maßnahme, Krankheit, Betreuung)",
    "profil": "Anforderungen der Stelle passen nicht zum Profil",
    "wunsch": "entspricht nicht den Wünschen der Person",
    "bereits_vorgeschlagen": "bereits anderweitig vorgeschlagen oder in Arbeit",
    "sonstiges": "sonstiger Grund",
}

# What the employer service reads of a decline reason: never a hint at health, family or other
# private matters (the caseworker's own label may give examples; the employer service's does not).
DECLINE_REASONS_ES: dict[str, str] = {
    "nicht_verfuegbar": "derzeit nicht verfügbar",
    "profil": "Anforderungen der Stelle passen nicht zum Profil",
    "wunsch": "entspricht nicht den Wünschen der Person",
    "bereits_vorgeschlagen": "bereits anderweitig vorgeschlagen",
    "sonstiges": "sonstiger Grund",
}

# Why a recommendation does not fit ("passt nicht"). No reason that names a protected attribute
# or a proxy of one (health, family, origin): those are not for a matching label.
FEEDBACK_REASONS: dict[str, str] = {
    "qualifikation": "Qualifikation oder Erfahrung passt nicht",
    "erreichbarkeit": "Arbeitsort nicht erreichbar",
    "arbeitszeit": "Arbeitszeit oder Schichten passen nicht",
    "wunsch": "entspricht nicht den Wünschen der Person",
    "stelle": "Stelle nicht mehr aktuell oder ungeeignet",
    "sonstiges": "sonstiger Grund",
}


@dataclass(frozen=True)
class ContactRequest:
    """One request and its answer. ``candidate_id`` is the customer number: for caseworkers only."""

    id: str
    vacancy_id: str
    candidate_id: str
    pseudonym: str
    requested_by: str
    requested_at: str
    status: RequestStatus
    requester_teams: str | None = None  # ",team,...,": who besides the requester sees it
    answered_by: str | None = None
    answered_at: str | None = None
    decline_reason: str | None = None
    proposal_id: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> ContactRequest:
        values = dict(row)
        return cls(**{**values, "status": RequestStatus(values["status"])})

    @property
    def identity_released(self) -> bool:
        """Whether the employer service may learn who it is: only after a caseworker accepted."""
        return self.status is RequestStatus.ACCEPTED


def made_by(staff_id: str, teams: Sequence[str]) -> ColumnElement[bool]:
    """The requests a person of the employer service sees: their own and their teams'."""
    t = contact_requests_table
    return or_(t.c.requested_by == staff_id, *(t.c.requester_teams.contains(f",{team},") for team in teams))


def about(people: ColumnElement[bool]) -> ColumnElement[bool]:
    """The requests for job seekers that meet a condition on ``candidates_table`` (a team's)."""
    return contact_requests_table.c.candidate_id.in_(select(candidates_table.c.id).where(people))


class ContactBook:
    """Contact requests and feedback in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- contact requests ------------------------------------------------------------------
    def request(
        self, vacancy_id: str, candidate_id: str, pseudonym: str, requested_by: str, teams: Sequence[str] = ()
    ) -> tuple[ContactRequest, bool]:
        """Ask for a person on a vacancy; an open request for the same pair is returned as it is.

        Returns:
            (the request, whether it was created now).
        """
        t = contact_requests_table
        with self.store.transaction() as conn:
            open_row = (
                conn.execute(
                    select(t).where(
                        t.c.vacancy_id == vacancy_id,
                        t.c.candidate_id == candidate_id,
                        t.c.status == RequestStatus.OPEN.value,
                    )
                )
                .mappings()
                .first()
            )
            if open_row is not None:
                return ContactRequest.from_row(open_row), False
            made = ContactRequest(
                id=f"kr-{uuid4().hex[:16]}",
                vacancy_id=vacancy_id,
                candidate_id=candidate_id,
                pseudonym=pseudonym,
                requested_by=requested_by,
                requested_at=utc_stamp("seconds"),
                status=RequestStatus.OPEN,
                requester_teams="," + ",".join(teams) + "," if teams else None,
            )
            conn.execute(insert(t).values(**{**made.__dict__, "status": made.status.value}))
        return made, True

    def get(self, request_id: str) -> ContactRequest:
        t = contact_requests_table
        with self.store.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == request_id)).mappings().first()
        if row is None:
            raise UnknownContactRequestError(request_id)
        return ContactRequest.from_row(row)

    def requests(
        self,
        status: RequestStatus | None = None,
        limit: int = 100,
        offset: int = 0,
        where: ColumnElement[bool] | None = None,
    ) -> list[ContactRequest]:
        """Requests, newest first (``status``: only those; ``where``: only those a person may see,
        see :func:`made_by` and :func:`about`)."""
        t = contact_requests_table
        query = select(t).order_by(t.c.requested_at.desc(), t.c.id).limit(limit).offset(offset)
        if status is not None:
            query = query.where(t.c.status == status.value)
        if where is not None:
            query = query.where(where)
        with self.store.engine.connect() as conn:
            return [ContactRequest.from_row(r) for r in conn.execute(query).mappings()]

    def count(self, status: RequestStatus | None = None, where: ColumnElement[bool] | None = None) -> int:
        t = contact_requests_table
        query = select(func.count()).select_from(t)
        if status is not None:
            query = query.where(t.c.status == status.value)
        if where is not None:
            query = query.where(where)
        with self.store.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def accept(self, request_id: str, answered_by: str, today: date) -> ContactRequest:
        """Accept an open request: a proposal is recorded in the same transaction.

        Raises:
            UnknownContactRequestError: no such request.
            ContactRequestClosedError: it was answered already.
        """
        proposal = Proposal(
            id=f"kr-{request_id}",
            candidate_id="pending",
            vacancy_id="pending",
            proposed_at=today,
            outcome=Outcome.NO_REACTION,
        )
        with self.store.transaction() as conn:
            current = self._open(conn, request_id)
            proposal = proposal.model_copy(
                update={"candidate_id": current.candidate_id, "vacancy_id": current.vacancy_id}
            )
            self.store.upsert_proposals(conn, [proposal])
            self._answer(conn, request_id, RequestStatus.ACCEPTED, answered_by, proposal_id=proposal.id)
        return self.get(request_id)

    def decline(self, request_id: str, answered_by: str, reason: str) -> ContactRequest:
        """Decline an open request with one of :data:`DECLINE_REASONS`.

        Raises:
            ValueError: an unknown reason.
            UnknownContactRequestError, ContactRequestClosedError: as for :meth:`accept`.
        """
        if reason not in DECLINE_REASONS:
            raise ValueError(f"unknown decline reason {reason!r}; one of {', '.join(DECLINE_REASONS)}")
        with self.store.transaction() as conn:
            self._open(conn, request_id)
            self._answer(conn, request_id, RequestStatus.DECLINED, answered_by, decline_reason=reason)
        return self.get(request_id)

    def withdraw(self, request_id: str, withdrawn_by: str) -> ContactRequest:
        """Withdraw an open request (the employer service no longer needs the person); a new
        request for the same person can be made afterwards.

        Raises:
            UnknownContactRequestError, ContactRequestClosedError: as for :meth:`accept`.
        """
        with self.store.transaction() as conn:
            self._open(conn, request_id)
            self._answer(conn, request_id, RequestStatus.WITHDRAWN, withdrawn_by)
        return self.get(request_id)

    def _open(self, conn: Any, request_id: str) -> ContactRequest:
        t = contact_requests_table
        row = conn.execute(select(t).where(t.c.id == request_id)).mappings().first()
        if row is None:
            raise UnknownContactRequestError(request_id)
        current = ContactRequest.from_row(row)
        if current.status is not RequestStatus.OPEN:
            raise ContactRequestClosedError(f"contact request {request_id} was {current.status.value} already")
        return current

    def _answer(self, conn: Any, request_id: str, status: RequestStatus, answered_by: str, **values: Any) -> None:
        t = contact_requests_table
        # The status condition makes a concurrent second answer update nothing instead of both winning.
        changed = conn.execute(
            update(t)
            .where(t.c.id == request_id, t.c.status == RequestStatus.OPEN.value)
            .values(status=status.value, answered_by=answered_by, answered_at=utc_stamp("seconds"), **values)
        ).rowcount
        if changed != 1:
            raise ContactRequestClosedError(f"contact request {request_id} was answered already")

    # --- feedback --------------------------------------------------------------------------
    def record_feedback(
        self, candidate_id: str, vacancy_id: str, reason: str, given_by: str, model_version: str | None
    ) -> str:
        """Store one "passt nicht"; returns its id.

        Raises:
            ValueError: an unknown reason.
        """
        if reason not in FEEDBACK_REASONS:
            raise ValueError(f"unknown feedback reason {reason!r}; one of {', '.join(FEEDBACK_REASONS)}")
        feedback_id = f"fb-{uuid4().hex[:16]}"
        with self.store.transaction() as conn:
            conn.execute(
                insert(feedback_table).values(
                    id=feedback_id,
                    candidate_id=candidate_id,
                    vacancy_id=vacancy_id,
                    reason=reason,
                    given_by=given_by,
                    given_at=utc_stamp("seconds"),
                    model_version=model_version,
                )
            )
        return feedback_id

    def feedback(self) -> pd.DataFrame:
        """Every "passt nicht": candidate_id, vacancy_id, reason, given_at, model_version."""
        t = feedback_table
        columns = ["candidate_id", "vacancy_id", "reason", "given_at", "model_version"]
        query = select(*(t.c[name] for name in columns)).order_by(t.c.given_at)
        with self.store.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=columns)
