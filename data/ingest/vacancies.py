"""Vacancies of the joint employer service (JSON Lines), with cross-channel duplicates merged.

File name, fields, code tables and parsers are those of :data:`data.formats.VACANCIES`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from data.formats import VACANCIES
from data.ingest.common import Parsed, Row, build_model, parse_records
from data.ingest.normalise import Normaliser
from data.ingest.readers import read_jsonl
from matcher.records.models import Vacancy

FILE_NAME = VACANCIES.name

# Gender notes and punctuation differ between channels for the same posting.
_GENDER_NOTE = re.compile(r"\(?\s*[mwd]\s*/\s*[mwd]\s*/\s*[mwd]\s*\)?", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w]+")


def _skills(row: Row, norm: Normaliser, name: str) -> list[str]:
    return norm.skills(row, VACANCIES.column(name), VACANCIES.read(row, name))


def _core_values(row: Row, norm: Normaliser) -> dict[str, Any]:
    ags, postcode = norm.place(row, postcode_field=VACANCIES.column("postcode"), ags_field=VACANCIES.column("ags"))
    kldb = VACANCIES.read(row, "kldb", norm.kldb)
    values = {name: VACANCIES.read(row, name) for name in ("id", "source", "employer_id", "employer_name", "title")}
    if kldb is None:
        norm.propose_kldb(row, VACANCIES.column("kldb"), values["title"])
    return values | {
        "description": VACANCIES.read(row, "description"),
        "kldb": kldb,
        "level": VACANCIES.read(row, "level") or norm.level_of(kldb),
        "required_skills": _skills(row, norm, "required_skills"),
        "optional_skills": _skills(row, norm, "optional_skills"),
        "ags": ags,
        "postcode": postcode,
        "posted_at": VACANCIES.read(row, "posted_at"),
    }


def parse_row(row: Row, norm: Normaliser) -> Vacancy | None:
    """One vacancy object as a canonical :class:`Vacancy` (None when rejected)."""
    core = _core_values(row, norm)
    values = core | VACANCIES.read_rest(row, core)
    return build_model(row, Vacancy, values, VACANCIES.source_names)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Vacancy]:
    """Parse ``arbeitgeberservice_stellen.jsonl``: accepted vacancies and rejects."""
    records = read_jsonl(path, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), VACANCIES.column("id"))


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
