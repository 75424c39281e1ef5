"""The employer service's pages: find a vacancy, its pseudonymised candidate cards with reasons,
"Vorschlag anfragen", and the answers to its requests.

Cards carry the person's pseudonym for this vacancy (:mod:`matcher.services.pseudonyms`), never the
customer number, free text, address or a protected attribute; distances and commute times come as
bands from the card's municipality, and limits snap to band edges, as in the API. The identity is
shown only after a caseworker accepted a request.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_

from api.actions import ask_for_contact, read_requests, withdraw_contact
from api.deps import ReadyEngine, ServiceDep
from api.endpoint import Endpoint
from api.present import audience_of, present_shortlist
from api.routes.shortlists import audience_options
from api.schemas import FilterRequest
from api.security import Permission, Principal
from api.service import Service
from api.web.core import PREFIX, Allowed, Form, de_date, flash, redirect, render
from api.web.forms import FILTERS_DE, K_CHOICES, WORKING_TIME_DE, Parsed, choice
from matcher.errors import (
    ContactRequestClosedError,
    UnknownCandidateError,
    UnknownContactRequestError,
    UnknownPseudonymError,
    UnknownVacancyError,
)
from matcher.ranking.engine import Engine
from matcher.ranking.geography import DISTANCE_EDGES_KM
from matcher.records.cards import coarse_card
from matcher.records.models import PERMITS, Vacancy
from matcher.records.render import occupation_title, place_name
from matcher.records.text import fold, folded_words
from matcher.services.contacts import DECLINE_REASONS_ES, ContactRequest, RequestStatus, contact_requests_table, made_by

router = APIRouter(prefix=PREFIX, include_in_schema=False)

EmployerService = Annotated[Principal, Depends(Allowed(Permission.VACANCY_SHORTLIST))]
Requesting = Annotated[Principal, Depends(Allowed(Permission.REQUEST_CONTACT))]

_SEARCH_LIMIT = 50
DISTANCE_CHOICES = {str(km): f"bis {km} km" for km in DISTANCE_EDGES_KM}


def _open_vacancies(engine: Engine) -> list[Vacancy]:
    return [v for v in engine.vacancies.rows.view().records if v is not None]


@router.get("/vacancies", response_class=HTMLResponse)
def find_vacancies(request: Request, who: EmployerService, service: ServiceDep) -> Response:
    """Open vacancies by id, title, employer or occupation code (exact id: straight to it); the
    page without a search needs no engine."""
    q = request.query_params.get("q", "").strip()[:200]
    found: list[Vacancy] = []
    if q:
        engine = service.ready_engine()
        for candidate_id in dict.fromkeys((q, q.upper())):  # the vacancy number in any case
            if candidate_id in engine.vacancies:
                return redirect(f"{PREFIX}/vacancies/{candidate_id}")
        found = [v for v in _open_vacancies(engine) if _matches(q, v, service)]
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
    """Word by word, folded (:func:`matcher.records.text.fold`: case, umlauts, ae/oe/ue/ss): each word of
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
def vacancy_page(
    vacancy_id: str,
    request: Request,
    who: EmployerService,
    endpoint: Endpoint,
    engine: ReadyEngine,
    service: ServiceDep,
) -> HTMLResponse:
    vacancy = engine.vacancy(engine.store.resolve_vacancy_id(vacancy_id))  # UnknownVacancyError: 404 page
    params = request.query_params
    parsed = Parsed()
    choice(parsed, params, "k", [str(k) for k in K_CHOICES], "Anzahl", "10")
    choice(parsed, params, "distance", ["", *DISTANCE_CHOICES], "Entfernung", "")
    body = _cards(service, who, vacancy, parsed, endpoint) if parsed.ok else None
    if body is not None:
        mark_requested(service, who, vacancy.id, body["items"], endpoint)
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
        query=urlencode([(k, v) for k, v in params.multi_items() if k != "notice"]),
    )


def _cards(service: Service, who: Principal, vacancy: Vacancy, parsed: Parsed, endpoint: str) -> dict[str, Any]:
    """The shortlist of cards for the page's choices (k, distance)."""
    km = float(parsed.clean["distance"]) if parsed.clean["distance"] else None
    return employer_cards(service, who, vacancy, endpoint, int(parsed.clean["k"]), km)


def employer_cards(
    service: Service, who: Principal, vacancy: Vacancy, endpoint: str, k: int = 10, max_distance_km: float | None = None
) -> dict[str, Any]:
    """The pseudonymised cards for a vacancy (stored or a draft), audited, scored in bands."""
    engine = service.ready_engine()
    filters = FilterRequest(max_distance_km=max_distance_km)
    audience = audience_of(who, service)
    options, warnings = audience_options(audience, filters, engine.config.filters)
    result = engine.shortlist_for_vacancy(vacancy, k, options, True, audience)
    service.audit_shortlist(who, endpoint, result)
    body = present_shortlist(result, audience, engine.reference, uuid4().hex, warnings)
    for item in body["items"]:
        item["permits"] = permit_rows(item.get("details"))
    return body


def permit_rows(details: dict[str, Any] | None) -> list[tuple[str, bool]]:
    """The card's "Führerscheine und Scheine" row: (German name, held) for each licence and permit
    the vacancy asks for. Only the vacancy's own requirements, so nothing beyond the card rules."""
    if not details:
        return []
    held = details["licences"]
    licences = [(f"Führerschein {code}", code not in held["missing"]) for code in held["required"]]
    permits = [(PERMITS.get(code, code), code not in held["missing_permits"]) for code in held["required_permits"]]
    return licences + permits


def mark_requested(
    service: Service, who: Principal, vacancy_id: str, items: list[dict[str, Any]], endpoint: str
) -> None:
    """Mark the cards this person (or their team) already asked for with the request's state;
    matched on the server by the person behind the card, nothing of the identity goes out."""
    book = service.contacts
    if book is None or not items:
        return
    t = contact_requests_table
    mine = book.requests(None, 200, 0, and_(made_by(who.user_id, sorted(who.teams)), t.c.vacancy_id == vacancy_id))
    latest: dict[str, ContactRequest] = {}
    for made in mine:  # newest first: the latest request per person counts
        latest.setdefault(service.pseudonym(vacancy_id, made.candidate_id), made)
    marked = [(item, latest[item["id"]]) for item in items if item["id"] in latest]
    for item, made in marked:
        item["request"] = request_state(made)
    if marked:
        audited = [(made.candidate_id, None) for _, made in marked]
        service.audit(who, endpoint, f"requests:{vacancy_id}", audited, kind="read")


def request_state(made: ContactRequest) -> dict[str, Any]:
    """What the employer service reads of a request's state (German, no identity, neutral reason)."""
    status = made.status
    if status is RequestStatus.ACCEPTED:
        text = f"angenommen am {de_date(made.answered_at)}"
    elif status is RequestStatus.DECLINED:
        text = f"abgelehnt: {DECLINE_REASONS_ES.get(made.decline_reason or '', 'sonstiger Grund')}"
    elif status is RequestStatus.WITHDRAWN:
        text = f"zurückgezogen am {de_date(made.answered_at)}"
    else:
        text = f"angefragt am {de_date(made.requested_at)}, noch keine Antwort"
    # a withdrawn request may be asked again; any other blocks a second request
    return {"status": status.value, "text": text, "blocks": status is not RequestStatus.WITHDRAWN}


@router.post("/vacancies/{vacancy_id}/contact")
def request_contact(vacancy_id: str, request: Request, who: Requesting, form: Form, service: ServiceDep) -> Response:
    """ "Vorschlag anfragen": a contact request to the caseworkers; nothing goes to the person. The
    user stays on the vacancy's list, at the card, which now shows the request."""
    pseudonym = form.get("candidate", "")
    kept = [(k, v) for k, v in parse_qsl(form.get("back") or "") if k in ("k", "distance")]
    try:
        made, created = ask_for_contact(service, who, vacancy_id, pseudonym)
    except UnknownPseudonymError:
        flash(request, "Diese Karte gibt es für die Stelle nicht.", "problem")
        return redirect(f"{PREFIX}/vacancies/{vacancy_id}?{urlencode(kept)}")
    said = (
        "angefragt. Die Integrationsfachkraft entscheidet; die Antwort steht an der Karte und unter „Meine Anfragen“."
        if created
        else "war bereits angefragt."
    )
    flash(request, f"Karte {made.pseudonym} {said}")
    return redirect(f"{PREFIX}/vacancies/{made.vacancy_id}?{urlencode(kept)}#karte-{made.pseudonym}")


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request, who: Requesting, endpoint: Endpoint, service: ServiceDep) -> HTMLResponse:
    """The answers: open, accepted (with the customer number), declined (with the neutral reason)
    or withdrawn; each with the vacancy's title and number and the card's summary."""
    rows, _ = read_requests(service, who, None, 200, 0, endpoint)
    return render(
        request,
        "requests.html",
        title="Meine Anfragen",
        rows=[_request_line(service, r) for r in rows],
        open_status=RequestStatus.OPEN,
    )


def _request_line(service: Service, made: ContactRequest) -> dict[str, Any]:
    try:
        v = service.store.get_vacancy(made.vacancy_id)
        vacancy = f"{v.title} – {v.employer_name}"
    except UnknownVacancyError:
        vacancy = "(Stelle nicht mehr vorhanden)"
    return {
        "vacancy_id": made.vacancy_id,
        "vacancy": vacancy,
        "pseudonym": made.pseudonym,
        "card": _card_summary(service, made.candidate_id),
        "requested_at": made.requested_at,
        "status": made.status,
        "state": request_state(made)["text"],
        "customer": made.candidate_id if made.identity_released else None,
    }


def _card_summary(service: Service, candidate_id: str) -> str:
    """The card's coarse facts (the same as on the vacancy's cards, :mod:`matcher.records.cards`)."""
    try:
        candidate = service.ready_engine().candidate(candidate_id)
    except UnknownCandidateError:
        return "–"
    card = coarse_card(candidate, service.reference, date.today())
    return f"{card['occupation']}, {card['level']}, {card['place']}, verfügbar {card['available']}"


@router.post("/requests/withdraw")
def withdraw_request(request: Request, who: Requesting, form: Form, service: ServiceDep) -> Response:
    """ "Anfrage zurückziehen": the open request for a card of a vacancy is no longer needed
    (audited); answered ones stay. Named by vacancy and card, so no request id is on the page."""
    t = contact_requests_table
    where = and_(
        made_by(who.user_id, sorted(who.teams)),
        t.c.vacancy_id == form.get("vacancy", ""),
        t.c.pseudonym == form.get("candidate", ""),
    )
    found = service.contacts.requests(RequestStatus.OPEN, 1, 0, where) if service.contacts else []
    if not found:
        flash(request, "Keine offene Anfrage zu dieser Karte.", "problem")
        return redirect(f"{PREFIX}/requests")
    try:
        withdrawn = withdraw_contact(service, who, found[0].id)
    except (UnknownContactRequestError, ContactRequestClosedError):
        flash(request, "Diese Anfrage ist bereits beantwortet oder zurückgezogen.", "problem")
        return redirect(f"{PREFIX}/requests")
    flash(request, f"Anfrage zu Karte {withdrawn.pseudonym} (Stelle {withdrawn.vacancy_id}) zurückgezogen.")
    return redirect(f"{PREFIX}/requests")
