"""Job seekers of Jobcenter Stadt Kaiserslautern: ``;``-CSV, cp1252, German headers and formats.

File name, columns, code tables and parsers are those of :data:`data.formats.STADT`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.cells import list_of, pipe_list
from data.formats import STADT
from data.ingest.common import Parsed, Row, build_model, parse_records
from data.ingest.normalise import Normaliser
from data.ingest.readers import read_csv
from matcher.records.models import Candidate, CandidateSource

FILE_NAME = STADT.name
COLUMNS = STADT.columns


def _occupations(row: Row, norm: Normaliser) -> list[str] | None:
    main = STADT.read(row, "occupations", norm.kldb)
    others = STADT.read(row, "other_occupations", list_of(pipe_list, norm.kldb)) or []
    return None if main is None else [main] + [c for c in others if c != main]


def _core_values(row: Row, norm: Normaliser) -> dict[str, Any]:
    customer = STADT.read(row, "id")
    ags, postcode = norm.place(row, postcode_field=STADT.column("postcode"), name_field=STADT.column("ags"))
    occupations = _occupations(row, norm)
    level = STADT.read(row, "level")
    registered = STADT.read(row, "registered_at")
    return {
        "id": customer,
        "source": CandidateSource.STADT,
        "source_id": customer,
        "ags": ags,
        "postcode": postcode,
        "occupations": occupations,
        "level": level or norm.level_of(occupations[0] if occupations else None),
        "skills": norm.skills(row, STADT.column("skills"), STADT.read(row, "skills")),
        "registered_at": registered,
        "available_from": STADT.read(row, "available_from") or registered,
    }


def parse_row(row: Row, norm: Normaliser) -> Candidate | None:
    """One Stadt row as a canonical :class:`Candidate` (None when rejected)."""
    core = _core_values(row, norm)
    values = core | STADT.read_rest(row, core)
    return build_model(row, Candidate, values, STADT.source_names)


def parse_file(path: Path, norm: Normaliser, progress: bool = False) -> Parsed[Candidate]:
    """Parse ``jobcenter_stadt_kunden.csv``: accepted candidates and rejects."""
    records = read_csv(path, encoding=STADT.encoding, delimiter=STADT.delimiter, required=COLUMNS, progress=progress)
    return parse_records(FILE_NAME, records, lambda row: parse_row(row, norm), STADT.column("id"))
