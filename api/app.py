"""The FastAPI application: ``create_app(settings)``, its lifespan, and the serving entry points.

The lifespan loads store, reference data, encoder, both indexes and the @champion into
``app.state.service`` (see :mod:`api.service`); a missing model or index does not stop the app.
Bodies above ``settings.max_body_bytes`` are refused with 413 before anything parses them, and
``/v1`` calls without a valid bearer token with 401 before that (:class:`BearerAuth`). Home files
open to other users than the owner are logged as warnings at start-up.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import web
from api.deps import authenticate, bearer_token
from api.errors import install_error_handlers
from api.metrics import Metrics
from api.routes import batch, contacts, health, model, occupations, opportunities, outcomes, records, shortlists
from api.routes import metrics as metrics_route
from api.server import SERVING_APP, run_server, server_command
from api.service import Observers, Service
from api.settings import ServiceSettings
from api.telemetry import RequestTelemetry
from matcher.records.private import wide_modes

logger = logging.getLogger(__name__)


class BodyTooLargeError(HTTPException):
    """Raised while reading a body that grows past the limit (a chunked upload, say)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, f"request body larger than {limit} bytes")


class BodySizeLimit:
    """ASGI middleware: 413 for bodies above ``max_bytes``, by header or while streaming.

    An ``HTTPException`` subclass is raised from ``receive`` so that FastAPI's body parsing passes
    it on unchanged (other errors there become a generic 400).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _reject(send, BodyTooLargeError(self.max_bytes).detail)
            return
        received, started = 0, False

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except BodyTooLargeError as exc:
            if started:
                raise
            await _reject(send, exc.detail)


class BearerAuth:
    """ASGI middleware: 401 for ``/v1`` and ``/ready`` without a valid bearer token, before the body.

    FastAPI resolves a handler's dependencies and validates its body together, so with the token
    check only in :func:`api.deps.get_principal` an unauthenticated caller with a malformed body
    got 422 and its validation errors: a stranger learnt the schema, and the body was parsed for
    nobody. Here the token is checked against the service's token file first; the answer is the
    same as the dependency's (``{"detail": ...}`` and ``WWW-Authenticate``). The dependency stays
    for the role checks. ``/health``, ``/docs`` and ``/openapi.json`` stay open.
    """

    PROTECTED = ("/v1", "/ready", "/metrics")

    def __init__(self, app: ASGIApp, service: Callable[[], Service | None]) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _protected(_route_path(scope), self.PROTECTED):
            await self.app(scope, receive, send)
            return
        service = self.service()
        if service is None:  # no token store to check against: never let the request through
            response = JSONResponse({"detail": "the service is starting"}, status.HTTP_503_SERVICE_UNAVAILABLE)
            await response(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope).get("authorization"))
        try:
            if token is not None and service.may_fetch_keys(token):
                # The provider's keys may have to be fetched (first use, rotation): not on the loop.
                await run_in_threadpool(authenticate, service, token)
            else:
                authenticate(service, token)
        except HTTPException as exc:
            response = JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class NoStore:
    """ASGI middleware: ``Cache-Control: no-store`` on every answer under ``/v1`` and ``/ready``.

    Those answers hold personal data (records, shortlists, cards, audit-relevant ids), or depend on
    the caller's token; no browser, proxy or disk cache may keep them. The web app's pages get the
    same header from :class:`api.web.core.SecurityHeaders`.
    """

    PATHS = ("/v1", "/ready")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _protected(_route_path(scope), self.PATHS):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", b"no-store")]}
            await send(message)

        await self.app(scope, receive, no_store)


def _route_path(scope: Scope) -> str:
    """The path the router matches (without the ``root_path`` a proxy mounts the app under)."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def _protected(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


async def _reject(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status.HTTP_413_CONTENT_TOO_LARGE,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _lifespan(settings: ServiceSettings, metrics: Metrics | None) -> Callable[[FastAPI], Any]:
    """Start the service (and the web app's part of it) when the app starts; close it at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for warning in wide_modes(settings.private_paths()):
            logger.warning(warning)
        service = Service.start(settings, metrics.observers() if metrics else Observers())
        app.state.service = service
        app.state.web = web.start(service)
        if metrics is not None:
            metrics.note_position(service)  # an idle worker counts in the change-log lag too
        try:
            yield
        finally:
            service.close()
            if metrics is not None:
                metrics.close()

    return lifespan


def create_app(settings: ServiceSettings) -> FastAPI:
    """The API over the store, indexes and model that ``settings`` point at."""
    metrics = Metrics() if settings.metrics else None
    app = FastAPI(
        title="kl-matcher",
        version="1",
        description="Job matching for Jobcenter Kaiserslautern: shortlists with reasons. "
        "The engine recommends; people decide.",
        lifespan=_lifespan(settings, metrics),
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoStore)
    # Added late, so it runs early: a caller without a valid token gets 401, whatever the body.
    app.add_middleware(BearerAuth, service=lambda: getattr(app.state, "service", None))
    # Outermost: times and logs every answer, the 401s and 413s above included.
    app.add_middleware(
        RequestTelemetry, router=app.router, metrics=metrics, service=lambda: getattr(app.state, "service", None)
    )
    app.state.metrics = metrics
    install_error_handlers(app)
    web.install(app)  # the pages under /app/ (after the API's error handlers, which it keeps for /v1)
    for module in (health, shortlists, records, outcomes, model, contacts, opportunities, batch, occupations):
        app.include_router(module.router)
    if metrics is not None:
        app.include_router(metrics_route.router)
    return app


def serving_app() -> FastAPI:
    """The app for ``matcher serve``: settings from the environment, one FAISS thread.

    uvicorn calls this in every worker process (``factory=True``). A single query on an exact
    index is memory-bound: with OpenMP on both cores it waits on thread hand-offs, and with one
    thread per worker single queries measured 5x faster on two cores, while concurrent requests
    use the cores instead.
    """
    import faiss

    faiss.omp_set_num_threads(1)
    return create_app(ServiceSettings())


__all__ = ["SERVING_APP", "create_app", "run_server", "server_command", "serving_app"]
