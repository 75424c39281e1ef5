"""Job seekers of Jobcenter Landkreis Kaiserslautern: UTF-8 JSON Lines with its own code lists.

File name, fields, code tables and parsers are those of :data:`data.formats.LANDKREIS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.cells import json_list, list_of
from data.formats import LANDKREIS
from data.ingest.common import Parsed, Row, build_model, parse_records
from data.ingest.normalise import Normaliser
from data.ingest.readers import read_jsonl
from matcher.records.models import Candidate, CandidateSource

FILE_NAME = LANDKREIS.name


def _experience_years(months: int | None) -> float | None:
    return None if months is None else round(months / 12, 2)


def _core_values(row: Row, norm: Normaliser) -> dict[str, Any]:
    customer = LANDKREIS.read(row, "id")
    ags, postcode = norm.place(row, postcode_field=LANDKREIS.column("postcode"), ags_field=LANDKREIS.column("ags"))
    main = LANDKREIS.read(row, "occupations", norm.kldb)
    others = LANDKREIS.read(row, "other_occupations", list_of(json_list, norm.kldb)) or []
    registered = LANDKREIS.read(row, "registered_at")
    return {
        "id": customer,
        "source": CandidateSource.LANDKREIS,
        "source_id": customer,
        "ags": ags,
        "postcode": postcode,
        "occupations": None if main is None else [main] + [c for c in others if c != main],
        "level": LANDKREIS.read(row, "level") or norm.level_of(main),
        "skills": norm.skills(row, LANDKREIS.column("skills"), LANDKREIS.read(row, "skills")),
        "registered_at": registered,
        "available_from": LANDKREIS.read(row, "available_from") or registered,
    }


def parse_row(row: Row, norm: Normaliser) -> Candidate | None:
    """One Landkreis object as a canonical :class:`Candidate` (None when rejected)."""
    core = _core_values(row, norm)
    values = core | LANDKREIS.read_rest(row, core)
    # The Landkreis records months of experience.
    values["experience_years"] = _experience_years(values["experience_years"])
    return build_model(row, Candidate, values, LANDKREIS.source_names)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Candidate]:
    """Parse ``jobcenter_landkreis_kunden.jsonl``: accepted candidates and rejects."""
    records = read_jsonl(path, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), LANDKREIS.column("id"))
