"""The web app in a real browser: Debian's Chromium driven by Playwright, against a real
``uvicorn --workers 2`` over a private copy of the API tests' world.

Chromium is launched from its system path (``executable_path``); Playwright's own browser download
cannot work offline. Without chromium the browser tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.security import Role
from tests.api.conftest import World, copy_world
from tests.api.servers import Server, start_server

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"  # axe-core 4.14.1, MPL-2.0 (vendor/)
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the closed network refuses Chromium's own connections
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs it (tests/ensure_chromium.sh)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def web_world(api_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    """A private copy of the world: the browser tests write requests, outcomes and feedback."""
    return copy_world(api_world, tmp_path_factory.mktemp("web") / "home")


@pytest.fixture(scope="session")
def web_server(web_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two workers: a session started on one worker must hold on the other (sessions in the store)."""
    server = start_server(web_world.settings, tmp_path_factory.mktemp("web-log") / "server.log", workers=2)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Browsing:
    """Opens signed-in pages for a role in fresh browser contexts."""

    browser: Any
    server: Server
    world: World

    def context(self, **options: Any) -> Any:
        return self.browser.new_context(base_url=self.server.url, locale="de-DE", **options)

    def signed_in(self, role: Role, **options: Any) -> Any:
        """A page of a new context, signed in through the form as ``role``."""
        page = self.context(**options).new_page()
        sign_in(page, self.world.tokens[role])
        return page


def sign_in(page: Any, token: str, target: str = "/app/") -> None:
    page.goto(target)
    page.get_by_label("Zugangsschlüssel (Token)").fill(token)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()


@pytest.fixture(scope="session")
def browsing(browser: Any, web_server: Server, web_world: World) -> Browsing:
    return Browsing(browser, web_server, web_world)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def signed_in_client(app: object, world: World, role: Role) -> TestClient:
    """A client of its own (its own cookie jar) signed in with the role's token."""
    browser = TestClient(app)  # type: ignore[arg-type]
    answer = browser.post(
        "/app/login",
        data={"csrf_token": form_token(browser.get("/app/login").text), "token": world.tokens[role], "next": "/app/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return browser


@pytest.fixture(scope="module")
def signed_in(client: TestClient, api_world: World) -> Iterator[dict[Role, TestClient]]:
    """One signed-in client per role, for a module's in-process page tests."""
    clients = {role: signed_in_client(client.app, api_world, role) for role in Role}
    yield clients
    for c in clients.values():
        c.close()


@contextmanager
def http_sign_in(server: Server, token: str) -> Iterator[httpx.Client]:
    """An httpx client with a live session (through the sign-in form, like a browser)."""
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as client:
        page = client.get("/app/login")
        data = {"csrf_token": form_token(page.text), "token": token, "next": "/app/"}
        response = client.post("/app/login", data=data)
        assert response.status_code == 303, response.text
        yield client
