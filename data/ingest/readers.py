"""Reading export files record by record, as bytes decoded per record.

One undecodable line becomes a reject and never stops the file: CSV bytes are split as latin-1
(one character per byte, so quoting and multi-line fields work) and each field is then decoded
strictly in the file's encoding; JSON Lines are decoded line by line.
"""

from __future__ import annotations

import csv
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from data.ingest.report import Reject, shorten
from matcher.errors import ExportFormatError

BROKEN_ENCODING = "broken encoding"
MALFORMED_JSON = "malformed JSON"
MALFORMED_CSV = "malformed CSV row"

# A valid UTF-8 multi-byte sequence inside a cp1252 file is UTF-8 text that was written or read
# with the wrong encoding ("MÃ¼ller"); real German cp1252 text never contains one.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_BOM = "\ufeff"


@dataclass(frozen=True)
class RawRecord:
    """One record as read: its first physical line and its fields by source name."""

    line: int
    fields: dict[str, Any]


# --- files -----------------------------------------------------------------------------------
def open_export(path: Path) -> BinaryIO:
    """Open an export file for reading bytes, or raise :class:`ExportFormatError`."""
    if not path.is_file():
        raise ExportFormatError(f"missing file in export folder {path.parent}: {path.name}")
    try:
        return path.open("rb")
    except OSError as exc:
        raise ExportFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _progress_lines(handle: BinaryIO, path: Path, progress: bool) -> Iterator[bytes]:
    with tqdm(
        total=path.stat().st_size, desc=path.name, unit="B", unit_scale=True, disable=not progress, leave=False
    ) as bar:
        for raw in handle:
            bar.update(len(raw))
            yield raw


def _decode_field(value: str, encoding: str) -> str:
    """Re-decode a field that was split as latin-1 (one char per byte) in the real encoding."""
    raw = value.encode("latin-1")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{BROKEN_ENCODING}: bytes not decodable as {encoding}") from exc
    if encoding == "cp1252" and _UTF8_SEQUENCE.search(raw):
        raise ValueError(f"{BROKEN_ENCODING}: mojibake (UTF-8 bytes in a cp1252 file)")
    if "\ufffd" in text:
        raise ValueError(f"{BROKEN_ENCODING}: replacement character U+FFFD")
    if "\x00" in text:
        raise ValueError(f"{BROKEN_ENCODING}: NUL byte")
    return text


def _csv_header(line: str | None, path: Path, encoding: str, delimiter: str, required: Iterable[str]) -> list[str]:
    try:
        cells = next(csv.reader([line or ""], delimiter=delimiter))
        header = [_decode_field(h, encoding).strip().lstrip(_BOM) for h in cells]
    except (StopIteration, ValueError, csv.Error) as exc:
        raise ExportFormatError(f"{path.name}: no readable header row ({exc})") from exc
    if header and header[0].startswith("ï»¿"):  # a UTF-8 BOM seen through cp1252
        header[0] = header[0][3:]
    missing = [c for c in required if c not in header]
    if missing:
        raise ExportFormatError(f"{path.name}: header lacks column(s) {', '.join(missing)}")
    return header


def read_csv(
    path: Path, *, encoding: str, delimiter: str, required: Iterable[str], progress: bool = False
) -> Iterator[RawRecord | Reject]:
    """Yield the records of a CSV export (header on line 1), or a reject for an unreadable one.

    The bytes are split as latin-1, which maps every byte to one character, so quoting and
    multi-line fields work; each field is then decoded strictly in ``encoding``.
    """
    with open_export(path) as handle:
        lines = (raw.decode("latin-1") for raw in _progress_lines(handle, path, progress))
        header = _csv_header(next(lines, None), path, encoding, delimiter, required)
        yield from _csv_records(path.name, lines, header, encoding, delimiter)


def _csv_records(
    name: str, lines: Iterator[str], header: list[str], encoding: str, delimiter: str
) -> Iterator[RawRecord | Reject]:
    physical: list[str] = []  # the lines of the record being read
    pushed_back: deque[str] = deque()

    def feed() -> Iterator[str]:
        while True:
            line = pushed_back.popleft() if pushed_back else next(lines, None)
            if line is None:
                return
            physical.append(line)
            yield line

    reader, start = csv.reader(feed(), delimiter=delimiter), 2
    while True:
        physical.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = None
            yield Reject(name, start, "", "", f"{MALFORMED_CSV}: {exc}")
        if row is not None and len(row) != len(header) and len(physical) > 1:
            # A stray opening quote swallowed the lines after it: reject its line, read the rest.
            first = next(csv.reader(physical[:1], delimiter=delimiter))
            yield _csv_record(name, start, header, first, encoding)
            pushed_back.extendleft(reversed(physical[1:]))
            reader, start = csv.reader(feed(), delimiter=delimiter), start + 1
            continue
        if row:
            yield _csv_record(name, start, header, row, encoding)
        start += len(physical)


def _csv_record(name: str, line: int, header: list[str], row: list[str], encoding: str) -> RawRecord | Reject:
    if len(row) != len(header):
        reason = f"{MALFORMED_CSV}: expected {len(header)} fields, got {len(row)}"
        return Reject(name, line, "", shorten(row[0] if row else ""), reason)
    fields: dict[str, Any] = {}
    for column, value in zip(header, row, strict=True):
        try:
            fields[column] = _decode_field(value, encoding)
        except ValueError as exc:
            shown = value.encode("latin-1").decode("ascii", errors="backslashreplace")
            return Reject(name, line, column, shorten(shown), str(exc))
    return RawRecord(line, fields)


def _no_constants(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def read_jsonl(path: Path, *, progress: bool = False) -> Iterator[RawRecord | Reject]:
    """Yield the objects of a UTF-8 JSON Lines export, or a reject for an unreadable line."""
    with open_export(path) as handle:
        for line, raw in enumerate(_progress_lines(handle, path, progress), start=1):
            if raw.strip():
                yield _json_record(path.name, line, raw)


def _json_record(name: str, line: int, raw: bytes) -> RawRecord | Reject:
    def reject(reason: str) -> Reject:
        return Reject(name, line, "", shorten(raw.decode("utf-8", "backslashreplace")), reason)

    try:
        text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError:
        return reject(f"{BROKEN_ENCODING}: invalid UTF-8")
    try:
        obj = json.loads(text, parse_constant=_no_constants)
    except ValueError as exc:
        return reject(f"{MALFORMED_JSON}: {exc}")
    if not isinstance(obj, dict):
        return reject(f"{MALFORMED_JSON}: not an object")
    if "\ufffd" in text:
        return reject(f"{BROKEN_ENCODING}: U+FFFD in line")
    return RawRecord(line, obj)
