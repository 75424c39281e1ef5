"""The feature families of :mod:`matcher.ranking.features` and :mod:`matcher.ranking.explain` name the same columns."""

from datetime import date

import numpy as np

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.explain import FAMILIES
from matcher.ranking.features import FAMILY_COLUMNS, FEATURE_NAMES
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy


def test_every_feature_belongs_to_exactly_one_family() -> None:
    names = [name for family in FAMILIES.values() for name in family]
    assert sorted(names) == sorted(FEATURE_NAMES)


def test_one_column_function_per_family() -> None:
    # "similarity" is computed upstream (retrieval) and passed to pair_features as is.
    assert set(FAMILY_COLUMNS) == set(FAMILIES) - {"similarity"}


def test_each_column_function_returns_its_family(reference: ReferenceData) -> None:
    gazetteer = Gazetteer(reference)
    cands = CandidateTable.build([make_candidate()], gazetteer)
    vacs = VacancyTable.build([make_vacancy(), make_vacancy()], gazetteer)
    ci, vi = np.zeros(2, dtype=np.int64), np.arange(2, dtype=np.int64)
    for family, columns_of in FAMILY_COLUMNS.items():
        columns = columns_of(cands, ci, vacs, vi, date(2026, 11, 25))
        assert tuple(columns) == FAMILIES[family]
        assert all(np.shape(column) == (2,) for column in columns.values())
