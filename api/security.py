"""Roles, permissions, teams and the caller of a request.

Every request is a named person or machine client (:class:`Principal`) with one role and teams,
found by :mod:`api.identity` from a personal token (:mod:`matcher.services.staff`) or from the identity
provider's access token. A role's permissions are the sets below; a caseworker's teams bound which
job seekers they may reach (need-to-know, § 67c SGB X), see :meth:`api.service.Service.reach`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from matcher.records.private import private_dir
from matcher.services.staff import ALL_TEAMS, StaffDirectory


class Role(StrEnum):
    CASEWORKER = "caseworker"
    EMPLOYER_SERVICE = "employer_service"
    DATA_TEAM = "data_team"
    ADMIN = "admin"


class Permission(StrEnum):
    CANDIDATE_SHORTLIST = "candidate_shortlist"  # vacancies for a job seeker
    VACANCY_SHORTLIST = "vacancy_shortlist"  # job seekers for a vacancy
    MATCH = "match"
    OPPORTUNITIES = "opportunities"  # what single change would open more vacancies for a job seeker
    READ_MEASURES = "read_measures"  # the catalogue of qualification and activation measures
    SHORTAGES = "shortages"  # the region's supply and demand, aggregated (no person)
    SCORE = "score"
    READ_CANDIDATES = "read_candidates"
    READ_CANDIDATE_CARDS = "read_candidate_cards"  # pseudonymised cards only
    READ_VACANCIES = "read_vacancies"
    WRITE_RECORDS = "write_records"
    WRITE_OUTCOMES = "write_outcomes"
    READ_OUTCOMES = "read_outcomes"
    MODEL = "model"
    REQUEST_CONTACT = "request_contact"  # ask the caseworkers for a person on a vacancy's cards
    ANSWER_CONTACT = "answer_contact"  # accept or decline such a request
    FEEDBACK = "feedback"  # mark a recommendation "passt nicht"
    NEW_MATCHES = "new_matches"  # what the nightly run found new for a job seeker, and the digest
    VACANCY_NEW_MATCHES = "vacancy_new_matches"  # the same for a vacancy, as pseudonymised cards
    METRICS = "metrics"  # the service's Prometheus metrics (GET /metrics): admin only


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASEWORKER: frozenset(
        {
            Permission.CANDIDATE_SHORTLIST,
            Permission.MATCH,
            Permission.SCORE,
            Permission.WRITE_OUTCOMES,
            Permission.READ_CANDIDATES,
            Permission.READ_VACANCIES,
            Permission.ANSWER_CONTACT,
            Permission.FEEDBACK,
            Permission.NEW_MATCHES,
        }
    ),
    Role.EMPLOYER_SERVICE: frozenset(
        {
            Permission.VACANCY_SHORTLIST,
            Permission.SCORE,
            Permission.READ_CANDIDATE_CARDS,
            Permission.READ_VACANCIES,
            Permission.REQUEST_CONTACT,
            Permission.VACANCY_NEW_MATCHES,
        }
    ),
    Role.DATA_TEAM: frozenset({Permission.MODEL, Permission.READ_OUTCOMES}),
    Role.ADMIN: frozenset(Permission),
}
# Opportunities are per person (the caseworker's); measures and shortages count, never name, people.
_PLANNING: dict[Role, frozenset[Permission]] = {
    Role.CASEWORKER: frozenset({Permission.OPPORTUNITIES, Permission.READ_MEASURES}),
    Role.EMPLOYER_SERVICE: frozenset({Permission.READ_MEASURES, Permission.SHORTAGES}),
    Role.DATA_TEAM: frozenset({Permission.READ_MEASURES, Permission.SHORTAGES}),
}
ROLE_PERMISSIONS = {role: held | _PLANNING.get(role, frozenset()) for role, held in ROLE_PERMISSIONS.items()}


class AccessReason(StrEnum):
    """Why a caseworker reaches a job seeker of another team (header ``X-Access-Reason``)."""

    VERTRETUNG = "vertretung"  # standing in for a colleague
    TEAMWECHSEL = "teamwechsel"  # the person is moving to the caller's team
    RUECKFRAGE = "rueckfrage"  # a query from the other team


ACCESS_REASON_HEADER = "X-Access-Reason"
ACCESS_REASON_LABELS_DE: dict[AccessReason, str] = {
    AccessReason.VERTRETUNG: "Vertretung",
    AccessReason.TEAMWECHSEL: "Teamwechsel",
    AccessReason.RUECKFRAGE: "Rückfrage",
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named person or machine client (a stable pseudonymous staff id, never a
    name or e-mail), their role and teams; the reason they gave for this request, if any.

    ``reached`` is set by :meth:`api.service.Service.reach` when this request reached a job seeker
    of another team with ``reason`` (a break-glass read); the audit record then names both.
    """

    user_id: str
    role: Role
    teams: frozenset[str] = frozenset()
    reason: AccessReason | None = None
    reached: str | None = None
    expires_at: float | None = None

    @property
    def token_id(self) -> str:
        """The staff id (the name the audit log and the records used before people had names)."""
        return self.user_id

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def in_team(self, team: str | None) -> bool:
        """Whether this caller's need-to-know covers a job seeker of ``team``: their own teams; every
        team for roles that never see a person, or for the administrators."""
        if self.role is not Role.CASEWORKER or ALL_TEAMS in self.teams:
            return True
        return team is not None and team in self.teams

    @property
    def bounded(self) -> bool:
        """Whether need-to-know bounds this caller by team (a caseworker without every team)."""
        return not self.in_team(None)

    @property
    def team_label(self) -> str:
        """The teams as the audit log writes them."""
        return ",".join(sorted(self.teams)) or "-"

    def with_reason(self, reason: AccessReason | None) -> Principal:
        return replace(self, reason=reason)

    def reaching(self, team: str) -> Principal:
        return replace(self, reached=team)


def demo_people_tokens(directory: StaffDirectory, teams: tuple[str, ...], demo_tokens_file: Path) -> dict[str, str]:
    """Named demo people, one per role, and one more caseworker per team; writes the plain tokens
    of the first person of each role to ``demo_tokens_file`` (the ``demo_tokens.json`` contract).

    The caseworker of ``demo_tokens.json`` belongs to every team, so that scripts written against
    the demo keep working; the other demo caseworkers belong to one team each.
    """
    names = {
        Role.CASEWORKER: "Demo Fallmanagerin (alle Teams)",
        Role.EMPLOYER_SERVICE: "Demo Arbeitgeberservice",
        Role.DATA_TEAM: "Demo Datenteam",
        Role.ADMIN: "Demo Administration",
    }
    home_teams = {
        Role.CASEWORKER: teams,
        Role.EMPLOYER_SERVICE: ("arbeitgeberservice",),
        Role.DATA_TEAM: ("datenteam",),
        Role.ADMIN: (ALL_TEAMS,),
    }
    plain: dict[str, str] = {}
    for role, name in names.items():
        _, plain[role.value] = directory.add(name, role.value, home_teams[role])
    for team in teams:
        directory.add(f"Demo Fallmanager Team {team}", Role.CASEWORKER.value, (team,))
    private_dir(demo_tokens_file.parent)
    _write_private(demo_tokens_file, json.dumps(plain, indent=2))
    return plain


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover .tmp keeps its old mode under O_CREAT; and the umask may take more
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.replace(tmp, path)
