"""Job seekers of Jobcenter Landkreis Kaiserslautern: UTF-8 JSON Lines with its own code lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.ingest.common import (
    WRONG_TYPE,
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
from matcher.models import LICENCES, Candidate, CandidateSource

FILE_NAME = "jobcenter_landkreis_kunden.jsonl"

LEVELS = {"HE": 1, "FK": 2, "SP": 3, "EX": 4}
SCHOOL = {"KA": "none", "HS": "hauptschule", "RS": "mittlere_reife", "FH": "fachhochschulreife", "AB": "abitur"}
VOCATIONAL = {"KA": "none", "BA": "apprenticeship", "MT": "master_technician", "BSC": "bachelor", "MSC": "master"}
CEFR = {lv: lv for lv in ("A1", "A2", "B1", "B2", "C1", "C2")}
GERMAN = {**CEFR, "MS": "native"}
PERMITS = {
    "STAPLER": "forklift",
    "ADR": "adr",
    "IFSG43": "ifsg43",
    "GEWO34A": "gewo34a",
    "KRAN": "crane",
    "SCHWEISS": "welding",
}
WORKING_TIME = {"VZ": "full_time", "TZ": "part_time", "VT": "either"}
LICENCE_CODES = {lic: lic for lic in LICENCES}

SOURCE_NAMES = {
    "id": "kd_id",
    "source_id": "kd_id",
    "registered_at": "erfasst",
    "postcode": "adresse.plz",
    "ags": "adresse.gemeindeschluessel",
    "occupations": "beruf.haupt",
    "level": "niveau",
    "skills": "kompetenzen",
    "school": "schule",
    "vocational": "ausbildung",
    "experience_years": "erfahrung_monate",
    "german_level": "sprache_de",
    "languages": "sprachen",
    "licences": "fs_klassen",
    "permits": "scheine",
    "has_car": "kfz",
    "max_commute_km": "mobilitaet_km",
    "working_time": "az",
    "hours_per_week": "std_woche",
    "shifts": "schicht",
    "weekends": "wochenende",
    "available_from": "verfuegbar",
    "profile_text": "profil",
}


def languages(value: Any) -> dict[str, str]:
    """``[{"sprache": "ru", "niveau": "C2"}]`` -> ``{"ru": "C2"}``."""
    result: dict[str, str] = {}
    for item in json_list(value):
        if not isinstance(item, dict):
            raise ValueError(f"{WRONG_TYPE}: expected objects with sprache and niveau")
        code = text(item.get("sprache"))
        if len(code) != 2 or not code.isalpha() or not code.islower():
            raise ValueError(f"not an ISO 639-1 language code: {code!r}")
        result[code] = code_of(GERMAN)(item.get("niveau"))
    return result


def skill_ids(value: Any) -> list[Any]:
    """The ``esco`` ids of ``kompetenzen`` (the ``text`` labels come from the reference)."""
    items = json_list(value)
    if not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{WRONG_TYPE}: expected objects with esco and text")
    return [item.get("esco") for item in items]


def _experience_years(months: int | None) -> float | None:
    return None if months is None else round(months / 12, 2)


def _core_values(row: Row, norm: Normaliser) -> dict[str, Any]:
    customer = row.get("kd_id", ident, required=True)
    ags, postcode = norm.place(row, postcode_field="adresse.plz", ags_field="adresse.gemeindeschluessel")
    main = row.get("beruf.haupt", norm.kldb, required=True)
    others = row.get("beruf.weitere", list_of(json_list, norm.kldb)) or []
    registered = row.get("erfasst", iso_date, required=True)
    return {
        "id": customer,
        "source": CandidateSource.LANDKREIS,
        "source_id": customer,
        "ags": ags,
        "postcode": postcode,
        "occupations": None if main is None else [main] + [c for c in others if c != main],
        "level": row.get("niveau", code_of(LEVELS)) or norm.level_of(main),
        "skills": norm.skills(row, "kompetenzen", row.get("kompetenzen", skill_ids)),
        "registered_at": registered,
        "available_from": row.get("verfuegbar", iso_date) or registered,
    }


def _profile_values(row: Row) -> dict[str, Any]:
    return {
        "school": row.get("schule", code_of(SCHOOL)),
        "vocational": row.get("ausbildung", code_of(VOCATIONAL)),
        "experience_years": _experience_years(row.get("erfahrung_monate", json_int)),
        "german_level": row.get("sprache_de", code_of(GERMAN)),
        "languages": row.get("sprachen", languages),
        "licences": row.get("fs_klassen", list_of(json_list, code_of(LICENCE_CODES))),
        "permits": row.get("scheine", list_of(json_list, code_of(PERMITS))),
        "has_car": row.get("kfz", json_bool),
        "max_commute_km": row.get("mobilitaet_km", json_number),
        "working_time": row.get("az", code_of(WORKING_TIME)),
        "hours_per_week": row.get("std_woche", json_number),
        "shifts": row.get("schicht", json_bool),
        "weekends": row.get("wochenende", json_bool),
        "profile_text": row.get("profil", text),
    }


def parse_row(row: Row, norm: Normaliser) -> Candidate | None:
    """One Landkreis object as a canonical :class:`Candidate` (None when rejected)."""
    values = _core_values(row, norm) | _profile_values(row)
    return build_model(row, Candidate, values, SOURCE_NAMES)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Candidate]:
    """Parse ``jobcenter_landkreis_kunden.jsonl``: accepted candidates and rejects."""
    records = read_jsonl(path, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), "kd_id")
