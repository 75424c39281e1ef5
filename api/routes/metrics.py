"""``GET /metrics``: Prometheus text format, for the admin role's bearer token (401/403 otherwise)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import CanReadMetrics, ServiceDep
from api.metrics import Metrics

router = APIRouter(tags=["operations"])


# Out of the OpenAPI document: it is for the monitoring system, not for API clients.
@router.get("/metrics", include_in_schema=False)
def metrics(who: CanReadMetrics, service: ServiceDep, request: Request) -> Response:
    """Every worker's request, stage and audit metrics, and the state this worker sees."""
    collected: Metrics = request.app.state.metrics
    web = getattr(request.app.state, "web", None)
    sessions = web.sessions.live_count if web is not None else None
    return Response(collected.exposition(service, sessions), media_type=CONTENT_TYPE_LATEST)
