"""The employer service's requests and the caseworkers' answers, over HTTP against the two real
workers: the card shows "angefragt" and the user stays on the vacancy; the answer appears on the
card; decline reasons never hint at health or family; "Meine Anfragen" names the vacancy, not a
request id, and lets an open request be withdrawn; the inbox names who asked; the licences row;
vacancy numbers in any case; and outcome entries checked beside the card's own field."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

import httpx
import pytest

from api.security import Role
from matcher.records.models import PERMITS, Vacancy
from matcher.records.store import Store
from tests.api.conftest import World
from tests.api.servers import Server
from tests.api.web.conftest import form_token, http_sign_in

pytestmark = pytest.mark.slow

PRIVATE_HINTS = ("Krankheit", "Betreuung", "z. B. Maßnahme")


def _text(page: str) -> str:
    """What a reader sees: the page without tags, attributes and scripts."""
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _open_vacancies(world: World, n: int) -> list[Vacancy]:
    store = Store(world.settings.store_url)
    try:
        return store.vacancies(n, 0, "open")
    finally:
        store.close()


def _cards(page: str) -> list[str]:
    return re.findall(r'<li id="karte-(P-[A-Z2-7]{10})"', page)


def _card(page: str, pseudonym: str) -> str:
    start = page.index(f'<li id="karte-{pseudonym}"')
    return page[start : page.index("</li>\n", start)]


def _ask(client: httpx.Client, vacancy: str, pseudonym: str) -> httpx.Response:
    token = form_token(client.get(f"/app/vacancies/{vacancy}").text)
    data = {"candidate": pseudonym, "csrf_token": token, "back": "k=10&notice=alt"}
    return client.post(f"/app/vacancies/{vacancy}/contact", data=data)


def _answer(server: Server, world: World, vacancy: str, decision: str, reason: str = "") -> None:
    """The caseworker answers the open request on ``vacancy`` through the inbox form."""
    with http_sign_in(server, world.tokens[Role.CASEWORKER]) as client:
        inbox = client.get("/app/inbox").text
        block = next(b for b in inbox.split('<li class="request">')[1:] if f"<dd>{vacancy}</dd>" in b)
        action = re.search(r'action="([^"]+/answer)"', block)
        assert action, block
        data = {"csrf_token": form_token(inbox), "decision": decision, "reason": reason}
        assert client.post(action.group(1), data=data).status_code == 303


def test_a_request_marks_the_card_and_keeps_the_user_on_the_vacancy(web_server: Server, web_world: World) -> None:
    vacancy = _open_vacancies(web_world, 3)[2].id
    with http_sign_in(web_server, web_world.tokens[Role.EMPLOYER_SERVICE]) as client:
        first, second = _cards(client.get(f"/app/vacancies/{vacancy}").text)[:2]
        asked = _ask(client, vacancy, first)
        assert asked.status_code == 303
        location = asked.headers["location"]
        assert location.startswith(f"/app/vacancies/{vacancy}?") and location.endswith(f"#karte-{first}")
        assert "k=10" in location and "alt" not in location  # the list's choices kept, an old notice not
        page = client.get(location.split("#")[0]).text
        card = _card(page, first)
        assert f"angefragt am {date.today():%d.%m.%Y}" in _text(card)
        assert "Vorschlag anfragen" not in card  # no second request from the card
        assert "Vorschlag anfragen" in _card(page, second)
        assert f"Karte {first} angefragt" in _text(page)
        again = _ask(client, vacancy, first)
        assert again.headers["location"].endswith(f"#karte-{first}")
        assert "war bereits angefragt" in _text(client.get(again.headers["location"].split("#")[0]).text)

        # the caseworker declines as "not available": the employer service reads no examples
        _answer(web_server, web_world, vacancy, "decline", "nicht_verfuegbar")
        page = client.get(f"/app/vacancies/{vacancy}").text
        assert "abgelehnt: derzeit nicht verfügbar" in _text(_card(page, first))
        requests_page = client.get("/app/requests").text
        for shown in (page, requests_page):
            assert not [w for w in PRIVATE_HINTS if w in shown]

        # a second card is accepted: the answer appears on it, the identity stays off the card
        _ask(client, vacancy, second)
        _answer(web_server, web_world, vacancy, "accept")
        page = client.get(f"/app/vacancies/{vacancy}").text
        card = _card(page, second)
        assert f"angenommen am {date.today():%d.%m.%Y}" in _text(card) and "Vorschlag anfragen" not in card
    store = Store(web_world.settings.store_url)
    try:
        customers = store.candidate_ids()
    finally:
        store.close()
    assert not [c for c in customers if re.search(rf"\b{re.escape(c)}\b", page)]  # no identity on the cards


def test_my_requests_name_the_vacancy_and_card_not_the_request_id_and_can_be_withdrawn(
    web_server: Server, web_world: World
) -> None:
    vacancy = _open_vacancies(web_world, 4)[3]
    with http_sign_in(web_server, web_world.tokens[Role.EMPLOYER_SERVICE]) as client:
        pseudonym = _cards(client.get(f"/app/vacancies/{vacancy.id}").text)[0]
        _ask(client, vacancy.id, pseudonym)
        page = client.get("/app/requests").text
        assert "kr-" not in page  # neither shown nor in a form
        assert "<caption>" in page
        row = next(r for r in page.split("<tbody>", 1)[1].split("<tr>") if pseudonym in r)  # not the notice
        text = _text(row)
        assert vacancy.title in text and f"Stelle {vacancy.id}" in text and "angefragt am" in text
        assert "Berufshauptgruppe" not in text and ("Helfer" in text or "Fachkraft" in text)  # the card's summary
        data = {"csrf_token": form_token(page), "vacancy": vacancy.id, "candidate": pseudonym}
        withdrawn = client.post("/app/requests/withdraw", data=data)
        assert withdrawn.status_code == 303 and withdrawn.headers["location"] == "/app/requests"
        page = client.get("/app/requests").text
        assert f"Anfrage zu Karte {pseudonym} (Stelle {vacancy.id}) zurückgezogen." in _text(page)  # the notice
        row = next(r for r in page.split("<tbody>", 1)[1].split("<tr>") if pseudonym in r)
        assert "zurückgezogen am" in _text(row) and "Anfrage zurückziehen" not in row
        client.post("/app/requests/withdraw", data=data)
        assert "Keine offene Anfrage zu dieser Karte." in _text(client.get("/app/requests").text)
        card = _card(client.get(f"/app/vacancies/{vacancy.id}").text, pseudonym)
        assert "zurückgezogen" in _text(card) and "Vorschlag anfragen" in card  # may be asked again


def test_the_inbox_names_who_asked_and_the_vacancy_without_ids(web_server: Server, web_world: World) -> None:
    vacancy = _open_vacancies(web_world, 5)[4]
    with http_sign_in(web_server, web_world.tokens[Role.EMPLOYER_SERVICE]) as client:
        _ask(client, vacancy.id, _cards(client.get(f"/app/vacancies/{vacancy.id}").text)[0])
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        page = client.get("/app/inbox").text
    block = next(b for b in page.split('<li class="request">')[1:] if f"<dd>{vacancy.id}</dd>" in b)
    text = _text(block)
    assert vacancy.title in text and "Angefragt von" in text and "Arbeitgeberservice" in text
    assert "kr-" not in _text(page) and "<table>" not in block.split("</li>")[0]
    assert "Der Arbeitgeberservice sieht den Grund ohne Beispiele" in text


def test_employer_cards_show_the_licences_and_permits_the_vacancy_asks_for(
    web_server: Server, web_world: World
) -> None:
    with_permits = [v for v in _open_vacancies(web_world, 2000) if v.required_permits][:15]
    assert with_permits, "the world has no open vacancy that asks for a permit"
    with http_sign_in(web_server, web_world.tokens[Role.EMPLOYER_SERVICE]) as client:
        for vacancy in with_permits:
            page = client.get(f"/app/vacancies/{vacancy.id}").text
            if _cards(page):
                break
        else:
            pytest.fail("no vacancy with a permit has cards")
    card = _text(_card(page, _cards(page)[0]))
    assert "Führerscheine und Scheine" in card
    for code in vacancy.required_permits:
        assert f"{PERMITS[code]}: vorhanden" in card  # the licence filter lets only holders through
    assert not [code for code in vacancy.required_permits if re.search(rf"\b{code}\b", card)]  # no codes


def test_vacancy_numbers_are_found_in_any_case(web_server: Server, web_world: World) -> None:
    vacancy = _open_vacancies(web_world, 1)[0].id
    odd = "".join(c.lower() if i % 2 else c for i, c in enumerate(vacancy))
    with http_sign_in(web_server, web_world.tokens[Role.EMPLOYER_SERVICE]) as client:
        found = client.get("/app/vacancies", params={"q": odd})
        assert found.status_code == 303 and found.headers["location"] == f"/app/vacancies/{vacancy}"
        listed = client.get("/app/vacancies", params={"q": vacancy[:6].lower()})
        assert listed.status_code == 200 and vacancy[:6] in listed.text


def test_outcome_entries_are_checked_beside_the_cards_field(web_server: Server, web_world: World) -> None:
    store = Store(web_world.settings.store_url)
    try:
        candidate = [c.id for c in store.candidates(50) if c.skills][3]
    finally:
        store.close()
    with http_sign_in(web_server, web_world.tokens[Role.CASEWORKER]) as client:
        page = client.get(f"/app/candidates/{candidate}").text
        assert "Bewerbungsstand erfassen" in page and "Passt nicht, weil …" in page and "Vermerken" in page
        vacancy = re.findall(r'<li id="stelle-([^"]+)"', page)[0]
        token = form_token(page)

        def record(outcome: str, day: date) -> httpx.Response:
            data = {"csrf_token": token, "vacancy_id": vacancy, "outcome": outcome, "proposed_at": day.isoformat()}
            return client.post(f"/app/candidates/{candidate}/outcome", data={**data, "back": "k=10"})

        future = record("hired", date.today() + timedelta(days=1))
        assert future.status_code == 422
        error = re.search(rf'<p class="error" id="date-{re.escape(vacancy)}-error">([^<]+)</p>', future.text)
        assert error and "in der Zukunft" in error.group(1)
        assert future.text.count(error.group(1)) == 1  # beside the field only, not at the top of the list
        assert record("hired", date.today()).status_code == 303
        contradiction = record("rejected_by_employer", date.today())
        assert contradiction.status_code == 422
        error = re.search(rf'<p class="error" id="outcome-{re.escape(vacancy)}-error">([^<]+)</p>', contradiction.text)
        assert error and "Widerspruch" in html_lib.unescape(error.group(1))
        missing = client.post(
            f"/app/candidates/{candidate}/feedback", data={"csrf_token": token, "vacancy_id": vacancy, "reason": ""}
        )
        assert missing.status_code == 422 and f'id="reason-{vacancy}-error"' in missing.text
