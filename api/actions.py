"""The use cases that the API's routes and the web app's pages share, each one audited.

A route or a page parses its input, checks the role (its dependencies do), calls one of these and
presents the result: JSON for the API, a page for the web. Nothing here knows which door a call
came through, so ``api/web`` imports no route module and the route modules hold only routes.

The audit label is the caller's: a handler passes its :data:`api.endpoint.Endpoint`. A page that
does what an API endpoint does writes that endpoint's label (auditors read one label per use
case, whichever door it came through): the constants below, each checked against its API route
by ``tests/api/test_endpoint_labels.py``.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any
from uuid import uuid4

from fastapi import Request
from sqlalchemy import and_, select
from sqlalchemy.sql.elements import ColumnElement

from api.errors import NotReadyError
from api.schemas import OutcomeRequest
from api.security import ALL_TEAMS, Permission, Principal
from api.service import Service, index_label
from matcher.errors import UnknownContactRequestError
from matcher.ranking.engine import Engine
from matcher.ranking.filters import FilterOptions
from matcher.records.models import Proposal
from matcher.records.store import proposals_table
from matcher.services.contacts import ContactRequest, RequestStatus, about, contact_requests_table, made_by
from matcher.services.measures import MeasureCatalogue, stored_measures
from matcher.services.occupations import OccupationSuggester
from matcher.services.opportunities import Opportunities, OpportunityConfig, find_opportunities
from matcher.services.outcome_checks import check_outcome

# The API's labels of the use cases that pages run too (see the module docstring).
REQUEST_CONTACT = "POST /v1/vacancies/{id}/contact-requests"
ACCEPT_CONTACT = "POST /v1/contact-requests/{id}/accept"
DECLINE_CONTACT = "POST /v1/contact-requests/{id}/decline"
WITHDRAW_CONTACT = "POST /v1/contact-requests/{id}/withdraw"
GIVE_FEEDBACK = "POST /v1/feedback"
SAVE_OUTCOME = "POST /v1/outcomes"

SUGGEST_TEXT_MAX = 200  # a job title for the occupation suggester, in characters
SUGGEST_K_MAX = 20  # suggestions per title at most
_BUILD_LOCK = threading.Lock()


# --- contact requests and feedback ---------------------------------------------------------------
def ask_for_contact(
    service: Service, who: Principal, vacancy_id: str, pseudonym: str, endpoint: str = REQUEST_CONTACT
) -> tuple[ContactRequest, bool]:
    """Create (or find the open) request for the person behind a card of this vacancy; audited."""
    vacancy_id, candidate_id = service.card_person(vacancy_id, pseudonym)
    teams = sorted(who.teams)
    request, created = service.contacts.request(vacancy_id, candidate_id, pseudonym, who.user_id, teams)
    service.audit(who, endpoint, request.id, [(candidate_id, None), (vacancy_id, None)], kind="write")
    return request, created


def answer_contact(
    service: Service, who: Principal, request_id: str, accept: bool, reason: str | None, endpoint: str | None = None
) -> ContactRequest:
    """Accept (records a proposal) or decline an open request: a caseworker of the job seeker's team
    (another team's with a reason); audited (by default as the API's accept or decline)."""
    book = service.contacts
    who = service.reach(who, book.get(request_id).candidate_id)
    if accept:
        answered = book.accept(request_id, who.user_id, date.today())
    else:
        answered = book.decline(request_id, who.user_id, reason or "")
    label = endpoint or (ACCEPT_CONTACT if accept else DECLINE_CONTACT)
    audited = [(answered.candidate_id, None), (answered.vacancy_id, None)]
    service.audit(who, label, request_id, audited, kind="write")
    return answered


def withdraw_contact(
    service: Service, who: Principal, request_id: str, endpoint: str = WITHDRAW_CONTACT
) -> ContactRequest:
    """Withdraw an open request the employer service (the person or their team) made; audited.

    Raises:
        UnknownContactRequestError: no such request, or one this person does not see.
        ContactRequestClosedError: it was answered or withdrawn already.
    """
    book = service.contacts
    t = contact_requests_table
    if not book.count(None, and_(made_by(who.user_id, sorted(who.teams)), t.c.id == request_id)):
        raise UnknownContactRequestError(request_id)
    withdrawn = book.withdraw(request_id, who.user_id)
    audited = [(withdrawn.candidate_id, None), (withdrawn.vacancy_id, None)]
    service.audit(who, endpoint, request_id, audited, kind="write")
    return withdrawn


def give_feedback(
    service: Service, who: Principal, candidate_id: str, vacancy_id: str, reason: str, endpoint: str = GIVE_FEEDBACK
) -> str:
    """Store a "passt nicht" for a pair (both must exist); audited with the serving model."""
    who = service.reach(who, candidate_id)
    vacancy_id = service.store.resolve_vacancy_id(vacancy_id)
    service.store.get_vacancy(vacancy_id)
    model = service.model.version if service.model else None
    feedback_id = service.contacts.record_feedback(candidate_id, vacancy_id, reason, who.user_id, model)
    audited = [(candidate_id, None), (vacancy_id, None)]
    service.audit(who, endpoint, feedback_id, audited, model or "-", kind="feedback")
    return feedback_id


def visible_requests(service: Service, who: Principal) -> tuple[Principal, ColumnElement[bool] | None]:
    """Which requests a person sees (None: all) and the principal to audit the read with: the
    employer service its own and its teams' requests; a caseworker those for their teams' job
    seekers (every team's with a reason, audited as such)."""
    if who.can(Permission.REQUEST_CONTACT) and not who.can(Permission.ANSWER_CONTACT):
        return who, made_by(who.user_id, sorted(who.teams))
    teams = service.visible_teams(who)
    if teams is None:
        return (who.reaching(ALL_TEAMS) if who.bounded else who), None
    return who, about(service.teams.condition(teams))


def read_requests(
    service: Service, who: Principal, status_: RequestStatus | None, limit: int, offset: int, endpoint: str
) -> tuple[list[ContactRequest], int]:
    """A page of the requests this person sees, and how many there are; the read is audited."""
    book = service.contacts
    who, where = visible_requests(service, who)
    rows = book.requests(status_, limit, offset, where)
    audited = [(r.candidate_id, None) for r in rows]
    service.audit(who, endpoint, f"page:offset={offset}:limit={limit}", audited, kind="read")
    return rows, book.count(status_, where)


def contact_request(service: Service, who: Principal, request_id: str, endpoint: str) -> ContactRequest:
    """One request the person sees (else :class:`UnknownContactRequestError`); the read is audited."""
    book = service.contacts
    request = book.get(request_id)
    visible_to, where = visible_requests(service, who)
    if where is not None and not book.count(None, and_(where, contact_requests_table.c.id == request_id)):
        raise UnknownContactRequestError(request_id)
    service.audit(visible_to, endpoint, request_id, [(request.candidate_id, None)], kind="read")
    return request


# --- outcomes ------------------------------------------------------------------------------------
def save_outcome(service: Service, who: Principal, body: OutcomeRequest, endpoint: str = SAVE_OUTCOME) -> Proposal:
    """Store a proposal and its outcome, audited (the API's and the web app's way in)."""
    store = service.store
    who = service.reach(who, body.candidate_id)  # UnknownCandidateError -> 404; another team's: 403
    vacancy = store.get_vacancy(body.vacancy_id)  # follows merged ids; UnknownVacancyError -> 404
    proposal = Proposal.model_validate(
        {**body.model_dump(), "id": body.id or f"api-{uuid4().hex}", "vacancy_id": vacancy.id}
    )
    with store.transaction() as conn:
        check_outcome(proposal, vacancy, _pair_entries(conn, proposal), date.today())
        store.upsert_proposals(conn, [proposal])
        store.set_recorded_by(conn, proposal.id, who.user_id)
    audited = [(proposal.candidate_id, None), (proposal.vacancy_id, None)]
    service.audit(who, endpoint, proposal.id, audited, kind="write")
    return proposal


def _pair_entries(conn: Any, proposal: Proposal) -> list[Proposal]:
    """The stored entries of the same person and vacancy (read in the writing transaction)."""
    t = proposals_table
    query = select(t.c.id, t.c.candidate_id, t.c.vacancy_id, t.c.proposed_at, t.c.outcome, t.c.outcome_at).where(
        t.c.candidate_id == proposal.candidate_id, t.c.vacancy_id == proposal.vacancy_id
    )
    return [Proposal.model_validate(dict(row)) for row in conn.execute(query).mappings()]


# --- occupations ---------------------------------------------------------------------------------
def occupation_suggester(request: Request, service: Service) -> OccupationSuggester:
    """The app's suggester for the engine's encoder, built once.

    Raises:
        NotReadyError: the encoder is not loaded (the engine did not start).
    """
    engine = service.engine
    if engine is None:
        reason = service.problems.get("encoder") or service.problems.get("indexes") or "not loaded"
        raise NotReadyError(f"occupation suggestions need the encoder ({reason})")
    current: OccupationSuggester | None = getattr(request.app.state, "occupation_suggester", None)
    if current is None or current.encoder is not engine.encoder:
        with _BUILD_LOCK:
            current = getattr(request.app.state, "occupation_suggester", None)
            if current is None or current.encoder is not engine.encoder:
                current = OccupationSuggester(service.reference, engine.encoder, cache_dir=service.settings.cache_dir)
                request.app.state.occupation_suggester = current
    return current


# --- opportunities -------------------------------------------------------------------------------
def measure_catalogue(request: Request, engine: Engine) -> MeasureCatalogue:
    """The catalogue, built once per app and rebuilt when the store's measures change."""
    store = engine.store
    stamp = (store.count("measures"), id(engine))
    cached = getattr(request.app.state, "measure_catalogue", None)
    if cached is None or cached[0] != stamp:
        cached = (stamp, MeasureCatalogue.build(stored_measures(store), engine.gazetteer))
        request.app.state.measure_catalogue = cached
    return cached[1]  # type: ignore[no-any-return]


def audited_opportunities(
    request: Request,
    service: Service,
    who: Principal,
    engine: Engine,
    candidate_id: str,
    filters: FilterOptions,
    config: OpportunityConfig,
    endpoint: str,
) -> Opportunities:
    """One person's opportunities, written to the audit log (who asked, for whom, which changes
    with how many vacancies): the API's answer and the web page's.

    Raises:
        UnknownCandidateError: no candidate with that id.
        AccessReasonRequiredError: another team's job seeker, and no reason given.
        InsufficientProfileError: the profile is too thin.
    """
    who = service.reach(who, candidate_id)
    result = find_opportunities(engine, candidate_id, measure_catalogue(request, engine), filters, config)
    audited = [(f"{i.change}", float(i.additional_vacancies)) for i in result.items]
    index = index_label(engine.vacancies.version())
    service.audit(who, endpoint, result.candidate_id, audited, engine.reranker.kind, index)
    return result
