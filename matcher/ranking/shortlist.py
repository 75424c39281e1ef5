"""The parts of a shortlist: the pairs to score, their reasons, and the result types.

``Engine`` (``matcher.ranking.engine``) composes them; this module holds no state and touches no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.explain import PairFacts, explain
from matcher.ranking.features import pair_features
from matcher.ranking.geography import PairGeography
from matcher.ranking.reranker import Reranker
from matcher.records.models import LEVEL_LABELS_DE, Candidate, Vacancy
from matcher.records.reference import ReferenceData

Direction = Literal["vacancies_for_candidate", "candidates_for_vacancy"]


@dataclass(frozen=True)
class RetrievalConfig:
    """How many of the most similar eligible items the re-ranker sees: ``max(fetch_factor * k,
    min_fetch)``. The hard filters run before the search, so every one of them is eligible."""

    fetch_factor: int = 5
    min_fetch: int = 100

    def fetch(self, k: int) -> int:
        return max(self.fetch_factor * k, self.min_fetch)


@dataclass(frozen=True)
class PairBatch:
    """Pairs to score: row ``ci[j]`` of ``candidates`` with row ``vi[j]`` of ``vacancies``.

    The query side is a one-row table whose row repeats; the other side is the engine's whole
    table, selected by the search's rows.

    Attributes:
        candidates: candidate columns.
        ci: candidate row per pair.
        vacancies: vacancy columns.
        vi: vacancy row per pair.
        similarity: cosine similarity of the rendered texts per pair.
        distance_km: straight-line distance per pair (NaN where a place is unknown).
        commute_minutes: estimated commute per pair, by car where the candidate has one.
        direction: which side is the query.
        as_of: the request's reference date (vacancy age, availability).
    """

    candidates: CandidateTable
    ci: NDArray[np.int64]
    vacancies: VacancyTable
    vi: NDArray[np.int64]
    similarity: NDArray[np.float32]
    distance_km: NDArray[np.float64]
    commute_minutes: NDArray[np.float64]
    direction: Direction
    as_of: date

    def __len__(self) -> int:
        return len(self.similarity)

    def candidate(self, j: int) -> Candidate:
        record = self.candidates.records[self.ci[j]]
        assert record is not None  # rows that pairs point at hold records
        return record

    def vacancy(self, j: int) -> Vacancy:
        record = self.vacancies.records[self.vi[j]]
        assert record is not None
        return record

    def features(self, positions: Sequence[int] | None = None) -> NDArray[np.float32]:
        """The feature matrix of the pairs (or of those at ``positions``), as in training."""
        chosen = np.arange(len(self)) if positions is None else np.asarray(positions, dtype=np.intp)
        return pair_features(
            self.candidates, self.ci[chosen], self.vacancies, self.vi[chosen], self.similarity[chosen], self.as_of
        )


@dataclass(frozen=True)
class Details:
    """The structured side of one pair's reasons: its facts and each reason family's effect."""

    facts: PairFacts
    effects: dict[str, float]  # family -> contribution to the score (4 places), strongest first
    # (family, text, fits) of every family, in the order of the effects: what fits and what does not
    points: tuple[tuple[str, str, bool], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The facts' fields, then ``effects``."""
        return {**asdict(self.facts), "effects": dict(self.effects)}


@dataclass(frozen=True)
class Explained:
    """Why one pair scored as it did: short German reasons and the structured facts behind them."""

    reasons: list[str]
    details: Details | None = None  # None: not explained


def scorer_name(reranker: Reranker) -> str:
    """How shortlists and the audit log name a re-ranker: kind and registry version."""
    return reranker.kind if reranker.version == "unversioned" else f"{reranker.kind}:{reranker.version}"


def explain_pairs(
    reranker: Reranker,
    pairs: PairBatch,
    features: NDArray[np.float32],
    positions: Sequence[int],
    reference: ReferenceData,
    max_reasons: int = 6,
) -> list[Explained]:
    """Reasons for the pairs at ``positions`` from the re-ranker's own contributions."""
    if len(positions) == 0:
        return []
    rows = features[list(positions)]
    contributions = reranker.contributions(rows)
    out = []
    for j, i in enumerate(positions):
        contrib = None if contributions is None else contributions[j]
        found = explain(pairs.candidate(i), pairs.vacancy(i), rows[j], contrib, reference, max_reasons)
        points = tuple((family, p.text, p.fits) for family, p in found.points)
        details = Details(found.facts, {r.family: round(r.effect, 4) for r in found.reasons}, points)
        out.append(Explained([r.text for r in found.reasons], details))
    return out


@dataclass(frozen=True)
class IndexVersion:
    """Which index answered: for audit logs and for telling stale answers apart."""

    kind: str
    encoder_name: str
    encoder_fingerprint: str
    built_at: str
    count: int
    applied_seq: int = 0  # the change-log position the answering state includes


@dataclass(frozen=True)
class VacancyFacts:
    """Key facts of a vacancy for a shortlist line (no personal data).

    ``distance_km`` and ``commute_minutes`` are the pair's (None where a place is unknown).
    """

    title: str
    employer: str
    kldb: str
    occupation: str
    level: str  # German label of the requirement level
    place: str
    postcode: str
    working_time: str
    hours_per_week: float | None
    contract_type: str
    start_date: date | None
    required_licences: list[str]
    distance_km: float | None = None
    commute_minutes: int | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["start_date"] = self.start_date.isoformat() if self.start_date else None
        return out


@dataclass(frozen=True)
class CandidateFacts:
    """Key facts of a pseudonymised candidate card (place name, not the postcode: employers see it).

    ``distance_km`` and ``commute_minutes`` are the pair's (None where a place is unknown).
    """

    kldb: str
    occupation: str
    level: str
    place: str
    working_time: str
    hours_per_week: float | None
    available_from: date
    experience_years: float
    german_level: str
    licences: list[str]
    has_car: bool
    distance_km: float | None = None
    commute_minutes: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "available_from": self.available_from.isoformat()}


@dataclass(frozen=True)
class ShortlistItem:
    """One match: the other side's id, its rank (1 = best), score, similarity, facts, reasons.

    ``probability``: the calibrated probability that proposing the pair leads to an interview or a
    hire (:meth:`matcher.ranking.reranker.Reranker.probability`); None when the serving model has no
    calibration (the similarity baseline, a version registered before calibration existed).
    """

    id: str
    rank: int
    score: float
    similarity: float
    facts: VacancyFacts | CandidateFacts
    reasons: list[str]
    details: Details | None = None  # None: not explained
    probability: float | None = None
    geography: PairGeography | None = None  # as the audience may read it (not part of the JSON)

    def to_json(self) -> dict[str, Any]:
        """As in ``matcher shortlist --json``: the facts' fields, and ``{}`` for details not explained."""
        out = asdict(replace(self, details=None, geography=None))
        del out["geography"]
        out["facts"] = self.facts.to_json()
        out["details"] = {} if self.details is None else self.details.to_json()
        return out


@dataclass(frozen=True)
class Shortlist:
    """The answer to one shortlist request.

    Attributes:
        direction: which side was the query.
        query_id: the query record's id.
        items: best first, at most k.
        excluded: filter name -> items it excluded (first failing filter counts), exact over
            every item of the other side.
        considered: items the filters checked (every open vacancy, or every job seeker).
        eligible: items that passed every filter.
        index: the index that answered.
        scorer: the re-scoring model's name.
        rounds: search rounds (always 1: the filters run before the search).
        warnings: e.g. fewer than k items passed the filters.
        records: the items' records by id (for views; not part of the JSON).
        model: registry info of the model that ranked (None: not from the registry).
        query: the query record (for views; not part of the JSON).
        k: the number of items asked for; explained: whether the items carry reasons (neither
            part of the JSON).
    """

    direction: Direction
    query_id: str
    items: list[ShortlistItem]
    excluded: dict[str, int]
    considered: int
    eligible: int
    index: IndexVersion
    scorer: str
    rounds: int = 1
    warnings: list[str] = field(default_factory=list)
    records: dict[str, Candidate | Vacancy] = field(default_factory=dict, repr=False, compare=False)
    model: Any = None  # the serving model's registry info, taken with the scorer that ranked
    query: Candidate | Vacancy | None = field(default=None, repr=False, compare=False)
    k: int = 0
    explained: bool = True

    def to_json(self) -> dict[str, Any]:
        out = asdict(replace(self, items=[], records={}, query=None))
        for name in ("records", "query", "k", "explained"):
            del out[name]
        out["items"] = [item.to_json() for item in self.items]
        return out


def vacancy_facts(
    v: Vacancy, occupation: str, place: str, distance_km: float | None = None, commute_minutes: int | None = None
) -> VacancyFacts:
    """Key facts of a vacancy for a shortlist line (no personal data)."""
    return VacancyFacts(
        title=v.title,
        employer=v.employer_name,
        kldb=v.kldb,
        occupation=occupation,
        level=LEVEL_LABELS_DE[v.level],
        place=place,
        postcode=v.postcode,
        working_time=v.working_time.value,
        hours_per_week=v.hours_per_week,
        contract_type=v.contract_type.value,
        start_date=v.start_date,
        required_licences=list(v.required_licences),
        distance_km=distance_km,
        commute_minutes=commute_minutes,
    )


def candidate_facts(
    c: Candidate, occupation: str, place: str, distance_km: float | None = None, commute_minutes: int | None = None
) -> CandidateFacts:
    """Key facts of a pseudonymised candidate card (place name, not the postcode: employers see it)."""
    return CandidateFacts(
        kldb=c.main_occupation,
        occupation=occupation,
        level=LEVEL_LABELS_DE[c.level],
        place=place,
        working_time=c.working_time.value,
        hours_per_week=c.hours_per_week,
        available_from=c.available_from,
        experience_years=c.experience_years,
        german_level=c.german_level.value,
        licences=list(c.licences),
        has_car=c.has_car,
        distance_km=distance_km,
        commute_minutes=commute_minutes,
    )


def probabilities(reranker: Reranker, scores: NDArray[np.float32]) -> list[float | None]:
    """The reranker's calibrated probability per score, rounded to 4 places; all None without a calibration."""
    found = reranker.probability(scores)
    if found is None:
        return [None] * len(scores)
    return [round(float(p), 4) for p in found]


def rank(scores: NDArray[np.float32], similarity: NDArray[np.float32], k: int) -> list[int]:
    """Positions of the k best by score, ties broken by similarity (both descending)."""
    order = np.lexsort((-np.asarray(similarity, dtype=np.float64), -np.asarray(scores, dtype=np.float64)))
    return [int(i) for i in order[:k]]
