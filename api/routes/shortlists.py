"""Shortlists in both directions, for ad-hoc profiles, and scores of given pairs.

Every answer is written to the audit log: who asked, which ids and scores came back, and which
model and index answered. Handlers are plain ``def``: they encode and search, which blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body, Path

from api.deps import CanMatch, CanScore, CanShortlistCandidates, CanShortlistVacancies, ServiceDep
from api.pairs import pair_batch, score_pairs
from api.schemas import MatchRequest, ScoreRequest, ScoreResponse, ShortlistRequest, ShortlistResponse
from api.security import Principal
from api.service import Service, index_label, index_version
from api.views import index_out, model_out, scored_pairs, shortlist_response
from matcher.engine import Engine
from matcher.filters import FilterOptions
from matcher.models import Candidate, CandidateSource, Vacancy
from matcher.retrieval import Shortlist

router = APIRouter(prefix="/v1", tags=["shortlists"])

RecordId = Annotated[str, Path(min_length=1, max_length=64)]
Options = Annotated[ShortlistRequest | None, Body()]
Run = Callable[[Engine, FilterOptions], tuple[Shortlist, Candidate | Vacancy]]


def _shortlist(service: Service, who: Principal, endpoint: str, request: ShortlistRequest,
               run: Run, request_id: str) -> ShortlistResponse:  # fmt: skip
    """Rank under the read lock, build the response, audit it."""
    with service.lock.read():  # no write or model swap in between: one model, one index state
        engine = service.ready_engine()
        result, query = run(engine, request.filters.options(engine.config.filters))
        lookup = engine.vacancy if isinstance(query, Candidate) else engine.candidate
        others: dict[str, Any] = {item.id: lookup(item.id) for item in result.items}
        model = service.model
    assert model is not None  # ready_engine() guarantees it
    response = shortlist_response(result, query, others, request.k, model, request_id, request.include_reasons)
    service.audit(who, endpoint, result.query_id, [(i.id, i.score) for i in result.items],
                  model.scorer, index_label(result.index))  # fmt: skip
    return response


@router.post("/candidates/{candidate_id}/vacancies", response_model=ShortlistResponse)
def vacancies_for_candidate(candidate_id: RecordId, who: CanShortlistVacancies, service: ServiceDep,
                            body: Options = None) -> ShortlistResponse:  # fmt: skip
    """Open vacancies for a stored job seeker, best first, with reasons (caseworker)."""
    request = body or ShortlistRequest()

    def run(engine: Engine, filters: FilterOptions) -> tuple[Shortlist, Candidate | Vacancy]:
        query = engine.candidate(candidate_id)
        return engine.shortlist_for_candidate(query, request.k, filters, request.include_reasons), query

    return _shortlist(service, who, "POST /v1/candidates/{id}/vacancies", request, run, uuid4().hex)


@router.post("/vacancies/{vacancy_id}/candidates", response_model=ShortlistResponse)
def candidates_for_vacancy(vacancy_id: RecordId, who: CanShortlistCandidates, service: ServiceDep,
                           body: Options = None) -> ShortlistResponse:  # fmt: skip
    """Pseudonymised job seekers for a stored vacancy, best first, with reasons (employer service)."""
    request = body or ShortlistRequest()

    def run(engine: Engine, filters: FilterOptions) -> tuple[Shortlist, Candidate | Vacancy]:
        query = engine.vacancy(vacancy_id)
        return engine.shortlist_for_vacancy(query, request.k, filters, request.include_reasons), query

    return _shortlist(service, who, "POST /v1/vacancies/{id}/candidates", request, run, uuid4().hex)


@router.post("/match/vacancies", response_model=ShortlistResponse)
def vacancies_for_profile(body: MatchRequest, who: CanMatch, service: ServiceDep) -> ShortlistResponse:
    """Open vacancies for an ad-hoc profile; the profile is neither stored nor logged."""
    request_id = uuid4().hex
    today = date.today()
    fields = body.profile.model_dump(exclude={"available_from"})
    # A temporary id derived from the request id: the audit log can point at the request,
    # never at the person or the text.
    query = Candidate(id=f"adhoc-{request_id}", source=CandidateSource.API, source_id=request_id,
                      registered_at=today, available_from=body.profile.available_from or today,
                      **fields)  # fmt: skip

    def run(engine: Engine, filters: FilterOptions) -> tuple[Shortlist, Candidate | Vacancy]:
        return engine.shortlist_for_candidate(query, body.k, filters, body.include_reasons), query

    return _shortlist(service, who, "POST /v1/match/vacancies", body, run, request_id)


@router.post("/score", response_model=ScoreResponse)
def score(body: ScoreRequest, who: CanScore, service: ServiceDep) -> ScoreResponse:
    """Scores and reasons for given (candidate, vacancy) pairs, in the order given."""
    request_id = uuid4().hex
    pairs = [(p.candidate_id, p.vacancy_id) for p in body.pairs]
    with service.lock.read():
        engine = service.ready_engine()
        batch = pair_batch(engine, pairs, date.today())
        scores, explained = score_pairs(engine, batch, body.include_reasons)
        model = service.model
        versions = {"candidates": index_version(engine.candidate_index),
                    "vacancies": index_version(engine.vacancy_index)}  # fmt: skip
    assert model is not None
    items = scored_pairs(batch, scores, explained, body.include_reasons)
    labels = ";".join(f"{name}={index_label(v)}" for name, v in versions.items())
    service.audit(who, "POST /v1/score", request_id, [(f"{p.candidate_id}|{p.vacancy_id}", p.score) for p in items],
                  model.scorer, labels)  # fmt: skip
    return ScoreResponse(request_id=request_id, items=items, model=model_out(model),
                         indexes={name: index_out(v) for name, v in versions.items()})  # fmt: skip
