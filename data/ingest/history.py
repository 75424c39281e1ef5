"""Placement history (proposals with outcomes) and protected attributes: UTF-8 CSV.

Both name job seekers (and proposals name vacancies) that must have been accepted in the same
import; a record that names a rejected or absent one is rejected as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.ingest.common import (
    Parsed,
    Row,
    build_model,
    code_of,
    ident,
    iso_date,
    ja_nein,
    parse_records,
    text,
)
from data.ingest.readers import read_csv
from matcher.models import Proposal, ProtectedAttributes

PROPOSALS_FILE = "vermittlungsvorschlaege.csv"
PROTECTED_FILE = "geschuetzte_merkmale.csv"
PROPOSAL_COLUMNS = ("vorschlag_id", "kunden_id", "stellen_id", "vorgeschlagen_am", "ergebnis", "ergebnis_am")
PROTECTED_COLUMNS = ("kunden_id", "geschlecht", "geburtsjahr", "staatsangehoerigkeit", "schwerbehinderung")

UNKNOWN_CANDIDATE = "unknown candidate"
UNKNOWN_VACANCY = "unknown vacancy"
OUTCOME_BEFORE_PROPOSAL = "outcome date before proposal date"

OUTCOMES = {
    "keine_reaktion": "no_reaction",
    "beworben": "applied",
    "vorstellungsgespraech": "interview",
    "eingestellt": "hired",
    "abgelehnt_arbeitgeber": "rejected_by_employer",
    "abgelehnt_bewerber": "declined_by_candidate",
}
GENDER = {"w": "f", "m": "m", "d": "d"}
CITIZENSHIP = {"deutsch": "german", "eu": "eu", "drittstaat": "third_country"}

PROPOSAL_NAMES = {
    "id": "vorschlag_id",
    "candidate_id": "kunden_id",
    "vacancy_id": "stellen_id",
    "proposed_at": "vorgeschlagen_am",
    "outcome": "ergebnis",
    "outcome_at": "ergebnis_am",
}
PROTECTED_NAMES = {
    "candidate_id": "kunden_id",
    "gender": "geschlecht",
    "birth_year": "geburtsjahr",
    "citizenship_group": "staatsangehoerigkeit",
    "severe_disability": "schwerbehinderung",
}


@dataclass(frozen=True)
class KnownIds:
    """What history records may refer to, from the same import.

    Attributes:
        candidates: accepted candidate ids.
        rejected_candidates: ids of rejected candidate rows -> "file line N", for the reason.
        vacancies: every accepted vacancy id (kept or merged away) -> the id it is stored under.
    """

    candidates: frozenset[str]
    rejected_candidates: Mapping[str, str]
    vacancies: Mapping[str, str]


def _candidate(row: Row, known: KnownIds) -> str | None:
    candidate = row.get("kunden_id", ident, required=True)
    if candidate is None or candidate in known.candidates:
        return candidate
    where = known.rejected_candidates.get(candidate)
    note = f" (its row was rejected: {where})" if where else " (not in the import)"
    row.reject("kunden_id", candidate, UNKNOWN_CANDIDATE + note)
    return None


def _vacancy(row: Row, known: KnownIds) -> str | None:
    vacancy = row.get("stellen_id", ident, required=True)
    if vacancy is None:
        return None
    if vacancy not in known.vacancies:
        row.reject("stellen_id", vacancy, UNKNOWN_VACANCY)
        return None
    return known.vacancies[vacancy]


def parse_proposal(row: Row, known: KnownIds) -> Proposal | None:
    """One proposal, its vacancy mapped to the id it is stored under (None when rejected)."""
    proposed = row.get("vorgeschlagen_am", iso_date, required=True)
    outcome_at = row.get("ergebnis_am", iso_date)
    if proposed is not None and outcome_at is not None and outcome_at < proposed:
        row.reject("ergebnis_am", outcome_at.isoformat(), OUTCOME_BEFORE_PROPOSAL)
    values: dict[str, Any] = {
        "id": row.get("vorschlag_id", ident, required=True),
        "candidate_id": _candidate(row, known),
        "vacancy_id": _vacancy(row, known),
        "proposed_at": proposed,
        "outcome": row.get("ergebnis", code_of(OUTCOMES), required=True),
        "outcome_at": outcome_at,
    }
    return build_model(row, Proposal, values, PROPOSAL_NAMES)


def birth_year(value: Any) -> int:
    cleaned = text(value)
    if not (len(cleaned) == 4 and cleaned.isdigit()):
        raise ValueError("not a year JJJJ")
    return int(cleaned)


def parse_protected(row: Row, known: KnownIds) -> ProtectedAttributes | None:
    """One row of protected attributes (None when rejected)."""
    values: dict[str, Any] = {
        "candidate_id": _candidate(row, known),
        "gender": row.get("geschlecht", code_of(GENDER)),
        "birth_year": row.get("geburtsjahr", birth_year),
        "citizenship_group": row.get("staatsangehoerigkeit", code_of(CITIZENSHIP)),
        "severe_disability": row.get("schwerbehinderung", ja_nein),
    }
    return build_model(row, ProtectedAttributes, values, PROTECTED_NAMES)


def parse_proposals(path: Path, known: KnownIds, progress: bool = False) -> Parsed[Proposal]:
    """Parse ``vermittlungsvorschlaege.csv``."""
    records = read_csv(path, encoding="utf-8", delimiter=",", required=PROPOSAL_COLUMNS, progress=progress)
    return parse_records(PROPOSALS_FILE, records, lambda row: parse_proposal(row, known))


def parse_protected_file(path: Path, known: KnownIds, progress: bool = False) -> Parsed[ProtectedAttributes]:
    """Parse ``geschuetzte_merkmale.csv``."""
    records = read_csv(path, encoding="utf-8", delimiter=",", required=PROTECTED_COLUMNS, progress=progress)
    return parse_records(PROTECTED_FILE, records, lambda row: parse_protected(row, known))
