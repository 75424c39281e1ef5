"""Outcomes of proposals: recorded by caseworkers, read by the data team for the next training."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, status
from sqlalchemy import func, select

from api.deps import CanReadOutcomes, CanWriteOutcomes, ServiceDep
from api.paging import Limit, Offset
from api.schemas import OutcomeOut, OutcomeRequest, Page
from api.security import Principal
from api.service import Service
from matcher.models import Proposal
from matcher.outcome_checks import check_outcome
from matcher.store import proposals_table

router = APIRouter(prefix="/v1", tags=["outcomes"])


@router.post("/outcomes", response_model=OutcomeOut, status_code=status.HTTP_201_CREATED)
def record_outcome(body: OutcomeRequest, who: CanWriteOutcomes, service: ServiceDep) -> OutcomeOut:
    """Store what became of a proposal (same id again: replaced). Unknown people or vacancies: 404;
    a date in the future or before the vacancy's posting: 422; an entry that contradicts the pair's
    recorded outcomes (:mod:`matcher.outcome_checks`): 409, each with a German message."""
    return OutcomeOut(**save_outcome(service, who, body).model_dump(), recorded_by=who.user_id)


def save_outcome(service: Service, who: Principal, body: OutcomeRequest) -> Proposal:
    """Store a proposal and its outcome, audited (the API's and the web app's way in)."""
    store = service.store
    who = service.reach(who, body.candidate_id)  # UnknownCandidateError -> 404; another team's: 403
    vacancy = store.get_vacancy(body.vacancy_id)  # follows merged ids; UnknownVacancyError -> 404
    proposal = Proposal.model_validate(
        {**body.model_dump(), "id": body.id or f"api-{uuid4().hex}", "vacancy_id": vacancy.id}
    )
    with store.transaction() as conn:
        check_outcome(proposal, vacancy, _pair_entries(conn, proposal), date.today())
        store.upsert_proposals(conn, [proposal])
        store.set_recorded_by(conn, proposal.id, who.user_id)
    service.audit(
        who,
        "POST /v1/outcomes",
        proposal.id,
        [(proposal.candidate_id, None), (proposal.vacancy_id, None)],
        kind="write",
    )
    return proposal


def _pair_entries(conn: Any, proposal: Proposal) -> list[Proposal]:
    """The stored entries of the same person and vacancy (read in the writing transaction)."""
    t = proposals_table
    query = select(t.c.id, t.c.candidate_id, t.c.vacancy_id, t.c.proposed_at, t.c.outcome, t.c.outcome_at).where(
        t.c.candidate_id == proposal.candidate_id, t.c.vacancy_id == proposal.vacancy_id
    )
    return [Proposal.model_validate(dict(row)) for row in conn.execute(query).mappings()]


@router.get("/outcomes", response_model=Page)
def list_outcomes(who: CanReadOutcomes, service: ServiceDep, limit: Limit = 100, offset: Offset = 0) -> Page:
    """Recorded proposals and outcomes, paged by id (data team)."""
    table = proposals_table
    with service.store.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        rows = conn.execute(select(table).order_by(table.c.id).limit(limit).offset(offset)).mappings().all()
    items = [OutcomeOut(**row).model_dump(mode="json") for row in rows]
    people = list(dict.fromkeys(row["candidate_id"] for row in rows))
    service.audit(
        who, "GET /v1/outcomes", f"page:offset={offset}:limit={limit}", [(c, None) for c in people], kind="read"
    )
    return Page(total=total, limit=limit, offset=offset, items=items)
