"""Hand-made canonical records for known-answer tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from matcher.records.models import Candidate, Vacancy


def make_candidate(**overrides: Any) -> Candidate:
    fields: dict[str, Any] = dict(
        id="S-0000001",
        source="jobcenter_stadt",
        source_id="S-0000001",
        ags="07312000",
        postcode="67657",
        occupations=["51312", "51311"],
        skills=["s-lager", "s-stapler"],
        level=2,
        licences=["B"],
        permits=["forklift"],
        has_car=True,
        max_commute_minutes=45,
        working_time="full_time",
        hours_per_week=39.0,
        shifts=True,
        weekends=False,
        german_level="B2",
        experience_years=4.0,
        available_from=date(2026, 12, 1),
        registered_at=date(2025, 6, 1),
        profile_text="Erfahrung im Wareneingang, sucht Vollzeit.",
    )
    fields.update(overrides)
    return Candidate.model_validate(fields)


def make_vacancy(**overrides: Any) -> Vacancy:
    fields: dict[str, Any] = dict(
        id="V-0000001",
        source="ags_stadt",
        employer_id="AG-1",
        employer_name="Lager GmbH",
        title="Fachlagerist (m/w/d)",
        description="Wareneingang und Kommissionierung.",
        kldb="51312",
        level=2,
        required_skills=["s-lager", "s-stapler"],
        optional_skills=["s-sap"],
        ags="07312000",
        postcode="67657",
        working_time="full_time",
        hours_per_week=39.0,
        shifts=True,
        weekends=False,
        required_licences=[],
        required_permits=["forklift"],
        german_level_min="B1",
        contract_type="permanent",
        start_date=date(2027, 1, 1),
        posted_at=date(2026, 11, 1),
        status="open",
    )
    fields.update(overrides)
    return Vacancy.model_validate(fields)
