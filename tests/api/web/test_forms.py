"""Forms in the GOV.UK pattern (issue 25): all errors at once with a summary that links to the
fields, decimal commas, no silent defaults, skills by folded label, flash notices from the
session, the k bound, a form kept over an expired session, and the start pages."""

from __future__ import annotations

import re
import time
import unicodedata

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import update

from api.security import Role
from api.web.forms import GERMAN_LEVELS, SCHOOL_DE, VOCATIONAL_DE, WORKING_TIME_DE, schema_message
from api.web.profile_form import TEXT_MAX
from api.web.sessions import SESSION_COOKIE, _digest, web_sessions_table
from matcher.records.models import CandidateProfile
from matcher.records.reference import ReferenceData
from matcher.records.text import fold
from tests.api.conftest import Ids, World
from tests.api.web.conftest import form_token, signed_in_client
from tests.api.web.test_planning_pages import _page


def _idle(browser: TestClient, minutes: float) -> None:
    """This browser's session has seen no request for ``minutes`` (the others are left alone)."""
    sessions = browser.app.state.web.sessions  # type: ignore[attr-defined]
    session_id = sessions._unsign(browser.cookies.get(SESSION_COOKIE))
    assert session_id
    with sessions.engine.begin() as conn:
        t = web_sessions_table
        conn.execute(update(t).where(t.c.id_sha256 == _digest(session_id)).values(seen_at=time.time() - minutes * 60))


def _one_place(reference: ReferenceData) -> tuple[str, str]:
    """A postcode that names exactly one municipality, and that municipality."""
    for postcode, places in sorted(reference.postcode_municipalities.items()):
        if len(places) == 1:
            return postcode, places[0]
    raise AssertionError("no postcode with one municipality")


def _profile(client: TestClient, **fields: str) -> dict[str, str]:
    reference = client.app.state.service.reference  # type: ignore[attr-defined]
    postcode, _ = _one_place(reference)
    data = {
        "csrf_token": form_token(client.get("/app/match").text),
        "occupation": "52122",
        "level": "2",
        "postcode": postcode,
        "ags": "",
        "skills": "Regale auffüllen",
        "german_level": "B2",
        "working_time": "full_time",
        "school": "hauptschule",
        "vocational": "none",
    }
    data.update(fields)
    return data


def test_fold_is_one_key_for_the_spellings() -> None:
    assert fold("Straßenbauer") == fold("STRASSENBAUER") == fold("strassenbauer")
    assert fold("Regale auffuellen") == fold(unicodedata.normalize("NFD", "Regale auffüllen")) == "regale auffuellen"
    assert fold("  Bäcker\u00a0 ") == "baecker"


def test_skills_resolve_folded_and_by_synonym() -> None:
    reference = ReferenceData()
    by_label = reference.skill_ids_by_label
    exact = by_label[fold("Regale auffüllen")]
    assert by_label[fold("Regale auffuellen")] == exact
    assert by_label[fold(unicodedata.normalize("NFD", "REGALE AUFFÜLLEN"))] == exact
    assert [label for _, label in reference.skill_suggestions("auffuellen", 8)][0] == "Regale auffüllen"


def test_the_text_limit_is_the_schemas() -> None:
    assert CandidateProfile.model_fields["profile_text"].metadata[0].max_length == TEXT_MAX


def test_a_profile_with_several_errors_lists_them_all_at_once(signed_in: dict[Role, TestClient]) -> None:
    client = signed_in[Role.CASEWORKER]
    data = _profile(
        client,
        occupation="",
        level="",
        postcode="",
        german_level="",
        hours_per_week="0,5",
        experience_years="-1",
        skills="Regale auffuellen\nBrötchen zaubern",
        profile_text="x" * (TEXT_MAX + 1),
    )
    response = client.post("/app/match", data=data)
    assert response.status_code == 422
    html = response.text
    _page(html)
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    assert (
        'role="alert"' in summary.group(0) and "autofocus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    )
    assert "Es gibt ein Problem" in summary.group(1)
    links = dict(re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary.group(1)))
    for name in ("occupation", "level", "postcode", "german_level", "hours_per_week", "experience_years", "skills"):
        assert name in links, (name, links)
        assert f'id="{name}"' in html  # the link's target is the field
    assert "profile_text" in links
    assert links["hours_per_week"] == "Stunden pro Woche: bitte eine Zahl von 1 bis 60 eingeben."
    assert links["experience_years"] == "Berufserfahrung (Jahre): bitte eine Zahl von 0 bis 60 eingeben."
    assert links["profile_text"].startswith("Kurzbeschreibung: höchstens 4.000 Zeichen")
    assert links["level"].startswith("Anforderungsniveau:") and links["german_level"].startswith("Deutschkenntnisse:")
    assert "Brötchen zaubern" in html and "Regale auffuellen" not in links["skills"]
    assert "-0.001" not in html and "ungültiger Wert" not in html
    assert f'maxlength="{TEXT_MAX}"' in html and "(Pflichtfeld)" in html


def test_a_date_the_schema_refuses_is_a_german_sentence_beside_the_field(signed_in: dict[Role, TestClient]) -> None:
    """The hand parser reads "01.01.1899" as a date; the schema's plausible range refuses it, and the
    page says so in German with the field's label (it used to show "available_from: ungültiger Wert.")."""
    client = signed_in[Role.CASEWORKER]
    response = client.post("/app/match", data=_profile(client, available_from="01.01.1899"))
    assert response.status_code == 422
    beside = re.search(r'<p[^>]*id="available_from-error"[^>]*>(.*?)</p>', response.text, re.S)
    assert beside and "Verfügbar ab: bitte ein Datum zwischen 01.01.1900 und 31.12.2100 eingeben." in beside.group(1)
    assert "available_from:" not in response.text and "ungültiger Wert" not in response.text


def test_schema_errors_are_german_sentences_by_error_type() -> None:
    with pytest.raises(ValidationError) as caught:
        CandidateProfile.model_validate(
            {"ags": "x", "postcode": "x", "occupations": [], "level": 9, "hours_per_week": 0.5, "working_time": "?"}
        )
    by_field = {str(e["loc"][0]): schema_message(e, "Feld") for e in caught.value.errors()}
    assert by_field["level"] == "Feld: bitte einen Wert bis 4 eingeben."
    assert by_field["hours_per_week"] == "Feld: bitte einen Wert ab 1 eingeben."
    assert by_field["working_time"] == "Feld: bitte einen Eintrag aus der Liste wählen."
    assert by_field["occupations"] == "Feld: bitte mindestens 1 angeben."
    assert all(message.startswith("Feld: ") and message.endswith(".") for message in by_field.values())
    assert schema_message({"type": "a_new_type", "loc": ()}, "Feld") == "Feld: bitte prüfen Sie diese Angabe."


def test_selects_start_at_bitte_waehlen(signed_in: dict[Role, TestClient]) -> None:
    html = signed_in[Role.CASEWORKER].get("/app/match").text
    for name in ("level", "german_level", "working_time", "school", "vocational"):
        select = re.search(rf'<select id="{name}" name="{name}"[^>]*>(.*?)</select>', html, re.S)
        assert select, name
        assert select.group(1).lstrip().startswith('<option value="">bitte wählen</option>'), name
        assert " selected" not in select.group(1), name
    assert {"A1", "native"} <= set(GERMAN_LEVELS) and WORKING_TIME_DE and SCHOOL_DE and VOCATIONAL_DE


@pytest.mark.slow
def test_decimal_commas_folded_skills_and_the_postcode_alone(signed_in: dict[Role, TestClient]) -> None:
    client = signed_in[Role.CASEWORKER]
    nfd = unicodedata.normalize("NFD", "Regale auffüllen")
    data = _profile(client, hours_per_week="37,5", experience_years="0,5", skills=f"Regale auffuellen; {nfd}")
    response = client.post("/app/match", data=data)
    assert response.status_code == 200, re.findall(r'class="error"[^>]*>(.*?)</p>', response.text)
    assert "Vorgeschlagene Stellen" in response.text and "error-summary" not in response.text


def test_an_unknown_skill_is_named_with_suggestions(signed_in: dict[Role, TestClient]) -> None:
    client = signed_in[Role.CASEWORKER]
    response = client.post("/app/match", data=_profile(client, skills="Waren auffüllen"))
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="skills-error">(.*?)</p>', response.text, re.S)
    assert error and "„Waren auffüllen“" in error.group(1) and "meinten Sie" in error.group(1)


def test_the_skills_picker_suggests_labels(signed_in: dict[Role, TestClient]) -> None:
    response = signed_in[Role.CASEWORKER].get("/app/skills", params={"q": "regale auffuellen"})
    assert response.status_code == 200 and 'data-add-skill="Regale auffüllen"' in response.text
    assert "<html" not in response.text


def test_taking_a_code_over_without_javascript_keeps_the_form(signed_in: dict[Role, TestClient]) -> None:
    client = signed_in[Role.CASEWORKER]
    data = _profile(client, occupation="", profile_text="Ich fahre gern Stapler", take_kldb="52531")
    response = client.post("/app/match", data=data)
    assert response.status_code == 200 and "error-summary" not in response.text
    assert 'name="occupation" type="text" value="52531"' in response.text
    assert "Ich fahre gern Stapler" in response.text


def test_a_notice_in_the_url_is_not_shown(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    html = signed_in[Role.CASEWORKER].get(f"/app/candidates/{ids.candidate}?notice=evil+hotline").text
    assert "evil hotline" not in html


def test_a_saved_outcome_is_said_once(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    client = signed_in[Role.CASEWORKER]
    page = client.get(f"/app/candidates/{ids.candidate}").text
    vacancy = re.search(r'name="vacancy_id" value="([^"]+)"', page)
    assert vacancy
    data = {"csrf_token": form_token(page), "vacancy_id": vacancy.group(1), "outcome": "applied", "back": "k=10"}
    answer = client.post(f"/app/candidates/{ids.candidate}/outcome", data=data, follow_redirects=False)
    assert answer.status_code == 303 and "notice" not in answer.headers["location"]
    first = client.get(answer.headers["location"]).text
    said = f"Gespeichert: Stelle {vacancy.group(1)} – beworben."
    assert said in first and 'class="flash success" role="status"' in first
    assert said not in client.get(answer.headers["location"]).text  # once


def test_k_out_of_range_is_an_error_beside_the_field(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    response = signed_in[Role.CASEWORKER].get(f"/app/candidates/{ids.candidate}?k=1000")
    assert response.status_code == 422
    assert 'id="k-error"' in response.text and "Liste nicht aktualisiert" in response.text


def test_an_expired_session_keeps_the_profile_form(client: TestClient, api_world: World) -> None:
    browser = signed_in_client(client.app, api_world, Role.CASEWORKER)
    data = _profile(browser, occupation="5212", profile_text="Gesprächsnotiz Ä", hours_per_week="20")
    _idle(browser, 31)
    answer = browser.post("/app/match", data=data, follow_redirects=False)
    assert answer.status_code == 303 and "/app/login" in answer.headers["location"]
    assert "next=%2Fapp%2Fmatch" in answer.headers["location"] and "kl_stash" in answer.headers.get("set-cookie", "")
    login = browser.get(answer.headers["location"]).text
    signed = browser.post(
        "/app/login",
        data={"csrf_token": form_token(login), "token": api_world.tokens[Role.CASEWORKER], "next": "/app/match"},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/app/match"
    html = browser.get("/app/match").text
    assert "Nicht gespeichert" in html and "Gesprächsnotiz Ä</textarea>" in html
    assert 'name="occupation" type="text" value="5212"' in html and 'value="20"' in html
    assert "Gesprächsnotiz" not in browser.get("/app/match").text  # restored once
    browser.close()


def test_another_person_never_sees_the_kept_form(client: TestClient, api_world: World) -> None:
    browser = signed_in_client(client.app, api_world, Role.CASEWORKER)
    data = _profile(browser, profile_text="vertraulich 123")
    _idle(browser, 31)
    answer = browser.post("/app/match", data=data, follow_redirects=False)
    login = browser.get(answer.headers["location"]).text
    browser.post(
        "/app/login",
        data={"csrf_token": form_token(login), "token": api_world.tokens[Role.ADMIN], "next": "/app/match"},
        follow_redirects=False,
    )
    assert "vertraulich 123" not in browser.get("/app/match").text
    browser.close()


def test_a_kept_form_reaching_the_page_after_a_provider_sign_in_is_only_the_owners(
    client: TestClient, api_world: World
) -> None:
    """After a sign-in at the OpenID provider the stash cookie (SameSite=Strict) is not sent to the
    callback, so the form's page itself checks whose typing it is."""
    first = signed_in_client(client.app, api_world, Role.CASEWORKER)
    data = _profile(first, profile_text="vertraulich 456")
    _idle(first, 31)
    first.post("/app/match", data=data, follow_redirects=False)
    stash = next(cookie for cookie in first.cookies.jar if cookie.name == "kl_stash")
    other = signed_in_client(client.app, api_world, Role.ADMIN)  # signed in elsewhere: the stash was not read
    other.cookies.jar.set_cookie(stash)
    html = other.get("/app/match").text
    assert "vertraulich 456" not in html and "Nicht gespeichert" not in html
    owner = signed_in_client(client.app, api_world, Role.CASEWORKER)
    owner.cookies.jar.set_cookie(stash)
    html = owner.get("/app/match").text
    assert "vertraulich 456</textarea>" in html and "Nicht gespeichert" in html
    for browser in (first, other, owner):
        browser.close()


def test_an_expired_session_keeps_the_vacancy_draft(client: TestClient, api_world: World) -> None:
    browser = signed_in_client(client.app, api_world, Role.EMPLOYER_SERVICE)
    token = form_token(browser.get("/app/vacancy-draft").text)
    _idle(browser, 31)
    data = {"csrf_token": token, "title": "Lagerhelfer Frühschicht Ö", "kldb": "51311", "description": "Kurztext"}
    answer = browser.post("/app/vacancy-draft", data=data, follow_redirects=False)
    assert answer.status_code == 303 and "next=%2Fapp%2Fvacancy-draft" in answer.headers["location"]
    login = browser.get(answer.headers["location"]).text
    browser.post(
        "/app/login",
        data={"csrf_token": form_token(login), "token": api_world.tokens[Role.EMPLOYER_SERVICE], "next": "/app/"},
        follow_redirects=False,
    )
    html = browser.get("/app/vacancy-draft").text
    assert "Nicht gespeichert" in html and 'value="Lagerhelfer Frühschicht Ö"' in html
    assert "Lagerhelfer Frühschicht" not in browser.get("/app/vacancy-draft").text  # restored once
    browser.close()


def test_start_pages_lead_with_the_roles_search(signed_in: dict[Role, TestClient]) -> None:
    caseworker = signed_in[Role.CASEWORKER].get("/app/").text
    assert "<h1>Arbeitsuchende finden</h1>" in caseworker and 'action="/app/candidates"' in caseworker
    employer = signed_in[Role.EMPLOYER_SERVICE].get("/app/").text
    assert "<h1>Stellen finden</h1>" in employer and 'action="/app/vacancies"' in employer


def test_customer_numbers_in_any_case_and_without_prefix(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    client = signed_in[Role.CASEWORKER]
    for typed in (ids.candidate.lower(), ids.candidate.split("-")[-1]):
        answer = client.get("/app/candidates", params={"q": typed}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/app/candidates/{ids.candidate}", typed


def test_vacancy_search_word_by_word_folded(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    client = signed_in[Role.EMPLOYER_SERVICE]
    title = ids.vacancy_record["title"]
    word = max(re.findall(r"\w+", title), key=len)
    typed = word.upper().replace("Ä", "AE").replace("Ö", "OE").replace("Ü", "UE").replace("ß", "SS")
    html = client.get("/app/vacancies", params={"q": typed}).text
    assert ids.vacancy in html, typed
    answer = client.get("/app/vacancies", params={"q": ids.vacancy.lower()}, follow_redirects=False)
    assert answer.status_code == 303


def test_the_sign_in_page_names_the_demo_file_only_in_demo_mode(client: TestClient) -> None:
    html = TestClient(client.app).get("/app/login").text
    demo = client.app.state.service.settings.demo_tokens_file.exists()  # type: ignore[attr-defined]
    assert ("demo_tokens.json" in html) == demo


def test_an_empty_token_asks_for_it(client: TestClient) -> None:
    browser = TestClient(client.app)
    page = browser.get("/app/login").text
    answer = browser.post("/app/login", data={"csrf_token": form_token(page), "token": "", "next": "/app/"})
    assert answer.status_code == 401 and "bitte eingeben" in answer.text and "Es gibt ein Problem" in answer.text


def test_compare_not_possible_links_back_with_the_selection(signed_in: dict[Role, TestClient], ids: Ids) -> None:
    response = signed_in[Role.CASEWORKER].get(f"/app/candidates/{ids.candidate}/compare", params={"v": "AGS-1"})
    assert response.status_code == 422
    assert f'href="/app/candidates/{ids.candidate}?v=AGS-1#ergebnisse"' in response.text
    assert "Auswahl bleibt erhalten" in response.text


def test_enter_in_a_field_submits_the_profile_not_a_suggestion(signed_in: dict[Role, TestClient]) -> None:
    html = signed_in[Role.CASEWORKER].get("/app/match").text
    form = html[html.index('id="profil"') :]
    first_button = re.search(r"<button[^>]*>([^<]*)</button>", form)
    assert first_button and first_button.group(1) == "Vorschläge anzeigen" and "name=" not in first_button.group(0)


@pytest.mark.slow
def test_occupation_search_folds_spellings(signed_in: dict[Role, TestClient]) -> None:
    client = signed_in[Role.CASEWORKER]
    for typed, code in (("Strassenbauer", "32222"), ("STRASSENBAUER", "32222"), ("Verkaeuferin", "621")):
        html = client.get("/app/occupations", params={"q": typed}, headers={"HX-Request": "true"}).text
        first_five = re.findall(r"<code>(\d{5})</code>", html)[:5]
        assert any(c.startswith(code) for c in first_five), (typed, first_five)
