"""What the nightly run (``matcher batch-match``) found new: per job seeker, per vacancy, and the
caseworkers' digest.

Only committed runs are read (:mod:`matcher.services.batch_runs`). "New" are the items of the latest run's
top-k that the run before it did not have (after the first run: all of them); "gone" are the
previous run's items that left, with why: ``filled``, ``withdrawn`` or ``filter`` (with the first
hard filter the pair fails now, or ``rank``). The employer service sees job seekers by their card
pseudonym of the vacancy, as in its shortlists. Every answer is written to the audit log.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import CanSeeNewMatches, CanSeeVacancyNewMatches, ReadyEngine, ServiceDep
from api.present import audience_of
from api.responses import LeanJSON
from api.schemas import PAGE_MAX
from api.security import ALL_TEAMS, Principal
from api.service import Service
from api.views import stored_reasons
from matcher.errors import UnknownCandidateError, UnknownVacancyError
from matcher.ranking.audience import Audience
from matcher.ranking.engine import Engine
from matcher.ranking.shortlist import Direction
from matcher.records.models import RECORD_ID_RULE, Candidate, Vacancy
from matcher.services.batch import gone_reasons
from matcher.services.batch_runs import BatchRuns, NewMatches, ResultRow

router = APIRouter(prefix="/v1", tags=["nightly matching"])

RecordId = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_RULE)]


class NewMatch(BaseModel):
    id: str = Field(description="vacancy id, or the job seeker's card pseudonym for the employer service")
    rank: int
    score: float
    reasons: list[str]


class GoneMatch(BaseModel):
    id: str
    why: Literal["filled", "withdrawn", "filter"]
    detail: str | None = Field(default=None, description="for 'filter': the first hard filter failed now, or 'rank'")


class NewMatchesResponse(BaseModel):
    run_id: str | None = Field(description="the latest committed run (None: no run yet)")
    previous_run_id: str | None = Field(description="the run compared against (None: first run, all new)")
    as_of: date | None
    items: list[NewMatch]
    gone: list[GoneMatch]


class DigestPerson(BaseModel):
    id: str
    new: int


class DigestResponse(BaseModel):
    run_id: str | None
    previous_run_id: str | None
    as_of: date | None
    total: int
    limit: int
    offset: int
    people: list[DigestPerson]


def _label(found: NewMatches) -> tuple[str, str]:
    """(model version, index label) of a run for the audit log."""
    if found.run is None:
        return "-", "-"
    return found.run.model_version, f"batch:{found.run.run_id}"


def _runs(found: NewMatches) -> dict[str, str | None]:
    """The run that answered and the one it is compared with (null before the first run)."""
    return {
        "run_id": found.run.run_id if found.run else None,
        "previous_run_id": found.previous.run_id if found.previous else None,
        "as_of": found.run.as_of.isoformat() if found.run else None,
    }


def _record(engine: Engine, kind: str, record_id: str) -> Candidate | Vacancy | None:
    try:
        return engine.candidate(record_id) if kind == "candidate" else engine.vacancy(record_id)
    except (UnknownCandidateError, UnknownVacancyError):
        return None


def _presented(engine: Engine, direction: Direction, query_id: str, row: ResultRow, audience: Audience) -> list[str]:
    """A stored item's reasons through the same presentation as the live shortlists
    (:func:`api.views.stored_reasons`): the employer service reads bands, never stored figures."""
    if direction == "vacancies_for_candidate":
        candidate, vacancy = _record(engine, "candidate", query_id), _record(engine, "vacancy", row.item_id)
    else:
        candidate, vacancy = _record(engine, "candidate", row.item_id), _record(engine, "vacancy", query_id)
    c, v = cast(Candidate | None, candidate), cast(Vacancy | None, vacancy)
    geography = None if audience.is_exact or c is None or v is None else engine.pair_geography(c, v, audience)
    return stored_reasons(row.reasons, c, v, audience, geography, engine.reference)


def new_matches_body(
    service: Service, engine: Engine, who: Principal, direction: Direction, query_id: str, endpoint: str
) -> dict[str, object]:
    """The answer for one query, audited; the employer service's ids as pseudonyms (the API and the
    web page answer through this)."""
    if direction == "vacancies_for_candidate":
        who = service.reach(who, query_id)
    found = BatchRuns(service.store).new_matches(direction, query_id)
    as_of = found.run.as_of if found.run else date.today()
    gone = gone_reasons(engine, direction, query_id, found.gone, as_of)
    audience = audience_of(who, service)
    items: list[dict[str, Any]] = [
        {
            "id": r.item_id,
            "rank": r.rank,
            "score": r.score,
            "reasons": _presented(engine, direction, query_id, r, audience),
        }
        for r in found.items
    ]
    service.audit(who, endpoint, query_id, [(i.item_id, i.score) for i in found.items], *_label(found), kind="read")
    if direction == "candidates_for_vacancy" and not audience.is_exact:
        entries: list[dict[str, Any]] = [*items, *gone]
        for entry in entries:  # the customer number stays on the server (and in the audit log)
            entry["id"] = audience.pseudonyms(query_id, str(entry["id"]))
    return {
        **_runs(found),
        "items": items,
        "gone": gone,
    }


@router.get("/candidates/{candidate_id}/new-matches", response_model=NewMatchesResponse)
def candidate_new_matches(
    candidate_id: RecordId, who: CanSeeNewMatches, engine: ReadyEngine, service: ServiceDep
) -> LeanJSON:
    """Vacancies that entered a job seeker's top-k in the last nightly run, and those that left."""
    query = engine.candidate(candidate_id)  # 404 for an unknown id
    endpoint = "GET /v1/candidates/{id}/new-matches"
    return LeanJSON(new_matches_body(service, engine, who, "vacancies_for_candidate", query.id, endpoint))


@router.get("/vacancies/{vacancy_id}/new-matches", response_model=NewMatchesResponse)
def vacancy_new_matches(
    vacancy_id: RecordId, who: CanSeeVacancyNewMatches, engine: ReadyEngine, service: ServiceDep
) -> LeanJSON:
    """Job seekers (card pseudonyms) that entered a vacancy's top-k in the last nightly run."""
    query = engine.vacancy(vacancy_id)  # 404 for an unknown id; merged duplicates' ids resolve
    endpoint = "GET /v1/vacancies/{id}/new-matches"
    return LeanJSON(new_matches_body(service, engine, who, "candidates_for_vacancy", query.id, endpoint))


def digest_body(service: Service, who: Principal, limit: int, offset: int) -> dict[str, object]:
    """The job seekers with new matches in the last run, most new first (a caseworker's own
    teams'; every team's with a reason); audited."""
    teams = service.visible_teams(who)
    where = None if teams is None else service.teams.condition(teams)
    if teams is None and who.bounded:
        who = who.reaching(ALL_TEAMS)
    found, people, total = BatchRuns(service.store).digest("vacancies_for_candidate", limit, offset, where)
    run_id = found.run.run_id if found.run else "-"
    service.audit(who, "GET /v1/digest", run_id, [(p, float(n)) for p, n in people], *_label(found), kind="read")
    return {
        **_runs(found),
        "total": total,
        "limit": limit,
        "offset": offset,
        "people": [{"id": p, "new": n} for p, n in people],
    }


@router.get("/digest", response_model=DigestResponse)
def digest(
    who: CanSeeNewMatches,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> LeanJSON:
    """The caseworkers' digest of the last nightly run: job seekers with new matches, most first."""
    return LeanJSON(digest_body(service, who, limit, offset))
