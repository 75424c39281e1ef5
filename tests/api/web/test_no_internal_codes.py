"""Every page of every role in plain German: no ESCO UUID, no ``kind:value`` code, no English
metric or group name, no raw float with a decimal point in the text a person sees.

The pages are listed from the app's router (every GET route under ``/app``), so a new page is
covered automatically; a new path parameter needs a sample below (the test says which). Each
demo role opens every page it may open (403 and 404 pages are skipped: the role has no access),
plus the pages that need a query (compare, occupation search, a model version, the release
confirmation) and the profile form with errors. Only the visible text is checked: tags,
attributes (URLs, ids, values), scripts and styles are dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import Route

from api.metrics import leaf_routes
from api.security import Role
from matcher.records.store import Store
from tests.api.conftest import Ids, World

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
CODE = re.compile(r"\b[a-z_]+:[a-z0-9]")  # commute:15km, skill:<uuid>, working_time:either, permit:…
# A decimal point: 3.83, 0.457. Not a German date (07.12.2026) and not a thousands separator
# (2.897, 12.000: 1-3 leading digits, not 0, then groups of exactly three).
# Names of standards with their version: BITV 2.0, WCAG 2.1 (the accessibility statement).
STANDARD = re.compile(r"\b(BITV|WCAG|EN 301 549 V?)\s*\d+(\.\d+)+(/\d+(\.\d+)+)*")
DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.(\d{4}|\d{2})?")
THOUSANDS = re.compile(r"\b[1-9]\d{0,2}(\.\d{3})+(?![\d.])")
FLOAT = re.compile(r"\b\d+\.\d+\b")
# English words of the engine's internals (case-sensitive: "NDCG@10" is the metric's name in German texts too).
ENGLISH = re.compile(
    r"\b(native|no champion|champion|challenger|ndcg\w*|exposure_ratio\w*|eligible|people|third_country|"
    r"spearman_utility|recall@\d+|hire_rate\w*|german|full_time|part_time|either)\b"
)

# Known leaks a page may keep for now: (page path, token), both regular expressions matched in full.
# Empty since the four parts of issue 25 were merged; an entry needs a reason and an issue.
FIXED_BY_OTHER_PARTS: list[tuple[str, str]] = []

# Sample values of path parameters (the route's parameter name -> an id of the test world).
SAMPLES = {"candidate_id": "candidate", "vacancy_id": "vacancy"}
# Routes that answer no HTML page.
NOT_PAGES = {"/app/models/runs/{run_id}/{name}", "/app/login/oidc", "/app/login/callback", "/app/logout"}


class _Text(HTMLParser):
    """The visible text of a page: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def leaks(text: str) -> list[str]:
    """The internal tokens in a page's visible text."""
    found = UUID.findall(text) + CODE.findall(UUID.sub("", text)) + ENGLISH.findall(text)
    numbers = THOUSANDS.sub("", DATE.sub("", STANDARD.sub("", text)))
    return found + FLOAT.findall(numbers)


def test_the_leak_finder() -> None:
    assert leaks("Kenntnis: skill:ab2bb44a-3956-4c9b-9f54-4c6d0d5ea8a1") == ["ab2bb44a-3956-4c9b-9f54-4c6d0d5ea8a1"]
    assert leaks("Arbeitsweg: commute:15km") == ["commute:1"]
    assert leaks("Deutschkenntnisse: native; no champion yet") == ["native", "no champion"]
    assert leaks("Berufserfahrung 3.83 Jahre, Ähnlichkeit 0.457") == ["3.83", "0.457"]
    fine = "am 07.12.2026, 2.897 Stellen, 12.000 Personen, 0,457, NDCG@10, 10:30 Uhr, BITV 2.0, WCAG 2.0/2.1"
    assert leaks(fine) == []
    assert visible_text('<p title="commute:15km">Arbeitsweg<script>x="a:b"</script></p>') == "Arbeitsweg"


def _routes(routes: list[Any]) -> list[Route]:
    """Every route, also inside the routers FastAPI includes lazily (``api.metrics.leaf_routes``)."""
    return [route for route in leaf_routes(routes) if isinstance(route, Route)]


def _pages(client: TestClient, ids: Ids, api_world: World) -> list[str]:
    """Every GET page of the app with sample ids, and the pages that need a query."""
    pages = []
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        if "GET" not in (route.methods or ()) or not route.path.startswith("/app/") or route.path in NOT_PAGES:
            continue
        path = route.path
        for name in route.param_convertors:
            assert name in SAMPLES, f"{route.path}: add a sample value for {{{name}}} to SAMPLES"
            path = path.replace(f"{{{name}}}", getattr(ids, SAMPLES[name]))
        pages.append(path)
    store = Store(api_world.settings.store_url)
    try:
        two = [v.id for v in store.vacancies(2, 0, "open")]
    finally:
        store.close()
    pages += [
        f"/app/candidates/{ids.candidate}/compare?v={two[0]}&v={two[1]}",
        "/app/occupations?q=Koch",
        "/app/candidates?q=LK",
        "/app/models?version=1",
        "/app/models/release?version=1",
        "/app/measures?limit=50",
    ]
    return pages


def _allowed(path: str, token: str) -> bool:
    return any(re.fullmatch(page, path) and re.fullmatch(known, token) for page, known in FIXED_BY_OTHER_PARTS)


def test_no_page_shows_internal_codes(
    client: TestClient, signed_in: dict[Role, TestClient], ids: Ids, api_world: World
) -> None:
    pages = _pages(client, ids, api_world)
    seen: dict[Role, int] = {}
    problems = []
    for role, browser in signed_in.items():
        for path in pages:
            answer = browser.get(path, follow_redirects=False)
            if answer.status_code in (303, 403, 404) or "text/html" not in answer.headers.get("content-type", ""):
                continue
            assert answer.status_code in (200, 409, 422), (role, path, answer.status_code)
            seen[role] = seen.get(role, 0) + 1
            problems += [(role.value, path, t) for t in leaks(visible_text(answer.text)) if not _allowed(path, t)]
        problems += [(role.value, "POST /app/match", t) for t in _form_with_errors(browser)]
    assert all(seen.get(role, 0) >= 6 for role in Role), seen  # every role saw its pages
    assert not problems, "\n".join(f"{r} {p}: {t!r}" for r, p, t in problems)


def _form_with_errors(browser: TestClient) -> list[str]:
    """The profile form sent with errors (empty occupation, a bad postcode): its leaks."""
    form = browser.get("/app/match", follow_redirects=False)
    if form.status_code != 200:
        return []
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    answer = browser.post("/app/match", data={"csrf_token": token.group(1), "kldb": "", "postcode": "1"})
    assert answer.status_code == 422, answer.status_code
    return [t for t in leaks(visible_text(answer.text)) if not _allowed("/app/match", t)]
