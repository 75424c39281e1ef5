"""Per-vacancy pseudonyms: stable per vacancy, different across vacancies, only mapped back with the key."""

from __future__ import annotations

import pytest

from matcher.services.pseudonyms import PSEUDONYM_PATTERN, Pseudonyms

IDS = [f"LK-{i:06d}" for i in range(2000)]


def test_stable_per_vacancy_and_different_elsewhere() -> None:
    names = Pseudonyms(b"a" * 32)
    assert names.of("V1", "LK-000001") == names.of("V1", "LK-000001")
    assert names.of("V1", "LK-000001") != names.of("V2", "LK-000001")
    assert names.of("V1", "LK-000001") != Pseudonyms(b"b" * 32).of("V1", "LK-000001")  # the key matters
    assert PSEUDONYM_PATTERN.match(names.of("V1", "LK-000001"))
    assert "000001" not in names.of("V1", "LK-000001")
    one = {names.of("V1", c) for c in IDS}
    assert len(one) == len(IDS)  # no collisions in a region-sized list


def test_resolve_maps_back_on_the_same_vacancy_only() -> None:
    names = Pseudonyms(b"a" * 32)
    masked = names.of("V1", "LK-000042")
    assert names.resolve("V1", masked, IDS) == "LK-000042"
    assert names.resolve("V2", masked, IDS) is None
    assert names.resolve("V1", "LK-000042", IDS) is None  # a customer number is no pseudonym
    assert names.resolve("V1", "P-" + "A" * 10, IDS) is None


def test_a_shared_pseudonym_names_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    names = Pseudonyms(b"a" * 32)
    monkeypatch.setattr(names, "of", lambda vacancy, candidate: "P-AAAAAAAAAA")
    assert names.table("V1", ["x", "y"]) == {}


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        Pseudonyms(b"short")
