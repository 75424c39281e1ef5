"""Who accessed what: the audit log's readers (data-subject requests, the data-protection officer's
review of one person's accesses and of the break-glass reads).

Reading needs no key and verifies nothing (:func:`matcher.services.audit.verify` does); a torn tail is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any


def records(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete record of a log, in order (no verification; a torn tail is skipped)."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for line in handle:
            if line.endswith(b"\n"):
                try:
                    yield json.loads(line)
                except ValueError:
                    continue


def accesses(path: Path, person: str, since: date | None = None) -> Iterator[dict[str, Any]]:
    """Every record that asked for or returned ``person`` (ids in score pairs too), oldest first."""
    day = since.isoformat() if since else ""
    for record in records(path):
        if record["time"] < day:
            continue
        returned = {part for item in record.get("items", []) for part in str(item["id"]).split("|")}
        if record.get("query_id") == person or person in returned:
            yield {
                "seq": record["seq"],
                "time": record["time"],
                "kind": record.get("kind", "shortlist"),
                **_who(record),
                "endpoint": record["endpoint"],
                "as": "query" if record.get("query_id") == person else "result",
            }


def _who(record: dict[str, Any]) -> dict[str, Any]:
    """Who made a record: role, staff id and teams (records of 0.1.0 named a role token only),
    and, for a break-glass access, the reason and the team reached."""
    who = {
        "role": record["role"],
        "user_id": record.get("user_id", record.get("token_id")),
        "team": record.get("team", "-"),
    }
    if "reason" in record:
        who |= {"reason": record["reason"], "reached_team": record.get("reached_team")}
    return who


def accesses_by(path: Path, user_id: str, since: date | None = None) -> Iterator[dict[str, Any]]:
    """Every record one person (staff id) made, oldest first: what they accessed, for the
    data-protection officer (which job seekers, through which endpoint, with which reason)."""
    day = since.isoformat() if since else ""
    for record in records(path):
        if record["time"] < day or record.get("user_id", record.get("token_id")) != user_id:
            continue
        yield {
            "seq": record["seq"],
            "time": record["time"],
            "kind": record.get("kind", "shortlist"),
            **_who(record),
            "endpoint": record["endpoint"],
            "query_id": record.get("query_id"),
            "ids": [item["id"] for item in record.get("items", [])],
        }


def break_glass(path: Path, since: date | None = None) -> list[dict[str, Any]]:
    """Break-glass accesses (another team's job seeker, with a reason), counted by person and
    reason: ``[{user_id, role, reason, reached_team, count, first, last}]``, most first."""
    day = since.isoformat() if since else ""
    found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for record in records(path):
        if record["time"] < day or "reason" not in record:
            continue
        who = _who(record)
        key = (who["user_id"], who["role"], record["reason"], str(record.get("reached_team")))
        row = found.setdefault(
            key,
            {
                "user_id": key[0],
                "role": key[1],
                "reason": key[2],
                "reached_team": key[3],
                "count": 0,
                "first": record["time"],
                "last": record["time"],
            },
        )
        row["count"] += 1
        row["last"] = record["time"]
    return sorted(found.values(), key=lambda r: (-r["count"], r["user_id"], r["reason"]))
