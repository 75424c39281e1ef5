"""Audit-log commands of ``matcher`` (``audit verify|export|break-glass|rotate``) and ``erase``.

Registered on the main app by :mod:`training.cli`; heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.errors import MatcherError
from matcher.settings import Settings
from training.cli import _encoder, _fail, _settings

audit_app = typer.Typer(help="The audit log: every access to personal data.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path | None, typer.Option(help="audit log (default: $MATCHER_HOME/audit.log)")] = None,
) -> None:
    """Check every record's MAC and the log against the checkpoints in the store (exit 1 on any doubt)."""
    from matcher.records.store import Store
    from matcher.services.audit import verify
    from matcher.services.serving import open_audit_log

    settings = _settings()
    log = path or settings.audit_log
    if not settings.audit_key.exists():
        _fail(f"{log}: no audit key at {settings.audit_key}: nothing can be verified")
    audit = open_audit_log(settings, Store(settings.store_url))
    result = verify(log, audit.key, audit.checkpoints)
    for note in result.notes:
        typer.echo(f"note: {note}")
    summary = f"{result.records} records, {result.checkpoints} checkpoints"
    if not result.ok:
        where = f"line {result.first_bad_line}: " if result.first_bad_line else ""
        _fail(f"{log}: NOT INTACT: {where}{result.reason} (first bad record #{result.first_bad_seq}; {summary})")
    typer.echo(f"{log}: {summary}: intact")


@audit_app.command("export")
def audit_export(
    person: Annotated[str | None, typer.Option("--person", help="pseudonymous id of the job seeker")] = None,
    user: Annotated[str | None, typer.Option("--user", help="staff id (u-...): what this person accessed")] = None,
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD: from this day on")] = None,
) -> None:
    """One JSON object a line: every access to a job seeker's data (``--person``; subject-access
    request, Art. 15 GDPR), or everything one member of staff accessed (``--user``; for the
    data-protection officer)."""
    from matcher.services.audit_reads import accesses, accesses_by

    if (person is None) == (user is None):
        _fail("give exactly one of --person (a job seeker) and --user (a member of staff)")
    start = _since(since)
    found = (
        accesses(_settings().audit_log, person, start)
        if person
        else accesses_by(_settings().audit_log, user or "", start)
    )
    for access in found:
        typer.echo(json.dumps(access, ensure_ascii=False))


@audit_app.command("break-glass")
def audit_break_glass(
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD: from this day on")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False,
) -> None:
    """Accesses to another team's job seekers, by person and reason (vertretung, teamwechsel, rueckfrage)."""
    from matcher.services.audit_reads import break_glass

    rows = break_glass(_settings().audit_log, _since(since))
    for row in rows:
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{row['user_id']}\t{row['role']}\t{row['reason']}\tteam {row['reached_team']}\t"
                f"{row['count']}x\t{row['first'][:10]} .. {row['last'][:10]}"
            )
    if not rows and not as_json:
        typer.echo("no break-glass accesses")


def _since(since: str | None):  # -> date | None
    from datetime import date

    try:
        return date.fromisoformat(since) if since else None
    except ValueError:
        _fail(f"--since must be a date YYYY-MM-DD, not {since!r}")


@audit_app.command("rotate")
def audit_rotate() -> None:
    """Remove the records older than the retention period (MATCHER_AUDIT_RETENTION_DAYS, >= 183)."""
    from matcher.records.store import Store
    from matcher.services.serving import open_audit_log, rotate_audit_log

    settings = _settings()
    removed = rotate_audit_log(settings, open_audit_log(settings, Store(settings.store_url)))
    typer.echo(f"{settings.audit_log}: {removed} records older than {settings.audit_retention_days} days removed")


def erase(
    candidate: Annotated[str, typer.Option("--candidate", help="pseudonymous id of the job seeker")],
) -> None:
    """Erase a job seeker: profile, protected attributes, proposals, vectors (log, index snapshot,
    training caches), and their records in the home's export copies and reject reports. The audit
    log keeps the pseudonymous id of past accesses, and gets a record of the erasure."""
    from matcher.ranking.snapshot import save_snapshot
    from matcher.services.erasure import scrub_copies
    from matcher.services.serving import erase_caches, open_engine

    settings = _settings()
    try:
        engine = open_engine(settings, scorer="similarity", encoder=_encoder(settings))
        engine.delete_candidate(candidate)
        save_snapshot(engine, settings.index_dir)  # the snapshot on disk held the vector
        engine.store.vacuum()
        removed = erase_caches(settings)
        copies = scrub_copies(settings.home, candidate)
        _audit_erasure(settings, engine.store, candidate, removed, copies)
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    records = sum(copies.values())
    typer.echo(
        f"{candidate}: erased (store, change log, indexes; {removed} cached embedding files removed; "
        f"{records} records in {len(copies)} export copies)"
    )


def _audit_erasure(settings: Settings, store: Any, candidate: str, cached: int, copies: dict[str, int]) -> None:
    """One audit record of the erasure: who (the operating-system account), when, which
    pseudonymous id, and what was removed (parts, and records per export copy)."""
    import getpass

    from matcher.services.audit import AuditEntry
    from matcher.services.serving import open_audit_log

    parts: list[tuple[str, float | None]] = [("store", None), ("change_log_vectors", None), ("indexes", None)]
    parts.append(("embedding_caches", float(cached)))
    parts += [(f"copy:{path}", float(n)) for path, n in copies.items()]
    entry = AuditEntry("cli", f"os:{getpass.getuser()}", "matcher erase", candidate, parts, kind="erasure")
    open_audit_log(settings, store).append(entry)
