"""Erasure of one job seeker from the copies of exports that a home keeps (Art. 17 GDPR).

``matcher erase`` removes the person from the store, the change log's vectors, the index snapshot
and the training caches (:func:`matcher.services.serving.erase_caches`). A home may also hold the export
folders it was filled from: ``matcher demo`` keeps its generated world in ``world/`` (profile
texts, protected attributes, proposals), and ingestion writes reject reports to ``rejects/``.
Both are scrubbed here: every record that names the person's id (as a whole id, not a part of a
longer one) is dropped from every CSV, JSON Lines and text file below them; each file is rewritten
atomically (temporary file, then rename) with mode 0600, and the folders are made 0700, so what
is left is private too. A record is a line, or several where a quoted CSV field spans lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from matcher.records.private import private_dir

# Folders of a home that hold copies of exports (and reports of their rows).
COPY_FOLDERS: tuple[str, ...] = ("world", "rejects")
_SUFFIXES = (".csv", ".jsonl", ".json", ".txt", ".tsv")
_ID_CHAR = rb"[A-Za-z0-9._:-]"


def _records(raw: bytes) -> Iterator[bytes]:
    """Physical lines joined while a double quote is open (a CSV field over several lines)."""
    pending = b""
    for line in raw.splitlines(keepends=True):
        pending += line
        if pending.count(b'"') % 2 == 0:
            yield pending
            pending = b""
    if pending:
        yield pending


def scrub_file(path: Path, candidate_id: str) -> int:
    """Drop the records of ``path`` that name ``candidate_id``; rewrite it 0600. Records removed."""
    pattern = re.compile(rb"(?<!" + _ID_CHAR + rb")" + re.escape(candidate_id.encode()) + rb"(?!" + _ID_CHAR + rb")")
    raw = path.read_bytes()
    kept, removed = [], 0
    for record in _records(raw):
        if pattern.search(record):
            removed += 1
        else:
            kept.append(record)
    temporary = path.with_name(f".{path.name}.erasing")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(b"".join(kept))
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return removed


def make_private(folder: Path) -> None:
    """Folders below ``folder`` (and it) 0700, files 0600: exports hold social data."""
    private_dir(folder)
    os.chmod(folder, 0o700)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(Path(root) / name, 0o700)
        for name in files:
            os.chmod(Path(root) / name, 0o600)


def scrub_copies(home: Path, candidate_id: str) -> dict[str, int]:
    """Remove the person from every export copy and reject report of the home.

    Returns:
        Records removed per file (relative to the home), for the files that named the person.
    """
    removed: dict[str, int] = {}
    for name in COPY_FOLDERS:
        folder = home / name
        if not folder.is_dir():
            continue
        make_private(folder)
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in _SUFFIXES:
                count = scrub_file(path, candidate_id)
                if count:
                    removed[str(path.relative_to(home))] = count
    return removed
