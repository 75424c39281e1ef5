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
    # the employer service sees people only as cards of a vacancy, under a pseudonym
    Call("GET", "/v1/candidates", frozenset({CW, AD})),
    Call("GET", "/v1/candidates/{c}", frozenset({CW, AD})),
    Call("GET", "/v1/vacancies/{v}/candidates/P-AAAAAAAAAA", frozenset({ES, AD})),
    Call("GET", "/v1/vacancies", frozenset({CW, ES, AD})),
    Call("GET", "/v1/vacancies/{v}", frozenset({CW, ES, AD})),
    Call("PUT", "/v1/candidates/new-1", frozenset({AD}), {"id": "new-1"}),
    Call("DELETE", "/v1/candidates/no-such-person", frozenset({AD})),
    Call("PUT", "/v1/vacancies/new-1", frozenset({AD}), {"id": "new-1"}),
    Call("DELETE", "/v1/vacancies/no-such-vacancy", frozenset({AD})),
    Call(
        "POST",
        "/v1/outcomes",
        frozenset({CW, AD}),
        {"candidate_id": "nobody", "vacancy_id": "{v}", "proposed_at": "2026-01-05", "outcome": "applied"},
    ),
    Call("GET", "/v1/outcomes", frozenset({DT, AD})),
    Call("POST", "/v1/vacancies/{v}/contact-requests", frozenset({ES, AD}), {"candidate": "P-AAAAAAAAAA"}),
    Call("GET", "/v1/contact-requests", frozenset({CW, ES, AD})),
    Call("GET", "/v1/contact-requests/kr-none", frozenset({CW, ES, AD})),
    Call("POST", "/v1/contact-requests/kr-none/accept", frozenset({CW, AD})),
    Call("POST", "/v1/contact-requests/kr-none/decline", frozenset({CW, AD}), {"reason": "sonstiges"}),
    Call("POST", "/v1/contact-requests/kr-none/withdraw", frozenset({ES, AD})),
    Call("POST", "/v1/feedback", frozenset({CW, AD}), {"candidate_id": "x", "vacancy_id": "y", "reason": "wunsch"}),
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


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer "}],
    ids=["none", "unknown", "basic", "empty"],
)
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_without_valid_token_401(client: TestClient, ids: Ids, call: Call, headers: dict[str, str]) -> None:
    response = call.send(client, ids, headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"


# --- 401 before the body (api.app.BearerAuth) ------------------------------------------------------
MALFORMED = b'{"pairs": [{"candidate_id": '  # cut off: not JSON


def _post_malformed(client: TestClient, headers: dict[str, str]) -> Any:
    return client.post("/v1/score", content=MALFORMED, headers={"Content-Type": "application/json", **headers})


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}],
    ids=["none", "unknown", "basic"],
)
def test_malformed_body_without_valid_token_is_401_not_422(client: TestClient, headers: dict[str, str]) -> None:
    response = _post_malformed(client, headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}  # nothing about the body's schema


def test_malformed_body_with_valid_token_is_422(client: TestClient, api_world: World) -> None:
    response = _post_malformed(client, api_world.auth(CW))
    assert response.status_code == 422, response.text


def test_401_is_the_same_as_the_dependency_answers(client: TestClient, api_world: World) -> None:
    """The middleware's answer and the handler dependency's are one answer (detail and header)."""
    from api.deps import authenticate, bearer_token

    service = client.app.state.service  # type: ignore[attr-defined]
    for header, sent in ((None, {}), ("Bearer not-a-token", {"Authorization": "Bearer not-a-token"})):
        with pytest.raises(Exception) as caught:
            authenticate(service, bearer_token(header))
        response = client.get("/v1/vacancies", headers=sent)
        assert response.json() == {"detail": caught.value.detail}  # type: ignore[attr-defined]
        assert response.headers["www-authenticate"] == caught.value.headers["WWW-Authenticate"]  # type: ignore[attr-defined]


def test_body_is_not_read_without_a_token(client: TestClient) -> None:
    """At the ASGI level: the app answers 401 without ever calling ``receive``."""
    import anyio

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read for an unauthenticated request")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/score",
        "raw_path": b"/v1/score",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"5000000")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    anyio.run(client.app, scope, receive, send)  # type: ignore[arg-type]
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 401


@pytest.mark.parametrize("path", ["/health", "/openapi.json"])
def test_open_paths_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
