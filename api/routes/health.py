"""Liveness (no token) and readiness (any valid token): is the process up, can it rank?"""

from __future__ import annotations

import os

from fastapi import APIRouter, Response, status

from api.deps import CurrentPrincipal, ServiceDep
from api.errors import hide_paths
from api.schemas import ReadyResponse
from api.security import Role
from api.views import index_out, model_out

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str | int]:
    """The process answers (no authentication: for load balancers and supervisors).

    ``worker`` is the answering process's id: with several workers, a supervisor (or a test) can
    see that each one is up.
    """
    return {"status": "ok", "worker": os.getpid()}


@router.get("/ready", response_model=ReadyResponse)
def ready(who: CurrentPrincipal, service: ServiceDep, response: Response) -> ReadyResponse:
    """Whether model and indexes are loaded, and which versions (503 while not).

    The problems name server paths for administrators only; other roles see the file names.
    """
    if service.engine is not None:
        service.engine.sync()
    engine, model = service.engine, service.model
    indexes = None
    if engine is not None:
        indexes = {name: index_out(version) for name, version in engine.versions().items()}
    if not service.ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    problems = service.all_problems()
    if who.role != Role.ADMIN:
        problems = {name: hide_paths(text) for name, text in problems.items()}
    return ReadyResponse(
        ready=service.ready, model=model_out(model) if model else None, indexes=indexes, problems=problems
    )
