"""Shortlists in both directions, for ad-hoc profiles, and scores of given pairs.

Every answer is written to the audit log: who asked, which ids and scores came back, and which
model and index answered. Handlers are plain ``def``: they encode and search, which blocks.

Geography by role (:mod:`api.views`): only roles that may read full candidate records get exact
distances and commute times; the employer service gets bands, and its distance and commute
limits are widened to band edges, so that sweeping a limit cannot measure a distance either.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Body, Path

from api.deps import CanMatch, CanScore, CanShortlistCandidates, CanShortlistVacancies, ReadyEngine, ServiceDep
from api.present import audience_of, present_shortlist
from api.responses import LeanJSON
from api.schemas import (
    FilterRequest,
    MatchRequest,
    ScoreRequest,
    ScoreResponse,
    ShortlistRequest,
    ShortlistResponse,
)
from api.service import Service, index_label
from api.views import scored_pairs
from matcher.ranking.audience import Audience
from matcher.ranking.filters import FilterOptions
from matcher.ranking.geography import COMMUTE_STEP_MINUTES, DISTANCE_EDGES_KM
from matcher.records.models import RECORD_ID_RULE

router = APIRouter(prefix="/v1", tags=["shortlists"])

RecordId = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_RULE)]
Options = Annotated[ShortlistRequest | None, Body()]


# What a limit beyond the last distance band becomes: the schema's largest (no limit in the region).
_DISTANCE_BEYOND_KM = 500.0


def _banded_limits(filters: FilterRequest) -> tuple[FilterRequest, list[str]]:
    """The request's distance and commute limits widened to the next band edge (10, 25, 50 km;
    a multiple of 15 minutes), and a warning for each one widened. Nothing is narrowed: every
    candidate within the asked limit still passes."""
    changes: dict[str, float] = {}
    km, minutes = filters.max_distance_km, filters.max_commute_minutes
    if km is not None:
        edge = next((float(e) for e in DISTANCE_EDGES_KM if km <= e), _DISTANCE_BEYOND_KM)
        if edge != km:
            changes["max_distance_km"] = edge
    if minutes is not None:
        step = float(math.ceil(minutes / COMMUTE_STEP_MINUTES) * COMMUTE_STEP_MINUTES)
        if step != minutes:
            changes["max_commute_minutes"] = step
    warnings = []
    if "max_distance_km" in changes:
        edge_km = changes["max_distance_km"]
        to = f"{edge_km:.0f} km" if edge_km in DISTANCE_EDGES_KM else "beyond 50 km (no limit)"
        warnings.append(f"max_distance_km widened to the distance band edge {to}")
    if "max_commute_minutes" in changes:
        to = f"{changes['max_commute_minutes']:.0f} Min."
        warnings.append(f"max_commute_minutes widened to the commute band edge {to}")
    return (filters.model_copy(update=changes) if changes else filters), warnings


def audience_options(
    audience: Audience, filters: FilterRequest, defaults: FilterOptions
) -> tuple[FilterOptions, list[str]]:
    """The filter options of a request for this audience: for the employer service's cards the
    limits widened to band edges (the engine measures from the card's municipality)."""
    filters, warnings = (filters, []) if audience.is_exact else _banded_limits(filters)
    return filters.options(defaults), warnings


@router.post("/candidates/{candidate_id}/vacancies", response_model=ShortlistResponse)
def vacancies_for_candidate(
    candidate_id: RecordId, who: CanShortlistVacancies, engine: ReadyEngine, service: ServiceDep, body: Options = None
) -> LeanJSON:
    """Open vacancies for a stored job seeker, best first, with reasons (caseworker of the person's
    team; another team's with ``X-Access-Reason``)."""
    who = service.reach(who, candidate_id)
    request, audience = body or ShortlistRequest(), audience_of(who, service)
    query = engine.candidate(candidate_id)
    options = request.filters.options(engine.config.filters)
    result = engine.shortlist_for_candidate(query, request.k, options, request.include_reasons, audience)
    service.audit_shortlist(who, "POST /v1/candidates/{id}/vacancies", result)
    return LeanJSON(present_shortlist(result, audience, engine.reference, uuid4().hex))


@router.post("/vacancies/{vacancy_id}/candidates", response_model=ShortlistResponse)
def candidates_for_vacancy(
    vacancy_id: RecordId, who: CanShortlistCandidates, engine: ReadyEngine, service: ServiceDep, body: Options = None
) -> LeanJSON:
    """Pseudonymised job seekers for a stored vacancy, best first, with reasons (employer service)."""
    request, audience = body or ShortlistRequest(), audience_of(who, service)
    options, warnings = audience_options(audience, request.filters, engine.config.filters)
    query = engine.vacancy(vacancy_id)
    result = engine.shortlist_for_vacancy(query, request.k, options, request.include_reasons, audience)
    service.audit_shortlist(who, "POST /v1/vacancies/{id}/candidates", result)
    return LeanJSON(present_shortlist(result, audience, engine.reference, uuid4().hex, warnings))


@router.post("/match/vacancies", response_model=ShortlistResponse)
def vacancies_for_profile(body: MatchRequest, who: CanMatch, engine: ReadyEngine, service: ServiceDep) -> LeanJSON:
    """Open vacancies for an ad-hoc profile; the profile is neither stored nor logged."""
    request_id, audience = uuid4().hex, audience_of(who, service)
    query = body.profile.as_candidate(request_id, date.today())
    options = body.filters.options(engine.config.filters)
    result = engine.shortlist_for_candidate(query, body.k, options, body.include_reasons, audience)
    service.audit_shortlist(who, "POST /v1/match/vacancies", result)
    return LeanJSON(present_shortlist(result, audience, engine.reference, request_id))


@router.post("/score", response_model=ScoreResponse)
def score(body: ScoreRequest, who: CanScore, engine: ReadyEngine, service: ServiceDep) -> LeanJSON:
    """Scores and reasons for given (candidate, vacancy) pairs, in the order given."""
    request_id, audience = uuid4().hex, audience_of(who, service)
    pairs = [(p.candidate_id, p.vacancy_id) for p in body.pairs]
    if not audience.is_exact:  # the employer service names people by their card pseudonym of the vacancy
        pairs = _unmasked(
            service, [(p.candidate_id, engine.store.resolve_vacancy_id(p.vacancy_id)) for p in body.pairs]
        )
    else:
        who = service.reach_all(who, [c for c, _ in pairs])
    model = engine.serving_info()  # a ReadyEngine has one
    scored = engine.score_pairs(pairs, date.today(), body.include_reasons)
    versions = engine.versions()
    items = scored_pairs(scored, audience, engine.geographies(scored[0], audience), engine.reference)
    labels = ";".join(f"{name}={index_label(v)}" for name, v in versions.items())
    audited = [(f"{p['candidate_id']}|{p['vacancy_id']}", p["score"]) for p in items]
    service.audit(who, "POST /v1/score", request_id, audited, model.scorer, labels, kind="score")
    if not audience.is_exact:
        for item, asked in zip(items, body.pairs):
            item["candidate_id"] = asked.candidate_id
    return LeanJSON(
        {
            "request_id": request_id,
            "items": items,
            "model": model.to_json(),
            "indexes": {name: asdict(v) for name, v in versions.items()},
        }
    )


def _unmasked(service: Service, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(pseudonym, vacancy id) pairs as (customer number, vacancy id), one table per vacancy."""
    by_vacancy: dict[str, list[str]] = {}
    for pseudonym, vacancy_id in pairs:
        by_vacancy.setdefault(vacancy_id, []).append(pseudonym)
    tables = {v: service.unmask(v, names) for v, names in by_vacancy.items()}
    return [(tables[v][p], v) for p, v in pairs]
