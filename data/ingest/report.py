"""What an import did: counts per source, merged duplicates, and the reject report on disk."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REJECT_COLUMNS: tuple[str, ...] = ("file", "line", "field", "value", "reason", "proposed_kldb", "proposal")
WARNING_PREFIX = "warning: "
"""Reject-report rows whose reason starts with this did not reject their row (see README)."""

PROPOSAL_PREFIX = "proposal, not applied: "
"""Starts the ``proposal`` column: the code was suggested from the title, the row is unchanged."""

_MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class Reject:
    """One problem found in an export file.

    Attributes:
        file: file name inside the export folder.
        line: 1-based physical line where the record starts (for CSV the header is line 1).
        field: the source column or JSON field (dotted for nested fields), or ``""`` for the row.
        value: the offending value as text, shortened.
        reason: why; starts with :data:`WARNING_PREFIX` when the row was kept.
        proposed_kldb: for a missing or unknown KldB code, the code the occupation suggester
            proposes from the record's title; a proposal only, never written to the store.
        proposal: that proposal in words (starts with :data:`PROPOSAL_PREFIX`), or ``""``.
    """

    file: str
    line: int
    field: str
    value: str
    reason: str
    proposed_kldb: str = ""
    proposal: str = ""

    @property
    def is_warning(self) -> bool:
        return self.reason.startswith(WARNING_PREFIX)

    def row(self) -> tuple[str, int, str, str, str, str, str]:
        return (self.file, self.line, self.field, self.value, self.reason, self.proposed_kldb, self.proposal)


def shorten(value: object) -> str:
    """The value as one line of text for the reject report."""
    text = "" if value is None else value if isinstance(value, str) else repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


@dataclass
class SourceCounts:
    """Accepted and rejected records of one file; warnings are kept rows with a note."""

    accepted: int = 0
    rejected: int = 0
    warnings: int = 0


@dataclass
class IngestReport:
    """The result of :func:`data.ingest.ingest_folder`."""

    folder: Path
    sources: dict[str, SourceCounts]
    duplicates_merged: int
    reject_report: Path
    rejects: list[Reject] = field(default_factory=list)
    store_counts: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return sum(c.accepted for c in self.sources.values())

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.sources.values())

    def to_json(self) -> dict[str, Any]:
        """The ``matcher ingest --json`` summary (contract: sources, duplicates, report path)."""
        return {
            "sources": {
                name: {"accepted": c.accepted, "rejected": c.rejected, "warnings": c.warnings}
                for name, c in self.sources.items()
            },
            "duplicates_merged": self.duplicates_merged,
            "reject_report": str(self.reject_report),
            "store": dict(self.store_counts),
        }

    def describe(self) -> str:
        """A short human summary, one line per source."""
        lines = [f"Imported {self.folder}:"]
        for name, c in self.sources.items():
            note = f", {c.warnings} warnings" if c.warnings else ""
            lines.append(f"  {name}: {c.accepted} accepted, {c.rejected} rejected{note}")
        lines.append(f"  duplicate vacancies merged: {self.duplicates_merged}")
        if self.store_counts:
            counts = ", ".join(f"{k} {v}" for k, v in self.store_counts.items())
            lines.append(f"  store now holds: {counts}")
        lines.append(f"  reject report: {self.reject_report}")
        return "\n".join(lines)


def write_reject_report(rejects: list[Reject], reject_dir: Path) -> Path:
    """Write the rejects as CSV (UTF-8) named by time and content hash; return its path.

    The file is written even when nothing was rejected, so the path in the report always exists.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REJECT_COLUMNS)
    writer.writerows(r.row() for r in sorted(rejects, key=lambda r: (r.file, r.line)))
    content = buffer.getvalue().encode("utf-8")
    digest = hashlib.sha256(content).hexdigest()[:12]
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    reject_dir.mkdir(parents=True, exist_ok=True)
    path = reject_dir / f"rejects-{stamp}-{digest}.csv"
    path.write_bytes(content)
    return path
