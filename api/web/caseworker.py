"""The caseworker's pages: find a job seeker, the shortlist with filters, comparison, print view,
outcomes and "passt nicht", the ad-hoc profile, and the inbox of the employer service's requests.

Every shortlist here is the API's shortlist (:func:`api.present.present_shortlist`), with
the same filters, reasons, audit record and role rules; the pages only lay it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement

from api.actions import (
    SUGGEST_TEXT_MAX,
    answer_contact,
    give_feedback,
    occupation_suggester,
    read_requests,
    save_outcome,
)
from api.endpoint import Endpoint, label_of
from api.present import audience_of, present_shortlist
from api.schemas import OutcomeRequest, ShortlistRequest
from api.security import Permission, Principal
from api.service import Service
from api.views import scored_pairs
from api.web.caseworker_cards import card_states, history_rows, split_marked, target_notice
from api.web.core import (
    PREFIX,
    Allowed,
    Form,
    FormLists,
    PageNotFound,
    de_number,
    flash,
    redirect,
    render,
    service_of,
    web_parts,
)
from api.web.forms import (
    FILTERS_DE,
    K_CHOICES,
    OUTCOME_DE,
    WORKING_TIME_DE,
    Parsed,
    filter_form,
    school_label,
    vocational_label,
)
from api.web.profile_form import PROFILE_FIELDS, parse_profile, profile_choices
from api.web.stash import STASH_COOKIE, clear_stash, restore
from matcher.errors import ContactRequestClosedError, InsufficientProfileError, UnknownVacancyError
from matcher.ranking.audience import Audience
from matcher.ranking.engine import Engine
from matcher.records.models import LEVEL_LABELS_DE, PERMITS, Candidate, effective_licences
from matcher.records.render import occupation_title, place_name
from matcher.records.store import candidates_table
from matcher.services.contacts import DECLINE_REASONS, FEEDBACK_REASONS, ContactRequest, RequestStatus
from matcher.services.outcome_checks import ImplausibleOutcomeError

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Caseworker = Annotated[Principal, Depends(Allowed(Permission.CANDIDATE_SHORTLIST))]
Answering = Annotated[Principal, Depends(Allowed(Permission.ANSWER_CONTACT))]
Recording = Annotated[Principal, Depends(Allowed(Permission.WRITE_OUTCOMES))]
Marking = Annotated[Principal, Depends(Allowed(Permission.FEEDBACK))]

_SEARCH_LIMIT = 50


def _engine(request: Request) -> Engine:
    return service_of(request).ready_engine()


def profile_summary(c: Candidate, request: Request) -> list[tuple[str, str]]:
    """The structured fields of a profile as (label, value); no free text, no protected attribute."""
    ref = service_of(request).reference
    held = effective_licences(c.licences)
    commute = []
    if c.max_commute_minutes:
        commute.append(f"{c.max_commute_minutes} Min.")
    if c.max_commute_km:
        commute.append(f"{de_number(c.max_commute_km, 0 if c.max_commute_km == int(c.max_commute_km) else 1)} km")
    return [
        ("Kundennummer", c.id),
        ("Zielberuf", f"{occupation_title(c.main_occupation, ref)} ({c.main_occupation})"),
        ("Weitere Berufe", ", ".join(occupation_title(o, ref) for o in c.occupations[1:]) or "–"),
        ("Anforderungsniveau", LEVEL_LABELS_DE[c.level]),
        ("Wohnort", f"{c.postcode} {place_name(c.ags, ref)}"),
        ("Schulabschluss", school_label(c.school.value)),
        ("Berufsabschluss", vocational_label(c.vocational.value)),
        ("Berufserfahrung", _years(c.experience_years)),
        ("Deutschkenntnisse", GERMAN_DE.get(c.german_level.value, c.german_level.value)),
        ("Führerscheine", ", ".join(sorted(held)) or "keine"),
        ("Scheine", ", ".join(PERMITS.get(p, p) for p in c.permits) or "keine"),
        ("Auto", "ja" if c.has_car else "nein"),
        ("Zumutbarer Arbeitsweg", " / ".join(commute) or "nicht angegeben"),
        (
            "Arbeitszeit",
            WORKING_TIME_DE.get(c.working_time.value, c.working_time.value)
            + (f", {_hours(c.hours_per_week)} Std. pro Woche" if c.hours_per_week else ""),
        ),
        ("Schichten / Wochenende", f"{'ja' if c.shifts else 'nein'} / {'ja' if c.weekends else 'nein'}"),
        ("Verfügbar ab", c.available_from.strftime("%d.%m.%Y")),
        ("Fähigkeiten", ", ".join(ref.skill_label(s) for s in c.skills[:30]) or "–"),
    ]


GERMAN_DE = {"native": "Muttersprache"}


def _years(years: float) -> str:
    """ "3,8 Jahre", "1 Jahr", "keine"."""
    if years <= 0:
        return "keine"
    if round(years, 1) == 1:
        return "1 Jahr"
    return f"{de_number(years, 0 if round(years, 1) == round(years) else 1)} Jahre"


def _hours(hours: float) -> str:
    return de_number(hours, 0 if hours == int(hours) else 1)


# --- find a job seeker ---------------------------------------------------------------------------
@router.get("/candidates", response_class=HTMLResponse)
def find_candidates(request: Request, who: Caseworker, endpoint: Endpoint) -> Response:
    """By customer number (exact: straight to the person), or browse by target occupation and place."""
    service = service_of(request)
    params = request.query_params
    q, occupation, place = (params.get(n, "").strip()[:64] for n in ("q", "occupation", "place"))
    errors = _search_errors(occupation, place, service)
    rows: list[Candidate] = []
    searched = bool(q or occupation or place)
    if searched and not errors:
        teams = service.visible_teams(who)
        exact, rows = _search(service, q, occupation, place, None if teams is None else service.teams.condition(teams))
        if exact is not None:
            return redirect(f"{PREFIX}/candidates/{exact}")
        service.audit(who, endpoint, "search", [(c.id, None) for c in rows], kind="read")
    found = [
        {
            "id": c.id,
            "occupation": occupation_title(c.main_occupation, service.reference),
            "place": place_name(c.ags, service.reference),
            "available_from": c.available_from,
        }
        for c in rows
    ]
    return render(
        request,
        "candidates.html",
        title="Arbeitsuchende finden",
        q=q,
        occupation=occupation,
        place=place,
        errors=errors,
        found=found,
        searched=searched,
        limit=_SEARCH_LIMIT,
        places=sorted(service.reference.municipality_names.items(), key=lambda p: p[1]),
    )


def _search_errors(occupation: str, place: str, service: Service) -> dict[str, str]:
    errors: dict[str, str] = {}
    if occupation and not (occupation.isdigit() and 1 <= len(occupation) <= 5):
        errors["occupation"] = (
            "Zielberuf: bitte eine KldB-Kennziffer mit 1 bis 5 Ziffern eingeben, z. B. 25 oder 52122."
        )
    if place and place not in service.reference.municipality_names:
        errors["place"] = "Wohnort: bitte eine Gemeinde aus der Liste wählen."
    return errors


def _search(
    service: Service, q: str, occupation: str, place: str, teams: ColumnElement[bool] | None
) -> tuple[str | None, list[Candidate]]:
    """The id that ``q`` names exactly (and no list; another team's person then asks for a
    reason), else the first matches of the caller's teams by id prefix, occupation and place."""
    t = candidates_table
    query = select(t.c.data).order_by(t.c.id).limit(_SEARCH_LIMIT)
    if teams is not None:
        query = query.where(teams)
    q = q.upper()  # customer numbers in any case ("lk-002253")
    if q.isdigit():  # the number without its prefix ("002253")
        query = query.where(t.c.id.like(f"%-{_like(q)}%", escape="\\"))
    elif q:
        query = query.where(t.c.id.like(f"{_like(q)}%", escape="\\"))
    if occupation:
        query = query.where(t.c.main_kldb.like(f"{occupation}%"))
    if place:
        query = query.where(t.c.ags == place)
    with service.store.engine.connect() as conn:
        exact = conn.execute(select(t.c.id).where(t.c.id == q)).scalar_one_or_none() if q else None
        if exact is None and q.isdigit():
            ends = (
                conn.execute(select(t.c.id).where(t.c.id.like(f"%-{_like(q)}", escape="\\")).limit(2)).scalars().all()
            )
            exact = ends[0] if len(ends) == 1 else None
        if exact is not None:
            return exact, []
        return None, [Candidate.model_validate(d) for d in conn.execute(query).scalars()]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- one job seeker and the shortlist ------------------------------------------------------------
def _shortlist(
    request: Request, who: Principal, candidate: Candidate, endpoint: str, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The shortlist for the page's filter controls (``params``: the page's query) or the form's errors."""
    engine = _engine(request)
    parsed, filters, k = filter_form(request.query_params if params is None else params)
    context: dict[str, Any] = {"form": parsed, "k_choices": K_CHOICES, "filters_de": FILTERS_DE, "body": None}
    if filters is None:
        return context
    service = service_of(request)
    audience = audience_of(who, service)
    try:
        options = filters.options(engine.config.filters)
        result = engine.shortlist_for_candidate(candidate, k, options, True, audience)
    except InsufficientProfileError as exc:  # the profile stays on the page, with what it lacks
        context["thin"] = exc.missing
        return context
    service.audit_shortlist(who, endpoint, result)
    body = present_shortlist(result, audience, engine.reference, uuid4().hex)
    states = card_states(service, candidate.id)
    kept, marked = split_marked(body["items"], states)
    context.update(body=body, kept=kept, marked=marked, states=states, vacancies=result.records)
    if not any(getattr(r, "kldb", None) == candidate.main_occupation for r in result.records.values()):
        context["target"] = target_notice(engine, candidate, filters.options(engine.config.filters))
    return context


@router.get("/candidates/{candidate_id}", response_class=HTMLResponse)
def candidate_page(candidate_id: str, request: Request, who: Caseworker, endpoint: Endpoint) -> HTMLResponse:
    return _candidate_view(request, who, candidate_id, str(request.url.query), endpoint)


def _candidate_view(
    request: Request,
    who: Principal,
    candidate_id: str,
    query: str,
    endpoint: str,
    card_error: dict[str, str] | None = None,
) -> HTMLResponse:
    """The person's page for the list's ``query``, audited as ``endpoint``; ``card_error``: a card
    form's error, shown beside its field on that card (vacancy_id, form, field, message, typed
    values), with status 422."""
    engine = _engine(request)
    candidate = engine.candidate(candidate_id)  # UnknownCandidateError: the friendly 404
    who = service_of(request).reach(who, candidate.id)  # another team's: the reason form
    params = dict(parse_qsl(query))
    context = _shortlist(request, who, candidate, endpoint, params)
    return render(
        request,
        "candidate.html",
        status_code=200 if context["form"].ok and card_error is None else 422,
        partial="_area.html",
        title=f"Arbeitsuchende Person {candidate.id}",
        candidate=candidate,
        summary=profile_summary(candidate, request),
        history=history_rows(
            service_of(request), context.get("states") or card_states(service_of(request), candidate.id)
        ),
        outcomes=OUTCOME_DE,
        feedback_reasons=FEEDBACK_REASONS,
        working_time_de=WORKING_TIME_DE,
        query=urlencode([(k, v) for k, v in parse_qsl(query) if k != "notice"]),
        today=date.today().isoformat(),
        card_error=card_error,
        **context,
    )


@router.get("/candidates/{candidate_id}/print", response_class=HTMLResponse)
def print_view(candidate_id: str, request: Request, who: Caseworker, endpoint: Endpoint) -> HTMLResponse:
    """The shortlist for the conversation, for paper: vacancies and reasons, no profile text."""
    engine = _engine(request)
    candidate = engine.candidate(candidate_id)
    who = service_of(request).reach(who, candidate.id)
    context = _shortlist(request, who, candidate, endpoint)
    return render(
        request,
        "print.html",
        title=f"Stellenvorschläge für {candidate.id}",
        candidate=candidate,
        working_time_de=WORKING_TIME_DE,
        today=date.today(),
        **context,
    )


def _cannot_compare(request: Request, candidate_id: str, chosen: list[str]) -> HTMLResponse:
    """The error page of a comparison of fewer than two or more than three vacancies."""
    return render(
        request,
        "error.html",
        status_code=422,
        title="Vergleich nicht möglich",
        message="Bitte zwei oder drei Stellen zum Vergleich auswählen.",
        back=f"{PREFIX}/candidates/{candidate_id}?{urlencode([('v', v) for v in chosen[:3]])}#ergebnisse",
        back_label="Zurück zur Liste (die Auswahl bleibt erhalten)",
    )


@router.get("/candidates/{candidate_id}/compare", response_class=HTMLResponse)
def compare(candidate_id: str, request: Request, who: Caseworker, endpoint: Endpoint) -> HTMLResponse:
    """Two or three vacancies side by side, scored for this person (the API's ``/v1/score``)."""
    engine, service = _engine(request), service_of(request)
    candidate = engine.candidate(candidate_id)
    who = service.reach(who, candidate.id)
    chosen = list(dict.fromkeys(request.query_params.getlist("v")))
    if not 2 <= len(chosen) <= 3:
        return _cannot_compare(request, candidate.id, chosen)
    try:
        scored = engine.score_pairs([(candidate.id, v) for v in chosen], date.today(), True)
    except UnknownVacancyError as exc:
        raise PageNotFound(str(exc)) from exc
    exact = Audience.exact()
    batch = scored[0]
    items = scored_pairs(scored, exact, engine.geographies(batch, exact), engine.reference)
    audited = [(f"{p['candidate_id']}|{p['vacancy_id']}", p["score"]) for p in items]
    service.audit(who, endpoint, candidate.id, audited, engine.model.scorer if engine.model else "-", kind="score")
    vacancies = [batch.vacancy(i) for i in range(len(batch))]
    return render(
        request,
        "compare.html",
        title="Stellen vergleichen",
        candidate=candidate,
        columns=list(zip(vacancies, items)),
        working_time_de=WORKING_TIME_DE,
        occupation=lambda code: occupation_title(code, service.reference),
        place=lambda ags: place_name(ags, service.reference),
    )


@router.post("/candidates/{candidate_id}/outcome")
def record_outcome(candidate_id: str, request: Request, who: Recording, form: Form) -> Response:
    """ "Bewerbungsstand erfassen": feeds ``/v1/outcomes`` (the same store, plausibility check and
    audit record); a wrong or contradictory entry is shown beside the field of the card's form."""
    back = form.get("back") or ""
    vacancy_id = form.get("vacancy_id", "")
    typed = {"outcome": form.get("outcome", ""), "proposed_at": form.get("proposed_at", "")}
    try:
        outcome = OutcomeRequest.model_validate(
            {
                "candidate_id": candidate_id,
                "vacancy_id": vacancy_id,
                "proposed_at": typed["proposed_at"] or date.today().isoformat(),
                "outcome": typed["outcome"],
            }
        )
    except ValidationError as exc:
        field = "outcome" if any(e["loc"][:1] == ("outcome",) for e in exc.errors()) else "proposed_at"
        message = "Bitte einen Stand wählen." if field == "outcome" else "Bitte ein gültiges Datum eingeben."
        return _card_error(request, who, candidate_id, back, vacancy_id, "outcome", field, message, typed)
    try:
        save_outcome(service_of(request), who, outcome)
    except ImplausibleOutcomeError as exc:
        field = "outcome" if exc.field == "outcome" else "proposed_at"
        return _card_error(request, who, candidate_id, back, vacancy_id, "outcome", field, exc.message, typed)
    label = OUTCOME_DE.get(outcome.outcome.value, outcome.outcome.value)
    return _back(request, candidate_id, back, f"Gespeichert: Stelle {outcome.vacancy_id} – {label}.")


@router.post("/candidates/{candidate_id}/feedback")
def mark_unfit(candidate_id: str, request: Request, who: Marking, form: Form) -> Response:
    """ "Passt nicht, weil …" with a reason: stored for training and written to the audit log."""
    reason = form.get("reason", "")
    back = form.get("back") or ""
    vacancy_id = form.get("vacancy_id", "")
    if reason not in FEEDBACK_REASONS:
        message = "Nicht vermerkt: bitte einen Grund wählen."
        return _card_error(request, who, candidate_id, back, vacancy_id, "feedback", "reason", message, {})
    give_feedback(service_of(request), who, candidate_id, vacancy_id, reason)
    return _back(request, candidate_id, back, f"Vermerkt: „passt nicht“ ({FEEDBACK_REASONS[reason]}).")


def _card_error(
    request: Request,
    who: Principal,
    candidate_id: str,
    back: str,
    vacancy_id: str,
    form: str,
    field: str,
    message: str,
    typed: dict[str, str],
) -> HTMLResponse:
    """The person's page again (422), the error beside the field of that card's form (audited as
    the person's page, which it shows)."""
    error = {"vacancy_id": vacancy_id, "form": form, "field": field, "message": message, **typed}
    return _candidate_view(request, who, candidate_id, back, label_of(request, "candidate_page"), error)


def _back(request: Request, candidate_id: str, query: str, notice: str, kind: str = "success") -> Response:
    """Back to the person's list (filters kept), with the message as the session's flash."""
    flash(request, notice, kind)
    kept = urlencode([(k, v) for k, v in parse_qsl(query) if k != "notice"])
    return redirect(f"{PREFIX}/candidates/{candidate_id}{'?' + kept if kept else ''}#ergebnisse")


# --- an ad-hoc profile (never stored) ------------------------------------------------------------
@router.get("/match", response_class=HTMLResponse)
def match_form(request: Request, who: Caseworker) -> HTMLResponse:
    """The empty form, or the form as typed before the session ended (kept over the sign-in)."""
    kept = restore(request, web_parts(request).sessions.key, f"{PREFIX}/match", who.user_id)
    service = service_of(request)
    context: dict[str, Any] = _kept_form(request, kept[0], service) if kept else {"form": Parsed()}
    if kept is not None:  # the note on this page, also after a sign-in at the provider
        context.update(notice=kept[1], notice_kind="problem")
    response = _match_page(request, context, None)
    if request.cookies.get(STASH_COOKIE):
        clear_stash(response)  # used, or another person's: never shown
    return response


@router.post("/match", response_class=HTMLResponse)
def match(request: Request, who: Caseworker, form: FormLists) -> HTMLResponse:
    """The shortlist for a profile typed in; neither the profile nor its text is stored or logged.

    Without JavaScript, "Berufe vorschlagen" (``action=suggest``) and "Übernehmen" (``take_kldb``)
    post the form too: it comes back as typed, with the suggestions or the code taken over."""
    service = service_of(request)
    if (form.get("action") or [""])[0] == "suggest" or form.get("take_kldb"):
        return _match_page(request, _kept_form(request, form, service), None)
    parsed, profile = parse_profile(form, service)
    body = None
    if profile is not None:
        body = _adhoc_shortlist(request, who, parsed, profile)
    return _match_page(request, {"form": parsed}, body)


def _kept_form(request: Request, form: dict[str, list[str]], service: Service) -> dict[str, Any]:
    """The form as typed, no checks: with the occupation suggestions, or the code taken over."""
    parsed = Parsed()
    parsed.typed = {name: (form.get(name) or [""])[0] for name in PROFILE_FIELDS}
    for group in ("licences", "permits"):
        parsed.typed[group] = list(form.get(group, []))
    for flag in ("has_car", "shifts", "weekends"):
        parsed.typed[flag] = parsed.typed[flag] == "on"
    taken = (form.get("take_kldb") or [""])[0]
    if taken in service.reference.kldb5_codes:
        parsed.typed["occupation"] = taken
        return {"form": parsed, "notice": f"Kennziffer {taken} übernommen."}
    text = parsed.typed["occupation_q"].strip()[:SUGGEST_TEXT_MAX]
    suggestions = occupation_suggester(request, service).suggest(text, 5) if text else []
    return {"form": parsed, "suggestions": suggestions}


def _adhoc_shortlist(request: Request, who: Principal, parsed: Parsed, profile: Any) -> dict[str, Any] | None:
    engine = _engine(request)
    service = service_of(request)
    request_id = uuid4().hex
    query = profile.as_candidate(request_id, date.today())
    audience = audience_of(who, service)
    try:
        options = ShortlistRequest().filters.options(engine.config.filters)
        result = engine.shortlist_for_candidate(query, 10, options, True, audience)
    except InsufficientProfileError as exc:
        parsed.errors["skills"] = (
            "Fähigkeiten: das Profil reicht für Vorschläge nicht aus: bitte Fähigkeiten oder eine Kurzbeschreibung "
            f"ergänzen (fehlt: {', '.join(exc.missing)})."
        )
        return None
    service.audit_shortlist(who, "POST /app/match", result)
    return present_shortlist(result, audience, engine.reference, request_id)


def _match_page(request: Request, context: dict[str, Any], body: dict[str, Any] | None) -> HTMLResponse:
    return render(
        request,
        "match.html",
        status_code=422 if context["form"].errors else 200,
        title="Profil ohne Registrierung",
        fields=PROFILE_FIELDS,
        working_time_de=WORKING_TIME_DE,
        body=body,
        **context,
        **profile_choices(service_of(request)),
    )


# --- the inbox of contact requests ---------------------------------------------------------------
@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, who: Answering, endpoint: Endpoint) -> HTMLResponse:
    """The employer service's requests for this caseworker's teams: who asked, for which vacancy."""
    service = service_of(request)
    open_, _ = read_requests(service, who, RequestStatus.OPEN, 200, 0, endpoint)
    recent, _ = read_requests(service, who, None, 50, 0, endpoint)
    answered = [r for r in recent if r.status is not RequestStatus.OPEN]
    vacancies = _vacancy_titles(service, [r.vacancy_id for r in [*open_, *answered]])
    return render(
        request,
        "inbox.html",
        title="Kontaktanfragen",
        open_requests=[_inbox_line(r, vacancies) for r in open_],
        answered=[_inbox_line(r, vacancies) for r in answered],
        reasons=DECLINE_REASONS,
    )


def _inbox_line(r: ContactRequest, vacancies: dict[str, str]) -> dict[str, Any]:
    teams = [t for t in (r.requester_teams or "").split(",") if t and t != "arbeitgeberservice"]
    sender = "Arbeitgeberservice" + (f" (Team {', '.join(teams)})" if teams else "")
    answers = {
        RequestStatus.ACCEPTED: "angenommen",
        RequestStatus.DECLINED: "abgelehnt: " + DECLINE_REASONS.get(r.decline_reason or "", "sonstiger Grund"),
        RequestStatus.WITHDRAWN: "vom Arbeitgeberservice zurückgezogen",
    }
    return {
        "id": r.id,
        "vacancy_id": r.vacancy_id,
        "vacancy": vacancies[r.vacancy_id],
        "candidate_id": r.candidate_id,
        "sender": sender,
        "requested_at": r.requested_at,
        "answered_at": r.answered_at,
        "answer": answers.get(r.status, "offen"),
    }


def _vacancy_titles(service: Any, ids: list[str]) -> dict[str, str]:
    titles = {}
    for vacancy_id in dict.fromkeys(ids):
        try:
            v = service.store.get_vacancy(vacancy_id)
        except UnknownVacancyError:
            titles[vacancy_id] = "(Stelle nicht mehr vorhanden)"
        else:
            titles[vacancy_id] = f"{v.title} – {v.employer_name}"
    return titles


@router.post("/inbox/{request_id}/answer")
def answer(request_id: str, request: Request, who: Answering, form: Form) -> Response:
    """Accept (records a proposal) or decline with a reason."""
    decision = form.get("decision")
    reason = form.get("reason", "")
    if decision not in ("accept", "decline") or (decision == "decline" and reason not in DECLINE_REASONS):
        flash(request, "Nicht gespeichert: bitte annehmen oder mit Grund ablehnen.", "problem")
        return redirect(f"{PREFIX}/inbox")
    try:
        answered = answer_contact(service_of(request), who, request_id, decision == "accept", reason or None)
    except ContactRequestClosedError:
        flash(request, "Diese Anfrage wurde bereits beantwortet.", "problem")
        return redirect(f"{PREFIX}/inbox")
    done = "angenommen: Vorschlag erfasst" if answered.status is RequestStatus.ACCEPTED else "abgelehnt"
    flash(request, f"Anfrage zu {answered.candidate_id} (Stelle {answered.vacancy_id}) {done}.")
    return redirect(f"{PREFIX}/inbox")
