"""Plausibility of recorded outcomes: one rule for the API and the web app.

Outcomes are training labels, so an implausible entry (a hire dated 2030, a rejection dated before
an earlier recorded hire) is refused with a German message instead of being stored. The rules:

===============================  =============================================================
Entry                            Refused when
===============================  =============================================================
any date                         after today (today is allowed), before the vacancy was posted,
                                 or before 01.01.2000
any outcome                      dated before a *later* stage of the same person and vacancy
                                 (e.g. "beworben" dated after a recorded "Vorstellungsgespräch")
"eingestellt", "abgelehnt …"     another, different final result of the same pair is recorded
(final results)                  (a hire and a rejection contradict each other, whatever dates)
anything after a final result    dated after it (nothing follows "eingestellt" or "abgelehnt")
===============================  =============================================================

Stages: vorgeschlagen (0) < beworben (1) < Vorstellungsgespräch (2) < final result (3). Entries of
the same day may come in any order. An entry's date is its outcome date, else its proposal date.
Re-sending a stored entry with the same id replaces it and is checked without its old version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from matcher.errors import MatcherError
from matcher.records.models import Outcome, Proposal, Vacancy

EARLIEST = date(2000, 1, 1)
FINAL = frozenset({Outcome.HIRED, Outcome.REJECTED_BY_EMPLOYER, Outcome.DECLINED_BY_CANDIDATE})
STAGE: dict[Outcome, int] = {
    Outcome.NO_REACTION: 0,
    Outcome.APPLIED: 1,
    Outcome.INTERVIEW: 2,
    **dict.fromkeys(FINAL, 3),
}
OUTCOME_DE: dict[Outcome, str] = {
    Outcome.NO_REACTION: "vorgeschlagen",
    Outcome.APPLIED: "beworben",
    Outcome.INTERVIEW: "Vorstellungsgespräch",
    Outcome.HIRED: "eingestellt",
    Outcome.REJECTED_BY_EMPLOYER: "abgelehnt vom Arbeitgeber",
    Outcome.DECLINED_BY_CANDIDATE: "abgelehnt von der Person",
}


class ImplausibleOutcomeError(MatcherError):
    """An outcome entry that cannot be right: a German message for the field it concerns.

    ``conflict`` is True when the entry contradicts what is stored (the API answers 409), False
    when the entry alone is wrong (a date in the future: 422).
    """

    def __init__(self, field: str, message: str, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.conflict = conflict


def _de(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def when(p: Proposal) -> date:
    """The date an entry stands for: its outcome date, else its proposal date."""
    return p.outcome_at or p.proposed_at


def check_dates(entry: Proposal, vacancy: Vacancy, today: date) -> None:
    """No date after today, before the vacancy's posting or before 2000.

    Raises:
        ImplausibleOutcomeError: naming the field (``proposed_at`` or ``outcome_at``).
    """
    for field, day in (("proposed_at", entry.proposed_at), ("outcome_at", entry.outcome_at)):
        if day is None:
            continue
        if day > today:
            raise ImplausibleOutcomeError(field, f"Das Datum {_de(day)} liegt in der Zukunft (heute: {_de(today)}).")
        if day < EARLIEST:
            raise ImplausibleOutcomeError(field, f"Das Datum {_de(day)} liegt vor dem {_de(EARLIEST)}.")
        if day < vacancy.posted_at:
            raise ImplausibleOutcomeError(
                field, f"Das Datum {_de(day)} liegt vor der Ausschreibung der Stelle am {_de(vacancy.posted_at)}."
            )


def check_order(entry: Proposal, stored: Iterable[Proposal]) -> None:
    """The entry against the pair's stored entries (see the module's rule table).

    Raises:
        ImplausibleOutcomeError: with ``conflict=True``, naming the stored entry it contradicts.
    """
    field = "outcome_at" if entry.outcome_at else "proposed_at"
    day, stage = when(entry), STAGE[entry.outcome]
    others = [other for other in stored if other.id != entry.id]
    # final results first: "eingestellt" against a recorded "abgelehnt" is the contradiction to name
    for other in sorted(others, key=lambda o: o.outcome not in FINAL):
        seen = f"„{OUTCOME_DE[other.outcome]}“ am {_de(when(other))}"
        if entry.outcome in FINAL and other.outcome in FINAL and other.outcome is not entry.outcome:
            raise ImplausibleOutcomeError(
                "outcome", f"Widerspruch: Für diese Stelle ist bereits {seen} erfasst.", conflict=True
            )
        if other.outcome in FINAL and day > when(other) and entry.outcome is not other.outcome:
            raise ImplausibleOutcomeError(
                field, f"Widerspruch: Nach {seen} kann kein weiterer Stand folgen.", conflict=True
            )
        if day < when(other) and stage > STAGE[other.outcome]:
            raise ImplausibleOutcomeError(
                field, f"Widerspruch: Dieser Stand liegt vor {seen}, ist aber weiter fortgeschritten.", conflict=True
            )


def check_outcome(entry: Proposal, vacancy: Vacancy, stored: Iterable[Proposal], today: date) -> None:
    """The dates, then the order against the pair's stored entries (the API's and the web's check).

    Raises:
        ImplausibleOutcomeError: the first rule the entry breaks.
    """
    check_dates(entry, vacancy, today)
    check_order(entry, stored)
