"""Benchmark of a pseudonym lookup (card -> customer number), as the employer service triggers it.

Run: ``.venv/bin/python -m training.bench.pseudonyms [--people 15000] [--lookups 2000]``.

``recompute`` is the old lookup: the pseudonym of every stored id on the vacancy, then a dict
lookup (:meth:`matcher.services.pseudonyms.Pseudonyms.table`). ``decipher`` is the current one
(:meth:`api.service.Service.unmask`): the store's ``max(seq)`` on a SQLite store (to know the map
of numbers is current), then four hashes and a lookup in the map (:meth:`Pseudonyms.person`);
``cipher`` is the same without the store query.
Half the lookups name real cards, half are random pseudonyms (what an attacker sends). Prints the
median, p99 and maximum in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from matcher.records.store import Store
from matcher.services.keyfile import new_key
from matcher.services.pseudonyms import _ALPHABET, PREFIX, Pseudonyms


def _timed(lookups: list[tuple[str, str]], lookup: Callable[[str, str], object]) -> list[float]:
    times = []
    for vacancy, pseudonym in lookups:
        started = time.perf_counter()
        lookup(vacancy, pseudonym)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median = statistics.median(times)
    print(f"{name:10s} n={len(times):5d} p50 {median:8.3f} ms  p99 {p99:8.3f} ms  max {ordered[-1]:8.3f} ms")


def run(people: int, lookups: int, seed: int = 1) -> None:
    """Time both lookups over the same requests and print a line each."""
    rng = random.Random(seed)
    names = Pseudonyms(new_key())
    ids = [f"S-{i:07d}" for i in range(people)]
    vacancies = [f"AGS-2026-{i:06d}" for i in range(200)]
    wanted: list[tuple[str, str]] = []
    for n in range(lookups):
        vacancy = rng.choice(vacancies)
        if n % 2:
            wanted.append((vacancy, names.of(vacancy, rng.choice(ids))))
        else:
            wanted.append((vacancy, PREFIX + "".join(rng.choice(_ALPHABET) for _ in range(10))))
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'matcher.db'}")
        numbers = names.numbers(ids)
        started = time.perf_counter()
        names.numbers(ids)
        built = (time.perf_counter() - started) * 1000
        print(f"map of numbers for {people} people: {built:.1f} ms (once per store change)")

        def decipher(vacancy: str, pseudonym: str) -> object:
            store.last_change()
            return names.person(vacancy, pseudonym, numbers)

        _report("decipher", _timed(wanted, decipher))
        _report("cipher", _timed(wanted, lambda v, p: names.person(v, p, numbers)))
        _report("recompute", _timed(wanted[: max(20, lookups // 50)], lambda v, p: names.table(v, ids).get(p)))
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=15_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    run(args.people, args.lookups)


if __name__ == "__main__":
    main()
