"""Placement history (proposals with outcomes) and protected attributes: UTF-8 CSV.

Both name job seekers (and proposals name vacancies) that must have been accepted in the same
import; a record that names a rejected or absent one is rejected as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.formats import PROPOSALS, PROTECTED, ExportFile
from data.ingest.common import Parsed, Row, build_model, parse_records
from data.ingest.readers import read_csv
from matcher.records.models import Proposal, ProtectedAttributes

PROPOSALS_FILE = PROPOSALS.name
PROTECTED_FILE = PROTECTED.name

UNKNOWN_CANDIDATE = "unknown candidate"
UNKNOWN_VACANCY = "unknown vacancy"
OUTCOME_BEFORE_PROPOSAL = "outcome date before proposal date"


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


def _candidate(row: Row, known: KnownIds, spec: ExportFile) -> str | None:
    candidate = spec.read(row, "candidate_id")
    if candidate is None or candidate in known.candidates:
        return candidate
    where = known.rejected_candidates.get(candidate)
    note = f" (its row was rejected: {where})" if where else " (not in the import)"
    row.reject(spec.column("candidate_id"), candidate, UNKNOWN_CANDIDATE + note)
    return None


def _vacancy(row: Row, known: KnownIds) -> str | None:
    vacancy = PROPOSALS.read(row, "vacancy_id")
    if vacancy is None:
        return None
    if vacancy not in known.vacancies:
        row.reject(PROPOSALS.column("vacancy_id"), vacancy, UNKNOWN_VACANCY)
        return None
    return known.vacancies[vacancy]


def parse_proposal(row: Row, known: KnownIds) -> Proposal | None:
    """One proposal, its vacancy mapped to the id it is stored under (None when rejected)."""
    proposed = PROPOSALS.read(row, "proposed_at")
    outcome_at = PROPOSALS.read(row, "outcome_at")
    if proposed is not None and outcome_at is not None and outcome_at < proposed:
        row.reject(PROPOSALS.column("outcome_at"), outcome_at.isoformat(), OUTCOME_BEFORE_PROPOSAL)
    values: dict[str, Any] = {
        "id": PROPOSALS.read(row, "id"),
        "candidate_id": _candidate(row, known, PROPOSALS),
        "vacancy_id": _vacancy(row, known),
        "proposed_at": proposed,
        "outcome": PROPOSALS.read(row, "outcome"),
        "outcome_at": outcome_at,
    }
    return build_model(row, Proposal, values, PROPOSALS.source_names)


def parse_protected(row: Row, known: KnownIds) -> ProtectedAttributes | None:
    """One row of protected attributes (None when rejected)."""
    values: dict[str, Any] = {"candidate_id": _candidate(row, known, PROTECTED)}
    values |= PROTECTED.read_rest(row, values)
    return build_model(row, ProtectedAttributes, values, PROTECTED.source_names)


def _read(path: Path, spec: ExportFile, progress: bool) -> Any:
    return read_csv(path, encoding=spec.encoding, delimiter=spec.delimiter, required=spec.columns, progress=progress)


def parse_proposals(path: Path, known: KnownIds, progress: bool = False) -> Parsed[Proposal]:
    """Parse ``vermittlungsvorschlaege.csv``."""
    return parse_records(PROPOSALS_FILE, _read(path, PROPOSALS, progress), lambda row: parse_proposal(row, known))


def parse_protected_file(path: Path, known: KnownIds, progress: bool = False) -> Parsed[ProtectedAttributes]:
    """Parse ``geschuetzte_merkmale.csv``."""
    return parse_records(PROTECTED_FILE, _read(path, PROTECTED, progress), lambda row: parse_protected(row, known))
