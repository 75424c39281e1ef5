"""Reading, upserting and deleting job seekers and vacancies.

Reads come from the store (they work before any index is built) and show what the role may see:
caseworkers and admins get the canonical record, the employer service only the pseudonymised card
of a job seeker on one vacancy's shortlist (by the card's pseudonym, see :mod:`matcher.services.pseudonyms`).
Writes go through the engine: record and change-log entry in one store transaction, then applied
by this worker at once and by every other worker before its next answer (the index
snapshot on disk is not rewritten; a restart replays the log).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from api.deps import CanReadCandidates, CanReadCards, CanReadVacancies, CanWriteRecords, IndexEngine, ServiceDep
from api.endpoint import Endpoint
from api.paging import Limit, Offset
from api.schemas import CandidateCard, CandidateUpsert, Page, UpsertResponse, VacancyUpsert
from api.security import ALL_TEAMS
from api.views import candidate_card, candidate_view
from matcher.errors import UnknownCandidateError, UnknownVacancyError
from matcher.records.models import RECORD_ID_RULE, Candidate, Vacancy, VacancyStatus

router = APIRouter(prefix="/v1", tags=["records"])

RecordId = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_RULE)]


@router.get("/candidates", response_model=Page)
def list_candidates(
    who: CanReadCandidates, service: ServiceDep, endpoint: Endpoint, limit: Limit = 50, offset: Offset = 0
) -> Page:
    """Job seekers by id, paged (caseworker, admin): a caseworker sees their own teams' (every
    team's with ``X-Access-Reason``, audited). The employer service sees people only as the
    pseudonymised cards of a vacancy (``GET /v1/vacancies/{id}/candidates/{pseudonym}``)."""
    teams = service.visible_teams(who)
    where = None if teams is None else service.teams.condition(teams)
    if teams is None and who.bounded:
        who = who.reaching(ALL_TEAMS)
    rows = service.store.candidates(limit, offset, where)
    items = [candidate_view(c, service.teams.of(c)) for c in rows]
    service.audit(who, endpoint, f"page:offset={offset}:limit={limit}", [(c.id, None) for c in rows], kind="read")
    return Page(total=service.store.count_candidates(where), limit=limit, offset=offset, items=items)


@router.get("/candidates/{candidate_id}")
def get_candidate(
    candidate_id: RecordId, who: CanReadCandidates, service: ServiceDep, endpoint: Endpoint
) -> dict[str, Any]:
    """One job seeker's record with their team (caseworker of the team, admin; another team's
    caseworker with ``X-Access-Reason``)."""
    who = service.reach(who, candidate_id)
    candidate = service.store.get_candidate(candidate_id)
    view = candidate_view(candidate, service.teams.of(candidate))
    service.audit(who, endpoint, candidate_id, [(candidate_id, None)], kind="read")
    return view


@router.get("/vacancies/{vacancy_id}/candidates/{pseudonym}", response_model=CandidateCard)
def get_card(
    vacancy_id: RecordId, pseudonym: RecordId, who: CanReadCards, service: ServiceDep, endpoint: Endpoint
) -> dict[str, Any]:
    """One job seeker as the pseudonymised card of a vacancy's shortlist (employer service): no
    customer number, no free text, no address, no protected attribute. 404 for a pseudonym that
    names nobody on this vacancy's cards."""
    vacancy_id, candidate_id = service.card_person(vacancy_id, pseudonym)
    card = candidate_card(service.store.get_candidate(candidate_id), service.reference, pseudonym)
    service.audit(who, endpoint, vacancy_id, [(candidate_id, None)], kind="read")
    return card.model_dump(mode="json")


@router.get("/vacancies", response_model=Page)
def list_vacancies(
    who: CanReadVacancies,
    service: ServiceDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status_: Annotated[VacancyStatus | None, Query(alias="status")] = None,
) -> Page:
    """Vacancies by id, paged; ``status`` narrows to open, filled or withdrawn ones."""
    value = status_.value if status_ else None
    rows = service.store.vacancies(limit, offset, value)
    total = service.store.count("vacancies") if value is None else service.store.count_vacancies(value)
    return Page(total=total, limit=limit, offset=offset, items=[v.model_dump(mode="json") for v in rows])


@router.get("/vacancies/{vacancy_id}")
def get_vacancy(vacancy_id: RecordId, who: CanReadVacancies, service: ServiceDep) -> dict[str, Any]:
    """One vacancy (ids of merged duplicates lead to the stored one)."""
    return service.store.get_vacancy(vacancy_id).model_dump(mode="json")


def _with_path_id(body: CandidateUpsert | VacancyUpsert, path_id: str) -> dict[str, Any]:
    if body.id is not None and body.id != path_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the id in the body differs from the id in the path")
    return {**body.model_dump(), "id": path_id}


@router.put("/candidates/{candidate_id}", response_model=UpsertResponse)
def put_candidate(
    candidate_id: RecordId,
    body: CandidateUpsert,
    who: CanWriteRecords,
    engine: IndexEngine,
    service: ServiceDep,
    response: Response,
    endpoint: Endpoint,
) -> UpsertResponse:
    """Create or replace a job seeker; findable by the next shortlist (admin)."""
    record = Candidate.model_validate(_with_path_id(body, candidate_id))
    created = _missing(lambda: engine.store.get_candidate(candidate_id))
    engine.upsert_candidate(record)
    service.audit(who, endpoint, candidate_id, [(candidate_id, None)], kind="write")
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return UpsertResponse(id=record.id, created=created, indexed=True)


@router.put("/vacancies/{vacancy_id}", response_model=UpsertResponse)
def put_vacancy(
    vacancy_id: RecordId,
    body: VacancyUpsert,
    who: CanWriteRecords,
    engine: IndexEngine,
    service: ServiceDep,
    response: Response,
    endpoint: Endpoint,
) -> UpsertResponse:
    """Create or replace a vacancy; open ones are indexed, filled or withdrawn ones leave the index."""
    record = Vacancy.model_validate(_with_path_id(body, vacancy_id))
    created = _missing(lambda: engine.store.get_vacancy(vacancy_id))
    engine.upsert_vacancy(record)
    service.audit(who, endpoint, vacancy_id, [(vacancy_id, None)], kind="write")
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return UpsertResponse(id=record.id, created=created, indexed=record.status == VacancyStatus.OPEN)


@router.delete("/candidates/{candidate_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_candidate(
    candidate_id: RecordId, who: CanWriteRecords, engine: IndexEngine, service: ServiceDep, endpoint: Endpoint
) -> None:
    """Remove a person from store (profile, protected attributes, proposals) and index (admin)."""
    engine.delete_candidate(candidate_id)
    service.audit(who, endpoint, candidate_id, [(candidate_id, None)], kind="write")


@router.delete("/vacancies/{vacancy_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_vacancy(
    vacancy_id: RecordId, who: CanWriteRecords, engine: IndexEngine, service: ServiceDep, endpoint: Endpoint
) -> None:
    """Remove a vacancy from store and index (admin)."""
    engine.delete_vacancy(vacancy_id)
    service.audit(who, endpoint, vacancy_id, [(vacancy_id, None)], kind="write")


def _missing(lookup: Callable[[], object]) -> bool:
    """Whether a lookup raises the unknown-record error (i.e. an upsert creates)."""
    try:
        lookup()
    except (UnknownCandidateError, UnknownVacancyError):
        return True
    return False
