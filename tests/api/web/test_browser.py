"""The web app's scenarios in Debian's Chromium, against two real workers.

Sign-in per role and a refused token; the caseworker's flow (open a job seeker, shortlist, tighten
the distance filter, compare, record an outcome, "passt nicht"); the employer service's cards and
contact request; the caseworker's acceptance and the employer service seeing it; the data team's
fairness table; and the same flow without JavaScript.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from api.security import Role
from matcher.records.store import Store, proposals_table
from matcher.services.audit_reads import records
from matcher.services.contacts import feedback_table
from tests.api.web.conftest import Browsing, sign_in

pytestmark = pytest.mark.slow

PROTECTED_WORDS = ("gender", "birth_year", "citizenship", "severe_disability", "Geschlecht:", "Geburtsjahr")


def _a_candidate(browsing: Browsing) -> str:
    """A job seeker whose shortlist is not empty (one of the first with skills)."""
    store = Store(browsing.world.settings.store_url)
    try:
        return next(c.id for c in store.candidates(50) if c.skills)
    finally:
        store.close()


def _excluded(page: Any) -> dict[str, int]:
    out = {}
    for text in page.locator("ul.excluded li").all_inner_texts():
        n, _, name = text.partition(" ausgeschlossen durch ")
        out[name] = int(n)
    return out


def test_sign_in_as_each_role_and_a_wrong_token_is_refused(browsing: Browsing) -> None:
    expected = {
        Role.CASEWORKER: "Arbeitsuchende",
        Role.EMPLOYER_SERVICE: "Stellen",
        Role.DATA_TEAM: "Modelle",
        Role.ADMIN: "Modelle",
    }
    for role, nav in expected.items():
        page = browsing.signed_in(role)
        assert page.url.endswith("/app/"), page.url
        assert page.get_by_role("navigation").get_by_role("link", name=nav, exact=True).is_visible()
        page.context.close()
    page = browsing.context().new_page()
    sign_in(page, "not-a-token")
    assert "/app/login" in page.url
    # the message beside the field and in the error summary at the top (which has the focus)
    assert page.locator("#token-error").get_by_text("Der Zugangsschlüssel ist ungültig.").is_visible()
    assert page.evaluate("document.activeElement.id") == "fehler"
    assert page.get_by_label("Zugangsschlüssel (Token)").get_attribute("aria-invalid") == "true"
    page.context.close()


def test_caseworker_shortlist_filter_compare_outcome_and_passt_nicht(browsing: Browsing) -> None:
    candidate = _a_candidate(browsing)
    page = browsing.signed_in(Role.CASEWORKER)
    page.get_by_role("navigation").get_by_role("link", name="Arbeitsuchende", exact=True).click()
    page.get_by_label("Kundennummer").fill(candidate)
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_url(re.compile(f"/app/candidates/{candidate}$"))
    assert page.get_by_role("heading", name="Profil").is_visible()
    assert page.get_by_text("Empfehlung, keine Entscheidung").first.is_visible()
    results = page.locator("ol.results > li")
    before_items = results.count()
    assert before_items > 0
    before = _excluded(page)
    # tighten the distance filter: htmx swaps the list, the excluded counts change
    page.get_by_label("Höchstentfernung (km)").fill("3")
    page.get_by_role("button", name="Liste aktualisieren").click()
    page.wait_for_url(re.compile("max_distance_km=3"))
    page.wait_for_function("document.querySelector('#max_distance_km').value === '3'")
    after = _excluded(page)
    assert after.get("Entfernung", 0) > before.get("Entfernung", 0), (before, after)
    # a bad value is shown beside its field and kept
    page.get_by_label("Höchstentfernung (km)").fill("weit")
    page.get_by_role("button", name="Liste aktualisieren").click()
    error = page.locator("#max_distance_km-error")
    error.wait_for()
    assert "bitte eine Zahl" in error.inner_text()
    assert page.get_by_label("Höchstentfernung (km)").input_value() == "weit"
    # back to the unfiltered list, compare the first two
    page.goto(f"/app/candidates/{candidate}")
    vacancy_ids = [
        v.split("-", 1)[1] for v in page.locator("ol.results > li").evaluate_all("els => els.map(e => e.id)")
    ]
    page.get_by_label("vergleichen").nth(0).check()
    page.get_by_label("vergleichen").nth(1).check()
    page.get_by_role("button", name=re.compile("Ausgewählte Stellen vergleichen")).click()
    page.wait_for_url(re.compile("/compare"))
    table = page.get_by_role("table")
    assert table.locator("thead th").count() == 3  # the label column and two vacancies
    assert "Fehlende Fähigkeiten" in table.inner_text()
    page.go_back()
    # record an outcome for the first vacancy
    first = page.locator("ol.results > li").first
    first.get_by_label("Stand").select_option("applied")
    first.get_by_role("button", name="Erfassen").click()
    page.get_by_text(re.compile("Gespeichert: Stelle .* – beworben")).wait_for()
    # and mark the second one "passt nicht"
    second = page.locator("ol.results > li").nth(1)
    second.get_by_label("Passt nicht, weil …").select_option("erreichbarkeit")
    second.get_by_role("button", name="Vermerken").click()
    page.get_by_text("Vermerkt: „passt nicht“").wait_for()
    # the state sticks: the first card says when it was proposed, the second moved into the folded part
    assert "vorgeschlagen am" in page.locator(f"#stelle-{vacancy_ids[0]}").inner_text()
    assert page.locator(f"details.marked #stelle-{vacancy_ids[1]}").count() == 1
    assert not page.locator(f"details.marked #stelle-{vacancy_ids[1]}").is_visible()  # folded
    page.goto(f"/app/candidates/{candidate}/print")
    assert vacancy_ids[1] not in page.content() and vacancy_ids[0] in page.content()
    page.context.close()

    store = Store(browsing.world.settings.store_url)
    try:
        with store.engine.connect() as conn:
            proposals = conn.execute(select(proposals_table).where(proposals_table.c.candidate_id == candidate)).all()
            marks = (
                conn.execute(select(feedback_table).where(feedback_table.c.candidate_id == candidate)).mappings().all()
            )
    finally:
        store.close()
    assert any(p.vacancy_id == vacancy_ids[0] and p.outcome == "applied" for p in proposals)
    assert [(m["vacancy_id"], m["reason"]) for m in marks] == [(vacancy_ids[1], "erreichbarkeit")]
    kinds = [(r.get("kind"), r.get("endpoint")) for r in records(browsing.world.settings.audit_log)]
    assert ("feedback", "POST /v1/feedback") in kinds
    assert any(e == "GET /app/candidates/{id}" for _, e in kinds)


def _employer_cards(browsing: Browsing) -> tuple[Any, str]:
    store = Store(browsing.world.settings.store_url)
    try:
        vacancy = store.vacancies(1, 0, "open")[0]
        texts = [c.profile_text for c in store.candidates() if len(c.profile_text) > 20]
        ids = store.candidate_ids()
    finally:
        store.close()
    page = browsing.signed_in(Role.EMPLOYER_SERVICE)
    page.get_by_role("navigation").get_by_role("link", name="Stellen", exact=True).click()
    page.get_by_label("Stellennummer, Titel, Arbeitgeber oder KldB").fill(vacancy.id)
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_url(re.compile(f"/app/vacancies/{vacancy.id}$"))
    html = page.content()
    assert page.locator("ol.results > li").count() > 0
    assert not [i for i in ids if re.search(rf"\b{re.escape(i)}\b", html)]  # no customer number
    assert not [t for t in texts if t in html]  # no free text
    assert not [w for w in PROTECTED_WORDS if w in html]
    return page, vacancy.id


def test_employer_service_sees_pseudonymised_cards_and_asks_for_contact(browsing: Browsing) -> None:
    page, _ = _employer_cards(browsing)
    card = page.locator("ol.results > li").first
    pseudonym = card.locator("h3").inner_text().removeprefix("Karte ").strip()
    assert re.fullmatch(r"P-[A-Z2-7]{10}", pseudonym)
    card.get_by_role("button", name="Vorschlag anfragen").click()
    page.wait_for_url(re.compile(f"/app/vacancies/.*#karte-{pseudonym}$"))  # stays on the vacancy
    card = page.locator(f"#karte-{pseudonym}")
    assert "angefragt am" in card.inner_text()
    assert card.get_by_role("button", name="Vorschlag anfragen").count() == 0
    page.get_by_role("navigation").get_by_role("link", name="Meine Anfragen").click()
    row = page.get_by_role("row").filter(has_text=pseudonym)
    assert "angefragt am" in row.inner_text()
    page.context.close()


def test_caseworker_accepts_and_the_employer_service_sees_it(browsing: Browsing) -> None:
    employer, vacancy = _employer_cards(browsing)
    card = employer.locator("ol.results > li").nth(1)
    pseudonym = card.locator("h3").inner_text().removeprefix("Karte ").strip()
    card.get_by_role("button", name="Vorschlag anfragen").click()
    employer.wait_for_url(re.compile(f"#karte-{pseudonym}$"))
    employer.goto("/app/requests")
    row = employer.get_by_role("row").filter(has_text=pseudonym)
    assert row.locator("td").last.inner_text().strip() == "–"  # no identity before an answer

    caseworker = browsing.signed_in(Role.CASEWORKER)
    caseworker.get_by_role("navigation").get_by_role("link", name="Anfragen", exact=True).click()
    block = caseworker.locator("li.request").filter(has_text=vacancy).first
    customer = block.locator("dd a").first.inner_text().strip()
    block.get_by_role("button", name="Annehmen und vorschlagen").click()
    caseworker.get_by_text(re.compile("angenommen: Vorschlag erfasst")).wait_for()
    caseworker.context.close()

    employer.reload()
    row = employer.get_by_role("row").filter(has_text=pseudonym)
    assert "angenommen" in row.inner_text()
    assert row.locator("td").last.inner_text().strip() == customer
    employer.context.close()


def test_data_team_sees_the_fairness_table(browsing: Browsing) -> None:
    page = browsing.signed_in(Role.DATA_TEAM)
    page.get_by_role("navigation").get_by_role("link", name="Modelle").click()
    table = page.locator("table#fairness")
    assert table.is_visible()
    text = table.inner_text()
    assert "Geschlecht" in text and "Altersgruppe" in text and "Sichtbarkeit Modell" in text
    assert "nicht geprüft" in text or "bestanden" in text  # the gate's verdict per group, in words
    assert page.locator("table#hire-rates").is_visible()  # the plot's right panel as a table
    assert page.get_by_role("img", name=re.compile("Fairness-Tabelle")).is_visible()
    assert page.locator("a", has_text="MLflow").count() == 0  # no MATCHER_WEB_MLFLOW_UI_URL set
    assert page.get_by_text("freigegeben als Produktivmodell").first.is_visible()
    # The metrics table scrolls inside its box: the page is no wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.context.close()


def test_the_shortlist_works_without_javascript(browsing: Browsing) -> None:
    candidate = _a_candidate(browsing)
    page = browsing.signed_in(Role.CASEWORKER, java_script_enabled=False)
    page.goto(f"/app/candidates/{candidate}")
    before = _excluded(page)
    page.get_by_label("Höchstentfernung (km)").fill("3")
    page.get_by_role("button", name="Liste aktualisieren").click()
    page.wait_for_url(re.compile("max_distance_km=3"))
    assert _excluded(page)["Entfernung"] > before["Entfernung"]
    page.context.close()


def test_expired_or_missing_session_goes_to_sign_in_and_back(browsing: Browsing) -> None:
    candidate = _a_candidate(browsing)
    page = browsing.context().new_page()
    page.goto(f"/app/candidates/{candidate}?f=1&max_distance_km=20")
    assert "/app/login?next=" in page.url
    page.get_by_label("Zugangsschlüssel (Token)").fill(browsing.world.tokens[Role.CASEWORKER])
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(f"/app/candidates/{candidate}\\?f=1&max_distance_km=20$"))
    # signing out ends the session on the server: the old cookie is worth nothing on either worker
    cookies = page.context.cookies()
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile("/app/login"))
    stale = browsing.context()
    stale.add_cookies(cookies)
    again = stale.new_page()
    for _ in range(4):
        again.goto("/app/")
        assert "/app/login" in again.url
    stale.close()
    page.context.close()
