"""Deliberate defects for the ingestion: invalid rows (for the reject report) and the same
vacancy delivered twice by two channels (for de-duplication).

Every broken row is built from a spare record that appears nowhere else (or, for a repeated id,
carries the id of a valid record that comes earlier in the file), so each one is rejected on its
own and no valid row depends on it. Each kind appears ``1 + rows // 10,000`` times per file.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from data.formats import STADT
from data.generate.writers import CsvRow, JsonLine

UNKNOWN_KLDB = "99999"
# A UTF-8 row inside the Windows-1252 file: 'Đ' becomes the bytes C4 90, and 0x90 is undefined
# in cp1252, so the row cannot be decoded (as happens when systems exchange files carelessly).
FOREIGN_TEXT = " Praktikum in Đakovo (Kroatien) absolviert."


def _set(row: CsvRow, name: str, value: str) -> CsvRow:
    """Set the cell of a canonical field in a Stadt row."""
    values = list(row.values)
    values[STADT.index(name)] = value
    return CsvRow(values, row.encoding)


STADT_DEFECTS: dict[str, Callable[[CsvRow], CsvRow]] = {
    "unknown_kldb": lambda r: _set(r, "occupations", UNKNOWN_KLDB),
    "impossible_date": lambda r: _set(r, "registered_at", "31.02.2025"),
    "unknown_place": lambda r: _set(_set(r, "postcode", "68159"), "ags", "Mannheim"),
    "missing_id": lambda r: _set(r, "id", ""),
    "negative_hours": lambda r: _set(r, "hours_per_week", "-20,0"),
    "broken_encoding": lambda r: CsvRow(_set(r, "profile_text", r.values[-1] + FOREIGN_TEXT).values, "utf-8"),
}


def _json(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(record: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(record)
        change(changed)
        return changed

    return apply


def _truncate(record: dict[str, Any]) -> str:
    text = json.dumps(record, ensure_ascii=False)
    return text[: len(text) // 2]


LANDKREIS_DEFECTS: dict[str, Callable[[dict[str, Any]], JsonLine]] = {
    "unknown_kldb": _json(lambda r: r["beruf"].update(haupt=UNKNOWN_KLDB)),
    "impossible_date": _json(lambda r: r.update(erfasst="2025-02-30")),
    "unknown_place": _json(lambda r: r.update(adresse={"plz": "12345", "gemeindeschluessel": "07335999"})),
    "missing_id": _json(lambda r: r.pop("kd_id")),
    "negative_hours": _json(lambda r: r.update(std_woche=-10)),
    "unknown_code": _json(lambda r: r.update(niveau="XX")),
    "invalid_json": _truncate,
}
VACANCY_DEFECTS: dict[str, Callable[[dict[str, Any]], JsonLine]] = {
    "unknown_kldb": _json(lambda r: r.update(kldb=UNKNOWN_KLDB)),
    "impossible_date": _json(lambda r: r.update(veroeffentlicht="2025-02-30")),
    "unknown_place": _json(lambda r: r.update(gemeindeschluessel="07335999", plz="12345")),
    "missing_id": _json(lambda r: r.pop("stellen_id")),
    "negative_hours": _json(lambda r: r.update(wochenstunden=-39.0)),
    "pay_inverted": _json(lambda r: r.update(entgelt_min=3200, entgelt_max=2400, entgelt_einheit="monat")),
    "invalid_json": _truncate,
}


def _proposal(index: int, value: str) -> Callable[[CsvRow], CsvRow]:
    def apply(row: CsvRow) -> CsvRow:
        values = list(row.values)
        values[index] = value
        return CsvRow(values)

    return apply


PROPOSAL_DEFECTS: dict[str, Callable[[CsvRow], CsvRow]] = {
    "unknown_candidate": _proposal(1, "S-9999999"),
    "unknown_vacancy": _proposal(2, "AGS-2019-999999"),
    "impossible_date": _proposal(3, "2025-02-30"),
    "outcome_before_proposal": lambda r: CsvRow(r.values[:4] + ["abgelehnt_arbeitgeber", "2020-01-01"]),
    "unknown_outcome": _proposal(4, "vermittelt"),
    "missing_id": _proposal(0, ""),
}


def per_kind(rows: int) -> int:
    return 1 + rows // 10_000


def insert_broken(
    rng: np.random.Generator,
    rows: list[Any],
    spares: list[Any],
    defects: dict[str, Callable[[Any], Any]],
    set_id: Callable[[Any, str], Any],
    row_id: Callable[[Any], str],
) -> int:
    """Insert broken rows built from ``spares`` at random places; returns how many.

    Besides the kinds in ``defects``, a spare gets the id of a valid row and goes after it
    ("duplicate_id": the first row with an id wins, later ones are rejected).
    """
    n = per_kind(len(rows))
    # Repeated ids first, so that they always repeat the id of a valid row.
    kinds = ["duplicate_id"] * n + [kind for kind in defects for _ in range(n)]
    if len(spares) < len(kinds):
        raise ValueError(f"need {len(kinds)} spare records for broken rows, got {len(spares)}")
    for kind, spare in zip(kinds, spares):
        if kind == "duplicate_id":
            target = int(rng.integers(len(rows)))
            broken = set_id(spare, row_id(rows[target]))
            rows.insert(int(rng.integers(target + 1, len(rows) + 1)), broken)
        else:
            rows.insert(int(rng.integers(len(rows) + 1)), defects[kind](spare))
    return len(kinds)


def spares_needed(rows: int, defects: dict[str, Any]) -> int:
    return per_kind(rows) * (len(defects) + 1)
