"""The demo world's configuration: one frozen dataclass, read by every generator step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Default magnitudes, from the region's figures (see the labour-market notes in shared/reference):
# about 15,000 SGB II customers in Stadt and Landkreis, about 2,500-4,500 vacancies in stock.
DEFAULT_CANDIDATES = 12_000
DEFAULT_VACANCIES = 3_000
PROPOSALS_PER_CANDIDATE = 50_000 / 12_000
CLOSED_PER_OPEN_VACANCY = 2.5


@dataclass(frozen=True)
class WorldConfig:
    """What :func:`data.generate.generate_world` builds.

    Attributes:
        candidates: job seekers, about 2/3 Stadt and 1/3 Landkreis.
        vacancies: OPEN vacancies; closed ones (filled or withdrawn) of the past three years come
            on top (``closed_vacancies``).
        seed: seed of ``numpy.random.default_rng``; same seed and options, same bytes.
        duplicates: write a few vacancies twice, from another channel (``quelle``) under another id.
        broken_rows: write a few invalid rows per file, for the ingestion's reject report.
        bias: the history disadvantages older job seekers (born before ``bias_birth_year``).
        reference_date: "today" of the world; nothing reads the wall clock.
        proposals: historical proposals; ``None`` scales with ``candidates`` (50,000 for 12,000).
        closed_vacancies: ``None`` means 2.5 times ``vacancies``.
        stadt_share: share of job seekers from Jobcenter Stadt.
        bias_birth_year: job seekers born before this year are disadvantaged when ``bias``.
        bias_strength: logit penalty of the employer's decisions for them.
        history_years: how far back the history of vacancies and proposals reaches.
    """

    candidates: int = DEFAULT_CANDIDATES
    vacancies: int = DEFAULT_VACANCIES
    seed: int = 42
    duplicates: bool = True
    broken_rows: bool = True
    bias: bool = True
    reference_date: date = date(2026, 11, 25)
    proposals: int | None = None
    closed_vacancies: int | None = None
    stadt_share: float = 2 / 3
    bias_birth_year: int = 1972
    bias_strength: float = 0.9
    history_years: int = 3

    def __post_init__(self) -> None:
        if self.candidates < 10:
            raise ValueError(f"candidates must be at least 10, got {self.candidates}")
        if self.vacancies < 5:
            raise ValueError(f"vacancies must be at least 5, got {self.vacancies}")
        if not 0.0 < self.stadt_share < 1.0:
            raise ValueError(f"stadt_share must lie in (0, 1), got {self.stadt_share}")
        if self.proposals is not None and self.proposals < 0:
            raise ValueError(f"proposals must not be negative, got {self.proposals}")

    @property
    def n_proposals(self) -> int:
        if self.proposals is not None:
            return self.proposals
        return round(self.candidates * PROPOSALS_PER_CANDIDATE)

    @property
    def n_closed_vacancies(self) -> int:
        if self.closed_vacancies is not None:
            return self.closed_vacancies
        return round(self.vacancies * CLOSED_PER_OPEN_VACANCY)
