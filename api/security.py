"""Bearer tokens and roles.

Tokens are random and long, so a plain SHA-256 is enough to store them (no password stretching
needed); the token file holds only hashes. Each token maps to one role; a role's permissions are
the sets below.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from matcher.private import private_dir


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id (never the token) and its role."""

    token_id: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


class TokenStore:
    """Token hashes -> (token id, role), loaded from a JSON file."""

    def __init__(self, entries: dict[str, Principal]) -> None:
        self._by_hash = entries

    @classmethod
    def load(cls, path: Path) -> TokenStore:
        if not path.exists():
            return cls({})
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls({item["sha256"]: Principal(item["id"], Role(item["role"])) for item in raw["tokens"]})

    def authenticate(self, token: str) -> Principal | None:
        digest = hash_token(token)
        for known, principal in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return principal
        return None


def issue_demo_tokens(tokens_file: Path, demo_tokens_file: Path) -> dict[str, str]:
    """One fresh token per role: hashes to ``tokens_file``, plain tokens to ``demo_tokens_file``.

    Returns the plain tokens by role (the ``demo_tokens.json`` contract).
    """
    plain = {role.value: secrets.token_urlsafe(32) for role in Role}
    entries = [{"id": f"demo-{role}", "role": role, "sha256": hash_token(token)} for role, token in plain.items()]
    private_dir(tokens_file.parent)
    private_dir(demo_tokens_file.parent)
    _write_private(tokens_file, json.dumps({"tokens": entries}, indent=2))
    _write_private(demo_tokens_file, json.dumps(plain, indent=2))
    return plain


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover .tmp keeps its old mode under O_CREAT; and the umask may take more
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.replace(tmp, path)
