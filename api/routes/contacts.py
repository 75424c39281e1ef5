"""Contact requests between the employer service and the caseworkers, and "passt nicht" feedback.

The employer service asks for a person by the pseudonym of a vacancy's card; caseworkers see the
request with the customer number in their inbox and accept (a proposal is recorded) or decline it
with a reason. The employer service sees the answer, and the customer number only after an
acceptance. Nothing is sent to the employer or the job seeker by the engine: these are entries
for people to act on. Every request, answer and feedback is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.actions import (
    answer_contact,
    ask_for_contact,
    contact_request,
    give_feedback,
    read_requests,
    withdraw_contact,
)
from api.deps import CanAnswerContact, CanGiveFeedback, CanReadContacts, CanRequestContact, ServiceDep
from api.endpoint import Endpoint
from api.paging import Limit, Offset
from api.security import Permission, Principal
from matcher.records.models import RECORD_ID_RULE
from matcher.services.contacts import (
    DECLINE_REASONS,
    DECLINE_REASONS_ES,
    FEEDBACK_REASONS,
    ContactRequest,
    RequestStatus,
)

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


@router.post(
    "/vacancies/{vacancy_id}/contact-requests", response_model=ContactRequestOut, status_code=status.HTTP_201_CREATED
)
def request_contact(
    vacancy_id: RecordId,
    body: ContactRequestIn,
    who: CanRequestContact,
    service: ServiceDep,
    response: Response,
    endpoint: Endpoint,
) -> ContactRequestOut:
    """Ask the caseworkers for the person behind a card (employer service). An open request for the
    same person and vacancy is answered as it is (200). Unknown vacancy or pseudonym: 404."""
    request, created = ask_for_contact(service, who, vacancy_id, body.candidate, endpoint)
    if not created:
        response.status_code = status.HTTP_200_OK
    return request_view(request, who)


@router.get("/contact-requests", response_model=ContactRequestPage)
def list_contact_requests(
    who: CanReadContacts,
    service: ServiceDep,
    endpoint: Endpoint,
    limit: Limit = 50,
    offset: Offset = 0,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
) -> ContactRequestPage:
    """Contact requests, newest first: caseworkers their teams' inbox, the employer service the
    requests they or their team made, with the answers. Audited."""
    rows, total = read_requests(service, who, status_, limit, offset, endpoint)
    return ContactRequestPage(total=total, limit=limit, offset=offset, items=[request_view(r, who) for r in rows])


@router.get("/contact-requests/{request_id}", response_model=ContactRequestOut)
def get_contact_request(
    request_id: RecordId, who: CanReadContacts, service: ServiceDep, endpoint: Endpoint
) -> ContactRequestOut:
    """One request (404 for one the caller may not see: another team's, or another person's)."""
    return request_view(contact_request(service, who, request_id, endpoint), who)


@router.post("/contact-requests/{request_id}/accept", response_model=ContactRequestOut)
def accept_contact_request(
    request_id: RecordId, who: CanAnswerContact, service: ServiceDep, endpoint: Endpoint
) -> ContactRequestOut:
    """Accept an open request (caseworker): a proposal is recorded; 409 if it was answered."""
    return request_view(answer_contact(service, who, request_id, True, None, endpoint), who)


@router.post("/contact-requests/{request_id}/decline", response_model=ContactRequestOut)
def decline_contact_request(
    request_id: RecordId, body: DeclineIn, who: CanAnswerContact, service: ServiceDep, endpoint: Endpoint
) -> ContactRequestOut:
    """Decline an open request with a reason (caseworker); 409 if it was answered."""
    return request_view(answer_contact(service, who, request_id, False, body.reason, endpoint), who)


@router.post("/contact-requests/{request_id}/withdraw", response_model=ContactRequestOut)
def withdraw_contact_request(
    request_id: RecordId, who: CanRequestContact, service: ServiceDep, endpoint: Endpoint
) -> ContactRequestOut:
    """Withdraw an open request (employer service, its own or its team's): status ``withdrawn``;
    409 if it was answered, 404 for one the caller did not make."""
    return request_view(withdraw_contact(service, who, request_id, endpoint), who)


@router.post("/feedback", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED)
def post_feedback(body: FeedbackIn, who: CanGiveFeedback, service: ServiceDep, endpoint: Endpoint) -> dict[str, Any]:
    """Mark a recommended pair "passt nicht" with a reason (caseworker): stored for training."""
    return {"id": give_feedback(service, who, body.candidate_id, body.vacancy_id, body.reason, endpoint)}
