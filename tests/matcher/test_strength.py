"""Match strength in words (``matcher.ranking.strength``): absolute thresholds, the percentage, and the cap
for another occupational field or none of the required skills."""

from __future__ import annotations

import pytest

from matcher.ranking.strength import GOOD_FROM, MEDIUM_FROM, pair_strength, percent_de, shared_digits, strength
from tests.factories import make_candidate, make_vacancy


@pytest.mark.parametrize(
    ("probability", "key", "label"),
    [
        (0.31, "gut", "gute Aussicht"),
        (GOOD_FROM, "gut", "gute Aussicht"),
        (0.199, "mittel", "mittlere Aussicht"),
        (MEDIUM_FROM, "mittel", "mittlere Aussicht"),
        (0.0999, "gering", "geringe Aussicht"),
        (0.0, "gering", "geringe Aussicht"),
    ],
)
def test_words_follow_absolute_thresholds(probability: float, key: str, label: str) -> None:
    found = strength(probability, occupation_depth=5, required_skills=2, matched_skills=2)
    assert (found.key, found.label, found.capped) == (key, label, False)


def test_the_same_probability_gets_the_same_words_on_any_list() -> None:
    """Not relative to the list: a list of weak items has no "gute Aussicht" at its top."""
    weak = [strength(p, 5, 1, 1) for p in (0.05, 0.06, 0.07)]
    assert {s.key for s in weak} == {"gering"}


def test_percent_in_words() -> None:
    assert percent_de(0.116) == "etwa 12 %"
    assert percent_de(0.004) == "unter 1 %"
    assert strength(0.3076, 5).percent == "etwa 31 %"


def test_another_field_or_no_required_skill_never_gets_the_top_word() -> None:
    other = strength(0.9, occupation_depth=2, required_skills=3, matched_skills=3)
    assert (other.key, other.capped, other.cap_reason) == ("mittel", True, "anderes Berufsfeld")
    unskilled = strength(0.9, occupation_depth=5, required_skills=3, matched_skills=0)
    assert (unskilled.key, unskilled.capped, unskilled.cap_reason) == (
        "mittel",
        True,
        "keine der geforderten Kenntnisse",
    )
    related = strength(0.9, occupation_depth=3, required_skills=3, matched_skills=1)
    assert (related.key, related.capped) == ("gut", False)
    # nothing required: nothing is missing, no cap for skills
    assert strength(0.9, occupation_depth=5, required_skills=0, matched_skills=0).key == "gut"
    # a cap only lowers the top word: a weak pair in another field stays weak
    assert strength(0.05, occupation_depth=0, required_skills=3, matched_skills=0).key == "gering"


def test_without_calibration_no_words_of_chance() -> None:
    found = strength(None, 5, 1, 1)
    assert (found.key, found.label, found.percent) == ("keine", "ohne Einschätzung", None)


def test_shared_digits_as_the_feature_counts_them() -> None:
    assert shared_digits("51312", "51312") == 5
    assert shared_digits("51312", "51311") == 4
    assert shared_digits("51312", "51402") == 2
    assert shared_digits("51312", "62102") == 0


def test_pair_strength_caps_from_the_records() -> None:
    person = make_candidate(occupations=["51312"], skills=["s-lager"])
    same = make_vacancy(kldb="51312", required_skills=["s-lager", "s-sap"])
    other = make_vacancy(kldb="62102", required_skills=["s-lager"])
    alt = make_candidate(occupations=["51312", "62102"], skills=["s-lager"])
    assert pair_strength(0.5, person, same).key == "gut"
    assert pair_strength(0.5, person, other).capped
    assert pair_strength(0.5, alt, other).key == "gut"  # an alternative occupation of the same field counts
    assert pair_strength(0.5, person, make_vacancy(kldb="51312", required_skills=["s-sap"])).capped
