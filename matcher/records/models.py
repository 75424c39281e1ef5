"""Canonical data model shared by every package.

Both Jobcenters' exports and the employer service's vacancies are turned into these records by
ingestion (``data/ingest``). Protected attributes live in their own model and table and are read
only by the fairness audit: nothing in retrieval or the re-ranker takes a ``ProtectedAttributes``.
"""

from __future__ import annotations

import re
from datetime import date
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

KLDB5_PATTERN = re.compile(r"^\d{5}$")
# Every record id (job seekers, vacancies, employers, proposals, source ids): the ingestion's rule,
# the API's and the store's. Letters, digits and . _ : - only: no blanks, control characters or
# markup, which were stored and written into the audit log verbatim.
RECORD_ID_RULE = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
RECORD_ID_PATTERN = re.compile(RECORD_ID_RULE)
AGS_PATTERN = re.compile(r"^\d{8}$")
POSTCODE_PATTERN = re.compile(r"^\d{5}$")


def _check_kldb5(code: str) -> str:
    if not KLDB5_PATTERN.match(code):
        raise ValueError("KldB 2010 code must have 5 digits")
    return code


def _check_ags(code: str) -> str:
    if not AGS_PATTERN.match(code):
        raise ValueError("municipality key (AGS) must have 8 digits")
    return code


def _check_postcode(code: str) -> str:
    if not POSTCODE_PATTERN.match(code):
        raise ValueError("postcode must have 5 digits")
    return code


# Every date the engine takes lies in this range: date arithmetic near date.max overflows (an
# "as_of" of 9999-12-31 was a 500), and no record of a job seeker or vacancy needs more.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)


def _check_date(day: date) -> date:
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"date must lie between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}")
    return day


Kldb5 = Annotated[str, AfterValidator(_check_kldb5)]
PlausibleDate = Annotated[date, AfterValidator(_check_date)]
RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=RECORD_ID_RULE)]
Ags = Annotated[str, AfterValidator(_check_ags)]
Postcode = Annotated[str, AfterValidator(_check_postcode)]


class CandidateSource(StrEnum):
    STADT = "jobcenter_stadt"
    LANDKREIS = "jobcenter_landkreis"
    API = "api"


class RequirementLevel(IntEnum):
    """The KldB 5th digit: the complexity of the work."""

    HELFER = 1
    FACHKRAFT = 2
    SPEZIALIST = 3
    EXPERTE = 4


LEVEL_LABELS_DE: dict[int, str] = {1: "Helfer", 2: "Fachkraft", 3: "Spezialist", 4: "Experte"}


class WorkingTime(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    EITHER = "either"


class GermanLevel(StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"
    NATIVE = "native"

    @property
    def rank(self) -> int:
        return GERMAN_LEVEL_RANK[self]


GERMAN_LEVEL_RANK: dict[GermanLevel, int] = {level: i + 1 for i, level in enumerate(GermanLevel)}


class School(StrEnum):
    NONE = "none"
    HAUPTSCHULE = "hauptschule"
    MITTLERE_REIFE = "mittlere_reife"
    FACHHOCHSCHULREIFE = "fachhochschulreife"
    ABITUR = "abitur"


class Vocational(StrEnum):
    NONE = "none"
    APPRENTICESHIP = "apprenticeship"
    MASTER_TECHNICIAN = "master_technician"
    BACHELOR = "bachelor"
    MASTER = "master"


# Driving licence classes of the EU driving licence directive as used in Germany.
LICENCES: tuple[str, ...] = (
    "AM",
    "A1",
    "A2",
    "A",
    "B",
    "BE",
    "C1",
    "C1E",
    "C",
    "CE",
    "D1",
    "D1E",
    "D",
    "DE",
    "L",
    "T",
)
# Licence classes that include others (holding CE means holding C, C1, C1E, BE and B).
LICENCE_IMPLIES: dict[str, tuple[str, ...]] = {
    "BE": ("B",),
    "C1": ("B",),
    "C1E": ("C1", "BE", "B"),
    "C": ("C1", "B"),
    "CE": ("C", "C1", "C1E", "BE", "B"),
    "D1": ("B",),
    "D1E": ("D1", "BE", "B"),
    "D": ("D1", "B"),
    "DE": ("D", "D1", "D1E", "BE", "B"),
    "A": ("A2", "A1", "AM"),
    "A2": ("A1", "AM"),
    "A1": ("AM",),
}
# Other permits and certificates that vacancies ask for.
PERMITS: dict[str, str] = {
    "forklift": "Staplerschein",
    "adr": "ADR-Bescheinigung (Gefahrgut)",
    "ifsg43": "Belehrung nach § 43 IfSG",
    "gewo34a": "Sachkunde nach § 34a GewO",
    "crane": "Kranschein",
    "welding": "Schweißerprüfung",
}


def _check_licences(codes: list[str]) -> list[str]:
    # The message names the rule, not the codes given (validation errors never echo input).
    if any(code not in LICENCES for code in codes):
        raise ValueError(f"unknown driving licence class (allowed: {', '.join(LICENCES)})")
    return codes


def _check_permits(codes: list[str]) -> list[str]:
    if any(code not in PERMITS for code in codes):
        raise ValueError(f"unknown permit (allowed: {', '.join(PERMITS)})")
    return codes


LicenceCodes = Annotated[list[str], AfterValidator(_check_licences)]
"""Driving licence classes of :data:`LICENCES` (the error names the rule, never the codes)."""
PermitCodes = Annotated[list[str], AfterValidator(_check_permits)]
"""Permits of :data:`PERMITS`."""


def effective_licences(licences: list[str]) -> set[str]:
    """Expand held licences with the classes they include."""
    held = set(licences)
    for licence in licences:
        held.update(LICENCE_IMPLIES.get(licence, ()))
    return held


class ContractType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    TEMPORARY_AGENCY = "temporary_agency"


class VacancyStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    NO_REACTION = "no_reaction"
    APPLIED = "applied"
    INTERVIEW = "interview"
    HIRED = "hired"
    REJECTED_BY_EMPLOYER = "rejected_by_employer"
    DECLINED_BY_CANDIDATE = "declined_by_candidate"

    @property
    def relevance(self) -> int:
        """Graded relevance for ranking: hired 3, interview 2, applied 1, otherwise 0."""
        return RELEVANCE.get(self, 0)


RELEVANCE: dict[Outcome, int] = {Outcome.HIRED: 3, Outcome.INTERVIEW: 2, Outcome.APPLIED: 1}

_STRICT = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class CandidateProfile(BaseModel):
    """What a job seeker's profile says, without identity: shared by stored and ad-hoc profiles."""

    model_config = _STRICT

    ags: Ags
    postcode: Postcode
    occupations: list[Kldb5] = Field(min_length=1, max_length=10, description="KldB 5-digit codes, main first")
    skills: list[str] = Field(default_factory=list, max_length=200, description="ESCO skill ids (uuid part)")
    level: int = Field(ge=1, le=4, description="requirement level reached (KldB 5th digit)")
    school: School = School.NONE
    vocational: Vocational = Vocational.NONE
    experience_years: float = Field(default=0.0, ge=0, le=60)
    german_level: GermanLevel = GermanLevel.NATIVE
    languages: dict[str, str] = Field(default_factory=dict, description="ISO 639-1 -> CEFR")
    licences: LicenceCodes = Field(default_factory=list)
    permits: PermitCodes = Field(default_factory=list)
    has_car: bool = False
    max_commute_minutes: int | None = Field(default=None, ge=0, le=300)
    max_commute_km: float | None = Field(default=None, ge=0, le=500)
    working_time: WorkingTime = WorkingTime.FULL_TIME
    hours_per_week: float | None = Field(default=None, ge=1, le=60)
    shifts: bool = False
    weekends: bool = False
    available_from: PlausibleDate | None = None
    profile_text: str = Field(default="", max_length=4000)


class Candidate(CandidateProfile):
    """A job seeker, pseudonymous. No names, no contact data, no protected attributes."""

    id: RecordId
    source: CandidateSource
    source_id: RecordId
    available_from: PlausibleDate  # type: ignore[assignment]  # stored profiles always know it
    registered_at: PlausibleDate
    team: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$",
        description="team of the merged Jobcenter in charge (need-to-know); None: by the configured rule",
    )

    @property
    def main_occupation(self) -> str:
        return self.occupations[0]


class Vacancy(BaseModel):
    """An open or past vacancy of the joint employer service."""

    model_config = _STRICT

    id: RecordId
    source: str = Field(min_length=1, max_length=32)
    source_ids: list[RecordId] = Field(default_factory=list, description="ids merged into this one")
    employer_id: RecordId
    employer_name: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=8000)
    kldb: Kldb5
    level: int = Field(ge=1, le=4)
    required_skills: list[str] = Field(default_factory=list)
    optional_skills: list[str] = Field(default_factory=list)
    ags: Ags
    postcode: Postcode
    working_time: WorkingTime = WorkingTime.FULL_TIME
    hours_per_week: float | None = Field(default=None, ge=1, le=60)
    shifts: bool = False
    weekends: bool = False
    required_licences: LicenceCodes = Field(default_factory=list)
    required_permits: PermitCodes = Field(default_factory=list)
    german_level_min: GermanLevel | None = None
    pay_min: float | None = Field(default=None, ge=0)
    pay_max: float | None = Field(default=None, ge=0)
    pay_unit: Literal["hour", "month"] = "month"
    contract_type: ContractType = ContractType.PERMANENT
    start_date: PlausibleDate | None = None
    posted_at: PlausibleDate
    status: VacancyStatus = VacancyStatus.OPEN
    positions: int = Field(default=1, ge=1, le=500)
    # How to apply, for the job seeker (optional: sources that do not deliver them leave them out).
    contact_name: str | None = Field(default=None, max_length=200, description="the employer's contact person")
    contact_phone: str | None = Field(default=None, max_length=50)
    contact_email: str | None = Field(default=None, max_length=200)
    apply_how: str | None = Field(default=None, max_length=1000, description="how to apply, in German")

    @model_validator(mode="after")
    def _check_pay(self) -> Vacancy:
        if self.pay_min is not None and self.pay_max is not None and self.pay_max < self.pay_min:
            raise ValueError("pay_max is below pay_min")
        return self


class Proposal(BaseModel):
    """A placement proposal (Vermittlungsvorschlag) and what became of it."""

    model_config = _STRICT

    id: RecordId
    candidate_id: RecordId
    vacancy_id: RecordId
    proposed_at: PlausibleDate
    outcome: Outcome
    outcome_at: PlausibleDate | None = None

    @model_validator(mode="after")
    def _check_dates(self) -> Proposal:
        if self.outcome_at is not None and self.outcome_at < self.proposed_at:
            raise ValueError("outcome date lies before the proposal date")
        return self

    @property
    def relevance(self) -> int:
        return self.outcome.relevance


class Gender(StrEnum):
    FEMALE = "f"
    MALE = "m"
    DIVERSE = "d"


class CitizenshipGroup(StrEnum):
    GERMAN = "german"
    EU = "eu"
    THIRD_COUNTRY = "third_country"


class ProtectedAttributes(BaseModel):
    """Kept apart from the candidate; read only by the fairness audit."""

    model_config = _STRICT

    candidate_id: RecordId
    gender: Gender | None = None
    birth_year: int | None = Field(default=None, ge=1940, le=2012)
    citizenship_group: CitizenshipGroup | None = None
    severe_disability: bool | None = None


PROTECTED_ATTRIBUTE_NAMES: tuple[str, ...] = (
    "gender",
    "birth_year",
    "citizenship_group",
    "severe_disability",
)
