"""The FastAPI application: ``create_app(settings)``, its lifespan, and the serving entry points.

The lifespan loads store, reference data, encoder, both indexes and the @champion into
``app.state.service`` (see :mod:`api.service`); a missing model or index does not stop the app.
Bodies above ``settings.max_body_bytes`` are refused with 413 before anything parses them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, status
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import install_error_handlers
from api.routes import health, model, outcomes, records, shortlists
from api.service import Service
from matcher.settings import Settings


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


async def _reject(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status.HTTP_413_CONTENT_TOO_LARGE,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings) -> FastAPI:
    """The API over the store, indexes and model that ``settings`` point at."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service.start(settings)
        app.state.service = service
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="kl-matcher", version="1",
        description="Job matching for Jobcenter Kaiserslautern: shortlists with reasons. "
        "The engine recommends; people decide.",
        lifespan=lifespan,
    )  # fmt: skip
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    for module in (health, shortlists, records, outcomes, model):
        app.include_router(module.router)
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
    return create_app(Settings())


def run_server(host: str, port: int, workers: int = 1, log_level: str = "info", **uvicorn_options: Any) -> None:
    """Serve with uvicorn (blocks)."""
    import uvicorn

    uvicorn.run("api.app:serving_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, **uvicorn_options)  # fmt: skip
