"""The catalogue of qualification and activation measures (JSON Lines, optional in a folder).

File name, fields, code tables and parsers are those of :data:`data.formats.MEASURES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.formats import MEASURES
from data.ingest.common import Parsed, Row, build_model, parse_records
from data.ingest.normalise import Normaliser
from data.ingest.readers import read_jsonl
from matcher.services.measures import Measure

FILE_NAME = MEASURES.name


def _kldb(row: Row, norm: Normaliser) -> str | None:
    return MEASURES.read(row, "kldb", norm.kldb)


def parse_row(row: Row, norm: Normaliser) -> Measure | None:
    """One measure as a canonical :class:`Measure` (None when rejected)."""
    ags, postcode = norm.place(row, postcode_field=MEASURES.column("postcode"), ags_field=MEASURES.column("ags"))
    core: dict[str, Any] = {
        "ags": ags,
        "postcode": postcode,
        "skills": norm.skills(row, MEASURES.column("skills"), MEASURES.read(row, "skills")),
        "kldb": _kldb(row, norm),
    }
    values = core | MEASURES.read_rest(row, core)
    return build_model(row, Measure, values, MEASURES.source_names)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Measure]:
    """Parse ``massnahmen.jsonl``: accepted measures and rejects."""
    records = read_jsonl(path, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), MEASURES.column("id"))
