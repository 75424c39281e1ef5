"""The serving model: what the registry says about it, and switching to the current @champion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CanManageModel, ServiceDep
from api.endpoint import Endpoint
from api.errors import NotReadyError, ReloadFailedError, hide_paths
from api.schemas import ReloadResponse
from api.security import Role
from api.views import model_out
from matcher.errors import ModelNotFoundError
from matcher.ranking.model_registry import CHAMPION, describe_registered

router = APIRouter(prefix="/v1", tags=["model"])


@router.get("/model")
def describe_model(who: CanManageModel, service: ServiceDep) -> dict[str, Any]:
    """The model that serves, and the registry's @champion with its metrics (data team)."""
    serving, s = service.model, service.settings
    try:
        registry: dict[str, Any] | None = describe_registered(s.tracking_uri, s.artifact_dir, s.model_name, CHAMPION)
        problem = None
    except ModelNotFoundError as exc:
        if serving is None:
            raise NotReadyError(f"no model serves and the registry has none: {exc}") from exc
        registry, problem = None, str(exc)
    stale = serving is not None and registry is not None and registry["version"] != serving.version
    return {
        "serving": serving.to_json() if serving else None,
        "champion": registry,
        "reload_needed": stale or (serving is None and registry is not None),
        "registry_problem": problem,
    }


@router.post("/model/reload", response_model=ReloadResponse)
def reload_model(who: CanManageModel, service: ServiceDep, endpoint: Endpoint) -> ReloadResponse:
    """Switch to the registry's current @champion; the old model serves until the new one is loaded.

    A failed reload changes nothing: 409 while an older model keeps serving, 503 when none does.
    Its message names server paths for administrators only.
    """
    try:
        before, now = service.reload_model()
    except ReloadFailedError as exc:
        if who.role == Role.ADMIN:
            raise
        raise ReloadFailedError(hide_paths(str(exc)), exc.serving) from exc
    # Who switched the serving model: a change to what every later shortlist is ranked by.
    service.audit(who, endpoint, now.version, [], now.version, kind="model")
    return ReloadResponse(
        changed=before is None or before.version != now.version,
        previous=model_out(before) if before else None,
        current=model_out(now),
    )
