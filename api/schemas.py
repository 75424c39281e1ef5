"""Request and response schemas of the HTTP API.

Request schemas forbid unknown fields, so a misspelt filter is a 422 instead of being ignored.
Response schemas are separate from the canonical records: the employer service gets
:class:`CandidateCard` (pseudonymised, no free text, no contact data), never a ``Candidate``.
Protected attributes exist in no schema here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.validation import KnownAgs, KnownPostcode, KnownSkill
from matcher.ranking.filters import SWITCHABLE_FILTERS, FilterOptions
from matcher.records.models import (
    Candidate,
    CandidateProfile,
    CandidateSource,
    Outcome,
    PlausibleDate,
    RecordId,
    Vacancy,
)

K_DEFAULT = 10
K_MAX = 100
PAGE_MAX = 500
SCORE_PAIRS_MAX = 200

_REQUEST = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------------
class FilterRequest(BaseModel):
    """Hard filters of one request; each can be switched off, limits override the candidate's."""

    model_config = _REQUEST

    enabled: bool = Field(default=True, description="false switches every hard filter off")
    distance: bool = True
    commute: bool = True
    working_time: bool = True
    licences: bool = True
    availability: bool = True
    max_distance_km: float | None = Field(default=None, gt=0, le=500)
    max_commute_minutes: float | None = Field(default=None, gt=0, le=600)
    use_candidate_limits: bool = Field(default=True, description="fall back to the person's own limits")
    available_by: PlausibleDate | None = Field(default=None, description="candidate available by this date")

    def options(self, defaults: FilterOptions) -> FilterOptions:
        """The engine's filter options for this request."""
        on = {name: self.enabled and getattr(self, name) for name in SWITCHABLE_FILTERS}
        return defaults.override(
            **on,
            max_distance_km=self.max_distance_km,
            max_commute_minutes=self.max_commute_minutes,
            use_candidate_limits=self.use_candidate_limits,
            available_by=self.available_by,
        )


class ShortlistRequest(BaseModel):
    """Options of a shortlist for a stored candidate or vacancy."""

    model_config = _REQUEST

    k: int = Field(default=K_DEFAULT, ge=1, le=K_MAX, description="number of items")
    filters: FilterRequest = Field(default_factory=FilterRequest)
    include_reasons: bool = Field(default=True, description="German reasons and structured details")


class AdHocProfile(CandidateProfile):
    """A job seeker's profile that is not stored (the canonical fields minus identity)."""

    model_config = _REQUEST

    # Places are checked against the gazetteer (422 naming the field and the rule).
    ags: KnownAgs
    postcode: KnownPostcode
    skills: list[KnownSkill] = Field(default_factory=list, max_length=200, description="ESCO skill ids (uuid part)")
    available_from: PlausibleDate | None = Field(default=None, description="default: today")

    def as_candidate(self, request_id: str, today: date) -> Candidate:
        """The profile as a candidate of the moment. Its id is derived from the request id: the
        audit log can point at the request, never at the person or the text."""
        return Candidate(
            id=f"adhoc-{request_id}",
            source=CandidateSource.API,
            source_id=request_id,
            registered_at=today,
            available_from=self.available_from or today,
            **self.model_dump(exclude={"available_from"}),
        )


class MatchRequest(ShortlistRequest):
    """An ad-hoc profile and the shortlist options."""

    profile: AdHocProfile


class PairRequest(BaseModel):
    model_config = _REQUEST

    candidate_id: RecordId
    vacancy_id: RecordId


class ScoreRequest(BaseModel):
    """Pairs to score and explain."""

    model_config = _REQUEST

    pairs: list[PairRequest] = Field(min_length=1, max_length=SCORE_PAIRS_MAX)
    include_reasons: bool = True


class CandidateUpsert(Candidate):
    """A canonical candidate; the id may be left out (it is taken from the path)."""

    id: RecordId | None = None  # type: ignore[assignment]
    ags: KnownAgs
    postcode: KnownPostcode
    skills: list[KnownSkill] = Field(default_factory=list, max_length=200, description="ESCO skill ids (uuid part)")


class VacancyUpsert(Vacancy):
    """A canonical vacancy; the id may be left out (it is taken from the path)."""

    id: RecordId | None = None  # type: ignore[assignment]
    ags: KnownAgs
    postcode: KnownPostcode
    required_skills: list[KnownSkill] = Field(default_factory=list, max_length=200)
    optional_skills: list[KnownSkill] = Field(default_factory=list, max_length=200)


class OutcomeRequest(BaseModel):
    """What happened to a proposal (Vermittlungsvorschlag); the id is made up when left out."""

    model_config = _REQUEST

    id: RecordId | None = None
    candidate_id: RecordId
    vacancy_id: RecordId
    proposed_at: PlausibleDate
    outcome: Outcome
    outcome_at: PlausibleDate | None = None


# --- responses -----------------------------------------------------------------------------------
class IndexVersionOut(BaseModel):
    kind: str
    encoder_name: str
    encoder_fingerprint: str
    built_at: str
    count: int
    applied_seq: int = Field(description="change-log position this state includes (all entries up to it)")


class ModelOut(BaseModel):
    name: str
    version: str
    run_id: str | None
    scorer: str


class PairDetails(BaseModel):
    """Structured facts behind the reasons of one (candidate, vacancy) pair.

    Geography by role: caseworkers and admins get exact ``distance_km`` and ``commute_minutes``
    (from the postcode centroid) with their bands. The employer service gets those two null, and
    ``distance_band``, ``commute_band`` and ``commute_feasible`` measured from the centroid of the
    municipality its candidate card names (``place``): exact distances, or bands of them, to a
    dozen vacancies of known postcode give a job seeker's postcode away; bands from the
    municipality tell nothing the card does not (they may differ from the caseworker's near an edge).
    """

    matched_skills: list[str] = Field(default_factory=list)
    missing_skills: list[str] = Field(default_factory=list)
    matched_optional_skills: list[str] = Field(default_factory=list)
    distance_km: float | None = Field(
        default=None,
        description="straight-line km between postcode centroids, 0.1 km; null for the "
        "employer service (and where a place is unknown): see distance_band",
    )
    commute_minutes: float | None = Field(
        default=None,
        description="estimated one-way minutes; null for the employer service (and where a "
        "place is unknown): see commute_band",
    )
    distance_band: Literal["unter 10 km", "10–25 km", "25–50 km", "über 50 km"] | None = Field(
        default=None,
        description="distance band, lower edge inclusive; every role gets it; the employer "
        "service's is measured from the card's municipality and is all it gets (null: a place is unknown)",
    )
    commute_band: str | None = Field(
        default=None,
        pattern=r"^(bis 15|\d+–\d+) Min\.$",
        description="commute in 15-minute steps, upper "
        "edge inclusive: 'bis 15 Min.', '15–30 Min.', '30–45 Min.', ...; every role gets it; the employer "
        "service's is measured from the card's municipality and is all it gets (null: a place is unknown)",
    )
    commute_mode: Literal["car", "public_transport"] | None = None
    commute_feasible: bool | None = Field(
        default=None,
        description="within the person's own commute limit (for the employer service: as "
        "measured from the card's municipality)",
    )
    working_time: dict[str, Any] = Field(default_factory=dict)
    licences: dict[str, Any] = Field(default_factory=dict)
    language: dict[str, Any] = Field(default_factory=dict)
    effects: dict[str, float] = Field(default_factory=dict, description="reason family -> score effect")


PROBABILITY_DESCRIPTION = (
    "calibrated probability (0-1) that proposing this pair leads to an interview or a hire, fitted on a "
    "held-out window of past proposals and shipped with the model version; null when the serving model "
    "has no calibration (the similarity baseline, or a version registered before calibration existed)"
)


class ReasonPointOut(BaseModel):
    """One point of the reasons with its polarity: what fits (``fits``) or is missing / does not fit."""

    family: str
    text: str
    fits: bool


class StrengthOut(BaseModel):
    """The match strength in words (:mod:`matcher.ranking.strength`): absolute, from the probability."""

    key: Literal["gut", "mittel", "gering", "keine"]
    label: str = Field(description="'gute Aussicht', 'mittlere Aussicht', 'geringe Aussicht', 'ohne Einschätzung'")
    percent: str | None = Field(default=None, description="the probability in words, e.g. 'etwa 12 %'")
    capped: bool = Field(default=False, description="held below 'gute Aussicht' (another field, no required skill)")
    cap_reason: str | None = None


STRENGTH_DESCRIPTION = "the probability in words (thresholds in matcher.ranking.strength); capped for another field"
POINTS_DESCRIPTION = (
    "the reasons as points with polarity (fits: true 'passt', false 'passt nicht / fehlt'), every family "
    "(not cut), each point once; no vacancy age or similarity (not reasons to staff); for the employer "
    "service in bands, as its reasons"
)


class ShortlistItemOut(BaseModel):
    id: str
    rank: int
    score: float
    similarity: float
    probability: float | None = Field(default=None, ge=0.0, le=1.0, description=PROBABILITY_DESCRIPTION)
    facts: dict[str, Any] = Field(
        description="key facts of the other side (a pseudonymised card for job seekers: place name, never "
        "postcode); distance_km and commute_minutes as in details (null for the employer service), "
        "distance_band and commute_band for every role"
    )
    reasons: list[str] | None = Field(
        default=None,
        description="German reasons, strongest effect first; for the employer service the "
        "distance reason names bands only (e.g. 'unter 10 km entfernt, bis 15 Min. mit dem Auto')",
    )
    details: PairDetails | None = None
    strength: StrengthOut | None = Field(default=None, description=STRENGTH_DESCRIPTION)
    reason_points: list[ReasonPointOut] | None = Field(default=None, description=POINTS_DESCRIPTION)


class ShortlistResponse(BaseModel):
    request_id: str
    direction: str
    query_id: str
    k: int
    items: list[ShortlistItemOut]
    excluded: dict[str, int] = Field(description="filter -> items it excluded (first failing filter)")
    considered: int
    eligible: int
    model: ModelOut
    index: IndexVersionOut
    warnings: list[str]


class ScoredPair(BaseModel):
    candidate_id: str
    vacancy_id: str
    score: float
    similarity: float
    probability: float | None = Field(default=None, ge=0.0, le=1.0, description=PROBABILITY_DESCRIPTION)
    reasons: list[str] | None = Field(
        default=None, description="as in shortlists: for the employer service the distance reason names bands only"
    )
    details: PairDetails | None = None
    strength: StrengthOut | None = Field(default=None, description=STRENGTH_DESCRIPTION)
    reason_points: list[ReasonPointOut] | None = Field(default=None, description=POINTS_DESCRIPTION)


class ScoreResponse(BaseModel):
    request_id: str
    items: list[ScoredPair]
    model: ModelOut
    indexes: dict[str, IndexVersionOut]


class CandidateCard(BaseModel):
    """A pseudonymised candidate for the employer service: no text, no contact, no origin, and every
    field coarse enough that at least 5 job seekers share the card (:mod:`matcher.records.cards`)."""

    id: str
    occupation_group: str = Field(description="KldB 2010 Berufshauptgruppe (2 digits)")
    occupation: str = Field(description="title of the Berufshauptgruppe")
    level: Literal["Helfer", "Fachkraft oder höher"]
    place: str = Field(description="Stadt Kaiserslautern or Landkreis Kaiserslautern")
    mobility: Literal["Auto", "Führerschein B, kein Auto", "kein Führerschein B"]
    available: Literal["sofort", "später"]


class Page(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]


class UpsertResponse(BaseModel):
    id: str
    created: bool
    indexed: bool


class OutcomeOut(BaseModel):
    id: str
    candidate_id: str
    vacancy_id: str
    proposed_at: date
    outcome: Outcome
    outcome_at: date | None
    recorded_by: str | None = Field(default=None, description="staff id of who recorded the latest outcome")


class ReloadResponse(BaseModel):
    changed: bool
    previous: ModelOut | None
    current: ModelOut


class ReadyResponse(BaseModel):
    ready: bool
    model: ModelOut | None
    indexes: dict[str, IndexVersionOut] | None
    problems: dict[str, str]
