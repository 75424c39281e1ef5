"""Operations commands of ``matcher``: the store's schema (``db``), ``backup`` and ``restore``.

Registered on the main app by :mod:`training.cli`; heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from matcher.errors import MatcherError

db_app = typer.Typer(help="The store's schema: upgrade it to this release, show its revision.", no_args_is_help=True)


def _fail(message: str) -> None:
    from training.cli import _fail as fail

    fail(message)


@db_app.command("upgrade")
def db_upgrade(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Bring the store (SQLite, or DATABASE_URL) to this release's schema, in one transaction.

    Idempotent: a store at the current revision is left as it is. A 0.1.0 store (no version yet)
    is recognised as the baseline and upgraded from there."""
    from matcher.schema import upgrade
    from training.cli import _settings

    settings = _settings()
    try:
        before, after = upgrade(settings.store_url)
    except MatcherError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"before": before, "after": after, "changed": before != after}))
    elif before == after:
        typer.echo(f"store schema already at {after} (current)")
    else:
        typer.echo(f"store schema upgraded: {before or 'release 0.1.0 / empty (unversioned)'} -> {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the store's schema revision (and whether it is this release's)."""
    from matcher.schema import UPGRADE_HINT, current
    from training.cli import _settings

    try:
        state = current(_settings().store_url)
    except MatcherError as exc:
        _fail(str(exc))
    if state.current is None:
        what = "no store yet" if state.empty else f"release 0.1.0, unversioned: {UPGRADE_HINT}"
        typer.echo(f"none ({what})")
    elif state.at_head:
        typer.echo(f"{state.current} (head)")
    elif state.known:
        typer.echo(f"{state.current} (behind {state.head}: {UPGRADE_HINT})")
    else:
        typer.echo(f"{state.current} (unknown to this release, newest known {state.head})")


@db_app.command("revision", hidden=True)
def db_revision(
    message: Annotated[str, typer.Argument(help="what the revision changes, e.g. 'identity tables'")],
) -> None:
    """For developers: a new revision file from the difference between ``matcher.records.store.metadata``
    and the head revision (autogenerate; review and edit it, see README "Schema migrations")."""
    import tempfile

    from alembic import command
    from sqlalchemy import create_engine

    from matcher.schema import alembic_config, head_revision

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'head.db'}"
        _apply_all_revisions(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            # Ids count up (0002, 0003, ...): the order of the files is the order of the changes.
            rev_id = f"{int(head_revision()) + 1:04d}"
            scripts = command.revision(alembic_config(conn), message, autogenerate=True, rev_id=rev_id)
        engine.dispose()
    for script in scripts if isinstance(scripts, list) else [scripts]:
        if script is not None:
            typer.echo(f"written: {script.path} (review it before committing)")


def _apply_all_revisions(url: str) -> None:
    """An empty database brought to the head by running every revision (not ``create_all``)."""
    from alembic import command

    from matcher.schema import alembic_config, migration_engine

    engine = migration_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    engine.dispose()


def backup(
    out: Annotated[Path, typer.Option("--out", help="backup file to write (.tar.gz)")],
    with_keys: Annotated[
        bool, typer.Option("--with-keys", help="include the keys and token files (keep such a backup apart)")
    ] = False,
) -> None:
    """A consistent backup of the home while the API serves: store, indexes, MLflow, encoder, audit log."""
    from matcher.services.backup import write_backup
    from training.cli import _settings

    try:
        manifest = write_backup(_settings(), out, with_keys=with_keys)
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    typer.echo(
        f"{out}: {len(manifest.members)} files, store schema {manifest.schema_revision}, change log at "
        f"{manifest.store_seq}{', with keys' if with_keys else ', keys left out'}"
    )


def restore(
    file: Annotated[Path, typer.Argument(help="backup file written by `matcher backup`")],
) -> None:
    """Restore a backup into an empty MATCHER_HOME (and an empty DATABASE_URL database, if set)."""
    from matcher.services.backup import restore_backup
    from training.cli import _settings

    try:
        manifest = restore_backup(file, _settings())
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    keys = "with keys" if manifest.with_keys else "without keys: put the keys back (README, Backup and restore)"
    typer.echo(f"{file}: restored {len(manifest.members)} files, {keys}")
