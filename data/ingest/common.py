"""What every source shares: rows being parsed and parsed files.

The cell parsers live in ``data.cells`` (the field tables in ``data.formats``). They raise
``ValueError`` with the reject reason; :class:`Row` turns that into a
:class:`~data.ingest.report.Reject` with file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from data.cells import WRONG_TYPE, is_missing
from data.ingest.readers import RawRecord
from data.ingest.report import WARNING_PREFIX, Reject, shorten

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Reject reasons: tests and the README refer to these words (the cell parsers' are in data.cells).
MISSING = "missing value"
DUPLICATE_ID = "duplicate id"


# --- rows ------------------------------------------------------------------------------------
def _lookup(fields: Mapping[str, Any], name: str) -> Any:
    if "." not in name:
        return fields.get(name)
    value: Any = fields
    for part in name.split("."):
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ValueError(f"{WRONG_TYPE}: expected an object above {part!r}")
        value = value.get(part)
    return value


class Row:
    """One record being parsed: collects its rejects and warnings as it goes."""

    def __init__(self, file: str, line: int, fields: Mapping[str, Any]) -> None:
        self.file, self.line, self.fields = file, line, fields
        self.problems: list[Reject] = []

    @property
    def ok(self) -> bool:
        return not any(not p.is_warning for p in self.problems)

    def reject(self, name: str, value: object, reason: str) -> None:
        self.problems.append(Reject(self.file, self.line, name, shorten(value), reason))

    def warn(self, name: str, value: object, reason: str) -> None:
        self.reject(name, value, WARNING_PREFIX + reason)

    def raw(self, name: str) -> Any:
        try:
            return _lookup(self.fields, name)
        except ValueError as exc:
            self.reject(name, None, str(exc))
            return None

    def get(self, name: str, parse: Callable[[Any], T], *, required: bool = False) -> T | None:
        """The parsed field, or None when it is empty or does not parse (then it is a reject)."""
        problems = len(self.problems)
        value = self.raw(name)
        if is_missing(value):
            if required and len(self.problems) == problems:
                self.reject(name, value, MISSING)
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.reject(name, value, str(exc))
            return None


def build_model(row: Row, model: type[M], values: dict[str, Any], source_names: Mapping[str, str]) -> M | None:
    """Validate the canonical values; a failed check becomes a reject under the source name."""
    if not row.ok:
        return None
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            row.reject(source_names.get(key, key), error.get("input"), error["msg"])
        return None


# --- parsed files ----------------------------------------------------------------------------
@dataclass
class Parsed(Generic[T]):
    """The accepted items of one file (with their line) and its rejects and warnings."""

    file: str
    items: list[tuple[int, T]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rejected_ids: dict[str, int] = field(default_factory=dict)
    """Ids named by rejected records, with their line (to explain later references)."""

    @property
    def rejected(self) -> int:
        return len({r.line for r in self.rejects if not r.is_warning})

    @property
    def warnings(self) -> int:
        return sum(r.is_warning for r in self.rejects)


def parse_records(
    file: str,
    records: Iterable[RawRecord | Reject],
    parse_row: Callable[[Row], T | None],
    id_field: str = "",
) -> Parsed[T]:
    """Run ``parse_row`` on every readable record; keep what parses, collect the rest."""
    parsed: Parsed[T] = Parsed(file)
    for record in records:
        if isinstance(record, Reject):
            parsed.rejects.append(record)
            continue
        row = Row(file, record.line, record.fields)
        item = parse_row(row)
        parsed.rejects.extend(row.problems)
        if item is not None and row.ok:
            parsed.items.append((record.line, item))
        elif isinstance(record.fields.get(id_field), str):
            parsed.rejected_ids.setdefault(record.fields[id_field].strip(), record.line)
    return parsed


def drop_duplicate_ids(files: list[Parsed[T]], key: Callable[[T], str], field_name: str) -> None:
    """Keep the first record of each id (in file order), reject the later ones."""
    first_seen: dict[str, tuple[str, int]] = {}
    for parsed in files:
        kept: list[tuple[int, T]] = []
        for line, item in parsed.items:
            ident = key(item)
            if ident in first_seen:
                where = "{} line {}".format(*first_seen[ident])
                reason = f"{DUPLICATE_ID} (first seen in {where})"
                parsed.rejects.append(Reject(parsed.file, line, field_name, ident, reason))
                parsed.rejected_ids.setdefault(ident, line)
            else:
                first_seen[ident] = (parsed.file, line)
                kept.append((line, item))
        parsed.items = kept
