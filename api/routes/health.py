"""Liveness (no token) and readiness (any valid token): is the process up, can it rank?"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import CurrentPrincipal, ServiceDep
from api.schemas import ReadyResponse
from api.service import index_version
from api.views import index_out, model_out

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process answers (no authentication: for load balancers and supervisors)."""
    return {"status": "ok"}


@router.get("/ready", response_model=ReadyResponse)
def ready(who: CurrentPrincipal, service: ServiceDep, response: Response) -> ReadyResponse:
    """Whether model and indexes are loaded, and which versions (503 while not)."""
    engine, model = service.engine, service.model
    indexes = None
    if engine is not None:
        indexes = {"vacancies": index_out(index_version(engine.vacancy_index)),
                   "candidates": index_out(index_version(engine.candidate_index))}  # fmt: skip
    if not service.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadyResponse(ready=service.ready, model=model_out(model) if model else None, indexes=indexes,
                         problems=dict(service.problems))  # fmt: skip
