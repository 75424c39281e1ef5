"""k-anonymity of the employer service's cards over a home's whole caseload.

Run: ``MATCHER_HOME=var .venv/bin/python -m training.bench.kanonymity [--as-of 2026-12-07] [--k 5]``
(``var`` filled by ``matcher demo``: the default world's 12,000 job seekers).

Prints, for the exact card fields the cards showed before issue 24 (occupation, municipality,
experience, available from, German level, licences, car, hours) and for the coarse card that
:func:`api.cards.coarse_card` shows now: the share of job seekers whose card is unique, and the
share whose card at least ``k - 1`` others share.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import date
from typing import Any

from matcher.records.cards import card_key, k_anonymity
from matcher.records.models import Candidate
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.settings import Settings


def exact_key(c: Candidate) -> tuple[Any, ...]:
    """The card fields as shown before (the attack of issue 24)."""
    return (
        c.main_occupation,
        c.ags,
        c.experience_years,
        c.available_from,
        c.german_level,
        tuple(c.licences),
        c.has_car,
        c.hours_per_week,
    )


def measure(people: list[Candidate], reference: ReferenceData, as_of: date, k: int) -> dict[str, float]:
    """Unique and k-anonymous shares of the exact and the coarse cards."""
    exact = [exact_key(c) for c in people]
    coarse = [card_key(c, reference, as_of) for c in people]
    out: dict[str, float] = {"people": float(len(people))}
    for name, keys in (("exact", exact), ("coarse", coarse)):
        sizes = Counter(keys)
        out[f"{name}_unique"] = sum(1 for key in keys if sizes[key] == 1) / len(keys)
        out[f"{name}_k{k}"] = k_anonymity(keys, k)[0]
        out[f"{name}_cards"] = float(len(sizes))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    store = Store(Settings().store_url)
    try:
        people = store.candidates()
    finally:
        store.close()
    figures = measure(people, ReferenceData(), args.as_of, args.k)
    for name, value in figures.items():
        print(f"{name:14s} {value:.4f}" if value <= 1 else f"{name:14s} {value:.0f}")


if __name__ == "__main__":
    main()
