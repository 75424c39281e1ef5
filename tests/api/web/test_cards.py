"""The caseworker's cards: honest strength words, reasons as ✓/✗ without repeats, state that sticks
("vorgeschlagen am", "passt nicht" folded away and left off the handout), the vacancy's own page
with contact and how to apply, the plain handout, and the notice when nothing in the target
occupation passes the filters. Through the app (TestClient) over a private copy of the world.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import Role
from matcher.ranking.strength import MEANING_DE
from tests.api.conftest import Ids, World, copy_world
from tests.api.web.conftest import form_token, signed_in_client
from tests.api.web.test_planning_pages import _page

pytestmark = pytest.mark.slow

WORDS = ("gute Aussicht", "mittlere Aussicht", "geringe Aussicht", "ohne Einschätzung")
CARD = re.compile(r'<li id="stelle-([^"]+)">(.*?)</li>\s*(?=<li id="stelle-|</ol>)', re.S)


@pytest.fixture(scope="module")
def world(api_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(api_world, tmp_path_factory.mktemp("cards") / "home")


@pytest.fixture(scope="module")
def app_client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings)) as client:
        yield client


@pytest.fixture(scope="module")
def caseworker(app_client: TestClient, world: World) -> Iterator[TestClient]:
    signed = signed_in_client(app_client.app, world, Role.CASEWORKER)
    yield signed
    signed.close()


def _text(html: str) -> str:
    """The visible text of a page (tags and the head left out)."""
    body = html.split("<body", 1)[-1]
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def _cards(html: str) -> dict[str, str]:
    """Vacancy id -> the card's HTML, for the open list (before the folded section)."""
    main = html.split('<details class="marked', 1)[0]
    return {m.group(1): m.group(2) for m in CARD.finditer(main)}


def _points(card: str, heading: str) -> list[str]:
    found = re.search(rf'<h4 class="points-head">{re.escape(heading)}</h4><ul[^>]*>(.*?)</ul>', card, re.S)
    return [] if not found else [_text(x).strip() for x in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def _page_of(client: TestClient, candidate: str, query: str = "") -> str:
    response = client.get(f"/app/candidates/{candidate}{query}")
    assert response.status_code == 200, response.text
    return response.text


def test_strength_in_words_with_percent_and_its_meaning(caseworker: TestClient, ids: Ids) -> None:
    html = _page_of(caseworker, ids.candidate, "?f=1&k=50")  # no filters: many fields
    assert "Passung stark" not in html and "Passung" not in _text(html)
    assert html_lib.escape(MEANING_DE, quote=False) in html or MEANING_DE in html_lib.unescape(html)
    cards = _cards(html)
    assert len(cards) >= 10
    for card in cards.values():
        badge = re.search(r'<span class="band (\w+)">(.*?)</span>', card, re.S)
        assert badge, card
        words = _text(badge.group(2))
        assert any(w in words for w in WORDS), words
        if "ohne Einschätzung" not in words:
            assert re.search(r"\((etwa \d+|unter 1) %\)", words), words


def test_another_field_never_gets_the_top_word(
    caseworker: TestClient, app_client: TestClient, world: World, ids: Ids
) -> None:
    """Every card whose reasons say "anderes Berufsfeld" (or lack every required skill) has no
    "gute Aussicht"; checked on the page and in the API's items of a list without filters."""
    html = _page_of(caseworker, ids.candidate, "?f=1&k=50")
    other = [c for c in _cards(html).values() if "anderes Berufsfeld" in c]
    assert other, "the unfiltered list should hold vacancies of other fields"
    assert not [c for c in other if "gute Aussicht" in c]
    headers = {"Authorization": f"Bearer {world.tokens[Role.CASEWORKER]}"}
    answer = app_client.post(
        f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 50, "filters": {"enabled": False}}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert all(isinstance(r, str) for i in items for r in i["reasons"])  # the contract holds
    capped = [i for i in items if any(r.startswith("anderes Berufsfeld") for r in i["reasons"])]
    assert capped and not [i for i in capped if i["strength"]["key"] == "gut"]
    assert all({"family", "text", "fits"} == set(p) for i in items for p in i["reason_points"])


def test_reasons_in_two_groups_without_repeats(caseworker: TestClient, ids: Ids) -> None:
    html = _page_of(caseworker, ids.candidate, "?f=1&k=20")
    cards = _cards(html)
    assert cards
    seen_misses = False
    for card in cards.values():
        fits, misses = _points(card, "Passt"), _points(card, "Passt nicht / fehlt")
        assert fits or misses
        assert all(p.startswith("✓") for p in fits) and all(p.startswith("✗") for p in misses)
        texts = [p[1:].strip() for p in fits + misses]
        assert len(texts) == len(set(texts)), texts  # no point twice
        assert not [t for t in texts if "Ähnlichkeit" in t or "ausgeschrieben" in t]
        assert "Stellen der KldB" not in card
        missing = [t for t in texts if t.startswith("Kenntnisse fehlen")]
        for label in ", ".join(m.split(": ", 1)[1] for m in missing).split(", "):
            label = label.rstrip(" …")
            if label:
                assert _text(card).count(label) == 1, label  # a missing skill is named once
        seen_misses = seen_misses or bool(misses)
        assert "Ausgeschrieben seit" in card  # the vacancy's age is a fact, not a reason
        assert "Wochenendarbeit ohne Bereitschaft" not in card
    assert seen_misses


def test_no_zero_counts_and_german_profile(caseworker: TestClient, ids: Ids) -> None:
    html = _page_of(caseworker, ids.candidate)
    _page(html)
    assert not re.search(r"<li>0 ausgeschlossen durch", html)
    text = _text(html)
    assert "Arbeitsuchende Person" in text and "Arbeitsuchende/r" not in text
    profile = text.split("Profil", 1)[1].split("Bisherige Vorschläge", 1)[0]
    assert "native" not in profile
    assert not re.search(r"\d\.\d+ Jahre", profile) and not re.search(r"\d\.\d+ Std", profile)


def test_outcome_then_passt_nicht_stick_on_the_card(caseworker: TestClient, ids: Ids) -> None:
    html = _page_of(caseworker, ids.candidate)
    first, second = list(_cards(html))[:2]
    csrf = form_token(html)
    day = date.today()
    saved = caseworker.post(
        f"/app/candidates/{ids.candidate}/outcome",
        data={"csrf_token": csrf, "vacancy_id": first, "outcome": "no_reaction", "proposed_at": day.isoformat()},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    html = _page_of(caseworker, ids.candidate)
    assert f"vorgeschlagen am {day.strftime('%d.%m.%Y')}" in _text(_cards(html)[first])
    assert f"/stellen/{first}" in html.split('id="verlauf"', 1)[1]  # and in the profile's history
    marked = caseworker.post(
        f"/app/candidates/{ids.candidate}/feedback",
        data={"csrf_token": csrf, "vacancy_id": second, "reason": "erreichbarkeit"},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    html = _page_of(caseworker, ids.candidate)
    assert second not in _cards(html)  # out of the list ...
    folded = html.split('<details class="marked', 1)[1].split("</details>", 1)[0]
    assert f'id="stelle-{second}"' in folded and "passt nicht (" in _text(folded)  # ... into the folded part
    assert f"am {day.strftime('%d.%m.%Y')}" in _text(folded)
    handout = caseworker.get(f"/app/candidates/{ids.candidate}/print")
    assert handout.status_code == 200
    assert second not in handout.text and first in handout.text


def test_the_handout_is_plain(caseworker: TestClient, ids: Ids) -> None:
    response = caseworker.get(f"/app/candidates/{ids.candidate}/print", params={"f": "1", "k": "20"})
    assert response.status_code == 200
    text = _text(response.text)
    assert "%" not in text and "Ähnlichkeit" not in text and "Aussicht" not in text
    assert not re.search(r"(?<![\d.])\d+\.\d+(?![\d.])", text), re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", text)
    for word in ("KldB", "Niveau", "seit ", "unter dem erreichten", "Modell", "score"):
        assert word not in text, word
    assert "So bewerben Sie sich" in text and "Ansprechpartner/in" in text and "Stellennummer" in text


def test_the_vacancy_page_has_the_advert_contact_and_how_to_apply(caseworker: TestClient, ids: Ids) -> None:
    html = _page_of(caseworker, ids.candidate)
    vacancy = next(iter(_cards(html)))
    assert f'href="/app/candidates/{ids.candidate}/stellen/{vacancy}"' in html  # the card's title links there
    response = caseworker.get(f"/app/candidates/{ids.candidate}/stellen/{vacancy}")
    assert response.status_code == 200, response.text
    _page(response.text)
    text = _text(response.text)
    for label in (
        "Kontakt und Bewerbung",
        "Ansprechpartner/in",
        "Telefon",
        "E-Mail",
        "Bewerbung",
        "Stellenbeschreibung",
    ):
        assert label in text, label
    assert 'href="mailto:' in response.text and vacancy in text
    missing = caseworker.get(f"/app/candidates/{ids.candidate}/stellen/AGS-1999-999999")
    assert missing.status_code == 404 and '<html lang="de">' in missing.text


def test_the_vacancy_page_is_for_caseworkers(app_client: TestClient, world: World, ids: Ids) -> None:
    employer = signed_in_client(app_client.app, world, Role.EMPLOYER_SERVICE)
    try:
        response = employer.get(f"/app/candidates/{ids.candidate}/stellen/{ids.vacancy}")
        assert response.status_code == 403
    finally:
        employer.close()


def test_compare_shows_the_words_not_the_score(caseworker: TestClient, ids: Ids) -> None:
    html = _page_of(caseworker, ids.candidate)
    chosen = list(_cards(html))[2:4]
    response = caseworker.get(f"/app/candidates/{ids.candidate}/compare", params=[("v", v) for v in chosen])
    assert response.status_code == 200, response.text
    assert "Bewertung (Modell)" not in response.text and "Aussicht" in response.text
    assert 'class="points-head">Passt' in response.text and "<h4" not in response.text  # no heading skipped


def test_nothing_in_the_target_occupation_is_said_first(
    caseworker: TestClient, app_client: TestClient, world: World
) -> None:
    engine = app_client.app.state.service.ready_engine()  # type: ignore[attr-defined]
    off = dict(commute=False, working_time=False, licences=False, availability=False)
    options = engine.config.filters.override(distance=True, max_distance_km=1.0, **off)
    person = None
    for candidate_id in engine.store.candidate_ids()[:300]:
        candidate = engine.candidate(candidate_id)
        result = engine.target_occupation_filters(candidate, options)
        if not candidate.skills or result.keep.any() or result.excluded.get("distance", 0) == 0:
            continue
        person = candidate
        break
    assert person is not None, "a person whose target occupation lies entirely beyond 1 km"
    html = _page_of(caseworker, person.id, "?f=1&max_distance_km=1&distance=on&k=10")
    notice = html.index("Keine offene Stelle im Zielberuf erfüllt die Filter")
    assert notice < html.find('<ol class="results">') or '<ol class="results">' not in html
    assert "„Entfernung“" in _text(html[notice : notice + 800])
    assert f"/app/candidates/{person.id}/opportunities" in html[notice : notice + 800]
