"""Vacancies of the joint employer service (JSON Lines), with cross-channel duplicates merged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from data.ingest.common import (
    UNKNOWN_CODE,
    Parsed,
    Row,
    build_model,
    code_of,
    ident,
    iso_date,
    json_bool,
    json_int,
    json_list,
    json_number,
    list_of,
    parse_records,
    text,
)
from data.ingest.normalise import Normaliser
from data.ingest.readers import read_jsonl
from matcher.models import LICENCES, Vacancy

FILE_NAME = "arbeitgeberservice_stellen.jsonl"

SOURCES = {s: s for s in ("ags_stadt", "ags_landkreis", "jobboerse")}
LEVELS = {"1": 1, "2": 2, "3": 3, "4": 4}
WORKING_TIME = {"vollzeit": "full_time", "teilzeit": "part_time", "vollzeit_teilzeit": "either"}
PERMITS = {p: p for p in ("forklift", "adr", "ifsg43", "gewo34a", "crane", "welding")}
GERMAN = {**{lv: lv for lv in ("A1", "A2", "B1", "B2", "C1", "C2")}, "native": "native"}
PAY_UNITS = {"stunde": "hour", "monat": "month"}
CONTRACTS = {"unbefristet": "permanent", "befristet": "fixed_term", "arbeitnehmerueberlassung": "temporary_agency"}
STATUS = {"offen": "open", "besetzt": "filled", "zurueckgezogen": "withdrawn"}
LICENCE_CODES = {lic: lic for lic in LICENCES}

SOURCE_NAMES = {
    "id": "stellen_id",
    "source": "quelle",
    "employer_id": "arbeitgeber_id",
    "employer_name": "arbeitgeber_name",
    "title": "titel",
    "description": "beschreibung",
    "kldb": "kldb",
    "level": "niveau",
    "required_skills": "kenntnisse_pflicht",
    "optional_skills": "kenntnisse_optional",
    "ags": "gemeindeschluessel",
    "postcode": "plz",
    "working_time": "arbeitszeit",
    "hours_per_week": "wochenstunden",
    "shifts": "schicht",
    "weekends": "wochenende",
    "required_licences": "fuehrerscheine",
    "required_permits": "berechtigungen",
    "german_level_min": "deutsch_min",
    "pay_min": "entgelt_min",
    "pay_max": "entgelt_max",
    "pay_unit": "entgelt_einheit",
    "contract_type": "vertragsart",
    "start_date": "beginn",
    "posted_at": "veroeffentlicht",
    "status": "status",
    "positions": "anzahl",
}

# Gender notes and punctuation differ between channels for the same posting.
_GENDER_NOTE = re.compile(r"\(?\s*[mwd]\s*/\s*[mwd]\s*/\s*[mwd]\s*\)?", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")


def _level(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{UNKNOWN_CODE}: expected 1 to 4")
    return code_of(LEVELS)(str(value))


def _core_values(row: Row, norm: Normaliser) -> dict[str, Any]:
    ags, postcode = norm.place(row, postcode_field="plz", ags_field="gemeindeschluessel")
    kldb = row.get("kldb", norm.kldb, required=True)
    return {
        "id": row.get("stellen_id", ident, required=True),
        "source": row.get("quelle", code_of(SOURCES), required=True),
        "employer_id": row.get("arbeitgeber_id", ident, required=True),
        "employer_name": row.get("arbeitgeber_name", text, required=True),
        "title": row.get("titel", text, required=True),
        "description": row.get("beschreibung", text),
        "kldb": kldb,
        "level": row.get("niveau", _level) or norm.level_of(kldb),
        "required_skills": norm.skills(row, "kenntnisse_pflicht", row.get("kenntnisse_pflicht", json_list)),
        "optional_skills": norm.skills(row, "kenntnisse_optional", row.get("kenntnisse_optional", json_list)),
        "ags": ags,
        "postcode": postcode,
        "posted_at": row.get("veroeffentlicht", iso_date, required=True),
    }


def _terms_values(row: Row) -> dict[str, Any]:
    return {
        "working_time": row.get("arbeitszeit", code_of(WORKING_TIME)),
        "hours_per_week": row.get("wochenstunden", json_number),
        "shifts": row.get("schicht", json_bool),
        "weekends": row.get("wochenende", json_bool),
        "required_licences": row.get("fuehrerscheine", list_of(json_list, code_of(LICENCE_CODES))),
        "required_permits": row.get("berechtigungen", list_of(json_list, code_of(PERMITS))),
        "german_level_min": row.get("deutsch_min", code_of(GERMAN)),
        "pay_min": row.get("entgelt_min", json_number),
        "pay_max": row.get("entgelt_max", json_number),
        "pay_unit": row.get("entgelt_einheit", code_of(PAY_UNITS)),
        "contract_type": row.get("vertragsart", code_of(CONTRACTS)),
        "start_date": row.get("beginn", iso_date),
        "status": row.get("status", code_of(STATUS)),
        "positions": row.get("anzahl", json_int),
    }


def parse_row(row: Row, norm: Normaliser) -> Vacancy | None:
    """One vacancy object as a canonical :class:`Vacancy` (None when rejected)."""
    values = _core_values(row, norm) | _terms_values(row)
    return build_model(row, Vacancy, values, SOURCE_NAMES)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Vacancy]:
    """Parse ``arbeitgeberservice_stellen.jsonl``: accepted vacancies and rejects."""
    records = read_jsonl(path, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), "stellen_id")


# --- duplicates ------------------------------------------------------------------------------
def normalise_title(title: str) -> str:
    """Title without gender note, case, punctuation and spacing: ``fachlagerist``."""
    return " ".join(_NON_WORD.sub(" ", _GENDER_NOTE.sub(" ", title)).casefold().split())


def duplicate_key(vacancy: Vacancy) -> tuple[Any, ...]:
    """What makes two postings the same job: employer, occupation, title, place, start, hours."""
    return (
        vacancy.employer_id,
        vacancy.kldb,
        normalise_title(vacancy.title),
        vacancy.ags,
        vacancy.start_date,
        vacancy.hours_per_week,
        vacancy.working_time,
    )


def merge_duplicates(vacancies: list[Vacancy]) -> tuple[list[Vacancy], dict[str, str]]:
    """Merge postings with the same :func:`duplicate_key`.

    The earliest posting (by posting date, then id) is kept whatever the file order; the ids of
    the others go to its ``source_ids``.

    Returns:
        The kept vacancies (ordered by id) and a map from every merged-away id to its keeper.
    """
    groups: dict[tuple[Any, ...], list[Vacancy]] = {}
    for vacancy in sorted(vacancies, key=lambda v: (v.posted_at, v.id)):
        groups.setdefault(duplicate_key(vacancy), []).append(vacancy)
    kept: list[Vacancy] = []
    aliases: dict[str, str] = {}
    for first, *others in groups.values():
        if others:
            ids = sorted({*first.source_ids, *(o.id for o in others)} - {first.id})
            first = first.model_copy(update={"source_ids": ids})
            aliases.update({o.id: first.id for o in others})
        kept.append(first)
    return sorted(kept, key=lambda v: v.id), aliases
