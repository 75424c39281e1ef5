"""Turning engine results and records into responses: what each role gets to see.

Shortlists and scores, the hot path, are built as plain dicts in the shape of their response
schema (``ShortlistResponse``, ``ScoreResponse``: still the documented contract, and a test
checks every answer against it) and serialised with orjson by :class:`api.responses.LeanJSON`.
Validating a 17 kB answer through pydantic cost more than ranking it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
from numpy.typing import NDArray

from api.schemas import CandidateCard, IndexVersionOut, ModelOut
from matcher.models import LEVEL_LABELS_DE, Candidate, Vacancy, effective_licences
from matcher.reference import ReferenceData
from matcher.render import occupation_title, place_name
from matcher.retrieval import Explained, IndexVersion, PairBatch, Shortlist, ShortlistItem
from matcher.serving import ModelInfo


def model_out(info: ModelInfo) -> ModelOut:
    return ModelOut(name=info.name, version=info.version, run_id=info.run_id, scorer=info.scorer)


def index_out(version: IndexVersion) -> IndexVersionOut:
    return IndexVersionOut(kind=version.kind, encoder_name=version.encoder_name,
                           encoder_fingerprint=version.encoder_fingerprint,
                           built_at=version.built_at, count=version.count,
                           applied_seq=version.applied_seq)  # fmt: skip


_DETAIL_DEFAULTS: dict[str, Any] = {
    "matched_skills": [], "missing_skills": [], "matched_optional_skills": [], "distance_km": None,
    "commute_minutes": None, "commute_mode": None, "commute_feasible": None, "effects": {},
}  # fmt: skip


def pair_details(candidate: Candidate, vacancy: Vacancy, explained: dict[str, Any]) -> dict[str, Any]:
    """The scorer's facts (skills, distance, licences, effects) plus working time and language."""
    held = effective_licences(candidate.licences)
    licences = {
        "required": list(vacancy.required_licences), "required_permits": list(vacancy.required_permits),
        "missing": explained.get("missing_licences", [x for x in vacancy.required_licences if x not in held]),
        "missing_permits": explained.get("missing_permits", []),
    }  # fmt: skip
    working_time = {
        "vacancy": vacancy.working_time.value, "vacancy_hours": vacancy.hours_per_week,
        "candidate": candidate.working_time.value, "candidate_hours": candidate.hours_per_week,
        "shifts_asked": vacancy.shifts, "shifts_ok": candidate.shifts,
        "weekends_asked": vacancy.weekends, "weekends_ok": candidate.weekends,
    }  # fmt: skip
    need = vacancy.german_level_min
    language = {"german_level": candidate.german_level.value, "german_required": need.value if need else None,
                "met": need is None or candidate.german_level.rank >= need.rank}  # fmt: skip
    details = {k: explained.get(k, default) for k, default in _DETAIL_DEFAULTS.items()}
    return {**details, "working_time": working_time, "licences": licences, "language": language}


def _item(item: ShortlistItem, candidate: Candidate, vacancy: Vacancy, with_reasons: bool) -> dict[str, Any]:
    return {
        "id": item.id, "rank": item.rank, "score": item.score, "similarity": item.similarity, "facts": item.facts,
        "reasons": list(item.reasons) if with_reasons else None,
        "details": pair_details(candidate, vacancy, item.details) if with_reasons else None,
    }  # fmt: skip


def shortlist_response(result: Shortlist, query: Any, k: int, request_id: str,
                       with_reasons: bool) -> dict[str, Any]:  # fmt: skip
    """The body of a shortlist answer (``ShortlistResponse``); the items' records come with the result."""
    items = []
    for item in result.items:
        other = result.records[item.id]
        candidate, vacancy = (query, other) if isinstance(query, Candidate) else (other, query)
        items.append(_item(item, candidate, vacancy, with_reasons))
    return {
        "request_id": request_id, "direction": result.direction, "query_id": result.query_id, "k": k,
        "items": items, "excluded": result.excluded, "considered": result.considered, "eligible": result.eligible,
        "model": result.model.to_json(), "index": asdict(result.index), "warnings": result.warnings,
    }  # fmt: skip


def candidate_card(c: Candidate, reference: ReferenceData) -> CandidateCard:
    """The employer service's view: occupation, level, place name, skill labels, availability.

    Left out on purpose: the profile text, the source system's customer number, postcode and
    municipality key, registration date and other languages (a proxy for origin).
    """
    return CandidateCard(
        id=c.id, kldb=c.main_occupation, occupation=occupation_title(c.main_occupation, reference),
        alternative_occupations=[occupation_title(o, reference) for o in c.occupations[1:]],
        level=LEVEL_LABELS_DE[c.level], place=place_name(c.ags, reference),
        skills=[reference.skill_label(s) for s in c.skills], school=c.school.value,
        vocational=c.vocational.value, experience_years=c.experience_years,
        german_level=c.german_level.value, licences=list(c.licences), permits=list(c.permits),
        has_car=c.has_car, working_time=c.working_time.value, hours_per_week=c.hours_per_week,
        shifts=c.shifts, weekends=c.weekends, available_from=c.available_from,
    )  # fmt: skip


def candidate_view(c: Candidate, reference: ReferenceData, full: bool) -> dict[str, Any]:
    """The full canonical record (caseworker, admin) or the card (employer service)."""
    return c.model_dump(mode="json") if full else candidate_card(c, reference).model_dump(mode="json")


def scored_pairs(batch: PairBatch, scores: NDArray[np.float32], explained: list[Explained],
                 with_reasons: bool) -> list[dict[str, Any]]:  # fmt: skip
    """One scored pair (``ScoredPair``) per pair of the batch, in order."""
    items = []
    for i in range(len(batch)):
        c, v = batch.candidate(i), batch.vacancy(i)
        reasons = explained[i].reasons if with_reasons else None
        details = pair_details(c, v, explained[i].details) if with_reasons else None
        items.append({"candidate_id": c.id, "vacancy_id": v.id, "score": float(scores[i]),
                      "similarity": float(batch.similarity[i]), "reasons": reasons, "details": details})  # fmt: skip
    return items
