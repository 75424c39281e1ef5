"""k-anonymity of the employer service's cards (issue 24): the exact card fields were unique for
99.3 % of job seekers, so a card recognised on one vacancy was recognised on the next. Now every
card field is coarse (:mod:`matcher.records.cards`), and at least 95 % of the default world's job
seekers share their card with at least 4 others."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.security import Role
from matcher.records.cards import K_TARGET, coarse_card, k_anonymity
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from tests.api.conftest import Ids, World
from training.bench.kanonymity import measure

DEFAULT_CANDIDATES, DEFAULT_VACANCIES, DEFAULT_SEED = 12_000, 3_000, 42  # `matcher demo`'s world


@pytest.mark.slow
def test_default_world_cards_are_5_anonymous_for_95_percent(tmp_path: Path) -> None:
    from data.generate import WorldConfig, generate_world
    from data.ingest import ingest_folder

    config = WorldConfig(candidates=DEFAULT_CANDIDATES, vacancies=DEFAULT_VACANCIES, seed=DEFAULT_SEED)
    generate_world(tmp_path / "world", config)
    store = Store(f"sqlite:///{tmp_path / 'matcher.db'}")
    ingest_folder(tmp_path / "world", store, ReferenceData(), tmp_path / "rejects", progress=False)
    people = store.candidates()
    store.close()
    figures = measure(people, ReferenceData(), config.reference_date, K_TARGET)
    print(f"\nk-anonymity over {len(people)} job seekers: {figures}")
    assert len(people) >= 11_900
    assert figures["exact_unique"] > 0.9  # the hole, as found
    assert figures["coarse_k5"] >= 0.95, figures


def test_card_endpoint_and_shortlist_facts_show_the_same_coarse_card(
    client: TestClient, api_world: World, ids: Ids
) -> None:
    """The card endpoint, the shortlist's facts and k's measure show one card; nothing finer."""
    employer = api_world.auth(Role.EMPLOYER_SERVICE)
    shortlist = client.post(f"/v1/vacancies/{ids.vacancy}/candidates", json={"k": 10}, headers=employer).json()
    store = Store(api_world.settings.store_url)
    people = {c.id: c for c in store.candidates()}
    store.close()
    unmasked = {api_world.pseudonym(ids.vacancy, cid): person for cid, person in people.items()}
    reference = ReferenceData()
    for item in shortlist["items"]:
        person = unmasked[item["id"]]
        card = client.get(f"/v1/vacancies/{ids.vacancy}/candidates/{item['id']}", headers=employer).json()
        expected = coarse_card(person, reference, date.today())
        assert {k: v for k, v in card.items() if k != "id"} == expected
        facts = item["facts"]
        assert {k: facts[k] for k in expected} == expected
        shown = {k: v for k, v in facts.items() if v is not None and k not in expected}
        assert set(shown) <= {"has_car", "distance_band", "commute_band"}, shown
        assert item["details"]["effects"] == {}
        assert item["details"]["working_time"]["candidate_hours"] is None


def test_k_anonymity_measure() -> None:
    assert k_anonymity([("a",)] * 5 + [("b",)] * 4) == (5 / 9, 4)
    assert k_anonymity([]) == (1.0, 0)
