"""Planning aggregates on hand-made tables whose counts are known by construction."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from matcher.services.measures import Measure, MeasureCatalogue
from matcher.services.planning import (
    fairness_table,
    measure_type_impact,
    profile_strata,
    protected_groups,
    shortages,
    suggestions,
)
from tests.factories import make_candidate, make_vacancy

TODAY = date(2026, 11, 20)
MIESAU = {"ags": "07335003", "postcode": "66892"}


@pytest.fixture(scope="module")
def gazetteer(reference: ReferenceData) -> Gazetteer:
    return Gazetteer(reference)


@pytest.fixture(scope="module")
def tables(gazetteer: Gazetteer) -> tuple[CandidateTable, VacancyTable]:
    people = [
        make_candidate(id="C-hat", max_commute_minutes=30),  # holds forklift, in reach
        make_candidate(id="C-fern", max_commute_minutes=20, **MIESAU),  # holds it, out of reach
        make_candidate(id="C-ohne", permits=[], max_commute_minutes=30),  # lacks it, in reach
        make_candidate(id="C-ohne-2", permits=[], max_commute_minutes=30),
    ]
    jobs = [make_vacancy(id=f"V-{i}") for i in range(6)] + [make_vacancy(id="V-frei", required_permits=[])]
    return CandidateTable.build(people, gazetteer), VacancyTable.build(jobs, gazetteer)


def test_shortage_counts_demand_and_supply_in_reach(
    tables: tuple[CandidateTable, VacancyTable], reference: ReferenceData, gazetteer: Gazetteer
) -> None:
    people, jobs = tables
    table = shortages(people, jobs, reference, gazetteer, TODAY, min_skill_demand=1).set_index(["dimension", "code"])
    forklift = table.loc[("permit", "forklift")]
    assert (forklift["demand"], forklift["supply"], forklift["ratio"]) == (6, 1, round(1 / 6, 3))
    group = table.loc[("occupation_group", "513")]
    assert (group["demand"], group["supply"]) == (7, 3)  # everybody but the one out of reach
    assert ("licence", "CE") not in table.index  # nobody asks for it


def test_measure_type_impact_and_fairness(tables: tuple[CandidateTable, VacancyTable], gazetteer: Gazetteer) -> None:
    people, jobs = tables
    course = Measure(
        id="M-1",
        type="staplerschein",
        title="Staplerschein",
        provider_id="T",
        provider_name="Träger",
        ags="07312000",
        postcode="67657",
        starts=[TODAY + timedelta(days=20)],  # after the people are available (1 December)
        duration_weeks=1,
        permits=["forklift"],
    )
    catalogue = MeasureCatalogue.build([course], gazetteer)
    found = suggestions(people, jobs, catalogue, gazetteer, TODAY)
    impact = measure_type_impact(found, len(jobs), at_least_people=5, at_least_candidates=2).set_index("type")
    assert impact.loc["staplerschein", "people_gaining_5+"] == 2  # the two without the permit, 6 each
    assert impact.loc["staplerschein", "vacancies_gaining_2+"] == 6
    assert impact.loc["fbw", "people_gaining_any"] == 0
    protected = pd.DataFrame(
        {
            "candidate_id": ["C-hat", "C-fern", "C-ohne", "C-ohne-2"],
            "gender": ["f", "m", "f", "m"],
            "birth_year": [1990, 1970, 1990, 1970],
            "citizenship_group": ["german"] * 4,
            "severe_disability": [False] * 4,
        }
    )
    table = fairness_table(found, protected_groups(protected, TODAY), profile_strata(people))
    gender = table[table["attribute"] == "gender"].set_index("group")
    assert gender.loc["f", "people"] == gender.loc["m", "people"] == 2
    assert gender.loc["f", "shown_staplerschein"] == 0.5 and gender.loc["m", "shown_staplerschein"] == 0.5
    assert set(table["attribute"]) == {"gender", "age", "citizenship", "severe_disability"}
