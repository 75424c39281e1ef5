"""``matcher users``: the embedded default's named staff (people and machine clients).

Registered on the ``matcher`` app by :mod:`training.cli`. A person's token is printed once, at
``users add``; the store keeps its SHA-256 only.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from matcher.errors import MatcherError

users_app = typer.Typer(
    help="Named staff of the embedded default: people with a role and teams, and their personal tokens.",
    no_args_is_help=True,
)

_ROLES = "caseworker, employer_service, data_team, admin"


def _directory():  # -> matcher.services.staff.StaffDirectory
    from matcher.records.store import Store
    from matcher.services.staff import StaffDirectory
    from training.cli import _settings

    return StaffDirectory(Store(_settings().store_url))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="the person's name (shown to administrators only)")],
    role: Annotated[str, typer.Option("--role", help=_ROLES)],
    team: Annotated[list[str] | None, typer.Option("--team", help="a team (repeat for several)")] = None,
    expires_days: Annotated[int, typer.Option("--expires-days", min=1, max=3650, help="token lifetime")] = 90,
    client: Annotated[
        bool, typer.Option("--client", help="a machine client (the nightly job, another system)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON: id, token, role, teams, expires_at")] = False,
) -> None:
    """Create a person (or machine client) and print their personal token, once."""
    from api.security import Role

    try:
        Role(role)
    except ValueError:
        _fail(f"--role must be one of {_ROLES}, not {role!r}")
    try:
        member, token = _directory().add(name, role, tuple(team or ()), expires_days, "client" if client else "person")
    except (MatcherError, ValueError) as exc:
        _fail(str(exc))
    if as_json:
        out = {
            "id": member.id,
            "token": token,
            "role": member.role,
            "teams": list(member.teams),
            "kind": member.kind,
            "expires_at": member.token_expires_at,
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(f"{member.id}: {member.name} ({member.role}; teams: {', '.join(member.teams) or '-'})")
    typer.echo(f"token (shown once, valid until {member.token_expires_at}): {token}")


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON lines")] = False) -> None:
    """Everybody: id, name, role, teams, and whether revoked or until when the token is valid."""
    for m in _directory().list():
        if as_json:
            row = {
                "id": m.id,
                "name": m.name,
                "kind": m.kind,
                "role": m.role,
                "teams": list(m.teams),
                "created_at": m.created_at,
                "revoked_at": m.revoked_at,
                "expires_at": m.token_expires_at,
            }
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            state = f"revoked {m.revoked_at}" if m.revoked_at else f"valid until {m.token_expires_at}"
            typer.echo(f"{m.id}\t{m.role}\t{','.join(m.teams) or '-'}\t{state}\t{m.name}")


@users_app.command("revoke")
def users_revoke(staff_id: Annotated[str, typer.Argument(metavar="ID", help="the staff id (u-...)")]) -> None:
    """Revoke a person and their tokens: every worker refuses them within a second."""
    try:
        member = _directory().revoke(staff_id)
    except MatcherError as exc:
        _fail(str(exc))
    typer.echo(f"{member.id}: revoked at {member.revoked_at}")
