"""The export formats of ``data/README.md``: one function per file to format a record, and the
serialisers that write rows (including deliberately broken ones) byte for byte."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from data.generate.catalog import Catalog

STADT_FILE = "jobcenter_stadt_kunden.csv"
LANDKREIS_FILE = "jobcenter_landkreis_kunden.jsonl"
VACANCY_FILE = "arbeitgeberservice_stellen.jsonl"
PROPOSAL_FILE = "vermittlungsvorschlaege.csv"
PROTECTED_FILE = "geschuetzte_merkmale.csv"
ORACLE_FILE = "oracle_utilities.csv"

STADT_COLUMNS = (
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
PROPOSAL_COLUMNS = ("vorschlag_id", "kunden_id", "stellen_id", "vorgeschlagen_am", "ergebnis", "ergebnis_am")
PROTECTED_COLUMNS = ("kunden_id", "geschlecht", "geburtsjahr", "staatsangehoerigkeit", "schwerbehinderung")
ORACLE_COLUMNS = ("vorschlag_id", "kunden_id", "stellen_id", "utility")

SCHOOL_DE = {
    "none": "ohne",
    "hauptschule": "Hauptschulabschluss",
    "mittlere_reife": "Mittlere Reife",
    "fachhochschulreife": "Fachhochschulreife",
    "abitur": "Abitur",
}
VOCATIONAL_DE = {
    "none": "ohne",
    "apprenticeship": "Berufsausbildung",
    "master_technician": "Meister/Techniker",
    "bachelor": "Bachelor",
    "master": "Master",
}
PERMIT_DE = {
    "forklift": "Staplerschein",
    "adr": "ADR",
    "ifsg43": "IfSG43",
    "gewo34a": "GewO34a",
    "crane": "Kranschein",
    "welding": "Schweisserpruefung",
}
WORKING_TIME_DE = {"full_time": "Vollzeit", "part_time": "Teilzeit", "either": "Vollzeit oder Teilzeit"}
LEVEL_LK = {1: "HE", 2: "FK", 3: "SP", 4: "EX"}
SCHOOL_LK = {"none": "KA", "hauptschule": "HS", "mittlere_reife": "RS", "fachhochschulreife": "FH", "abitur": "AB"}
VOCATIONAL_LK = {"none": "KA", "apprenticeship": "BA", "master_technician": "MT", "bachelor": "BSC", "master": "MSC"}
PERMIT_LK = {
    "forklift": "STAPLER",
    "adr": "ADR",
    "ifsg43": "IFSG43",
    "gewo34a": "GEWO34A",
    "crane": "KRAN",
    "welding": "SCHWEISS",
}
WORKING_TIME_LK = {"full_time": "VZ", "part_time": "TZ", "either": "VT"}
STATUS_DE = {"open": "offen", "filled": "besetzt", "withdrawn": "zurueckgezogen"}
GENDER_DE = {"f": "w", "m": "m", "d": "d"}
CITIZENSHIP_DE = {"german": "deutsch", "eu": "eu", "third_country": "drittstaat"}


@dataclass
class CsvRow:
    """One CSV row; ``encoding`` differs from the file's only for a deliberately broken row."""

    values: list[str]
    encoding: str | None = None


JsonLine = dict[str, Any] | str
"""A JSON Lines record, or a raw (deliberately broken) line."""


def _de_date(d: date) -> str:
    return f"{d:%d.%m.%Y}"


def _de_number(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _ja(flag: bool) -> str:
    return "ja" if flag else "nein"


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 2)


def stadt_row(c: Any, catalog: Catalog) -> CsvRow:
    """A Stadt job seeker as the Jobcenter Stadt's CSV row."""
    return CsvRow(
        [
            c.id,
            _de_date(c.registered_at),
            c.postcode,
            catalog.places.short_name(int(c.place)),
            c.occupations[0],
            "|".join(c.occupations[1:]),
            str(c.level),
            "|".join(c.skills),
            SCHOOL_DE[c.school],
            VOCATIONAL_DE[c.vocational],
            _de_number(c.experience_months / 12),
            "Muttersprache" if c.german == "native" else c.german,
            "|".join(f"{k}:{v}" for k, v in c.languages.items()),
            "|".join(c.licences),
            "|".join(PERMIT_DE[p] for p in c.permits),
            _ja(c.has_car),
            str(c.max_minutes),
            WORKING_TIME_DE[c.working_time],
            _de_number(c.hours),
            _ja(c.shifts),
            _ja(c.weekends),
            _de_date(c.available_from),
            c.profile,
        ]
    )


def landkreis_record(c: Any, catalog: Catalog) -> dict[str, Any]:
    """A Landkreis job seeker in the Landkreis system's own field names and codes."""
    return {
        "kd_id": c.id,
        "erfasst": c.registered_at.isoformat(),
        "adresse": {"plz": c.postcode, "gemeindeschluessel": catalog.places.ags[int(c.place)]},
        "beruf": {"haupt": c.occupations[0], "weitere": list(c.occupations[1:])},
        "niveau": LEVEL_LK[int(c.level)],
        "kompetenzen": [{"esco": s, "text": catalog.skill_labels[s]} for s in c.skills],
        "schule": SCHOOL_LK[c.school],
        "ausbildung": VOCATIONAL_LK[c.vocational],
        "erfahrung_monate": int(c.experience_months),
        "sprache_de": "MS" if c.german == "native" else c.german,
        "sprachen": [{"sprache": k, "niveau": v} for k, v in c.languages.items()],
        "fs_klassen": list(c.licences),
        "scheine": [PERMIT_LK[p] for p in c.permits],
        "kfz": bool(c.has_car),
        "mobilitaet_km": int(c.max_km),
        "az": WORKING_TIME_LK[c.working_time],
        "std_woche": _number(c.hours),
        "schicht": bool(c.shifts),
        "wochenende": bool(c.weekends),
        "verfuegbar": c.available_from.isoformat(),
        "profil": c.profile,
    }


def vacancy_record(v: Any, catalog: Catalog) -> dict[str, Any]:
    """A vacancy as the joint employer service delivers it."""
    return {
        "stellen_id": v.id,
        "quelle": v.source,
        "arbeitgeber_id": v.employer_id,
        "arbeitgeber_name": v.employer_name,
        "titel": v.title,
        "beschreibung": v.description,
        "kldb": v.kldb,
        "niveau": int(v.level),
        "kenntnisse_pflicht": list(v.required),
        "kenntnisse_optional": list(v.optional),
        "gemeindeschluessel": catalog.places.ags[int(v.place)],
        "plz": v.postcode,
        "arbeitszeit": v.working_time,
        "wochenstunden": float(v.hours),
        "schicht": bool(v.shifts),
        "wochenende": bool(v.weekends),
        "fuehrerscheine": list(v.licences),
        "berechtigungen": list(v.permits),
        "deutsch_min": v.german_min if isinstance(v.german_min, str) else None,
        "entgelt_min": None if pd.isna(v.pay_min) else _number(v.pay_min),
        "entgelt_max": None if pd.isna(v.pay_max) else _number(v.pay_max),
        "entgelt_einheit": v.pay_unit,
        "vertragsart": v.contract,
        "beginn": v.start_date.isoformat(),
        "veroeffentlicht": v.posted_at.isoformat(),
        "status": STATUS_DE[v.status],
        "anzahl": int(v.positions),
    }


def proposal_row(p: Any, today: date) -> CsvRow:
    outcome_day = None if pd.isna(p.outcome_day) else int(p.outcome_day)
    outcome_at = "" if outcome_day is None else (today + timedelta(days=outcome_day)).isoformat()
    return CsvRow(
        [
            p.proposal_id,
            p.candidate_id,
            p.vacancy_id,
            (today + timedelta(days=int(p.day))).isoformat(),
            p.outcome,
            outcome_at,
        ]
    )


def protected_row(a: Any) -> CsvRow:
    return CsvRow(
        [a.id, GENDER_DE[a.gender], str(int(a.birth_year)), CITIZENSHIP_DE[a.citizenship], _ja(bool(a.disability))]
    )


def oracle_row(p: Any) -> CsvRow:
    return CsvRow([p.proposal_id, p.candidate_id, p.vacancy_id, f"{p.utility:.4f}"])


def write_csv(
    path: Path, header: tuple[str, ...], rows: list[CsvRow], *, delimiter: str, encoding: str, newline: str
) -> None:
    """Write rows one by one so that a single row can carry a foreign encoding."""

    def line(values: list[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerow(values)
        return buffer.getvalue()

    chunks = [line(list(header)).encode(encoding)]
    chunks += [line(r.values).encode(r.encoding or encoding) for r in rows]
    path.write_bytes(b"".join(chunks))


def write_jsonl(path: Path, lines: list[JsonLine]) -> None:
    text = "".join(
        (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False, allow_nan=False)) + "\n"
        for line in lines
    )
    path.write_bytes(text.encode("utf-8"))
