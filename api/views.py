"""Turning engine results and records into responses: what each role gets to see.

Shortlists and scores, the hot path, are built as plain dicts in the shape of their response
schema (``ShortlistResponse``, ``ScoreResponse``: still the documented contract, and a test
checks every answer against it) and serialised with orjson by :class:`api.responses.LeanJSON`.
Validating a 17 kB answer through pydantic cost more than ranking it.

Geography by role: only roles that may read the full candidate record (which holds the postcode
anyway: caseworker, admin) get exact distances and commute times. The employer service gets bands
only (:func:`distance_band`, :func:`commute_band`), in facts, details and the German distance
reason (:func:`banded_distance_reason`), and these bands are measured from the centroid of the
municipality that the candidate card names, not from the postcode (:func:`card_geography`). Exact
distances to a dozen vacancies of known postcode pin a postcode; so do bands of the exact
distances, for most job seekers (see tests/api/test_inference.py). Bands from the municipality are
a function of what the card shows, so no number of answers tells more than the card. Every role
gets the band fields, so one schema describes every answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from api.schemas import CandidateCard, IndexVersionOut, ModelOut
from matcher.cards import area_centre, coarse_card
from matcher.columns import known
from matcher.explain import VALUED_FAMILIES, render_reason
from matcher.features import commute_ratio
from matcher.geo import Gazetteer, commute_minutes, haversine_km
from matcher.models import Candidate, Vacancy, effective_licences
from matcher.reference import ReferenceData
from matcher.retrieval import Details, Explained, IndexVersion, PairBatch, Shortlist, ShortlistItem
from matcher.serving import ModelInfo
from matcher.strength import pair_strength


def model_out(info: ModelInfo) -> ModelOut:
    return ModelOut(name=info.name, version=info.version, run_id=info.run_id, scorer=info.scorer)


def index_out(version: IndexVersion) -> IndexVersionOut:
    return IndexVersionOut(
        kind=version.kind,
        encoder_name=version.encoder_name,
        encoder_fingerprint=version.encoder_fingerprint,
        built_at=version.built_at,
        count=version.count,
        applied_seq=version.applied_seq,
    )


# --- geography by role --------------------------------------------------------------------------
# Upper edges (exclusive) of the distance bands, km; beyond the last one: DISTANCE_BEYOND.
DISTANCE_BANDS: tuple[tuple[float, str], ...] = ((10.0, "unter 10 km"), (25.0, "10–25 km"), (50.0, "25–50 km"))
DISTANCE_BEYOND = "über 50 km"
DISTANCE_EDGES_KM: tuple[int, ...] = (10, 25, 50)
COMMUTE_STEP_MINUTES = 15
_MODE_DE = {"car": "mit dem Auto", "public_transport": "mit Bus und Bahn"}
_GEOGRAPHY_FAMILY = "distance"  # the reason family whose sentence holds km and minutes (matcher.explain)
_UNKNOWN_FAMILY = "?"
_DISTANCE_SENTENCE = re.compile(r"^\S+ km, ")  # matcher.explain._distance, should the family be unknown


def distance_band(km: float | None) -> str | None:
    """The band of a distance: unter 10 km, 10–25 km, 25–50 km, über 50 km (lower edge inclusive); None: unknown."""
    if km is None or math.isnan(km):
        return None
    return next((label for upper, label in DISTANCE_BANDS if km < upper), DISTANCE_BEYOND)


def commute_band(minutes: float | None) -> str | None:
    """15-minute steps, upper edge inclusive: "bis 15 Min.", "15–30 Min.", "30–45 Min.", ...; None: unknown."""
    if minutes is None or math.isnan(minutes):
        return None
    upper = max(1, math.ceil(minutes / COMMUTE_STEP_MINUTES)) * COMMUTE_STEP_MINUTES
    return "bis 15 Min." if upper == COMMUTE_STEP_MINUTES else f"{upper - COMMUTE_STEP_MINUTES}–{upper} Min."


def card_geography(candidate: Candidate, vacancy: Vacancy, places: Gazetteer) -> dict[str, Any]:
    """Where a job seeker lives relative to a vacancy, as the employer service may see it.

    Bands of the distance and commute (by car or bus, as the card says: ``commute_mode``) from the
    centre of the area the card names (:func:`matcher.cards.area_centre`) to the vacancy, and whether
    that commute is within the person's own limit (the rule of ``matcher.features``); exact figures
    null. Everything here follows from the card and the person's own limit, so answers about many
    vacancies add nothing to the card.
    Unknown places: everything null.
    """
    out: dict[str, Any] = {
        "distance_km": None,
        "commute_minutes": None,
        "distance_band": None,
        "commute_band": None,
        "commute_feasible": None,
        "commute_mode": "car" if candidate.has_car else "public_transport",
    }
    centre = area_centre(candidate.ags, places.reference)
    try:
        (lat2, lon2) = places.locate(vacancy.ags, vacancy.postcode)
    except KeyError:
        return out
    if centre is None:
        return out
    lat1, lon1 = centre
    km = float(haversine_km(lat1, lon1, lat2, lon2))
    minutes = float(commute_minutes(km, candidate.has_car))
    ratio = float(commute_ratio(km, minutes, known(candidate.max_commute_km), known(candidate.max_commute_minutes)))
    out.update(
        distance_band=distance_band(round(km, 1)),
        commute_band=commute_band(round(minutes)),
        commute_feasible=ratio <= 1.0,
    )
    return out


def _with_bands(values: dict[str, Any]) -> dict[str, Any]:
    """Exact ``distance_km`` and ``commute_minutes`` with their bands (a copy)."""
    km, minutes = values.get("distance_km"), values.get("commute_minutes")
    return {**values, "distance_band": distance_band(km), "commute_band": commute_band(minutes)}


def banded_distance_reason(geography: dict[str, Any]) -> str:
    """The distance reason in bands, e.g. "unter 10 km entfernt, bis 15 Min. mit dem Auto"; a commute
    beyond the person's limit says so without the limit (a number, too)."""
    distance, commute = geography.get("distance_band"), geography.get("commute_band")
    mode = _MODE_DE.get(geography.get("commute_mode") or "", "")
    text = f"{distance} entfernt" if distance else "Entfernung unbekannt"
    if commute:
        text += f", {commute} {mode}".rstrip()
    if geography.get("commute_feasible") is False:
        text += " (mehr als zumutbar)"
    return text


def coarse_reason(
    family: str, text: str, card: dict[str, Any], geography: dict[str, Any], vacancy: Vacancy
) -> str | None:
    """One reason as the employer service may read it: the families that would tell more than the
    card say only what the card, the vacancy and the pair's fit say (None: left out)."""
    if family == _GEOGRAPHY_FAMILY:
        return banded_distance_reason(geography)
    if family == _UNKNOWN_FAMILY:
        return None  # a sentence of unknown family may hold anything of the person
    if family == "experience":
        return None  # years of experience are not on the card
    if family == "availability":
        return f"verfügbar {card['available']}"
    if family == "language":
        need = vacancy.german_level_min
        if need is None:
            return "keine Deutschanforderung"
        return f"Deutsch gefordert {need.value}: {'erfüllt' if card['german_met'] else 'nicht erfüllt'}"
    if family == "working_time":
        return "Arbeitszeit passt" if text.startswith("Arbeitszeit passt") else "Arbeitszeit passt nicht ganz"
    return text


def _banded_reasons(
    reasons: list[str], effects: dict[str, Any], geography: dict[str, Any], card: dict[str, Any], vacancy: Vacancy
) -> list[str]:
    """The reasons in bands (``effects`` hold the families in order)."""
    families = list(effects)
    if len(families) != len(reasons):  # not from explain_pairs: recognise the sentence instead
        families = [_GEOGRAPHY_FAMILY if _DISTANCE_SENTENCE.match(r) else _UNKNOWN_FAMILY for r in reasons]
    shown = (coarse_reason(f, r, card, geography, vacancy) for f, r in zip(families, reasons))
    return [r for r in shown if r is not None]


@dataclass(frozen=True)
class _Geography:
    """One pair as one role may see it: None for exact figures, else the card's bands and fields."""

    card: dict[str, Any] | None
    coarse: dict[str, Any] | None = None  # matcher.cards.coarse_card, and whether the German level suffices
    vacancy: Vacancy | None = None

    @classmethod
    def of(cls, candidate: Candidate, vacancy: Vacancy, precise: bool, places: Gazetteer) -> _Geography:
        if precise:
            return cls(None)
        coarse = coarse_card(candidate, places.reference, date.today())
        need = vacancy.german_level_min
        coarse["german_met"] = need is None or candidate.german_level.rank >= need.rank
        return cls(card_geography(candidate, vacancy, places), coarse, vacancy)

    def facts(self, facts: dict[str, Any]) -> dict[str, Any]:
        if self.card is None:
            return _with_bands(facts)
        out = {
            **facts,
            "distance_km": None,
            "commute_minutes": None,
            "distance_band": self.card["distance_band"],
            "commute_band": self.card["commute_band"],
        }
        if self.coarse is not None and "experience_years" in facts:  # a job seeker's card
            out.update(_coarse_facts(self.coarse))
        return out

    def details(self, details: dict[str, Any]) -> dict[str, Any]:
        # No per-feature effects for the employer service: the distance effect alone guessed the
        # postcode for 51 % of city job seekers (chance: 17 %).
        return _with_bands(details) if self.card is None else {**details, **self.card, "effects": {}}

    def reasons(self, reasons: list[str], explained: Details | None) -> list[str]:
        if self.card is None or self.coarse is None or self.vacancy is None:
            return list(reasons)
        return _banded_reasons(reasons, explained.effects if explained else {}, self.card, self.coarse, self.vacancy)

    def points(self, explained: Details | None) -> list[dict[str, Any]]:
        """What fits and what does not (``reason_points``): exact for precise roles, else in bands."""
        if explained is None:
            return []
        if self.card is None or self.coarse is None or self.vacancy is None:
            return [{"family": f, "text": t, "fits": ok} for f, t, ok in explained.points]
        return coarse_points(explained.points, self.card, self.coarse, self.vacancy)


# The employer service's points: these families' points say only what the card and the vacancy say;
# skills have the card's own row, and years of experience are not on the card.
_COARSE_AS_IS = ("occupation", "licences")
_COARSE_LEFT_OUT = ("skills", "experience")


def coarse_points(
    points: tuple[tuple[str, str, bool], ...], geography: dict[str, Any], card: dict[str, Any], vacancy: Vacancy
) -> list[dict[str, Any]]:
    """The points as the employer service may read them: one per family in the words of
    :func:`coarse_reason` (the distance's polarity from the card's own geography)."""
    by_family: dict[str, list[tuple[str, bool]]] = {}
    for family, text, fits in points:
        by_family.setdefault(family, []).append((text, fits))
    out: list[dict[str, Any]] = []
    for family, found in by_family.items():
        if family in _COARSE_LEFT_OUT:
            continue
        if family in _COARSE_AS_IS:
            out += [{"family": family, "text": t, "fits": ok} for t, ok in found]
            continue
        fits = all(ok for _, ok in found)
        if family == _GEOGRAPHY_FAMILY:
            fits = geography.get("distance_band") is not None and geography.get("commute_feasible") is not False
        shown = coarse_reason(family, "Arbeitszeit passt" if fits else "", card, geography, vacancy)
        if shown is not None:
            out.append({"family": family, "text": shown, "fits": fits})
    return out


def stored_reasons(
    reasons: list[Any], candidate: Candidate | None, vacancy: Vacancy | None, precise: bool, places: Gazetteer
) -> list[str]:
    """The reasons of a stored nightly result (:func:`matcher.explain.reason_data`), as the role may
    read them: exact sentences for roles that read full records, else the live cards' bands.

    Sentences stored by runs before reasons were data hold exact distances: only the precise roles
    get them; the employer service gets none (as for a person or vacancy no longer stored).
    """
    if any(not isinstance(r, dict) for r in reasons):
        return [str(r) for r in reasons] if precise else []
    if precise:
        return [render_reason(r, candidate) for r in reasons]
    if candidate is None or vacancy is None:
        return []
    geography = _Geography.of(candidate, vacancy, False, places)
    assert geography.card is not None and geography.coarse is not None
    out = []
    for r in reasons:
        family = str(r.get("family", ""))
        text = render_reason(r, candidate) if family not in VALUED_FAMILIES else ""
        shown = coarse_reason(family, text, geography.coarse, geography.card, vacancy)
        if shown is not None:
            out.append(shown)
    return out


def _coarse_facts(coarse: dict[str, Any]) -> dict[str, Any]:
    """The card fields of the facts, coarsened (what is not on the card: null)."""
    return {
        "kldb": None,
        "occupation_group": coarse["occupation_group"],
        "occupation": coarse["occupation"],
        "level": coarse["level"],
        "place": coarse["place"],
        "mobility": coarse["mobility"],
        "available": coarse["available"],
        "working_time": None,
        "hours_per_week": None,
        "available_from": None,
        "experience_years": None,
        "german_level": None,
        "licences": None,
    }


def _scorer_details(explained: Details | None) -> dict[str, Any]:
    """The scorer's part of ``PairDetails``, in its order (empty lists and nulls when not explained)."""
    if explained is None:
        return {
            "matched_skills": [],
            "missing_skills": [],
            "matched_optional_skills": [],
            "distance_km": None,
            "commute_minutes": None,
            "commute_mode": None,
            "commute_feasible": None,
            "effects": {},
        }
    f = explained.facts
    return {
        "matched_skills": list(f.matched_skills),
        "missing_skills": list(f.missing_skills),
        "matched_optional_skills": list(f.matched_optional_skills),
        "distance_km": f.distance_km,
        "commute_minutes": f.commute_minutes,
        "commute_mode": f.commute_mode,
        "commute_feasible": f.commute_feasible,
        "effects": dict(explained.effects),
    }


def _details(
    candidate: Candidate, vacancy: Vacancy, explained: Details | None, geography: _Geography
) -> dict[str, Any]:
    held = effective_licences(candidate.licences)
    facts = explained.facts if explained else None
    licences = {
        "required": list(vacancy.required_licences),
        "required_permits": list(vacancy.required_permits),
        "missing": list(facts.missing_licences) if facts else [x for x in vacancy.required_licences if x not in held],
        "missing_permits": list(facts.missing_permits) if facts else [],
    }
    working_time = {
        "vacancy": vacancy.working_time.value,
        "vacancy_hours": vacancy.hours_per_week,
        "candidate": candidate.working_time.value,
        "candidate_hours": candidate.hours_per_week,
        "shifts_asked": vacancy.shifts,
        "shifts_ok": candidate.shifts,
        "weekends_asked": vacancy.weekends,
        "weekends_ok": candidate.weekends,
    }
    need = vacancy.german_level_min
    language = {
        "german_level": candidate.german_level.value,
        "german_required": need.value if need else None,
        "met": need is None or candidate.german_level.rank >= need.rank,
    }
    if geography.coarse is not None:  # the employer service: what the card shows, and the pair's fit
        working_time.update(candidate=None, candidate_hours=None, shifts_ok=None, weekends_ok=None)
        language["german_level"] = None
    details = geography.details(_scorer_details(explained))
    return {**details, "working_time": working_time, "licences": licences, "language": language}


def _item(
    item: ShortlistItem, candidate: Candidate, vacancy: Vacancy, with_reasons: bool, geography: _Geography
) -> dict[str, Any]:
    return {
        "id": item.id,
        "rank": item.rank,
        "score": item.score,
        "similarity": item.similarity,
        "probability": item.probability,
        "facts": geography.facts(item.facts.to_json()),
        "reasons": geography.reasons(item.reasons, item.details) if with_reasons else None,
        "details": _details(candidate, vacancy, item.details, geography) if with_reasons else None,
        "strength": pair_strength(item.probability, candidate, vacancy).to_json(),
        "reason_points": geography.points(item.details) if with_reasons else None,
    }


def shortlist_response(
    result: Shortlist, query: Any, k: int, request_id: str, with_reasons: bool, *, precise: bool, places: Gazetteer
) -> dict[str, Any]:
    """The body of a shortlist answer (``ShortlistResponse``); the items' records come with the result.

    ``precise``: exact distances and commute times (roles that may read full candidate records);
    otherwise bands from the card (:func:`card_geography`, located by ``places``), in facts,
    details and reasons.
    """
    items = []
    for item in result.items:
        other = result.records[item.id]
        pair = (query, other) if isinstance(query, Candidate) else (other, query)
        candidate, vacancy = cast(tuple[Candidate, Vacancy], pair)
        items.append(_item(item, candidate, vacancy, with_reasons, _Geography.of(candidate, vacancy, precise, places)))
    return {
        "request_id": request_id,
        "direction": result.direction,
        "query_id": result.query_id,
        "k": k,
        "items": items,
        "excluded": result.excluded,
        "considered": result.considered,
        "eligible": result.eligible,
        "model": result.model.to_json(),
        "index": asdict(result.index),
        "warnings": result.warnings,
    }


def candidate_card(c: Candidate, reference: ReferenceData, pseudonym: str) -> CandidateCard:
    """The employer service's view: the coarse card (:func:`matcher.cards.coarse_card`) under the
    person's pseudonym on one vacancy's cards (:mod:`matcher.pseudonyms`).

    Left out on purpose: the profile text, the source system's customer number, postcode and
    municipality, skills (free of the vacancy's context they single a person out), school and
    vocational qualification, exact experience, dates, hours, permits and other languages.
    """
    return CandidateCard(id=pseudonym, **coarse_card(c, reference, date.today()))


def candidate_view(c: Candidate, team: str) -> dict[str, Any]:
    """The full canonical record (caseworker, admin), with the team in charge of the person."""
    return {**c.model_dump(mode="json"), "team": team}


def scored_pairs(
    batch: PairBatch,
    scores: NDArray[np.float32],
    explained: list[Explained],
    probabilities: list[float | None],
    with_reasons: bool,
    *,
    precise: bool,
    places: Gazetteer,
) -> list[dict[str, Any]]:
    """One scored pair (``ScoredPair``) per pair of the batch, in order (``probabilities`` as
    :meth:`matcher.engine.Engine.score_pairs` gives them; ``precise``, ``places``: as in
    :func:`shortlist_response`)."""
    items = []
    for i in range(len(batch)):
        c, v = batch.candidate(i), batch.vacancy(i)
        reasons = details = points = None
        if with_reasons:
            geography = _Geography.of(c, v, precise, places)
            reasons = geography.reasons(explained[i].reasons, explained[i].details)
            details = _details(c, v, explained[i].details, geography)
            points = geography.points(explained[i].details)
        items.append(
            {
                "candidate_id": c.id,
                "vacancy_id": v.id,
                "score": float(scores[i]),
                "similarity": float(batch.similarity[i]),
                "probability": probabilities[i],
                "reasons": reasons,
                "details": details,
                "strength": pair_strength(probabilities[i], c, v).to_json(),
                "reason_points": points,
            }
        )
    return items
