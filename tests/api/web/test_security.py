"""The web app's security, over HTTP against the two real workers: headers, CSRF, cookies,
sessions across workers, redirects after sign-in, and no stack trace on any page."""

from __future__ import annotations

import re

import pytest

from api.security import Role
from api.web.core import CSP, safe_target
from matcher.records.store import Store
from tests.api.conftest import World
from tests.api.servers import Server
from tests.api.web.conftest import form_token, http_sign_in

pytestmark = pytest.mark.slow


def _vacancy(world: World) -> str:
    store = Store(world.settings.store_url)
    try:
        return store.vacancies(1, 0, "open")[0].id
    finally:
        store.close()


def test_the_assets_a_page_links_are_served(web_server: Server, web_world: World) -> None:
    """Stylesheet and scripts are linked by the static mount's name (url_for) and served there."""
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        page = client.get("/app/").text
        assets = re.findall(r'(?:href|src)="(/app/static/[^"]+)"', page)
        assert sorted(assets) == ["/app/static/app.css", "/app/static/app.js", "/app/static/vendor/htmx-2.0.11.min.js"]
        for url in assets:
            answer = client.get(url)
            assert answer.status_code == 200 and answer.content, url
            assert answer.headers["cache-control"] == "public, max-age=3600", url


def test_pages_carry_the_security_headers(web_server: Server, web_world: World) -> None:
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        for path in ("/app/", "/app/candidates", "/app/login", "/app/static/app.css"):
            response = client.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert csp == CSP
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        assert client.get("/app/").headers["cache-control"] == "no-store"  # pages hold social data
        page = client.get("/app/candidates").text
        assert "<script>" not in page and " style=" not in page and "onclick" not in page  # nothing inline


def test_the_session_cookie_is_httponly_samesite_strict_and_holds_no_identity(
    web_server: Server, web_world: World
) -> None:
    import httpx

    with httpx.Client(base_url=web_server.url, timeout=60) as client:
        page = client.get("/app/login")
        response = client.post(
            "/app/login", data={"csrf_token": form_token(page.text), "token": web_world.tokens[Role.CASEWORKER]}
        )
        assert response.status_code == 303
        cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("kl_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/app" in cookie
        value = cookie.split(";")[0].split("=", 1)[1]
        assert web_world.tokens[Role.CASEWORKER] not in value and "caseworker" not in value


def test_a_post_without_the_csrf_token_is_refused(web_server: Server, web_world: World) -> None:
    vacancy = _vacancy(web_world)
    with http_sign_in(web_server, web_world.tokens[Role.EMPLOYER_SERVICE]) as client:
        good = form_token(client.get(f"/app/vacancies/{vacancy}").text)
        for data in ({"candidate": "P-AAAAAAAAAA"}, {"candidate": "P-AAAAAAAAAA", "csrf_token": "forged"}):
            response = client.post(f"/app/vacancies/{vacancy}/contact", data=data)
            assert response.status_code == 403, data
            assert "Sicherheitsprüfung fehlgeschlagen" in response.text
        # with the token the same post goes through (to the notice: no such card)
        response = client.post(
            f"/app/vacancies/{vacancy}/contact", data={"candidate": "P-AAAAAAAAAA", "csrf_token": good}
        )
        assert response.status_code == 303
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        assert client.post("/app/logout", data={}).status_code == 403  # sign-out is a change too
        # the sign-in form has its own token, bound to its cookie
    import httpx

    with httpx.Client(base_url=web_server.url, timeout=60) as client:
        response = client.post("/app/login", data={"token": web_world.tokens[Role.CASEWORKER]})
        assert response.status_code == 403 and "kl_session" not in response.headers.get("set-cookie", "")


def test_a_session_holds_on_both_workers(web_server: Server, web_world: World) -> None:
    """The session is a row in the store, not memory of one worker: 20 fresh connections, all signed in."""
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        cookie = client.cookies["kl_session"]
    seen = set()
    import httpx

    for _ in range(20):
        with httpx.Client(base_url=web_server.url, timeout=60, cookies={"kl_session": cookie}) as fresh:
            response = fresh.get("/app/", headers={"Connection": "close"})
            assert response.status_code == 200 and "Angemeldet als Integrationsfachkraft" in response.text
            seen.add(fresh.get("/health", headers={"Connection": "close"}).json()["worker"])
    assert len(seen) == 2, "both workers should have answered"


def test_roles_see_exactly_what_the_api_lets_them(web_server: Server, web_world: World) -> None:
    vacancy = _vacancy(web_world)
    forbidden = {
        Role.CASEWORKER: ["/app/vacancies", f"/app/vacancies/{vacancy}", "/app/requests", "/app/models"],
        Role.EMPLOYER_SERVICE: ["/app/candidates", "/app/match", "/app/inbox", "/app/models"],
        Role.DATA_TEAM: ["/app/candidates", "/app/vacancies", "/app/inbox", "/app/requests"],
    }
    for role, paths in forbidden.items():
        with http_sign_in(web_server, web_world.tokens[role]) as client:
            for path in paths:
                response = client.get(path)
                assert response.status_code == 403, (role, path)
                assert "Kein Zugriff" in response.text


def test_errors_are_friendly_pages_without_a_trace(web_server: Server, web_world: World) -> None:
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        for path, status in (
            ("/app/candidates/NOBODY-1", 404),
            ("/app/no-such-page", 404),
            ("/app/candidates/NOBODY-1/compare?v=a&v=b", 404),
            ("/app/candidates?occupation=abc", 200),
        ):
            response = client.get(path)
            assert response.status_code == status, path
            assert 'lang="de"' in response.text and "Traceback" not in response.text and "Error" not in response.text
    # the API still answers JSON for its own 404s
    import httpx

    response = httpx.get(
        f"{web_server.url}/v1/candidates/NOBODY-1",
        headers={"Authorization": f"Bearer {web_world.tokens[Role.CASEWORKER]}"},
    )
    assert response.status_code == 404 and response.json()["detail"].startswith("unknown candidate")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/app/candidates?q=1", "/app/candidates?q=1"),
        ("https://evil.example/app/", "/app/"),
        ("//evil.example/app/", "/app/"),
        ("/app//evil.example", "/app/"),
        ("/v1/candidates", "/app/"),
        ("/app/\\evil", "/app/"),
        ("", "/app/"),
    ],
)
def test_sign_in_only_returns_to_pages_of_the_app(target: str, expected: str) -> None:
    assert safe_target(target) == expected
