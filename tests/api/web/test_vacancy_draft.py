"""The vacancy draft of the employer service: a vacancy typed in, not recorded, and the
pseudonymised cards of the job seekers who fit it; occupation suggestions for its title while
typing (htmx) and, without JavaScript, beside the code field when it is sent without a code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from matcher.records.store import Store
from tests.api.conftest import Ids, World
from tests.api.web.conftest import AXE, Browsing, form_token
from tests.api.web.test_accessibility import AXE_RUN
from tests.api.web.test_planning_pages import _page

PATH = "/app/vacancy-draft"


def _draft(vacancy: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The form fields of a recorded vacancy, as the employer service would type them."""
    form = {
        "title": vacancy["title"],
        "kldb": vacancy["kldb"],
        "level": str(vacancy["level"]),
        "ags": vacancy["ags"],
        "postcode": vacancy["postcode"],
        "working_time": vacancy["working_time"],
        "hours_per_week": "" if vacancy["hours_per_week"] is None else str(vacancy["hours_per_week"]),
        "licences": vacancy["required_licences"],
        "german_level_min": vacancy["german_level_min"] or "",
        "description": vacancy["description"],
    }
    return form | changes


def _post(client: TestClient, form: dict[str, Any]) -> Any:
    token = form_token(client.get(PATH).text)
    return client.post(PATH, data={"csrf_token": token, **form})


def _cards(html: str) -> list[str]:
    return re.findall(r"<h3>Karte (P-[A-Z2-7]{10})</h3>", html)


def test_the_form_offers_title_suggestions_and_is_in_the_navigation(signed_in: dict[Role, TestClient]) -> None:
    html = signed_in[Role.EMPLOYER_SERVICE].get(PATH).text
    _page(html)
    assert f'href="{PATH}"' in html and "Stelle vorab prüfen" in html
    title = re.search(r'<input id="title"[^>]*>', html, re.S)
    assert (
        title
        and 'hx-get="/app/occupations"' in title.group(0)
        and 'hx-target="#occupation-suggestions"' in title.group(0)
    )
    assert 'id="occupation-suggestions"' in html and '<label for="kldb">' in html


def test_htmx_sends_the_title_under_its_own_name(signed_in: dict[Role, TestClient]) -> None:
    answer = signed_in[Role.EMPLOYER_SERVICE].get(
        "/app/occupations", params={"title": "Staplerfahrer Nachtschicht"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200 and "<html" not in answer.text
    assert "<code>52531</code>" in answer.text


def test_a_draft_without_a_code_comes_back_with_the_titles_suggestions(
    signed_in: dict[Role, TestClient], ids: Ids
) -> None:
    answer = _post(
        signed_in[Role.EMPLOYER_SERVICE], _draft(ids.vacancy_record, title="Staplerfahrer Nachtschicht", kldb="")
    )
    assert answer.status_code == 422
    assert 'id="kldb-error"' in answer.text and "Vorschläge zum Stellentitel" in answer.text
    assert "<code>52531</code>" in answer.text  # the suggester's code for fork-lift drivers
    assert 'value="Staplerfahrer Nachtschicht"' in answer.text  # what was typed stays in the form
    assert not _cards(answer.text)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kldb": "99999"}, "kldb"),
        ({"hours_per_week": "viel"}, "hours_per_week"),
        ({"postcode": "10115"}, "postcode"),  # Berlin: not a postcode of the chosen place
        ({"title": ""}, "title"),
        ({"skills": "Zaubern"}, "skills"),
        ({"start_date": "31.02.2027"}, "start_date"),  # German dates are fine, impossible ones are not
        ({"description": "Lager", "skills": ""}, "description"),  # too thin to rank for
    ],
)
def test_bad_fields_get_their_error_beside_them(
    signed_in: dict[Role, TestClient], ids: Ids, change: dict[str, str], field: str
) -> None:
    answer = _post(signed_in[Role.EMPLOYER_SERVICE], _draft(ids.vacancy_record, **change))
    assert answer.status_code == 422, answer.text
    assert f'id="{field}-error"' in answer.text and not _cards(answer.text)


def test_a_draft_shows_pseudonymised_cards_and_is_not_recorded(
    signed_in: dict[Role, TestClient], ids: Ids, api_world: World
) -> None:
    store = Store(api_world.settings.store_url)
    try:
        before = store.count("vacancies")
        customer_numbers = store.candidate_ids()
    finally:
        store.close()
    client = signed_in[Role.EMPLOYER_SERVICE]
    first = _post(client, _draft(ids.vacancy_record))
    assert first.status_code == 200, first.text
    _page(first.text)
    cards = _cards(first.text)
    assert cards and "Vorschlag anfragen" not in first.text and "kein Vorschlag angefragt" in first.text
    assert not [c for c in customer_numbers if re.search(rf"\b{re.escape(c)}\b", first.text)]
    # The same draft again: other pseudonyms (each request its own), so cards link to nothing.
    second = _cards(_post(client, _draft(ids.vacancy_record)).text)
    assert len(second) == len(cards) and not set(second) & set(cards)
    recorded = {api_world.pseudonym(ids.vacancy, c) for c in customer_numbers}
    assert not set(cards) & recorded
    store = Store(api_world.settings.store_url)
    try:
        assert store.count("vacancies") == before
        assert not [v for v in store.vacancies() if v.id.startswith("entwurf-")]
    finally:
        store.close()


def test_caseworkers_get_the_forbidden_page(signed_in: dict[Role, TestClient]) -> None:
    assert signed_in[Role.CASEWORKER].get(PATH).status_code == 403


@pytest.mark.slow
def test_in_the_browser_title_suggestions_then_cards_without_axe_violations(browsing: Browsing, ids: Ids) -> None:
    page = browsing.signed_in(Role.EMPLOYER_SERVICE, bypass_csp=True)
    page.get_by_role("navigation").get_by_role("link", name="Stelle vorab prüfen").click()
    page.wait_for_url(re.compile(PATH))
    page.get_by_label("Stellentitel (Berufsbezeichnung)").press_sequentially("Staplerfahrer", delay=20)
    page.locator("#occupation-suggestions code", has_text="52531").wait_for()  # htmx while typing
    vacancy = ids.vacancy_record
    page.get_by_label("Stellentitel (Berufsbezeichnung)").fill(vacancy["title"])
    page.get_by_label("Beruf (KldB, 5 Ziffern)").fill(vacancy["kldb"])
    page.get_by_label("Anforderungsniveau").select_option(str(vacancy["level"]))  # no silent default
    page.get_by_label("Arbeitszeit").select_option(vacancy["working_time"])
    page.get_by_label("Arbeitsort").select_option(vacancy["ags"])
    page.get_by_label("Postleitzahl").fill(vacancy["postcode"])
    page.get_by_label("Beschreibung (wird nicht gespeichert)").fill(vacancy["description"])
    page.get_by_role("button", name="Passende Arbeitsuchende anzeigen").click()
    page.locator("ol.results > li, p.error").first.wait_for()
    errors = page.locator("p.error").all_inner_texts()
    assert errors == [] and page.locator("ol.results > li").count() > 0
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(AXE_RUN) == []
    page.context.close()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"hours_per_week": "0,5"}, "hours_per_week", "Stunden pro Woche: bitte eine Zahl von 1 bis 60 eingeben."),
        (
            {"start_date": "01.01.1899"},  # a real date the schema refuses: its message is German too
            "start_date",
            "Beginn: bitte ein Datum zwischen 01.01.1900 und 31.12.2100 eingeben.",
        ),
    ],
)
def test_a_value_the_schema_refuses_gets_a_german_sentence_beside_its_field(
    signed_in: dict[Role, TestClient], ids: Ids, change: dict[str, str], field: str, message: str
) -> None:
    answer = _post(signed_in[Role.EMPLOYER_SERVICE], _draft(ids.vacancy_record, **change))
    assert answer.status_code == 422, answer.text
    beside = re.search(rf'<p[^>]*id="{field}-error"[^>]*>(.*?)</p>', answer.text, re.S)
    assert beside and message in beside.group(1), beside
    assert f"{field}:" not in answer.text and "ungültiger Wert" not in answer.text
