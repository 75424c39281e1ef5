"""The occupation suggestions in the web app: a page without JavaScript, a fragment for htmx, and
the "Berufsbezeichnung" field on the ad-hoc profile form."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from tests.api.web.test_planning_pages import _page


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.DATA_TEAM])
def test_the_page_lists_codes_without_javascript(signed_in: dict[Role, TestClient], role: Role) -> None:
    response = signed_in[role].get("/app/occupations", params={"q": "Staplerfahrer Nachtschicht"})
    assert response.status_code == 200, response.text
    _page(response.text)
    assert "<code>52531</code>" in response.text and "http://data.europa.eu/esco/occupation/" in response.text
    assert '<label for="q">Berufsbezeichnung</label>' in response.text


@pytest.mark.slow
def test_htmx_gets_the_list_alone(signed_in: dict[Role, TestClient]) -> None:
    response = signed_in[Role.CASEWORKER].get("/app/occupations?q=B%C3%A4ckerin", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("{#") is False and "<html" not in response.text
    assert 'id="occupation-suggestions"' in response.text and "<code>29222</code>" in response.text


def test_too_long_a_title_is_an_error_beside_the_field(signed_in: dict[Role, TestClient]) -> None:
    response = signed_in[Role.CASEWORKER].get("/app/occupations", params={"q": "x" * 201})
    assert response.status_code == 200 and 'id="q-error"' in response.text and 'aria-invalid="true"' in response.text


def test_the_profile_form_offers_suggestions(signed_in: dict[Role, TestClient]) -> None:
    html = signed_in[Role.CASEWORKER].get("/app/match").text
    _page(html)
    assert 'hx-get="/app/occupations"' in html and 'hx-trigger="keyup changed delay:300ms' in html
    # without JavaScript the search button posts the profile form, which comes back as typed
    assert 'hx-target="#occupation-suggestions"' in html and 'name="action" value="suggest"' in html


def test_signed_out_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/app/occupations?q=B%C3%A4cker", follow_redirects=False)
    assert response.status_code in (303, 307) or "login" in response.text
