"""The occupation suggester: clear titles map to their KldB codes, gendered forms to the same code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from matcher.occupations import ESCO_OCCUPATION_URI, OccupationSuggester, normalise_title
from matcher.reference import ReferenceData

if TYPE_CHECKING:
    from matcher.encoder import Encoder

# Clear titles and the code the BA's list gives them.
KNOWN = {
    "Bäcker": "29222",
    "Staplerfahrer Nachtschicht": "52531",
    "Softwareentwickler": "43414",
    "Altenpfleger": "82102",
    "Friseurin": "82312",
    "Berufskraftfahrer": "52122",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Verkäufer/in (m/w/d)", "Verkäufer"),
        ("Verkäuferin", "Verkäufer"),
        ("VerkäuferIn Vollzeit", "Verkäufer"),
        ("Verkäufer/Verkäuferin", "Verkäufer"),
        ("Lehrer*in", "Lehrer"),
        ("Informatiker:innen", "Informatiker"),
        ("Kauffrau im Einzelhandel", "Kaufmann im Einzelhandel"),
        ("Kaufmann/-frau - Büromanagement", "Kaufmann - Büromanagement"),
        ("Bäckergehilfe/-gehilfin", "Bäckergehilfe"),
        ("Ärztin", "Arzt"),
        ("Biologin", "Biologe"),
        ("Mechaniker/in (allgemeine Mechanik)", "Mechaniker (allgemeine Mechanik)"),
        ("Termin", "Termin"),
    ],
)
def test_normalise_title_drops_gender_forms_and_notes(text: str, expected: str) -> None:
    assert normalise_title(text) == expected


@pytest.fixture(scope="module")
def suggester(reference: ReferenceData, default_encoder: Encoder) -> OccupationSuggester:
    built = OccupationSuggester(reference, default_encoder)
    built.warm_up()
    return built


@pytest.mark.slow
@pytest.mark.parametrize(("text", "code"), KNOWN.items())
def test_known_titles_map_to_their_codes(suggester: OccupationSuggester, text: str, code: str) -> None:
    codes = [s.kldb for s in suggester.suggest(text, 5)]
    assert code in codes[:3], codes


@pytest.mark.slow
@pytest.mark.parametrize(
    "forms", [("Bäcker", "Bäckerin", "Bäcker/in (m/w/d)"), ("Verkäufer", "Verkäuferin", "Verkäufer (m/w/d)")]
)
def test_gendered_forms_give_the_same_code(suggester: OccupationSuggester, forms: tuple[str, ...]) -> None:
    firsts = {suggester.suggest(form, 1)[0].kldb for form in forms}
    assert len(firsts) == 1


@pytest.mark.slow
def test_suggestions_are_ranked_and_carry_esco(suggester: OccupationSuggester, reference: ReferenceData) -> None:
    items = suggester.suggest("Bäckerin", 5)
    assert len(items) == 5 and len({i.kldb for i in items}) == 5
    assert [i.score for i in items] == sorted((i.score for i in items), reverse=True)
    assert all(0.0 <= i.score <= 1.0 for i in items)
    first = items[0]
    assert first.title_de == reference.kldb_title(first.kldb)
    assert first.esco_uri is not None and first.esco_uri.startswith(ESCO_OCCUPATION_URI)
    assert first.esco_title_de is not None and "Bäcker" in first.esco_title_de
