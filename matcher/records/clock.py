"""The one clock of stored timestamps: now, in UTC, as ISO 8601 text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal


def utc_stamp(timespec: Literal["seconds", "milliseconds"] = "milliseconds") -> str:
    """Now in UTC, ISO 8601 (``2026-12-08T03:41:07.123+00:00``). Milliseconds order the change
    log, nightly runs and audit entries; seconds are enough where a person reads the time (contact
    requests, backups, releases, index builds), and those stored formats stay as they are."""
    return datetime.now(UTC).isoformat(timespec=timespec)
