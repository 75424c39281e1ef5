"""``data/README.md`` and ``data.formats`` describe the same files, columns and code lists."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from data.formats import CEFR, FILES, INGESTED_FILES, LICENCE_CODES, YES_NO, ExportFile
from data.ingest import REQUIRED_FILES

README = Path(__file__).resolve().parents[2] / "data" / "README.md"
_HEADING = re.compile(r"^### `([^`]+)`", re.MULTILINE)
_TABLE_COLUMN = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)
_HEADER_LIST = re.compile(r"`([a-z_]+(?:,[a-z_]+)+)`")
_JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")


def _sections() -> dict[str, str]:
    """File name -> the README text of its section (up to the next heading)."""
    text = README.read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    for match in _HEADING.finditer(text):
        rest = text[match.end() :]
        end = re.search(r"^#{2,3} ", rest, re.MULTILINE)
        sections[match.group(1)] = rest[: end.start() if end else len(rest)]
    return sections


def _json_columns(obj: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys of a JSON example, nested objects as dotted paths."""
    columns: list[str] = []
    for key, value in obj.items():
        if isinstance(value, dict):
            columns += _json_columns(value, f"{prefix}{key}.")
        else:
            columns.append(prefix + key)
    return columns


def _documented_columns(section: str) -> list[str]:
    columns = _TABLE_COLUMN.findall(section)
    columns += [c for header in _HEADER_LIST.findall(section) for c in header.split(",")]
    for block in _JSON_BLOCK.findall(section):
        columns += _json_columns(json.loads(block))
    return columns


def test_every_documented_file_is_in_the_module_and_vice_versa() -> None:
    assert sorted(_sections()) == sorted(f.name for f in FILES)
    assert tuple(f.name for f in INGESTED_FILES if not f.optional) == REQUIRED_FILES


@pytest.mark.parametrize("spec", FILES, ids=lambda f: f.name)
def test_documented_columns_are_the_module_columns_in_order(spec: ExportFile) -> None:
    assert _documented_columns(_sections()[spec.name]) == list(spec.columns)


def _documented_labels(spec: ExportFile) -> list[tuple[str, str]]:
    """(column, label) of every code label the README should spell out for the file."""
    implicit = {*CEFR.values(), *YES_NO.values(), *LICENCE_CODES.values()}
    return [
        (f.column, label)
        for f in spec.fields
        if f.codes is not None and not (spec.kind == "csv" and f.column == "Anforderungsniveau")
        for label in f.codes.values()
        if label not in implicit
    ]


@pytest.mark.parametrize("spec", FILES, ids=lambda f: f.name)
def test_every_code_label_is_documented(spec: ExportFile) -> None:
    documented = set(_CODE.findall(_JSON_BLOCK.sub("", _sections()[spec.name])))
    missing = [(column, label) for column, label in _documented_labels(spec) if label not in documented]
    assert not missing


def test_code_tables_are_one_to_one() -> None:
    for spec in FILES:
        for f in spec.fields:
            if f.codes is not None:
                assert len(set(f.codes.values())) == len(f.codes), (spec.name, f.column)
