"""Logs as JSON lines: the request log and uvicorn's own logs, in one format, without personal data.

Every request gives one line on the logger ``api.requests``: request id, the caller's pseudonymous
id (:func:`log_user_id`), method, route template (``/v1/candidates/{candidate_id}/vacancies``,
never the raw path: no ids, no query strings), status and duration. The lines are written by
:class:`api.metrics.RequestTelemetry`, which times the request for the metrics too. uvicorn's access
log is off by default (the request log replaces it); when it is switched on, its lines are JSON
too, without client address and query string. Nothing here logs a body, a name or a free text.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a worker imports this module for its log configuration: keep it light
    from api.security import Principal

REQUEST_LOGGER = "api.requests"
REQUEST_ID_HEADER = "x-request-id"
# A request id from the proxy (nginx's $request_id is 32 hex digits) is kept when it looks like one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def log_user_id(principal: Principal) -> str:
    """The pseudonymous id of a caller in logs: the staff id (never a name, never the token)."""
    return principal.user_id


@dataclass
class RequestFacts:
    """What the handlers tell the request log about their request (who called)."""

    user: str | None = None


# Holds the request's mutable facts: a sync dependency runs in a worker thread with a copy of the
# context, so it fills in the object the middleware set rather than setting the variable itself.
_CURRENT: ContextVar[RequestFacts | None] = ContextVar("request_facts", default=None)


def begin_request() -> RequestFacts:
    """Fresh facts for the request that runs in this context (called by the middleware)."""
    facts = RequestFacts()
    _CURRENT.set(facts)
    return facts


def note_principal(principal: Principal) -> None:
    """Record who is calling, for the request's log line (a no-op outside a request)."""
    facts = _CURRENT.get()
    if facts is not None:
        facts.user = log_user_id(principal)


def request_id(incoming: bytes | None) -> str:
    """The proxy's request id when it is a plain token, else a new one."""
    if incoming:
        text = incoming.decode("latin-1")
        if _REQUEST_ID.fullmatch(text):
            return text
    return uuid.uuid4().hex


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            out.update(fields)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class AccessJsonFormatter(JsonFormatter):
    """uvicorn's access records as JSON: method, path without the query string, status.

    uvicorn passes ``(client, method, full path, HTTP version, status)``; the client address and
    the query string (which may hold free text) are left out.
    """

    def format(self, record: logging.LogRecord) -> str:
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) == 5:
            _client, method, path, _version, status = args
            record.msg, record.args = "access", ()
            record.fields = {"method": method, "path": str(path).split("?", 1)[0], "status": status}
        return super().format(record)


def log_config(level: str = "info") -> dict[str, Any]:
    """The logging configuration for uvicorn (its ``log_config``) and the app: JSON lines on stdout.

    ``level`` applies to uvicorn's loggers and to the request log (as uvicorn's ``--log-level``
    does to its access log); other loggers report warnings and above.
    """
    level = level.upper()
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "api.logs.JsonFormatter"},
            "access": {"()": "api.logs.AccessJsonFormatter"},
        },
        "handlers": {"json": {**stream, "formatter": "json"}, "access": {**stream, "formatter": "access"}},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
            REQUEST_LOGGER: {"handlers": ["json"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["json"], "level": "WARNING"},
    }
