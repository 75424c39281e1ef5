"""Outcomes of proposals: recorded by caseworkers, read by the data team for the next training."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import func, select

from api.actions import save_outcome
from api.deps import CanReadOutcomes, CanWriteOutcomes, ServiceDep
from api.endpoint import Endpoint
from api.paging import Limit, Offset
from api.schemas import OutcomeOut, OutcomeRequest, Page
from matcher.records.store import proposals_table

router = APIRouter(prefix="/v1", tags=["outcomes"])


@router.post("/outcomes", response_model=OutcomeOut, status_code=status.HTTP_201_CREATED)
def record_outcome(body: OutcomeRequest, who: CanWriteOutcomes, service: ServiceDep, endpoint: Endpoint) -> OutcomeOut:
    """Store what became of a proposal (same id again: replaced). Unknown people or vacancies: 404;
    a date in the future or before the vacancy's posting: 422; an entry that contradicts the pair's
    recorded outcomes (:mod:`matcher.services.outcome_checks`): 409, each with a German message."""
    return OutcomeOut(**save_outcome(service, who, body, endpoint).model_dump(), recorded_by=who.user_id)


@router.get("/outcomes", response_model=Page)
def list_outcomes(
    who: CanReadOutcomes, service: ServiceDep, endpoint: Endpoint, limit: Limit = 100, offset: Offset = 0
) -> Page:
    """Recorded proposals and outcomes, paged by id (data team)."""
    table = proposals_table
    with service.store.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        rows = conn.execute(select(table).order_by(table.c.id).limit(limit).offset(offset)).mappings().all()
    items = [OutcomeOut(**row).model_dump(mode="json") for row in rows]
    people = list(dict.fromkeys(row["candidate_id"] for row in rows))
    service.audit(who, endpoint, f"page:offset={offset}:limit={limit}", [(c, None) for c in people], kind="read")
    return Page(total=total, limit=limit, offset=offset, items=items)
