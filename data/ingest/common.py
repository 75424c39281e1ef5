"""What every source shares: rows being parsed, parsed files, and the field parsers.

Parsers raise ``ValueError`` with the reject reason; :class:`Row` turns that into a
:class:`~data.ingest.report.Reject` with file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from data.ingest.readers import RawRecord
from data.ingest.report import WARNING_PREFIX, Reject, shorten

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Reject reasons: tests and the README refer to these words.
MISSING = "missing value"
DUPLICATE_ID = "duplicate id"
IMPOSSIBLE_DATE = "impossible date"
NEGATIVE = "negative value"
UNKNOWN_CODE = "unknown code value"
WRONG_TYPE = "wrong type"

_GERMAN_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_GERMAN_DECIMAL = re.compile(r"^-?\d+(,\d+)?$")


# --- rows ------------------------------------------------------------------------------------
def is_missing(value: object) -> bool:
    """Empty cell or JSON null: not known."""
    return value is None or (isinstance(value, str) and not value.strip())


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


# --- field parsers: raise ValueError with the reject reason ----------------------------------
def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{WRONG_TYPE}: expected text")
    return value.strip()


def ident(value: Any) -> str:
    """An id: text without surrounding blanks (JSON numbers are not ids)."""
    return text(value)


def german_date(value: Any) -> date:
    match = _GERMAN_DATE.match(text(value))
    if not match:
        raise ValueError("not a date TT.MM.JJJJ")
    day, month, year = (int(g) for g in match.groups())
    return _make_date(year, month, day)


def iso_date(value: Any) -> date:
    match = _ISO_DATE.match(text(value))
    if not match:
        raise ValueError("not an ISO date JJJJ-MM-TT")
    year, month, day = (int(g) for g in match.groups())
    return _make_date(year, month, day)


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{IMPOSSIBLE_DATE} ({exc})") from exc


def german_decimal(value: Any) -> float:
    """``3,5`` -> 3.5; a dot is refused (it would be a thousands separator in German)."""
    cleaned = text(value)
    if not _GERMAN_DECIMAL.match(cleaned):
        raise ValueError("not a number with decimal comma")
    number = float(cleaned.replace(",", "."))
    if number < 0:
        raise ValueError(NEGATIVE)
    return number


def german_int(value: Any) -> int:
    number = german_decimal(value)
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def json_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{WRONG_TYPE}: expected a number")
    if value < 0:
        raise ValueError(NEGATIVE)
    return float(value)


def json_int(value: Any) -> int:
    number = json_number(value)
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def json_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{WRONG_TYPE}: expected true or false")
    return value


def ja_nein(value: Any) -> bool:
    return code_of({"ja": True, "nein": False})(value)


def code_of(mapping: Mapping[str, T]) -> Callable[[Any], T]:
    """A parser for one value of a closed code list."""

    def parse(value: Any) -> T:
        key = text(value)
        if key not in mapping:
            raise ValueError(f"{UNKNOWN_CODE} {key!r} (allowed: {', '.join(mapping)})")
        return mapping[key]

    return parse


def pipe_list(value: Any) -> list[str]:
    """``a|b|c`` -> ``["a", "b", "c"]`` without blanks."""
    return [part.strip() for part in text(value).split("|") if part.strip()]


def json_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{WRONG_TYPE}: expected a list")
    return [v for v in value if not is_missing(v)]


def list_of(split: Callable[[Any], list[Any]], item: Callable[[Any], T]) -> Callable[[Any], list[T]]:
    """A parser for a list whose items each go through ``item``; keeps order, drops repeats."""

    def parse(value: Any) -> list[T]:
        return list(dict.fromkeys(item(v) for v in split(value)))

    return parse
