"""The request's log line and metrics, from one ASGI middleware that times each request once.

Pure ASGI (no ``BaseHTTPMiddleware``, which costs a task and a stream per request): it notes the
start, passes the request on with a ``X-Request-ID`` added to the answer, and at the end counts it
(:class:`api.metrics.Metrics`, when metrics are on) and writes its JSON line (:mod:`api.logs`,
when the request log's level lets it through).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import REQUEST_ID_HEADER, REQUEST_LOGGER, RequestFacts, begin_request, request_id
from api.metrics import Metrics, leaf_routes, route_template
from api.service import Service

logger = logging.getLogger(REQUEST_LOGGER)


class RequestTelemetry:
    """ASGI middleware: metrics and one JSON log line per HTTP request."""

    def __init__(
        self, app: ASGIApp, router: Router, metrics: Metrics | None, service: Callable[[], Service | None]
    ) -> None:
        self.app, self.router, self.metrics, self.service = app, router, metrics, service
        self._leaves: list[BaseRoute] | None = None  # for requests answered before routing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        facts = begin_request()
        rid = request_id(_header(scope, REQUEST_ID_HEADER.encode()))
        status = 500  # what the client gets when the app raises before answering

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            self._record(scope, facts, rid, status, time.perf_counter() - start)

    def _record(self, scope: Scope, facts: RequestFacts, rid: str, status: int, seconds: float) -> None:
        if self._leaves is None:
            self._leaves = leaf_routes(self.router.routes)  # the routes are all added by now
        route = route_template(scope, self._leaves)
        method = str(scope.get("method", ""))
        if self.metrics is not None:
            self.metrics.observe_request(method, route, status, seconds)
            self.metrics.note_position(self.service())
        if logger.isEnabledFor(logging.INFO):
            fields = {
                "request_id": rid,
                "user": facts.user,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            logger.info("request", extra={"fields": fields})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None
