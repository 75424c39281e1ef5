"""The employer service's pages: find a vacancy, its pseudonymised candidate cards with reasons,
"Vorschlag anfragen", and the answers to its requests.

Cards carry the person's pseudonym for this vacancy (:mod:`matcher.pseudonyms`), never the
customer number, free text, address or a protected attribute; distances and commute times come as
bands from the card's municipality, and limits snap to band edges, as in the API. The identity is
shown only after a caseworker accepted a request.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.routes.contacts import ask_for_contact, read_requests
from api.routes.shortlists import employer_options, shortlist_body
from api.schemas import FilterRequest, ShortlistRequest
from api.security import Permission, Principal
from api.service import Service
from api.views import DISTANCE_EDGES_KM
from api.web.caseworker import score_bands
from api.web.core import PREFIX, Allowed, Form, flash, redirect, render, service_of
from api.web.forms import FILTERS_DE, K_CHOICES, WORKING_TIME_DE, Parsed, choice
from matcher.contacts import DECLINE_REASONS, RequestStatus
from matcher.errors import UnknownPseudonymError
from matcher.models import PERMITS, Vacancy
from matcher.render import occupation_title, place_name
from matcher.text import fold, folded_words

router = APIRouter(prefix=PREFIX, include_in_schema=False)

EmployerService = Annotated[Principal, Depends(Allowed(Permission.VACANCY_SHORTLIST))]
Requesting = Annotated[Principal, Depends(Allowed(Permission.REQUEST_CONTACT))]

_SEARCH_LIMIT = 50
DISTANCE_CHOICES = {str(km): f"bis {km} km" for km in DISTANCE_EDGES_KM}


def _open_vacancies(request: Request) -> list[Vacancy]:
    engine = service_of(request).ready_engine()
    return [v for v in engine.vacancies.rows.view().records if v is not None]


@router.get("/vacancies", response_class=HTMLResponse)
def find_vacancies(request: Request, who: EmployerService) -> Response:
    """Open vacancies by id, title, employer or occupation code (exact id: straight to it)."""
    service = service_of(request)
    q = request.query_params.get("q", "").strip()[:200]
    found: list[Vacancy] = []
    if q:
        engine = service.ready_engine()
        for candidate_id in dict.fromkeys((q, q.upper())):  # the vacancy number in any case
            if candidate_id in engine.vacancies:
                return redirect(f"{PREFIX}/vacancies/{candidate_id}")
        found = [v for v in _open_vacancies(request) if _matches(q, v, service)]
        found.sort(key=lambda v: (v.posted_at, v.id), reverse=True)
    return render(
        request,
        "vacancies.html",
        title="Stellen finden",
        q=q,
        found=[_vacancy_line(v, service) for v in found[:_SEARCH_LIMIT]],
        total=len(found),
        limit=_SEARCH_LIMIT,
    )


def _matches(q: str, v: Vacancy, service: Any) -> bool:
    """Word by word, folded (:func:`matcher.text.fold`: case, umlauts, ae/oe/ue/ss): each word of
    ``q`` is in the title, the employer, the place, or starts the occupation code or number."""
    text = fold(f"{v.title} {v.employer_name} {place_name(v.ags, service.reference)}")
    words = folded_words(q)
    return bool(words) and all(w in text or v.kldb.startswith(w) or w in fold(v.id) for w in words)


def _vacancy_line(v: Vacancy, service: Any) -> dict[str, Any]:
    return {
        "id": v.id,
        "title": v.title,
        "employer": v.employer_name,
        "occupation": occupation_title(v.kldb, service.reference),
        "place": place_name(v.ags, service.reference),
        "posted_at": v.posted_at,
    }


def vacancy_summary(v: Vacancy, service: Any) -> list[tuple[str, str]]:
    return [
        ("Stelle", v.id),
        ("Arbeitgeber", v.employer_name),
        ("Beruf", f"{occupation_title(v.kldb, service.reference)} ({v.kldb})"),
        ("Arbeitsort", f"{v.postcode} {place_name(v.ags, service.reference)}"),
        (
            "Arbeitszeit",
            WORKING_TIME_DE.get(v.working_time.value, v.working_time.value)
            + (f", {v.hours_per_week:g} Std./Woche" if v.hours_per_week else ""),
        ),
        ("Führerscheine", ", ".join(v.required_licences) or "keine"),
        ("Scheine", ", ".join(PERMITS.get(p, p) for p in v.required_permits) or "keine"),
        ("Deutsch mindestens", v.german_level_min.value if v.german_level_min else "keine Angabe"),
        ("Beginn", v.start_date.strftime("%d.%m.%Y") if v.start_date else "ab sofort"),
    ]


@router.get("/vacancies/{vacancy_id}", response_class=HTMLResponse)
def vacancy_page(vacancy_id: str, request: Request, who: EmployerService) -> HTMLResponse:
    service = service_of(request)
    engine = service.ready_engine()
    vacancy = engine.vacancy(engine.store.resolve_vacancy_id(vacancy_id))  # UnknownVacancyError: 404 page
    params = request.query_params
    parsed = Parsed()
    choice(parsed, params, "k", [str(k) for k in K_CHOICES], "Anzahl", "10")
    choice(parsed, params, "distance", ["", *DISTANCE_CHOICES], "Entfernung", "")
    body = _cards(service, who, vacancy, parsed) if parsed.ok else None
    return render(
        request,
        "vacancy.html",
        partial="_cards.html",
        title=f"Stelle {vacancy.id}",
        vacancy=vacancy,
        summary=vacancy_summary(vacancy, service),
        form=parsed,
        body=body,
        k_choices=K_CHOICES,
        distance_choices=DISTANCE_CHOICES,
        filters_de=FILTERS_DE,
        working_time_de=WORKING_TIME_DE,
    )


def _cards(service: Service, who: Principal, vacancy: Vacancy, parsed: Parsed) -> dict[str, Any]:
    """The shortlist of cards for the page's choices (k, distance)."""
    km = float(parsed.clean["distance"]) if parsed.clean["distance"] else None
    return employer_cards(service, who, vacancy, "GET /app/vacancies/{id}", int(parsed.clean["k"]), km)


def employer_cards(
    service: Service, who: Principal, vacancy: Vacancy, endpoint: str, k: int = 10, max_distance_km: float | None = None
) -> dict[str, Any]:
    """The pseudonymised cards for a vacancy (stored or a draft), audited, scored in bands."""
    engine = service.ready_engine()
    filters = FilterRequest(max_distance_km=max_distance_km)
    options, warnings = employer_options(who, filters, engine.config.filters)
    result = engine.shortlist_for_vacancy(vacancy, k, options, True)
    request = ShortlistRequest(k=k, filters=filters)
    body = shortlist_body(service, who, endpoint, request, result, vacancy, uuid4().hex, engine.gazetteer, warnings)
    score_bands(body["items"])
    return body


@router.post("/vacancies/{vacancy_id}/contact")
def request_contact(vacancy_id: str, request: Request, who: Requesting, form: Form) -> Response:
    """ "Vorschlag anfragen": a contact request to the caseworkers; nothing goes to the person."""
    try:
        made, created = ask_for_contact(service_of(request), who, vacancy_id, form.get("candidate", ""))
    except UnknownPseudonymError:
        flash(request, "Diese Karte gibt es für die Stelle nicht.", "problem")
        return redirect(f"{PREFIX}/vacancies/{vacancy_id}")
    said = "angefragt" if created else "bereits angefragt"
    flash(request, f"{made.pseudonym} {said}.")
    return redirect(f"{PREFIX}/requests")


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request, who: Requesting) -> HTMLResponse:
    """The answers: open, accepted (with the customer number) or declined (with the reason)."""
    rows, _ = read_requests(service_of(request), who, None, 200, 0, "GET /app/requests")
    return render(
        request,
        "requests.html",
        title="Meine Anfragen",
        rows=rows,
        reasons=DECLINE_REASONS,
        accepted=RequestStatus.ACCEPTED,
        declined=RequestStatus.DECLINED,
    )
