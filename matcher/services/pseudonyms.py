"""Pseudonyms of job seekers on the employer service's candidate cards.

The customer number (a candidate's ``id``) is the Jobcenter's identifier, not a pseudonym: the
employer service never sees it. A card carries ``P-`` and ten base-32 characters (50 bits): the
person's *number* (an HMAC of the customer number, 50 bits) enciphered by a keyed permutation of
the 50-bit numbers that depends on the vacancy (a four-round Feistel network whose round function
is keyed BLAKE2b under a per-vacancy key derived from the home's key, ``pseudonym.key``, 0600):

- stable per vacancy: the same person has the same pseudonym on every shortlist of one vacancy,
  so a contact request can name a card seen yesterday;
- meaningless elsewhere: the same person has another pseudonym on every other vacancy (another
  permutation), so cards of two vacancies cannot be joined into one profile, and without the key
  nobody can compute or invert it;
- only the server maps it back, by deciphering it (four hashes) and looking the number up in one
  map of the region's numbers (:class:`PersonNumbers`): a lookup costs microseconds, where
  recomputing an HMAC for every stored id cost ~100 ms and let one token load the workers.

Two of the region's 15,000 people share a 50-bit number with a probability of about 1e-7;
such a number names nobody rather than the wrong person.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from matcher.services.keyfile import load_or_create_key

PREFIX = "P-"
_LENGTH = 10
PSEUDONYM_PATTERN = re.compile(r"^P-[A-Z2-7]{10}$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base 32
_HALF_BITS = 25
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUNDS = 4


def _encode(value: int) -> str:
    return PREFIX + "".join(_ALPHABET[(value >> (5 * (_LENGTH - 1 - i))) & 31] for i in range(_LENGTH))


def _decode(pseudonym: str) -> int:
    value = 0
    for char in pseudonym[len(PREFIX) :]:
        value = (value << 5) | _ALPHABET.index(char)
    return value


class Pseudonyms:
    """Per-vacancy pseudonyms of job seekers under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a pseudonym key needs at least 16 bytes")
        self._key = key
        # per-vacancy round keys, so that a pseudonym costs four short keyed hashes
        self._vacancy_key = lru_cache(maxsize=4096)(self._derive_vacancy_key)

    @classmethod
    def from_file(cls, path: Path) -> Pseudonyms:
        """The key in ``path`` (hex), created with mode 0600 on first use."""
        return cls(load_or_create_key(path))

    def number(self, candidate_id: str) -> int:
        """The person's 50-bit number: the same on every vacancy, never shown (it is enciphered)."""
        digest = hmac.new(self._key, b"number\x1f" + candidate_id.encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:7], "big") >> 6

    def _derive_vacancy_key(self, vacancy_id: str) -> bytes:
        return hmac.new(self._key, b"vacancy\x1f" + vacancy_id.encode(), hashlib.sha256).digest()

    def _round(self, key: bytes, step: int, half: int) -> int:
        data = bytes([step]) + half.to_bytes(4, "big")
        return int.from_bytes(hashlib.blake2b(data, key=key, digest_size=4).digest(), "big") & _HALF_MASK

    def of(self, vacancy_id: str, candidate_id: str) -> str:
        """The pseudonym of a job seeker on the cards of one vacancy."""
        key = self._vacancy_key(vacancy_id)
        number = self.number(candidate_id)
        left, right = number >> _HALF_BITS, number & _HALF_MASK
        for step in range(_ROUNDS):
            left, right = right, left ^ self._round(key, step, right)
        return _encode((left << _HALF_BITS) | right)

    def number_of(self, vacancy_id: str, pseudonym: str) -> int | None:
        """The person's number behind a pseudonym of this vacancy (None: not a pseudonym)."""
        if not PSEUDONYM_PATTERN.match(pseudonym):
            return None
        key = self._vacancy_key(vacancy_id)
        value = _decode(pseudonym)
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for step in reversed(range(_ROUNDS)):
            left, right = right ^ self._round(key, step, left), left
        return (left << _HALF_BITS) | right

    def numbers(self, candidate_ids: Iterable[str]) -> PersonNumbers:
        """The map number -> customer number over ``candidate_ids`` (a shared number is left out,
        so nobody is mistaken for another)."""
        found: dict[int, str] = {}
        shared: set[int] = set()
        for candidate_id in candidate_ids:
            number = self.number(candidate_id)
            if number in found:
                shared.add(number)
            found[number] = candidate_id
        for number in shared:
            del found[number]
        return PersonNumbers(found)

    def person(self, vacancy_id: str, pseudonym: str, numbers: PersonNumbers) -> str | None:
        """The customer number behind a pseudonym of this vacancy, or None (unknown, or shared)."""
        number = self.number_of(vacancy_id, pseudonym)
        return None if number is None else numbers.get(number)

    def table(self, vacancy_id: str, candidate_ids: Iterable[str]) -> dict[str, str]:
        """Pseudonym -> customer number for one vacancy over ``candidate_ids``; a pseudonym that two
        people share is left out, so nobody is mistaken for another."""
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
        return self.person(vacancy_id, pseudonym, self.numbers(candidate_ids))


class PersonNumbers(dict[int, str]):
    """Number -> customer number of every stored job seeker (see :meth:`Pseudonyms.numbers`)."""
