"""The endpoint names written into the audit log, read from the matched route instead of typed by hand.

A label is the request's method and the route's path, e.g. ``POST /v1/candidates/{id}/vacancies``.
Auditors read these labels and compare them over the years, so their spelling is the one the log
has always had: the route's first path parameter is written ``{id}`` (whatever the handler calls
it), and a vacancy id after it ``{vid}``; other parameters keep their names (``{pseudonym}``).
``tests/api/test_endpoint_labels.py`` checks every audited route's label against this rule and
against the labels the log held before they were derived.

Use it as ``endpoint: Endpoint`` in a handler and pass ``endpoint`` to ``Service.audit``.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from api.metrics import leaf_routes

_PARAMETER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_LATER_NAMES = {"vacancy_id": "vid"}  # a parameter after the first one, as the log has spelled it


def audit_path(path: str) -> str:
    """A route's path as the audit log spells it (see the module docstring)."""
    seen = 0

    def name(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return "{id}" if seen == 1 else "{" + _LATER_NAMES.get(match.group(1), match.group(1)) + "}"

    return _PARAMETER.sub(name, path)


def endpoint_label(request: Request) -> str:
    """The audit label of the route that matched ``request``: method and path."""
    return f"{request.method} {audit_path(request.scope['route'].path)}"


Endpoint = Annotated[str, Depends(endpoint_label)]


def label_of(request: Request, name: str) -> str:
    """The audit label of the app's route called ``name``: for a page that shows another route's
    page (a card form's error is shown on the person's page, and audited as that page)."""
    for route in leaf_routes(request.app.router.routes):
        if isinstance(route, APIRoute) and route.name == name:
            (method,) = (route.methods or set()) - {"HEAD"}
            return f"{method} {audit_path(route.path)}"
    raise LookupError(f"no route called {name}")
