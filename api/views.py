"""Turning engine results and records into responses: what each role gets to see.

Shortlists and scores, the hot path, are built as plain dicts in the shape of their response
schema (``ShortlistResponse``, ``ScoreResponse``: still the documented contract, and a test
checks every answer against it) and serialised with orjson by :class:`api.responses.LeanJSON`.
Validating a 17 kB answer through pydantic cost more than ranking it.

Geography by role (:class:`matcher.ranking.audience.Audience`): only roles that may read the full candidate
record (which holds the postcode anyway: caseworker, admin) get exact distances and commute times.
The employer service gets bands only (:func:`matcher.ranking.geography.distance_band`,
:func:`matcher.ranking.geography.commute_band`), in facts, details and the German distance reason
(:func:`banded_distance_reason`), and these bands are measured from the centre of the area that
the candidate card names, not from the postcode: the engine measures each returned pair once for
its audience (:class:`matcher.ranking.geography.PairGeography`). Exact
distances to a dozen vacancies of known postcode pin a postcode; so do bands of the exact
distances, for most job seekers (see tests/api/test_inference.py). Bands from the municipality are
a function of what the card shows, so no number of answers tells more than the card. Every role
gets the band fields, so one schema describes every answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from api.schemas import CandidateCard, IndexVersionOut, ModelOut
from matcher.ranking.audience import Audience
from matcher.ranking.explain import VALUED_FAMILIES, render_reason
from matcher.ranking.geography import PairGeography, commute_band, distance_band
from matcher.ranking.shortlist import Details, Explained, IndexVersion, PairBatch, ShortlistItem
from matcher.ranking.strength import pair_strength
from matcher.records.cards import coarse_card
from matcher.records.labels_de import COMMUTE_MODE_DE
from matcher.records.models import Candidate, Vacancy, effective_licences
from matcher.records.reference import ReferenceData
from matcher.services.serving import ModelInfo


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


# --- geography by role (the figures: matcher.ranking.geography, measured once by the engine) -------------
_GEOGRAPHY_FAMILY = "distance"  # the reason family whose sentence holds km and minutes (matcher.ranking.explain)
_UNKNOWN_FAMILY = "?"


def _with_bands(values: dict[str, Any]) -> dict[str, Any]:
    """Exact ``distance_km`` and ``commute_minutes`` with their bands (a copy)."""
    km, minutes = values.get("distance_km"), values.get("commute_minutes")
    return {**values, "distance_band": distance_band(km), "commute_band": commute_band(minutes)}


def banded_distance_reason(geography: dict[str, Any]) -> str:
    """The distance reason in bands, e.g. "unter 10 km entfernt, bis 15 Min. mit dem Auto"; a commute
    beyond the person's limit says so without the limit (a number, too)."""
    distance, commute = geography.get("distance_band"), geography.get("commute_band")
    mode = COMMUTE_MODE_DE.get(geography.get("commute_mode") or "", "")
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
    """The reasons in bands (``effects`` hold the families in order; reasons of no known family are left out)."""
    families = list(effects)
    if len(families) != len(reasons):  # not from explain_pairs: no family is known
        families = [_UNKNOWN_FAMILY] * len(reasons)
    shown = (coarse_reason(f, r, card, geography, vacancy) for f, r in zip(families, reasons))
    return [r for r in shown if r is not None]


@dataclass(frozen=True)
class _Geography:
    """One pair as one role may see it: None for exact figures, else the card's bands and fields."""

    card: dict[str, Any] | None
    coarse: dict[str, Any] | None = None  # matcher.records.cards.coarse_card, and whether the German level suffices
    vacancy: Vacancy | None = None

    @classmethod
    def of(
        cls, candidate: Candidate, vacancy: Vacancy, audience: Audience, geography: PairGeography, ref: ReferenceData
    ) -> _Geography:
        """The pair for ``audience``, with the geography the engine measured for it."""
        if audience.is_exact:
            return cls(None)
        coarse = coarse_card(candidate, ref, date.today())
        need = vacancy.german_level_min
        coarse["german_met"] = need is None or candidate.german_level.rank >= need.rank
        return cls(geography.to_json(), coarse, vacancy)

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
    reasons: list[Any],
    candidate: Candidate | None,
    vacancy: Vacancy | None,
    audience: Audience,
    geography: PairGeography | None,
    ref: ReferenceData,
) -> list[str]:
    """The reasons of a stored nightly result (:func:`matcher.ranking.explain.reason_data`), as the role may
    read them: exact sentences for roles that read full records, else the live cards' bands.

    Sentences stored by runs before reasons were data hold exact distances: only the precise roles
    get them; the employer service gets none (as for a person or vacancy no longer stored).
    """
    if any(not isinstance(r, dict) for r in reasons):
        return [str(r) for r in reasons] if audience.is_exact else []
    if audience.is_exact:
        return [render_reason(r, candidate) for r in reasons]
    if candidate is None or vacancy is None or geography is None:
        return []
    seen = _Geography.of(candidate, vacancy, audience, geography, ref)
    assert seen.card is not None and seen.coarse is not None
    out = []
    for r in reasons:
        family = str(r.get("family", ""))
        text = render_reason(r, candidate) if family not in VALUED_FAMILIES else ""
        shown = coarse_reason(family, text, seen.coarse, seen.card, vacancy)
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


def shortlist_items(
    items: Sequence[ShortlistItem],
    pairs: Sequence[tuple[Candidate, Vacancy]],
    with_reasons: bool,
    audience: Audience,
    ref: ReferenceData,
) -> list[dict[str, Any]]:
    """The items of a shortlist answer (``ShortlistItem``), each with its (candidate, vacancy):
    exact distances and commute times for the exact audience; otherwise the bands the engine
    measured from the card's area (``ShortlistItem.geography``), in facts, details and reasons."""
    out = []
    for item, (c, v) in zip(items, pairs):
        assert item.geography is not None  # every shortlist item carries its geography
        out.append(_item(item, c, v, with_reasons, _Geography.of(c, v, audience, item.geography, ref)))
    return out


def candidate_card(c: Candidate, reference: ReferenceData, pseudonym: str) -> CandidateCard:
    """The employer service's view: the coarse card (:func:`matcher.records.cards.coarse_card`) under the
    person's pseudonym on one vacancy's cards (:mod:`matcher.services.pseudonyms`).

    Left out on purpose: the profile text, the source system's customer number, postcode and
    municipality, skills (free of the vacancy's context they single a person out), school and
    vocational qualification, exact experience, dates, hours, permits and other languages.
    """
    return CandidateCard(id=pseudonym, **coarse_card(c, reference, date.today()))


def candidate_view(c: Candidate, team: str) -> dict[str, Any]:
    """The full canonical record (caseworker, admin), with the team in charge of the person."""
    return {**c.model_dump(mode="json"), "team": team}


Scored = tuple[PairBatch, NDArray[np.float32], list[Explained], list[float | None]]
"""What :meth:`matcher.ranking.engine.Engine.score_pairs` gives: pairs, scores, reasons (none: not explained),
probabilities."""


def scored_pairs(
    scored: Scored, audience: Audience, geographies: Sequence[PairGeography], ref: ReferenceData
) -> list[dict[str, Any]]:
    """One scored pair (``ScoredPair``) per pair of the batch, in order, with reasons where they
    were asked for; ``geographies``: per pair, for ``audience``, as
    :meth:`matcher.ranking.engine.Engine.geographies` gives them."""
    batch, scores, explained, probabilities = scored
    with_reasons = len(explained) == len(batch)
    items = []
    for i in range(len(batch)):
        c, v = batch.candidate(i), batch.vacancy(i)
        reasons = details = points = None
        if with_reasons:
            geography = _Geography.of(c, v, audience, geographies[i], ref)
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
