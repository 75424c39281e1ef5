"""Forms, focus and reflow in Debian's Chromium (issue 25): the compare button after a 4th tick,
the focus after "Liste aktualisieren", the error summary's focus, "Übernehmen", the skills picker,
and every main page of every role at 390 px without sideways scrolling (WCAG 1.4.10)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.security import Role
from tests.api.web.conftest import Browsing
from tests.api.web.test_accessibility import PAGES, _ids

pytestmark = pytest.mark.slow


def test_compare_works_after_a_fourth_tick(browsing: Browsing) -> None:
    candidate, _, _ = _ids(browsing)
    page = browsing.signed_in(Role.CASEWORKER)
    page.goto(f"/app/candidates/{candidate}")
    boxes = page.get_by_label("vergleichen")
    assert boxes.count() >= 4
    for i in range(3):
        boxes.nth(i).check()
    boxes.nth(3).click()  # the fourth is refused with a message
    assert not boxes.nth(3).is_checked()
    assert page.get_by_text("Höchstens drei Stellen vergleichen.").is_visible()
    page.get_by_role("button", name=re.compile("Ausgewählte Stellen vergleichen")).click()
    page.wait_for_url(re.compile("/compare"))
    assert page.locator("table thead th").count() == 4  # the label column and three vacancies
    page.context.close()


def test_focus_stays_on_the_page_after_the_list_is_updated(browsing: Browsing) -> None:
    candidate, _, _ = _ids(browsing)
    page = browsing.signed_in(Role.CASEWORKER)
    page.goto(f"/app/candidates/{candidate}")
    page.get_by_label("Höchstentfernung (km)").fill("7")
    page.get_by_role("button", name="Liste aktualisieren").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("max_distance_km=7"))
    page.wait_for_function("document.querySelector('#max_distance_km').value === '7'")
    page.wait_for_timeout(300)
    where = page.evaluate(
        "() => { const a = document.activeElement; return [a.tagName, !!a.closest('footer'), a.id]; }"
    )
    assert where[0] != "BODY" and not where[1], where
    page.keyboard.press("Tab")  # the next stop is in the list, not the footer
    assert not page.evaluate("!!document.activeElement.closest('footer')")
    # only the count sentence is announced, not the whole results section
    assert page.locator("#ergebnisse[aria-live]").count() == 0
    page.wait_for_function("document.getElementById('live').textContent.includes('erfüllen alle Filter')")
    page.context.close()


def test_the_error_summary_takes_the_focus_and_links_to_fields(browsing: Browsing) -> None:
    page = browsing.signed_in(Role.CASEWORKER)
    page.goto("/app/match")
    page.get_by_role("button", name="Vorschläge anzeigen").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "fehler"
    summary = page.get_by_role("alert").filter(has_text="Es gibt ein Problem")
    summary.get_by_role("link", name=re.compile("^Postleitzahl")).click()
    assert page.evaluate("document.activeElement.id") == "postcode"
    page.context.close()


def test_take_over_a_code_and_pick_skills(browsing: Browsing) -> None:
    page = browsing.signed_in(Role.CASEWORKER)
    page.goto("/app/match")
    page.get_by_label("Kennziffer zu einer Berufsbezeichnung finden").fill("Strassenbauer")
    take = page.locator("[data-take-kldb]").first
    take.wait_for(timeout=180_000)  # the first suggestion builds the index
    code = take.get_attribute("data-take-kldb")
    take.click()
    assert page.get_by_label("Zielberuf (KldB, 5 Ziffern)").input_value() == code
    assert "/app/match" in page.url  # nothing was posted
    page.get_by_label("Fähigkeit suchen und hinzufügen").fill("regale auffuellen")
    pick = page.locator('[data-add-skill="Regale auffüllen"]')
    pick.wait_for(timeout=60_000)
    pick.click()
    assert "Regale auffüllen" in page.get_by_label(re.compile("^Fähigkeiten")).input_value()
    page.context.close()


def _reflow_pages() -> list[tuple[Role | None, str]]:
    """The main pages of every role (the accessibility test's list, its error states included)."""
    return [(role, path) for role, path in PAGES if "x" * 50 not in path]


@pytest.fixture(scope="module")
def narrow(browsing: Browsing) -> Any:
    from tests.api.web.conftest import sign_in

    out: dict[Role | None, Any] = {None: browsing.context(viewport={"width": 390, "height": 800}).new_page()}
    for role in {r for r, _ in PAGES if r is not None}:
        page = browsing.context(viewport={"width": 390, "height": 800}).new_page()
        sign_in(page, browsing.world.tokens[role])
        out[role] = page
    yield out
    for page in out.values():
        page.context.close()


def test_every_page_reflows_at_390_px(browsing: Browsing, narrow: dict[Role | None, Any]) -> None:
    candidate, vacancies, _ = _ids(browsing)
    wide = []
    for role, path in [*_reflow_pages(), (Role.CASEWORKER, "/app/occupations?q=Verkaeuferin")]:
        url = path.format(c=candidate, v=vacancies[0], v1=vacancies[1], v2=vacancies[2])
        page = narrow[role]
        page.goto(url, timeout=180_000)  # the first occupation query builds the suggester's index
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            culprit = page.evaluate(
                """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390
                     && !e.closest('.scroll')).slice(0, 3).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
            )
            wide.append((role.value if role else None, url, width, culprit))
    assert wide == []
    boxes = narrow[Role.CASEWORKER]
    boxes.goto(f"/app/candidates/{candidate}")
    size = boxes.evaluate(
        "(() => { const r = document.querySelector('input[type=checkbox]').getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    assert size[0] >= 24 and size[1] >= 24  # WCAG 2.5.8 target size
