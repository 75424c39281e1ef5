"""Contact requests between the employer service and the caseworkers, and "passt nicht" feedback.

The employer service asks for a person by the pseudonym of a vacancy's card; caseworkers see the
request with the customer number in their inbox and accept (a proposal is recorded) or decline it
with a reason. The employer service sees the answer, and the customer number only after an
acceptance. Nothing is sent to the employer or the job seeker by the engine: these are entries
for people to act on. Every request, answer and feedback is written to the audit log.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from api.deps import CanAnswerContact, CanGiveFeedback, CanReadContacts, CanRequestContact, ServiceDep
from api.paging import Limit, Offset
from api.security import ALL_TEAMS, Permission, Principal
from api.service import Service
from matcher.contacts import (
    DECLINE_REASONS,
    DECLINE_REASONS_ES,
    FEEDBACK_REASONS,
    ContactBook,
    ContactRequest,
    RequestStatus,
    about,
    made_by,
)
from matcher.errors import UnknownContactRequestError
from matcher.models import RECORD_ID_RULE
from matcher.store import contact_requests_table

router = APIRouter(prefix="/v1", tags=["contacts"])

RecordId = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_RULE)]
_REQUEST = ConfigDict(extra="forbid")


class ContactRequestIn(BaseModel):
    model_config = _REQUEST

    candidate: str = Field(min_length=1, max_length=16, description="the pseudonym on the vacancy's card")


class DeclineIn(BaseModel):
    model_config = _REQUEST

    reason: Literal[tuple(DECLINE_REASONS)] = Field(description="one of the decline reasons")  # type: ignore[valid-type]


class FeedbackIn(BaseModel):
    model_config = _REQUEST

    candidate_id: str = Field(min_length=1, max_length=64, pattern=RECORD_ID_RULE)
    vacancy_id: str = Field(min_length=1, max_length=64, pattern=RECORD_ID_RULE)
    reason: Literal[tuple(FEEDBACK_REASONS)]  # type: ignore[valid-type]


class ContactRequestOut(BaseModel):
    id: str
    vacancy_id: str
    candidate: str = Field(description="the pseudonym on the vacancy's cards")
    candidate_id: str | None = Field(description="customer number: caseworkers, and the employer service once accepted")
    status: RequestStatus
    requested_at: str
    answered_at: str | None
    decline_reason: str | None
    decline_reason_de: str | None
    proposal_id: str | None


class ContactRequestPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ContactRequestOut]


class FeedbackOut(BaseModel):
    id: str


def _book(service: Service) -> ContactBook:
    return service.contacts


def request_view(request: ContactRequest, who: Principal) -> ContactRequestOut:
    """A request as the role may see it: the customer number for caseworkers, for the employer
    service only once accepted; the employer service reads the decline reason's neutral label."""
    caseworker = who.can(Permission.ANSWER_CONTACT)
    identity = caseworker or request.identity_released
    reasons = DECLINE_REASONS if caseworker else DECLINE_REASONS_ES  # no health or family hint for the ES
    return ContactRequestOut(
        id=request.id,
        vacancy_id=request.vacancy_id,
        candidate=request.pseudonym,
        candidate_id=request.candidate_id if identity else None,
        status=request.status,
        requested_at=request.requested_at,
        answered_at=request.answered_at,
        decline_reason=request.decline_reason,
        decline_reason_de=reasons.get(request.decline_reason or ""),
        proposal_id=request.proposal_id if identity else None,
    )


def ask_for_contact(service: Service, who: Principal, vacancy_id: str, pseudonym: str) -> tuple[ContactRequest, bool]:
    """Create (or find the open) request for the person behind a card of this vacancy; audited."""
    vacancy_id, candidate_id = service.card_person(vacancy_id, pseudonym)
    teams = sorted(who.teams)
    request, created = _book(service).request(vacancy_id, candidate_id, pseudonym, who.user_id, teams)
    endpoint = "POST /v1/vacancies/{id}/contact-requests"
    service.audit(who, endpoint, request.id, [(candidate_id, None), (vacancy_id, None)], kind="write")
    return request, created


def answer_contact(
    service: Service, who: Principal, request_id: str, accept: bool, reason: str | None
) -> ContactRequest:
    """Accept (records a proposal) or decline an open request: a caseworker of the job seeker's team
    (another team's with a reason); audited."""
    book = _book(service)
    who = service.reach(who, book.get(request_id).candidate_id)
    if accept:
        answered = book.accept(request_id, who.user_id, date.today())
    else:
        answered = book.decline(request_id, who.user_id, reason or "")
    endpoint = f"POST /v1/contact-requests/{{id}}/{'accept' if accept else 'decline'}"
    audited = [(answered.candidate_id, None), (answered.vacancy_id, None)]
    service.audit(who, endpoint, request_id, audited, kind="write")
    return answered


def withdraw_contact(service: Service, who: Principal, request_id: str) -> ContactRequest:
    """Withdraw an open request the employer service (the person or their team) made; audited.

    Raises:
        UnknownContactRequestError: no such request, or one this person does not see.
        ContactRequestClosedError: it was answered or withdrawn already.
    """
    book = _book(service)
    t = contact_requests_table
    if not book.count(None, and_(made_by(who.user_id, sorted(who.teams)), t.c.id == request_id)):
        raise UnknownContactRequestError(request_id)
    withdrawn = book.withdraw(request_id, who.user_id)
    audited = [(withdrawn.candidate_id, None), (withdrawn.vacancy_id, None)]
    service.audit(who, "POST /v1/contact-requests/{id}/withdraw", request_id, audited, kind="write")
    return withdrawn


def give_feedback(service: Service, who: Principal, candidate_id: str, vacancy_id: str, reason: str) -> str:
    """Store a "passt nicht" for a pair (both must exist); audited with the serving model."""
    who = service.reach(who, candidate_id)
    vacancy_id = service.store.resolve_vacancy_id(vacancy_id)
    service.store.get_vacancy(vacancy_id)
    model = service.model.version if service.model else None
    feedback_id = _book(service).record_feedback(candidate_id, vacancy_id, reason, who.user_id, model)
    service.audit(
        who, "POST /v1/feedback", feedback_id, [(candidate_id, None), (vacancy_id, None)], model or "-", kind="feedback"
    )
    return feedback_id


@router.post(
    "/vacancies/{vacancy_id}/contact-requests", response_model=ContactRequestOut, status_code=status.HTTP_201_CREATED
)
def request_contact(
    vacancy_id: RecordId, body: ContactRequestIn, who: CanRequestContact, service: ServiceDep, response: Response
) -> ContactRequestOut:
    """Ask the caseworkers for the person behind a card (employer service). An open request for the
    same person and vacancy is answered as it is (200). Unknown vacancy or pseudonym: 404."""
    request, created = ask_for_contact(service, who, vacancy_id, body.candidate)
    if not created:
        response.status_code = status.HTTP_200_OK
    return request_view(request, who)


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
    book = _book(service)
    who, where = visible_requests(service, who)
    rows = book.requests(status_, limit, offset, where)
    audited = [(r.candidate_id, None) for r in rows]
    service.audit(who, endpoint, f"page:offset={offset}:limit={limit}", audited, kind="read")
    return rows, book.count(status_, where)


@router.get("/contact-requests", response_model=ContactRequestPage)
def list_contact_requests(
    who: CanReadContacts,
    service: ServiceDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
) -> ContactRequestPage:
    """Contact requests, newest first: caseworkers their teams' inbox, the employer service the
    requests they or their team made, with the answers. Audited."""
    rows, total = read_requests(service, who, status_, limit, offset, "GET /v1/contact-requests")
    return ContactRequestPage(total=total, limit=limit, offset=offset, items=[request_view(r, who) for r in rows])


@router.get("/contact-requests/{request_id}", response_model=ContactRequestOut)
def get_contact_request(request_id: RecordId, who: CanReadContacts, service: ServiceDep) -> ContactRequestOut:
    """One request (404 for one the caller may not see: another team's, or another person's)."""
    request = _book(service).get(request_id)
    visible_to, where = visible_requests(service, who)
    if where is not None and not _book(service).count(None, and_(where, contact_requests_table.c.id == request_id)):
        raise UnknownContactRequestError(request_id)
    service.audit(visible_to, "GET /v1/contact-requests/{id}", request_id, [(request.candidate_id, None)], kind="read")
    return request_view(request, who)


@router.post("/contact-requests/{request_id}/accept", response_model=ContactRequestOut)
def accept_contact_request(request_id: RecordId, who: CanAnswerContact, service: ServiceDep) -> ContactRequestOut:
    """Accept an open request (caseworker): a proposal is recorded; 409 if it was answered."""
    return request_view(answer_contact(service, who, request_id, True, None), who)


@router.post("/contact-requests/{request_id}/decline", response_model=ContactRequestOut)
def decline_contact_request(
    request_id: RecordId, body: DeclineIn, who: CanAnswerContact, service: ServiceDep
) -> ContactRequestOut:
    """Decline an open request with a reason (caseworker); 409 if it was answered."""
    return request_view(answer_contact(service, who, request_id, False, body.reason), who)


@router.post("/contact-requests/{request_id}/withdraw", response_model=ContactRequestOut)
def withdraw_contact_request(request_id: RecordId, who: CanRequestContact, service: ServiceDep) -> ContactRequestOut:
    """Withdraw an open request (employer service, its own or its team's): status ``withdrawn``;
    409 if it was answered, 404 for one the caller did not make."""
    return request_view(withdraw_contact(service, who, request_id), who)


@router.post("/feedback", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED)
def post_feedback(body: FeedbackIn, who: CanGiveFeedback, service: ServiceDep) -> dict[str, Any]:
    """Mark a recommended pair "passt nicht" with a reason (caseworker): stored for training."""
    return {"id": give_feedback(service, who, body.candidate_id, body.vacancy_id, body.reason)}
