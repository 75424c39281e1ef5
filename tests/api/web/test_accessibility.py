"""BITV 2.0 / WCAG 2.1 AA: axe-core reports no violation of the A and AA rules on any page.

axe-core 4.14.1 (vendored under ``vendor/``, MPL-2.0) is injected into each page of a real Chromium.
The app's Content-Security-Policy forbids such a script, so these contexts bypass the CSP; the
header itself is checked in test_security.py. Each page is also checked for ``lang="de"``, a
visible focus on the first link, and labels on every form control (axe checks these too; the
explicit checks make a failure easy to read).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.security import Role
from matcher.records.store import Store
from tests.api.web.conftest import AXE, Browsing, sign_in

pytestmark = pytest.mark.slow

AXE_RUN = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


def _ids(browsing: Browsing) -> tuple[str, list[str], str]:
    store = Store(browsing.world.settings.store_url)
    try:
        candidate = next(c.id for c in store.candidates(50) if c.skills)
        vacancies = [v.id for v in store.vacancies(3, 0, "open")]
    finally:
        store.close()
    return candidate, vacancies, vacancies[0]


# (role or None for signed out, path); {c} a job seeker, {v} an open vacancy, {v1}/{v2} two of them
PAGES: list[tuple[Role | None, str]] = [
    (None, "/app/login"),
    (None, "/app/barrierefreiheit"),
    (Role.CASEWORKER, "/app/"),
    (Role.CASEWORKER, "/app/candidates"),
    (Role.CASEWORKER, "/app/candidates?occupation=5"),
    (Role.CASEWORKER, "/app/candidates?occupation=abc"),  # a form error beside its field
    (Role.CASEWORKER, "/app/candidates/{c}"),
    (Role.CASEWORKER, "/app/candidates/{c}?f=1&max_distance_km=weit"),
    (Role.CASEWORKER, "/app/candidates/{c}/compare?v={v1}&v={v2}"),
    (Role.CASEWORKER, "/app/candidates/{c}/print"),
    (Role.CASEWORKER, "/app/candidates/{c}/stellen/{v1}"),  # the vacancy as the job seeker needs it
    (Role.CASEWORKER, "/app/match"),
    (Role.CASEWORKER, "/app/inbox"),
    (Role.CASEWORKER, "/app/candidates/NOBODY-1"),  # the friendly 404
    (Role.CASEWORKER, "/app/models"),  # the 403 page
    (Role.EMPLOYER_SERVICE, "/app/vacancies"),
    (Role.EMPLOYER_SERVICE, "/app/vacancies?q=a"),
    (Role.EMPLOYER_SERVICE, "/app/vacancies/{v}"),
    (Role.EMPLOYER_SERVICE, "/app/requests"),
    (Role.EMPLOYER_SERVICE, "/app/vacancy-draft"),
    (Role.DATA_TEAM, "/app/models"),
    (Role.DATA_TEAM, "/app/models/release?version=1"),  # the gate's refusal: version 1 serves already
    (Role.DATA_TEAM, "/app/models/rollback"),  # no earlier production model
    (Role.CASEWORKER, "/app/candidates/{c}/opportunities"),
    (Role.CASEWORKER, "/app/measures"),
    (Role.CASEWORKER, "/app/measures?type=bildungsurlaub"),  # a form error beside its field
    (Role.EMPLOYER_SERVICE, "/app/shortages"),
    (Role.CASEWORKER, "/app/new-matches"),
    (Role.CASEWORKER, "/app/new-matches/{c}"),
    (Role.EMPLOYER_SERVICE, "/app/occupations?q=Staplerfahrer+Nachtschicht"),
    (Role.CASEWORKER, "/app/occupations?q=" + "x" * 201),  # the error beside its field
]


@pytest.fixture(scope="module")
def pages(browsing: Browsing) -> dict[Role | None, Any]:
    """One page per role (and one signed out), in contexts that bypass the CSP for axe."""
    out: dict[Role | None, Any] = {None: browsing.context(bypass_csp=True).new_page()}
    for role in {r for r, _ in PAGES if r is not None}:
        page = browsing.context(bypass_csp=True).new_page()
        sign_in(page, browsing.world.tokens[role])
        out[role] = page
    yield out
    for page in out.values():
        page.context.close()


@pytest.mark.parametrize(("role", "path"), PAGES, ids=[f"{r.value if r else 'anonymous'} {p}" for r, p in PAGES])
def test_no_axe_violations(browsing: Browsing, pages: dict[Role | None, Any], role: Role | None, path: str) -> None:
    candidate, vacancies, vacancy = _ids(browsing)
    url = path.format(c=candidate, v=vacancy, v1=vacancies[1], v2=vacancies[2])
    page = pages[role]
    page.goto(url)
    assert page.evaluate("document.documentElement.lang") == "de"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
    )
    assert unlabelled == []


def test_focus_is_visible_and_the_keyboard_reaches_the_content(
    browsing: Browsing, pages: dict[Role | None, Any]
) -> None:
    page = pages[Role.CASEWORKER]
    page.goto("/app/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Zum Inhalt springen"  # the skip link comes first
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhalt"
