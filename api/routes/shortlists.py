"""Shortlists in both directions, for ad-hoc profiles, and scores of given pairs.

Every answer is written to the audit log: who asked, which ids and scores came back, and which
model and index answered. Handlers are plain ``def``: they encode and search, which blocks.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Body, Path

from api.deps import CanMatch, CanScore, CanShortlistCandidates, CanShortlistVacancies, ReadyEngine, ServiceDep
from api.responses import LeanJSON
from api.schemas import MatchRequest, ScoreRequest, ScoreResponse, ShortlistRequest, ShortlistResponse
from api.security import Principal
from api.service import Service, index_label
from api.views import scored_pairs, shortlist_response
from matcher.models import Candidate, CandidateSource
from matcher.retrieval import Shortlist

router = APIRouter(prefix="/v1", tags=["shortlists"])

RecordId = Annotated[str, Path(min_length=1, max_length=64)]
Options = Annotated[ShortlistRequest | None, Body()]


def _answer(service: Service, who: Principal, endpoint: str, request: ShortlistRequest, result: Shortlist,
            query: object, request_id: str) -> LeanJSON:  # fmt: skip
    """The response of a shortlist, written to the audit log first."""
    service.audit(who, endpoint, result.query_id, [(i.id, i.score) for i in result.items], result.scorer,
                  index_label(result.index))  # fmt: skip
    return LeanJSON(shortlist_response(result, query, request.k, request_id, request.include_reasons))


@router.post("/candidates/{candidate_id}/vacancies", response_model=ShortlistResponse)
def vacancies_for_candidate(candidate_id: RecordId, who: CanShortlistVacancies, engine: ReadyEngine,
                            service: ServiceDep, body: Options = None) -> LeanJSON:  # fmt: skip
    """Open vacancies for a stored job seeker, best first, with reasons (caseworker)."""
    request = body or ShortlistRequest()
    query = engine.candidate(candidate_id)
    result = engine.shortlist_for_candidate(query, request.k, request.filters.options(engine.config.filters),
                                            request.include_reasons)  # fmt: skip
    return _answer(service, who, "POST /v1/candidates/{id}/vacancies", request, result, query, uuid4().hex)


@router.post("/vacancies/{vacancy_id}/candidates", response_model=ShortlistResponse)
def candidates_for_vacancy(vacancy_id: RecordId, who: CanShortlistCandidates, engine: ReadyEngine,
                           service: ServiceDep, body: Options = None) -> LeanJSON:  # fmt: skip
    """Pseudonymised job seekers for a stored vacancy, best first, with reasons (employer service)."""
    request = body or ShortlistRequest()
    query = engine.vacancy(vacancy_id)
    result = engine.shortlist_for_vacancy(query, request.k, request.filters.options(engine.config.filters),
                                          request.include_reasons)  # fmt: skip
    return _answer(service, who, "POST /v1/vacancies/{id}/candidates", request, result, query, uuid4().hex)


@router.post("/match/vacancies", response_model=ShortlistResponse)
def vacancies_for_profile(body: MatchRequest, who: CanMatch, engine: ReadyEngine,
                          service: ServiceDep) -> LeanJSON:  # fmt: skip
    """Open vacancies for an ad-hoc profile; the profile is neither stored nor logged."""
    request_id = uuid4().hex
    today = date.today()
    fields = body.profile.model_dump(exclude={"available_from"})
    # A temporary id derived from the request id: the audit log can point at the request,
    # never at the person or the text.
    query = Candidate(id=f"adhoc-{request_id}", source=CandidateSource.API, source_id=request_id,
                      registered_at=today, available_from=body.profile.available_from or today,
                      **fields)  # fmt: skip
    result = engine.shortlist_for_candidate(query, body.k, body.filters.options(engine.config.filters),
                                            body.include_reasons)  # fmt: skip
    return _answer(service, who, "POST /v1/match/vacancies", body, result, query, request_id)


@router.post("/score", response_model=ScoreResponse)
def score(body: ScoreRequest, who: CanScore, engine: ReadyEngine, service: ServiceDep) -> LeanJSON:
    """Scores and reasons for given (candidate, vacancy) pairs, in the order given."""
    request_id = uuid4().hex
    pairs = [(p.candidate_id, p.vacancy_id) for p in body.pairs]
    model = engine.model
    batch, scores, explained = engine.score_pairs(pairs, date.today(), body.include_reasons)
    versions = engine.versions()
    items = scored_pairs(batch, scores, explained, body.include_reasons)
    labels = ";".join(f"{name}={index_label(v)}" for name, v in versions.items())
    audited = [(f"{p['candidate_id']}|{p['vacancy_id']}", p["score"]) for p in items]
    service.audit(who, "POST /v1/score", request_id, audited, model.scorer, labels)
    return LeanJSON({"request_id": request_id, "items": items, "model": model.to_json(),
                     "indexes": {name: asdict(v) for name, v in versions.items()}})  # fmt: skip
