"""Writing the export formats of ``data.formats``: one function per file to format a record
through its field table, and the serialisers that write rows (including deliberately broken
ones) byte for byte."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from data.cells import de_date, de_number, json_value
from data.formats import (
    LANDKREIS,
    ORACLE,
    ORACLE_JOB_SEEKERS,
    ORACLE_VACANCIES,
    PROPOSALS,
    PROTECTED,
    STADT,
    VACANCIES,
    ExportFile,
)
from data.generate.catalog import Catalog, Places
from data.generate.contacts import contact_fields


@dataclass
class CsvRow:
    """One CSV row; ``encoding`` differs from the file's only for a deliberately broken row."""

    values: list[str]
    encoding: str | None = None


JsonLine = dict[str, Any] | str
"""A JSON Lines record, or a raw (deliberately broken) line."""


def stadt_row(c: Any, catalog: Catalog) -> CsvRow:
    """A Stadt job seeker as the Jobcenter Stadt's CSV row."""
    return CsvRow(
        STADT.row(
            {
                "id": c.id,
                "registered_at": de_date(c.registered_at),
                "postcode": c.postcode,
                "ags": catalog.places.short_name(int(c.place)),
                "occupations": c.occupations[0],
                "other_occupations": "|".join(c.occupations[1:]),
                "level": str(c.level),
                "skills": "|".join(c.skills),
                "school": STADT.encode("school", c.school),
                "vocational": STADT.encode("vocational", c.vocational),
                "experience_years": de_number(c.experience_months / 12),
                "german_level": STADT.encode("german_level", c.german),
                "languages": "|".join(f"{k}:{v}" for k, v in c.languages.items()),
                "licences": "|".join(c.licences),
                "permits": "|".join(STADT.encode("permits", p) for p in c.permits),
                "has_car": STADT.encode("has_car", bool(c.has_car)),
                "max_commute_minutes": str(c.max_minutes),
                "working_time": STADT.encode("working_time", c.working_time),
                "hours_per_week": de_number(c.hours),
                "shifts": STADT.encode("shifts", bool(c.shifts)),
                "weekends": STADT.encode("weekends", bool(c.weekends)),
                "available_from": de_date(c.available_from),
                "profile_text": c.profile,
            }
        )
    )


def landkreis_record(c: Any, catalog: Catalog) -> dict[str, Any]:
    """A Landkreis job seeker in the Landkreis system's own field names and codes."""
    return LANDKREIS.record(
        {
            "id": c.id,
            "registered_at": c.registered_at.isoformat(),
            "postcode": c.postcode,
            "ags": catalog.places.ags[int(c.place)],
            "occupations": c.occupations[0],
            "other_occupations": list(c.occupations[1:]),
            "level": LANDKREIS.encode("level", int(c.level)),
            "skills": [{"esco": s, "text": catalog.skill_labels[s]} for s in c.skills],
            "school": LANDKREIS.encode("school", c.school),
            "vocational": LANDKREIS.encode("vocational", c.vocational),
            "experience_years": int(c.experience_months),
            "german_level": LANDKREIS.encode("german_level", c.german),
            "languages": [{"sprache": k, "niveau": v} for k, v in c.languages.items()],
            "licences": list(c.licences),
            "permits": [LANDKREIS.encode("permits", p) for p in c.permits],
            "has_car": bool(c.has_car),
            "max_commute_km": int(c.max_km),
            "working_time": LANDKREIS.encode("working_time", c.working_time),
            "hours_per_week": json_value(c.hours),
            "shifts": bool(c.shifts),
            "weekends": bool(c.weekends),
            "available_from": c.available_from.isoformat(),
            "profile_text": c.profile,
        }
    )


def vacancy_record(v: Any, catalog: Catalog) -> dict[str, Any]:
    """A vacancy as the joint employer service delivers it (the generator keeps its codes)."""
    return VACANCIES.record(
        {
            "id": v.id,
            "source": v.source,
            "employer_id": v.employer_id,
            "employer_name": v.employer_name,
            "title": v.title,
            "description": v.description,
            "kldb": v.kldb,
            "level": int(v.level),
            "required_skills": list(v.required),
            "optional_skills": list(v.optional),
            "ags": catalog.places.ags[int(v.place)],
            "postcode": v.postcode,
            "working_time": v.working_time,
            "hours_per_week": float(v.hours),
            "shifts": bool(v.shifts),
            "weekends": bool(v.weekends),
            "required_licences": list(v.licences),
            "required_permits": list(v.permits),
            "german_level_min": v.german_min if isinstance(v.german_min, str) else None,
            "pay_min": None if pd.isna(v.pay_min) else json_value(v.pay_min),
            "pay_max": None if pd.isna(v.pay_max) else json_value(v.pay_max),
            "pay_unit": v.pay_unit,
            "contract_type": v.contract,
            "start_date": v.start_date.isoformat(),
            "posted_at": v.posted_at.isoformat(),
            "status": VACANCIES.encode("status", v.status),
            "positions": int(v.positions),
            **contact_fields(v.id, v.employer_name),
        }
    )


def proposal_row(p: Any, today: date) -> CsvRow:
    outcome_day = None if pd.isna(p.outcome_day) else int(p.outcome_day)
    return CsvRow(
        PROPOSALS.row(
            {
                "id": p.proposal_id,
                "candidate_id": p.candidate_id,
                "vacancy_id": p.vacancy_id,
                "proposed_at": (today + timedelta(days=int(p.day))).isoformat(),
                "outcome": p.outcome,
                "outcome_at": "" if outcome_day is None else (today + timedelta(days=outcome_day)).isoformat(),
            }
        )
    )


def protected_row(a: Any) -> CsvRow:
    return CsvRow(
        PROTECTED.row(
            {
                "candidate_id": a.id,
                "gender": PROTECTED.encode("gender", a.gender),
                "birth_year": str(int(a.birth_year)),
                "citizenship_group": PROTECTED.encode("citizenship_group", a.citizenship),
                "severe_disability": PROTECTED.encode("severe_disability", bool(a.disability)),
            }
        )
    )


def oracle_row(p: Any) -> CsvRow:
    values = {"proposal_id": p.proposal_id, "candidate_id": p.candidate_id, "vacancy_id": p.vacancy_id}
    return CsvRow(ORACLE.row(values | {"utility": f"{p.utility:.4f}"}))


def oracle_job_seeker_record(c: Any, places: Places) -> dict[str, Any]:
    """The generator's view of a job seeker, with the hidden motivation (oracle only)."""
    return ORACLE_JOB_SEEKERS.record(
        {
            "id": c.id,
            "motivation": float(c.motivation),
            "occupations": list(c.occupations),
            "level": int(c.level),
            "ags": places.ags[int(c.place)],
            "has_car": bool(c.has_car),
            "max_minutes": int(c.max_minutes),
            "working_time": c.working_time,
            "hours": float(c.hours),
            "shifts": bool(c.shifts),
            "weekends": bool(c.weekends),
            "licences": list(c.licences),
            "permits": list(c.permits),
            "german": c.german,
            "experience_months": int(c.experience_months),
            "skills": list(c.skills),
        }
    )


def oracle_vacancy_record(v: Any, places: Places) -> dict[str, Any]:
    """The generator's view of a vacancy, with its employer's hidden selectivity (oracle only)."""
    return ORACLE_VACANCIES.record(
        {
            "id": v.id,
            "selectivity": float(v.selectivity),
            "kldb": v.kldb,
            "level": int(v.level),
            "ags": places.ags[int(v.place)],
            "working_time": v.working_time,
            "hours": float(v.hours),
            "shifts": bool(v.shifts),
            "weekends": bool(v.weekends),
            "licences": list(v.licences),
            "permits": list(v.permits),
            "german_min": v.german_min if isinstance(v.german_min, str) else None,
            "required": list(v.required),
            "optional": list(v.optional),
        }
    )


def write_csv(spec: ExportFile, folder: Path, rows: list[CsvRow]) -> None:
    """Write rows one by one so that a single row can carry a foreign encoding."""
    delimiter, encoding, newline = spec.delimiter, spec.encoding, spec.newline

    def line(values: list[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerow(values)
        return buffer.getvalue()

    chunks = [line(list(spec.columns)).encode(encoding)]
    chunks += [line(r.values).encode(r.encoding or encoding) for r in rows]
    (folder / spec.name).write_bytes(b"".join(chunks))


def write_jsonl(spec: ExportFile, folder: Path, lines: list[JsonLine]) -> None:
    text = "".join(
        (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False, allow_nan=False)) + "\n"
        for line in lines
    )
    (folder / spec.name).write_bytes(text.encode("utf-8"))


def write(spec: ExportFile, folder: Path, rows: list[Any]) -> None:
    """Write one file of the export folder in its format."""
    if spec.kind == "csv":
        write_csv(spec, folder, rows)
    else:
        write_jsonl(spec, folder, rows)
