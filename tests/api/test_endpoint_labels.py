"""The audit log's endpoint labels come from the matched route (:mod:`api.endpoint`), spelled as
auditors have always read them: every audited route's label is its method and path with the
first parameter as ``{id}``, and the labels equal the ones that were typed by hand before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.requests import Request

from api import actions
from api.app import create_app
from api.endpoint import audit_path, endpoint_label, label_of
from api.metrics import leaf_routes
from api.settings import ServiceSettings

# The labels of the routes that take the Endpoint dependency, as the log held them when they were
# typed by hand (api/routes/shortlists.py and batch.py still type theirs).
TODAY = {
    "GET /v1/candidates",
    "GET /v1/candidates/{id}",
    "GET /v1/vacancies/{id}/candidates/{pseudonym}",
    "PUT /v1/candidates/{id}",
    "PUT /v1/vacancies/{id}",
    "DELETE /v1/candidates/{id}",
    "DELETE /v1/vacancies/{id}",
    "POST /v1/model/reload",
    "POST /v1/candidates/{id}/opportunities",
    "POST /v1/vacancies/{id}/contact-requests",
    "POST /v1/contact-requests/{id}/accept",
    "POST /v1/contact-requests/{id}/decline",
    "POST /v1/contact-requests/{id}/withdraw",
    "POST /v1/feedback",
    "GET /v1/contact-requests",
    "GET /v1/contact-requests/{id}",
    "POST /v1/outcomes",
    "GET /v1/outcomes",
    "GET /app/candidates",
    "GET /app/candidates/{id}",
    "GET /app/candidates/{id}/print",
    "GET /app/candidates/{id}/compare",
    "GET /app/candidates/{id}/stellen/{vid}",
    "GET /app/candidates/{id}/opportunities",
    "GET /app/inbox",
    "GET /app/vacancies/{id}",
    "GET /app/requests",
    "GET /app/new-matches/{id}",
    "POST /app/models/release",
    "POST /app/models/rollback",
    "POST /app/vacancy-draft",
}


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, APIRoute]:
    """Every route of the app that takes the Endpoint dependency, by its label."""
    app = create_app(ServiceSettings(home=tmp_path_factory.mktemp("home")))  # not started: routes only
    found: dict[str, APIRoute] = {}
    for route in leaf_routes(app.router.routes):
        if isinstance(route, APIRoute) and _uses(route.dependant, endpoint_label):
            (method,) = route.methods
            found[f"{method} {audit_path(route.path)}"] = route
    return found


def test_every_audited_route_is_labelled_by_its_method_and_path(audited: dict[str, APIRoute]) -> None:
    """Today's labels, each one now derived from its route (and no audited route without one)."""
    assert set(audited) == TODAY


def test_the_label_is_read_from_the_matched_route() -> None:
    app = FastAPI()
    seen: list[str] = []

    @app.post("/app/candidates/{candidate_id}/stellen/{vacancy_id}")
    def page(candidate_id: str, vacancy_id: str, request: Request) -> dict[str, str]:
        seen.append(endpoint_label(request))
        seen.append(label_of(request, "other"))
        return {}

    @app.get("/v1/vacancies/{vacancy_id}/candidates/{pseudonym}")
    def other() -> None: ...

    assert TestClient(app).post("/app/candidates/a1/stellen/v2").status_code == 200
    assert seen == ["POST /app/candidates/{id}/stellen/{vid}", "GET /v1/vacancies/{id}/candidates/{pseudonym}"]


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/v1/candidates", "/v1/candidates"),
        ("/v1/contact-requests/{request_id}/accept", "/v1/contact-requests/{id}/accept"),
        ("/v1/vacancies/{vacancy_id}/candidates/{pseudonym}", "/v1/vacancies/{id}/candidates/{pseudonym}"),
        ("/app/candidates/{candidate_id}/stellen/{vacancy_id}", "/app/candidates/{id}/stellen/{vid}"),
        ("/app/models/runs/{run_id:path}", "/app/models/runs/{id}"),
    ],
)
def test_audit_path(path: str, label: str) -> None:
    assert audit_path(path) == label


def test_the_labels_of_use_cases_pages_share_are_the_api_routes(audited: dict[str, APIRoute]) -> None:
    """A page that runs an API use case (a contact request, an outcome) writes that route's label."""
    shared = {
        actions.REQUEST_CONTACT,
        actions.ACCEPT_CONTACT,
        actions.DECLINE_CONTACT,
        actions.WITHDRAW_CONTACT,
        actions.GIVE_FEEDBACK,
        actions.SAVE_OUTCOME,
    }
    assert shared <= set(audited)
    assert all(label.split(" ", 1)[1].startswith("/v1/") for label in shared)
