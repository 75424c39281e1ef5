"""Who reads a shortlist: a value built once from the signed-in person, taken by the engine.

Two audiences. **Exact**: roles that may read the full candidate record (which holds the postcode
anyway: caseworker, admin) get exact distances and commute times. **Card**: the employer service
reads the coarse candidate card under a pseudonym per vacancy; its distances are measured from the
municipality the card names and shown in bands (see :mod:`api.views`), so that no number of answers
tells more than the card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Pseudonyms = Callable[[str, str], str]
"""(vacancy id, customer number) -> the person's pseudonym on that vacancy's cards."""


def _no_pseudonyms(vacancy_id: str, candidate_id: str) -> str:
    return candidate_id


@dataclass(frozen=True)
class Audience:
    """Exact figures (:meth:`exact`), or the employer service's cards (:meth:`card`)."""

    kind: Literal["exact", "card"]
    pseudonyms: Pseudonyms = _no_pseudonyms

    @classmethod
    def exact(cls) -> Audience:
        """Exact distances, commute times and reasons, and customer numbers."""
        return cls("exact")

    @classmethod
    def card(cls, pseudonyms: Pseudonyms) -> Audience:
        """Bands from the card's municipality, coarse reasons, and people named by ``pseudonyms``."""
        return cls("card", pseudonyms)

    @property
    def is_exact(self) -> bool:
        return self.kind == "exact"

    @property
    def coarse_places(self) -> bool:
        """Whether the filters measure from the job seeker's municipality, not the postcode."""
        return self.kind == "card"


EXACT = Audience.exact()
