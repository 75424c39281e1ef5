"""The parts of a shortlist: over-fetching search, the re-scoring protocol and the result types.

``Engine`` (``matcher.engine``) composes them; this module holds no state and touches no files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from matcher.filters import FilterResult
from matcher.index import Hits, VectorIndex
from matcher.models import LEVEL_LABELS_DE, Candidate, Vacancy

Direction = Literal["vacancies_for_candidate", "candidates_for_vacancy"]


@dataclass(frozen=True)
class RetrievalConfig:
    """How far to over-fetch before filtering.

    The first search asks for ``max(fetch_factor * k, min_fetch)`` items; while fewer than k pass
    the filters and the index holds more, the next search asks for ``growth`` times as many.
    """

    fetch_factor: int = 5
    min_fetch: int = 100
    growth: int = 4


@dataclass(frozen=True)
class Retrieved:
    """The last search round: hits, their filter outcome, and how many rounds it took."""

    hits: Hits
    filtered: FilterResult
    rounds: int


def over_fetch(
    index: VectorIndex, query: NDArray[np.float32], k: int,
    evaluate: Callable[[Hits], FilterResult], config: RetrievalConfig = RetrievalConfig(),
) -> Retrieved:  # fmt: skip
    """Search, filter, and widen the search until k items survive or the index is exhausted.

    Never returns fewer than k survivors when the index holds more eligible items: the last
    round, if needed, asks for the whole index.
    """
    fetch = max(config.fetch_factor * k, config.min_fetch)
    rounds = 0
    while True:
        rounds += 1
        hits = index.search(query, fetch)[0]
        filtered = evaluate(hits)
        exhausted = fetch >= len(index)
        if exhausted or int(np.count_nonzero(filtered.keep)) >= k:
            return Retrieved(hits, filtered, rounds)
        fetch = min(fetch * config.growth, len(index))


@dataclass(frozen=True)
class PairBatch:
    """Pairs to score: ``candidates[i]`` with ``vacancies[i]``; the query side repeats.

    Attributes:
        candidates: one candidate per pair.
        vacancies: one vacancy per pair.
        similarity: cosine similarity of the rendered texts per pair.
        distance_km: straight-line distance per pair (NaN where a place is unknown).
        commute_minutes: estimated commute per pair, by car where the candidate has one.
        direction: which side is the query.
        as_of: the request's reference date (vacancy age, availability).
    """

    candidates: Sequence[Candidate]
    vacancies: Sequence[Vacancy]
    similarity: NDArray[np.float32]
    distance_km: NDArray[np.float64]
    commute_minutes: NDArray[np.float64]
    direction: Direction
    as_of: date

    def __len__(self) -> int:
        return len(self.similarity)


@dataclass(frozen=True)
class Explained:
    """Why one pair scored as it did: short German reasons and the structured facts behind them."""

    reasons: list[str]
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Scorer(Protocol):
    """Re-scores the filtered pairs; the trained re-ranker implements this.

    ``name`` identifies the model version in shortlists and the audit log. Scoring sees every
    eligible pair; explaining only the few that are returned, since explanations cost more.
    """

    name: str

    def score(self, pairs: PairBatch) -> NDArray[np.float32]:
        """One score per pair (higher is better), in the order given."""
        ...

    def explain(self, pairs: PairBatch, positions: Sequence[int]) -> list[Explained]:
        """Reasons for the pairs at ``positions``, in that order."""
        ...


def place_reason(distance_km: float, commute_minutes: float, by_car: bool) -> str | None:
    if np.isnan(distance_km):
        return None
    mode = "mit dem Auto" if by_car else "mit Bus und Bahn"
    return f"{distance_km:.0f} km entfernt, ca. {commute_minutes:.0f} Min. {mode}"


class SimilarityScorer:
    """The default: the embedding similarity itself, with plain reasons (occupation, place)."""

    name = "similarity"

    def score(self, pairs: PairBatch) -> NDArray[np.float32]:
        return np.asarray(pairs.similarity, dtype=np.float32)

    def explain(self, pairs: PairBatch, positions: Sequence[int]) -> list[Explained]:
        explained = []
        for i in positions:
            c, v = pairs.candidates[i], pairs.vacancies[i]
            items = []
            if v.kldb in c.occupations:
                kind = "Zielberuf" if v.kldb == c.main_occupation else "Alternativberuf"
                items.append(f"{kind} passt (KldB {v.kldb})")
            place = place_reason(float(pairs.distance_km[i]), float(pairs.commute_minutes[i]),
                                 c.has_car)  # fmt: skip
            if place:
                items.append(place)
            explained.append(Explained(items))
        return explained


@dataclass(frozen=True)
class IndexVersion:
    """Which index answered: for audit logs and for telling stale answers apart."""

    kind: str
    encoder_name: str
    encoder_fingerprint: str
    built_at: str
    count: int


@dataclass(frozen=True)
class ShortlistItem:
    """One match: the other side's id, its rank (1 = best), score, similarity, facts, reasons."""

    id: str
    rank: int
    score: float
    similarity: float
    facts: dict[str, Any]
    reasons: list[str]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Shortlist:
    """The answer to one shortlist request.

    Attributes:
        direction: which side was the query.
        query_id: the query record's id.
        items: best first, at most k.
        excluded: filter name -> items it excluded (first failing filter counts;
            ``not_in_store`` counts index entries without a current record).
        considered: items retrieved from the index and checked in the last search round.
        eligible: items that passed every filter (k or more unless the index ran out).
        index: the index that answered.
        scorer: the re-scoring model's name.
        rounds: search rounds the over-fetch needed.
        warnings: e.g. fewer than k items passed the filters.
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def vacancy_facts(v: Vacancy, occupation: str, place: str) -> dict[str, Any]:
    """Key facts of a vacancy for a shortlist line (no personal data)."""
    return {
        "title": v.title, "employer": v.employer_name, "kldb": v.kldb, "occupation": occupation,
        "level": LEVEL_LABELS_DE[v.level], "place": place, "postcode": v.postcode,
        "working_time": v.working_time.value, "hours_per_week": v.hours_per_week,
        "contract_type": v.contract_type.value,
        "start_date": v.start_date.isoformat() if v.start_date else None,
        "required_licences": list(v.required_licences),
    }  # fmt: skip


def candidate_facts(c: Candidate, occupation: str, place: str) -> dict[str, Any]:
    """Key facts of a pseudonymised candidate card (place name, not the postcode: employers see it)."""
    return {
        "kldb": c.main_occupation, "occupation": occupation, "level": LEVEL_LABELS_DE[c.level],
        "place": place, "working_time": c.working_time.value,
        "hours_per_week": c.hours_per_week, "available_from": c.available_from.isoformat(),
        "experience_years": c.experience_years, "german_level": c.german_level.value,
        "licences": list(c.licences), "has_car": c.has_car,
    }  # fmt: skip


def rank(scores: NDArray[np.float32], similarity: NDArray[np.float32], k: int) -> list[int]:
    """Positions of the k best by score, ties broken by similarity (both descending)."""
    order = np.lexsort((-np.asarray(similarity, dtype=np.float64),
                        -np.asarray(scores, dtype=np.float64)))  # fmt: skip
    return [int(i) for i in order[:k]]
