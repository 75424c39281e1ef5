"""Job seekers of Jobcenter Stadt Kaiserslautern: ``;``-CSV, cp1252, German headers and formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.ingest.common import (
    Parsed,
    Row,
    build_model,
    code_of,
    german_date,
    german_decimal,
    german_int,
    ident,
    ja_nein,
    list_of,
    parse_records,
    pipe_list,
    text,
)
from data.ingest.normalise import Normaliser
from data.ingest.readers import read_csv
from matcher.models import LICENCES, Candidate, CandidateSource

FILE_NAME = "jobcenter_stadt_kunden.csv"
COLUMNS: tuple[str, ...] = (
    "Kundennummer",
    "Anlagedatum",
    "PLZ",
    "Wohnort",
    "Zielberuf_KldB",
    "Alternativberufe_KldB",
    "Anforderungsniveau",
    "Kenntnisse_ESCO",
    "Schulabschluss",
    "Berufsabschluss",
    "Berufserfahrung_Jahre",
    "Deutschkenntnisse",
    "Weitere_Sprachen",
    "Fuehrerscheine",
    "Weitere_Berechtigungen",
    "PKW_verfuegbar",
    "Max_Pendelzeit_Min",
    "Arbeitszeitwunsch",
    "Wochenstunden",
    "Schichtbereitschaft",
    "Wochenendbereitschaft",
    "Verfuegbar_ab",
    "Profiltext",
)

LEVELS = {"1": 1, "2": 2, "3": 3, "4": 4}
SCHOOL = {
    "ohne": "none",
    "Hauptschulabschluss": "hauptschule",
    "Mittlere Reife": "mittlere_reife",
    "Fachhochschulreife": "fachhochschulreife",
    "Abitur": "abitur",
}
VOCATIONAL = {
    "ohne": "none",
    "Berufsausbildung": "apprenticeship",
    "Meister/Techniker": "master_technician",
    "Bachelor": "bachelor",
    "Master": "master",
}
CEFR = {lv: lv for lv in ("A1", "A2", "B1", "B2", "C1", "C2")}
GERMAN = {**CEFR, "Muttersprache": "native"}
PERMITS = {
    "Staplerschein": "forklift",
    "ADR": "adr",
    "IfSG43": "ifsg43",
    "GewO34a": "gewo34a",
    "Kranschein": "crane",
    "Schweisserpruefung": "welding",
}
WORKING_TIME = {"Vollzeit": "full_time", "Teilzeit": "part_time", "Vollzeit oder Teilzeit": "either"}

SOURCE_NAMES = {
    "id": "Kundennummer",
    "source_id": "Kundennummer",
    "registered_at": "Anlagedatum",
    "postcode": "PLZ",
    "ags": "Wohnort",
    "occupations": "Zielberuf_KldB",
    "level": "Anforderungsniveau",
    "skills": "Kenntnisse_ESCO",
    "school": "Schulabschluss",
    "vocational": "Berufsabschluss",
    "experience_years": "Berufserfahrung_Jahre",
    "german_level": "Deutschkenntnisse",
    "languages": "Weitere_Sprachen",
    "licences": "Fuehrerscheine",
    "permits": "Weitere_Berechtigungen",
    "has_car": "PKW_verfuegbar",
    "max_commute_minutes": "Max_Pendelzeit_Min",
    "working_time": "Arbeitszeitwunsch",
    "hours_per_week": "Wochenstunden",
    "shifts": "Schichtbereitschaft",
    "weekends": "Wochenendbereitschaft",
    "available_from": "Verfuegbar_ab",
    "profile_text": "Profiltext",
}


def language_pairs(value: Any) -> dict[str, str]:
    """``tr:C2|en:A2`` -> ``{"tr": "C2", "en": "A2"}`` (ISO 639-1 code, CEFR level)."""
    result: dict[str, str] = {}
    for pair in pipe_list(value):
        code, _, level = (part.strip() for part in pair.partition(":"))
        if len(code) != 2 or not code.isalpha() or not code.islower():
            raise ValueError(f"not an ISO 639-1 language code: {code!r}")
        result[code] = code_of(GERMAN)(level)
    return result


def _occupations(row: Row, norm: Normaliser) -> list[str] | None:
    main = row.get("Zielberuf_KldB", norm.kldb, required=True)
    others = row.get("Alternativberufe_KldB", list_of(pipe_list, norm.kldb)) or []
    return None if main is None else [main] + [c for c in others if c != main]


def _core_values(row: Row, norm: Normaliser) -> dict[str, Any]:
    customer = row.get("Kundennummer", ident, required=True)
    ags, postcode = norm.place(row, postcode_field="PLZ", name_field="Wohnort")
    occupations = _occupations(row, norm)
    level = row.get("Anforderungsniveau", code_of(LEVELS))
    registered = row.get("Anlagedatum", german_date, required=True)
    return {
        "id": customer,
        "source": CandidateSource.STADT,
        "source_id": customer,
        "ags": ags,
        "postcode": postcode,
        "occupations": occupations,
        "level": level or norm.level_of(occupations[0] if occupations else None),
        "skills": norm.skills(row, "Kenntnisse_ESCO", row.get("Kenntnisse_ESCO", pipe_list)),
        "registered_at": registered,
        "available_from": row.get("Verfuegbar_ab", german_date) or registered,
    }


def _profile_values(row: Row) -> dict[str, Any]:
    return {
        "school": row.get("Schulabschluss", code_of(SCHOOL)),
        "vocational": row.get("Berufsabschluss", code_of(VOCATIONAL)),
        "experience_years": row.get("Berufserfahrung_Jahre", german_decimal),
        "german_level": row.get("Deutschkenntnisse", code_of(GERMAN)),
        "languages": row.get("Weitere_Sprachen", language_pairs),
        "licences": row.get("Fuehrerscheine", list_of(pipe_list, _licence)),
        "permits": row.get("Weitere_Berechtigungen", list_of(pipe_list, code_of(PERMITS))),
        "has_car": row.get("PKW_verfuegbar", ja_nein),
        "max_commute_minutes": row.get("Max_Pendelzeit_Min", german_int),
        "working_time": row.get("Arbeitszeitwunsch", code_of(WORKING_TIME)),
        "hours_per_week": row.get("Wochenstunden", german_decimal),
        "shifts": row.get("Schichtbereitschaft", ja_nein),
        "weekends": row.get("Wochenendbereitschaft", ja_nein),
        "profile_text": row.get("Profiltext", text),
    }


def _licence(value: Any) -> str:
    return code_of({lic: lic for lic in LICENCES})(value)


def parse_row(row: Row, norm: Normaliser) -> Candidate | None:
    """One Stadt row as a canonical :class:`Candidate` (None when rejected)."""
    values = _core_values(row, norm) | _profile_values(row)
    return build_model(row, Candidate, values, SOURCE_NAMES)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Candidate]:
    """Parse ``jobcenter_stadt_kunden.csv``: accepted candidates and rejects."""
    records = read_csv(path, encoding="cp1252", delimiter=";", required=COLUMNS, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), "Kundennummer")
