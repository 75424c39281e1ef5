"""Cell codecs of the export files, in both directions: text, ids, dates, decimal commas, JSON
numbers and booleans, code lists, and code tables with their inverse.

Ingestion parses a cell with one of these (a ValueError says why a cell is refused, starting with
one of the reasons below); the generator writes a cell with the matching encoder. The files'
field tables that use them are in :mod:`data.formats`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from matcher.records.models import RECORD_ID_PATTERN

T = TypeVar("T")

# --- cell readers: raise ValueError with the reject reason (tests and the README use the words)
IMPOSSIBLE_DATE = "impossible date"
NEGATIVE = "negative value"
UNKNOWN_CODE = "unknown code value"
WRONG_TYPE = "wrong type"

_GERMAN_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_GERMAN_DECIMAL = re.compile(r"^-?\d+(,\d+)?$")


def is_missing(value: object) -> bool:
    """Empty cell or JSON null: not known."""
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{WRONG_TYPE}: expected text")
    return value.strip()


def ident(value: Any) -> str:
    """An id: text without surrounding blanks (JSON numbers are not ids) that follows the one id
    rule of the store and the API (:data:`matcher.records.models.RECORD_ID_PATTERN`)."""
    found = text(value)
    if not RECORD_ID_PATTERN.match(found):
        raise ValueError("not an id (1-64 letters, digits, '.', '_', ':' or '-')")
    return found


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


def code_of(mapping: Mapping[str, T]) -> Callable[[Any], T]:
    """A parser for one value of a closed code list (label -> canonical value)."""

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


# --- cell writers: the inverse of the readers -------------------------------------------------
def de_date(d: date) -> str:
    return f"{d:%d.%m.%Y}"


def de_number(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def json_value(x: float) -> int | float:
    """A JSON number: whole numbers without ``.0``, others to 2 decimals."""
    return int(x) if float(x).is_integer() else round(float(x), 2)


# --- code tables: canonical value -> label in the file ----------------------------------------
def labels(*values: str) -> dict[str, str]:
    """A code table whose labels are the canonical values themselves."""
    return {v: v for v in values}


def decode(table: Mapping[Any, str]) -> dict[str, Any]:
    """The inverse of a code table: label -> canonical value, in the same order."""
    return {label: value for value, label in table.items()}


def coded(table: Mapping[Any, str]) -> Callable[[Any], Any]:
    """A parser for one label of ``table``."""
    return code_of(decode(table))
