"""The title cues: a job title's requirement level and kind (KldB digits 5 and 4) from its words."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.records.reference import ReferenceData
from matcher.services.occupations import normalise_title
from matcher.services.title_cues import KINDS, LEVELS, TitleCues, fit_title_cues, kind_of, level_of


@pytest.fixture(scope="module")
def cues(reference: ReferenceData) -> TitleCues:
    titles = reference.job_titles[reference.job_titles["kldb"].isin(reference.kldb5_codes)]
    sample = titles.sample(4000, random_state=0)  # enough for the cues; seconds, not a minute
    return fit_title_cues(list(sample["title"].map(normalise_title)), list(sample["kldb"]))


def _best(cues: TitleCues, title: str) -> tuple[str, str]:
    levels, kinds, _ = cues.log_probabilities(normalise_title(title))
    return LEVELS[int(np.argmax(levels))], KINDS[int(np.argmax(kinds))]


def test_codes_give_their_level_and_kind() -> None:
    assert (level_of("51311"), kind_of("51311")) == (0, 3)  # Helfer, a specialisation
    assert (level_of("41393"), kind_of("41393")) == (2, 2)  # Aufsicht
    assert (level_of("71304"), kind_of("71304")) == (3, 0)  # ohne Spezialisierung


@pytest.mark.parametrize(
    ("title", "level"),
    [("Lagerhelfer/in", "1"), ("Dipl.-Ingenieur/in (Uni) - Maschinenbau", "4"), ("Techniker/in - Elektrotechnik", "3")],
)
def test_the_level_comes_from_words_any_occupation_uses(cues: TitleCues, title: str, level: str) -> None:
    assert _best(cues, title)[0] == level


def test_a_master_or_head_is_a_supervisor_or_manager(cues: TitleCues) -> None:
    assert _best(cues, "Küchenmeister/in")[1] == "9"
    assert _best(cues, "Abteilungsleiter/in - Verkauf")[1] == "9"


def test_probabilities_are_normalised_and_a_foreign_script_is_unknown(cues: TitleCues) -> None:
    levels, kinds, known = cues.log_probabilities("Fachkraft für Lagerlogistik")
    assert np.exp(levels).sum() == pytest.approx(1.0) and np.exp(kinds).sum() == pytest.approx(1.0)
    assert known > 0.9
    assert cues.log_probabilities("заварчик")[2] == 0.0  # Bulgarian: no n-gram the models know
    assert cues.log_probabilities("")[2] == 0.0
