"""The opportunities, measures and shortages pages over the served test world: who may see them,
what they show, the 404 and "Profil reicht nicht aus" pages, and no protected attribute."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from api.security import Role
from matcher.records.models import PROTECTED_ATTRIBUTE_NAMES
from tests.api.conftest import Ids, World
from tests.api.web.conftest import signed_in_client

PROTECTED_WORDS = (*PROTECTED_ATTRIBUTE_NAMES, "citizenship", "disability", "geschlecht", "staatsangehörigkeit")


def _page(html: str) -> None:
    """German, one h1, no inline script or style, no protected attribute."""
    assert '<html lang="de">' in html and html.count("<h1>") == 1
    assert "<style" not in html and " style=" not in html and "<script>" not in html
    text = html.casefold()
    assert not any(word in text for word in PROTECTED_WORDS)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.ADMIN])
def test_opportunities_page(signed_in: dict[Role, TestClient], ids: Ids, api_world: World, role: Role) -> None:
    response = signed_in[role].get(f"/app/candidates/{ids.candidate}/opportunities")
    assert response.status_code == 200, response.text
    html = response.text
    _page(html)
    assert "Empfehlung, keine Entscheidung" in html and 'class="oversight"' in html
    assert '<th scope="col">Zusätzliche Stellen</th>' in html and "<caption>" in html
    # Plain German: no internal codes of the changes, no score change, Teilqualifizierung only to Fachkraft.
    assert not re.search(r"(commute|working_time|permit|skill|requirement_level|licence):", html)
    assert "Punktzahl" not in html and "-0,000" not in html and " 1 Wochen" not in html
    assert not re.search(r"(Helfer|Spezialist|Experte)\W*\(Teilqualifizierung", html)
    api = (
        signed_in[role]
        .post(f"/v1/candidates/{ids.candidate}/opportunities", headers=api_world.auth(Role.CASEWORKER))
        .json()
    )
    assert api["items"], "the test world's job seeker should have something to open"
    for item in api["items"]:  # the API's answer: the sentences, the counts, the example ids
        assert str(escape(item["label_de"])) in html
        assert all(v in html for v in item["example_vacancy_ids"])
    logged = [json.loads(line) for line in api_world.settings.audit_log.read_text(encoding="utf-8").splitlines()]
    page = [r for r in logged if r["endpoint"] == "GET /app/candidates/{id}/opportunities"]
    assert page and page[-1]["query_id"] == ids.candidate


def test_candidate_page_links_to_its_opportunities(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    html = signed_in[Role.CASEWORKER].get(f"/app/candidates/{ids.candidate}").text
    link = f'href="/app/candidates/{ids.candidate}/opportunities">Welche Qualifizierung erschließt mehr Stellen?</a>'
    assert link in html


def test_unknown_candidate_gets_the_404_page(signed_in: dict[Role, TestClient]) -> None:
    response = signed_in[Role.CASEWORKER].get("/app/candidates/NOBODY-1/opportunities")
    assert response.status_code == 404 and "Nicht gefunden" in response.text
    _page(response.text)


@pytest.mark.parametrize("role", [Role.EMPLOYER_SERVICE, Role.DATA_TEAM])
def test_opportunities_are_for_caseworkers(signed_in: dict[Role, TestClient], ids: Ids, role: Role) -> None:
    response = signed_in[role].get(f"/app/candidates/{ids.candidate}/opportunities")
    assert response.status_code == 403 and "Kein Zugriff" in response.text


@pytest.mark.parametrize("role", list(Role))
def test_measures_page_for_every_role(signed_in: dict[Role, TestClient], role: Role) -> None:
    browser = signed_in[role]
    first = browser.get("/app/measures?limit=20")
    assert first.status_code == 200, first.text
    _page(first.text)
    assert '<th scope="col">Abschluss / Inhalt</th>' in first.text and "Nächste Starttermine" in first.text
    assert " 1 Wochen" not in first.text and "Anforderungsniveau 2" not in first.text
    assert '<label for="type">Art der Maßnahme</label>' in first.text
    assert first.text.count('<th scope="row">') == 20
    assert 'href="/app/measures?limit=20&amp;offset=20" rel="next"' in first.text
    assert re.search(r'href="/app/measures"[^>]*>Maßnahmen</a>', first.text)  # in the navigation
    second = browser.get("/app/measures?limit=20&offset=20")
    assert 'rel="prev"' in second.text and "Einträge 21 bis" in second.text


def test_measures_filter_by_type_and_bad_input(signed_in: dict[Role, TestClient]) -> None:
    browser = signed_in[Role.CASEWORKER]
    forklift = browser.get("/app/measures?type=staplerschein&limit=100").text
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", forklift)
    assert rows and all("Staplerschein" in r for r in rows)
    bad = browser.get("/app/measures?type=bildungsurlaub")
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and 'id="type-error"' in bad.text


@pytest.mark.parametrize("role", [Role.EMPLOYER_SERVICE, Role.DATA_TEAM, Role.ADMIN])
def test_shortages_page(signed_in: dict[Role, TestClient], role: Role) -> None:
    response = signed_in[role].get("/app/shortages?rows=10")
    assert response.status_code == 200, response.text
    html = response.text
    _page(html)
    for heading in ("Berufsgruppen (KldB, 3-stellig)", "Führerscheine", "Scheine und Nachweise", "Anforderungsniveau"):
        assert f">{heading}</h2>" in html
    assert '<th scope="col">Angebot je Stelle</th>' in html
    assert re.search(r'href="/app/shortages"[^>]*>Engpässe</a>', html)


def test_shortages_are_not_for_caseworkers(signed_in: dict[Role, TestClient]) -> None:
    response = signed_in[Role.CASEWORKER].get("/app/shortages")
    assert response.status_code == 403 and "Kein Zugriff" in response.text
    assert 'href="/app/shortages"' not in signed_in[Role.CASEWORKER].get("/app/").text


def test_signed_out_goes_to_the_sign_in_page(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    for path in ("/app/measures", "/app/shortages", "/app/candidates/X/opportunities"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/app/login")


def test_thin_profile_gets_the_profile_page(fresh_client: TestClient, fresh_world: World, ids: Ids) -> None:
    record = {**ids.candidate_record, "skills": [], "profile_text": "Arbeit"}
    record.pop("id")
    put = fresh_client.put("/v1/candidates/THIN-1", json=record, headers=fresh_world.auth(Role.ADMIN))
    assert put.status_code in (200, 201), put.text
    browser = signed_in_client(fresh_client.app, fresh_world, Role.CASEWORKER)
    response = browser.get("/app/candidates/THIN-1/opportunities")
    assert response.status_code == 422 and "Profil reicht nicht aus" in response.text
