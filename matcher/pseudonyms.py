"""Pseudonyms of job seekers on the employer service's candidate cards.

The customer number (a candidate's ``id``) is the Jobcenter's identifier, not a pseudonym: the
employer service never sees it. A card carries ``P-`` and ten base-32 characters of an HMAC over
the vacancy id and the customer number, with a key kept in the home (``pseudonym.key``, 0600):

- stable per vacancy: the same person has the same pseudonym on every shortlist of one vacancy,
  so a contact request can name a card seen yesterday;
- meaningless elsewhere: the same person has another pseudonym on every other vacancy, so cards of
  two vacancies cannot be joined into one profile, and without the key nobody can compute it;
- only the server maps it back (:meth:`Pseudonyms.resolve`), by recomputing it over the known ids.

Ten characters are 50 bits: two of the region's 15,000 people share a pseudonym on one vacancy
with a probability of about 1e-7; :meth:`resolve` refuses such a pair rather than guessing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from pathlib import Path

from matcher.audit import load_or_create_key

PREFIX = "P-"
_LENGTH = 10
PSEUDONYM_PATTERN = re.compile(r"^P-[A-Z2-7]{10}$")


class Pseudonyms:
    """Per-vacancy pseudonyms of job seekers under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a pseudonym key needs at least 16 bytes")
        self._key = key

    @classmethod
    def from_file(cls, path: Path) -> Pseudonyms:
        """The key in ``path`` (hex), created with mode 0600 on first use."""
        return cls(load_or_create_key(path))

    def of(self, vacancy_id: str, candidate_id: str) -> str:
        """The pseudonym of a job seeker on the cards of one vacancy."""
        message = f"{vacancy_id}\x1f{candidate_id}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return PREFIX + base64.b32encode(digest).decode("ascii")[:_LENGTH]

    def table(self, vacancy_id: str, candidate_ids: Iterable[str]) -> dict[str, str]:
        """Pseudonym -> customer number for one vacancy over ``candidate_ids`` (15,000 in ~20 ms);
        a pseudonym that two people share is left out, so nobody is mistaken for another."""
        found: dict[str, str] = {}
        shared: set[str] = set()
        for candidate_id in candidate_ids:
            pseudonym = self.of(vacancy_id, candidate_id)
            if pseudonym in found:
                shared.add(pseudonym)
            found[pseudonym] = candidate_id
        for pseudonym in shared:
            del found[pseudonym]
        return found

    def resolve(self, vacancy_id: str, pseudonym: str, candidate_ids: Iterable[str]) -> str | None:
        """The customer number behind a pseudonym of this vacancy, or None (unknown, or shared)."""
        if not PSEUDONYM_PATTERN.match(pseudonym):
            return None
        return self.table(vacancy_id, candidate_ids).get(pseudonym)
