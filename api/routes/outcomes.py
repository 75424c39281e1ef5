"""Outcomes of proposals: recorded by caseworkers, read by the data team for the next training."""

from __future__ import annotations

from uuid import uuid4

from fastapi import APIRouter, status
from sqlalchemy import func, select

from api.deps import CanReadOutcomes, CanWriteOutcomes, ServiceDep
from api.paging import Limit, Offset
from api.schemas import OutcomeOut, OutcomeRequest, Page
from api.security import Principal
from api.service import Service
from matcher.models import Proposal
from matcher.store import proposals_table

router = APIRouter(prefix="/v1", tags=["outcomes"])


@router.post("/outcomes", response_model=OutcomeOut, status_code=status.HTTP_201_CREATED)
def record_outcome(body: OutcomeRequest, who: CanWriteOutcomes, service: ServiceDep) -> OutcomeOut:
    """Store what became of a proposal (same id again: replaced). Unknown people or vacancies: 404."""
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
