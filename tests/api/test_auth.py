"""Every endpoint but /health needs a bearer token (401), and a role allowed to call it (403)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from tests.api.conftest import Ids, World

CW, ES, DT, AD = Role.CASEWORKER, Role.EMPLOYER_SERVICE, Role.DATA_TEAM, Role.ADMIN


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    allowed: frozenset[Role]
    body: Any = None

    def send(self, client: TestClient, ids: Ids, headers: dict[str, str]) -> Any:
        path = self.path.format(c=ids.candidate, v=ids.vacancy)
        return client.request(self.method, path, json=self.body, headers=headers)


# Calls allowed to an admin do not change the session's world: unknown ids or invalid bodies.
CALLS = [
    Call("GET", "/ready", frozenset(Role)),
    Call("POST", "/v1/candidates/{c}/vacancies", frozenset({CW, AD}), {"k": 3}),
    Call("POST", "/v1/vacancies/{v}/candidates", frozenset({ES, AD}), {"k": 3}),
    Call("POST", "/v1/match/vacancies", frozenset({CW, AD}), {"profile": {}}),
    Call("POST", "/v1/score", frozenset({CW, ES, AD}), {"pairs": [{"candidate_id": "x", "vacancy_id": "y"}]}),
    Call("GET", "/v1/candidates", frozenset({CW, ES, AD})),
    Call("GET", "/v1/candidates/{c}", frozenset({CW, ES, AD})),
    Call("GET", "/v1/vacancies", frozenset({CW, ES, AD})),
    Call("GET", "/v1/vacancies/{v}", frozenset({CW, ES, AD})),
    Call("PUT", "/v1/candidates/new-1", frozenset({AD}), {"id": "new-1"}),
    Call("DELETE", "/v1/candidates/no-such-person", frozenset({AD})),
    Call("PUT", "/v1/vacancies/new-1", frozenset({AD}), {"id": "new-1"}),
    Call("DELETE", "/v1/vacancies/no-such-vacancy", frozenset({AD})),
    Call("POST", "/v1/outcomes", frozenset({CW, AD}),
         {"candidate_id": "nobody", "vacancy_id": "{v}", "proposed_at": "2026-01-05", "outcome": "applied"}),
    Call("GET", "/v1/outcomes", frozenset({DT, AD})),
    Call("GET", "/v1/model", frozenset({DT, AD})),
    Call("POST", "/v1/model/reload", frozenset({DT, AD})),
]
CALL_IDS = [f"{c.method} {c.path}" for c in CALLS]


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_role_matrix(client: TestClient, api_world: World, ids: Ids, call: Call, role: Role) -> None:
    response = call.send(client, ids, api_world.auth(role))
    if role in call.allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == 403, response.text
        assert role.value in response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"},
                                     {"Authorization": "Bearer "}], ids=["none", "unknown", "basic", "empty"])
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_without_valid_token_401(client: TestClient, ids: Ids, call: Call, headers: dict[str, str]) -> None:
    response = call.send(client, ids, headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
