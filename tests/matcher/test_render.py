"""Texts for embedding (``matcher.records.render``): one shape for both sides, real titles and places."""

from __future__ import annotations

import pytest

from matcher.records.reference import ReferenceData
from matcher.records.render import (
    RenderConfig,
    occupation_title,
    place_name,
    render_candidate,
    render_profile,
    render_vacancy,
)
from tests.factories import make_candidate, make_vacancy

# Real ESCO skills and their German labels.
SKILL_A = ("0007bdc2-dd15-4824-b7d6-416522c46f35", "Einhaltung von Vorschriften von Eisenbahnfahrzeugen überprüfen")
SKILL_B = ("00090cc1-1f27-439e-a4e0-19a87a501bfc", "verfügbare Dienste ermitteln")


def test_occupation_titles_drop_the_level_suffix(reference: ReferenceData) -> None:
    assert reference.kldb_title("51312") == "Berufe in der Lagerwirtschaft – fachlich ausgerichtete Tätigkeiten"
    assert occupation_title("51312", reference) == "Berufe in der Lagerwirtschaft"
    assert occupation_title("51311", reference) == "Berufe in der Lagerwirtschaft"
    assert occupation_title("52122", reference) == "Berufskraftfahrer/innen (Güterverkehr/LKW)"
    assert occupation_title("99999", reference) == "99999"  # unknown code: the code itself


def test_place_names(reference: ReferenceData) -> None:
    assert place_name("07312000", reference) == "Kaiserslautern"  # ", Stadt" removed
    assert place_name("07335034", reference) == "Otterbach"
    assert place_name("07335022", reference) == "Landstuhl, Sickingenstadt"
    assert place_name("07111000", reference) == "07111000"  # outside the region: the key


def test_render_candidate_known_text(reference: ReferenceData) -> None:
    text = render_candidate(make_candidate(), reference)
    assert text == (
        "Beruf: Berufe in der Lagerwirtschaft; Berufe in der Lagerwirtschaft. "
        "Kenntnisse: s-lager, s-stapler. "
        "Niveau: Fachkraft. Vollzeit 39 Std./Woche. Ort: Kaiserslautern. Führerschein B. Staplerschein. "
        "Erfahrung im Wareneingang, sucht Vollzeit."
    )


def test_render_vacancy_known_text(reference: ReferenceData) -> None:
    text = render_vacancy(make_vacancy(), reference)
    assert text == (
        "Beruf: Berufe in der Lagerwirtschaft. Stelle: Fachlagerist (m/w/d). "
        "Kenntnisse: s-lager, s-stapler, s-sap. "
        "Niveau: Fachkraft. Vollzeit 39 Std./Woche. Ort: Kaiserslautern. Staplerschein. "
        "Wareneingang und Kommissionierung."
    )


def test_one_renderer_for_both_sides(reference: ReferenceData) -> None:
    """The same facts give the same text on both sides; the vacancy adds only its own title."""
    person = make_candidate(
        occupations=["52122"],
        skills=[SKILL_A[0], SKILL_B[0]],
        level=3,
        licences=["CE"],
        permits=["adr"],
        working_time="part_time",
        hours_per_week=20.0,
        ags="07335022",
        postcode="66849",
        profile_text="Fahrten im Nahverkehr.",
    )
    job = make_vacancy(
        kldb="52122",
        title="Berufskraftfahrer CE (m/w/d)",
        required_skills=[SKILL_A[0]],
        optional_skills=[SKILL_B[0]],
        level=3,
        required_licences=["CE"],
        required_permits=["adr"],
        working_time="part_time",
        hours_per_week=20.0,
        ags="07335022",
        postcode="66849",
        description="Fahrten im Nahverkehr.",
    )
    candidate_text = render_candidate(person, reference)
    vacancy_text = render_vacancy(job, reference)
    assert candidate_text == (
        "Beruf: Berufskraftfahrer/innen (Güterverkehr/LKW). "
        f"Kenntnisse: {SKILL_A[1]}, {SKILL_B[1]}. "
        "Niveau: Spezialist. Teilzeit 20 Std./Woche. Ort: Landstuhl, Sickingenstadt. "
        "Führerschein CE. ADR-Bescheinigung (Gefahrgut). Fahrten im Nahverkehr."
    )
    assert vacancy_text == candidate_text.replace(
        "(Güterverkehr/LKW). ", "(Güterverkehr/LKW). Stelle: Berufskraftfahrer CE (m/w/d). "
    )
    expected = render_profile(
        ["Berufskraftfahrer/innen (Güterverkehr/LKW)"],
        None,
        [SKILL_A[1], SKILL_B[1]],
        [
            "Niveau: Spezialist",
            "Teilzeit 20 Std./Woche",
            "Ort: Landstuhl, Sickingenstadt",
            "Führerschein CE",
            "ADR-Bescheinigung (Gefahrgut)",
        ],
        "Fahrten im Nahverkehr.",
    )
    assert candidate_text == expected


@pytest.mark.parametrize(
    ("working_time", "hours", "label"),
    [
        ("full_time", None, "Vollzeit."),
        ("part_time", 19.5, "Teilzeit 19.5 Std./Woche."),
        ("either", None, "Vollzeit oder Teilzeit."),
        ("either", 30.0, "Vollzeit oder Teilzeit 30 Std./Woche."),
    ],
)
def test_working_time_fact(reference: ReferenceData, working_time: str, hours: float | None, label: str) -> None:
    text = render_candidate(make_candidate(working_time=working_time, hours_per_week=hours), reference)
    assert f"Niveau: Fachkraft. {label} Ort: Kaiserslautern." in text


def test_licence_and_permit_facts(reference: ReferenceData) -> None:
    text = render_candidate(make_candidate(licences=["B", "CE"], permits=["forklift", "crane"]), reference)
    assert "Ort: Kaiserslautern. Führerschein B, CE. Staplerschein, Kranschein. Erfahrung" in text
    bare = render_vacancy(make_vacancy(required_licences=[], required_permits=[]), reference)
    assert "Ort: Kaiserslautern. Wareneingang" in bare
    assert "Führerschein" not in bare and "Staplerschein" not in bare


def test_empty_parts_are_left_out() -> None:
    assert render_profile([], None, [], [], "") == ""
    assert render_profile(["", "Beruf A"], None, [], [], "   ") == "Beruf: Beruf A."
    assert render_profile([], "Titel", ["x"], ["Ort: Y"], "Text") == "Stelle: Titel. Kenntnisse: x. Ort: Y. Text"


def test_occupations_and_skills_are_capped() -> None:
    config = RenderConfig(max_skills=2, max_occupations=2)
    text = render_profile(["O1", "O2", "O3"], None, ["s1", "s2", "s3"], [], "", config)
    assert text == "Beruf: O1; O2. Kenntnisse: s1, s2."
    defaults = render_profile([f"O{i}" for i in range(5)], None, [f"s{i}" for i in range(12)], [], "")
    assert defaults.startswith("Beruf: O0; O1; O2. Kenntnisse: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9.")


def test_free_text_is_bounded_at_a_word_boundary(reference: ReferenceData) -> None:
    long = " ".join(f"Wort{i:03d}" for i in range(200))  # 1599 characters
    text = render_profile([], None, [], [], long, RenderConfig(max_free_text_chars=50))
    assert text.endswith(" …")
    body = text[: -len(" …")]
    assert len(body) <= 50 and long.startswith(body) and body.split()[-1].startswith("Wort")
    assert len(body.split()) == 6  # "Wort000 ... Wort005" (47 characters)
    rendered = render_vacancy(make_vacancy(description=long), reference)
    free = rendered.split("Staplerschein. ", 1)[1]
    assert len(free) <= 300 + len(" …") and free.endswith(" …")
    short = render_profile([], None, [], [], "  kurzer\n\tText  ")
    assert short == "kurzer Text"  # whitespace normalised, nothing cut


def test_a_last_word_that_fits_is_kept() -> None:
    text = render_profile([], None, [], [], "aaa bbb ccc", RenderConfig(max_free_text_chars=7))
    assert text == "aaa bbb …"


def test_real_skill_labels_and_unknown_ids(reference: ReferenceData) -> None:
    text = render_vacancy(make_vacancy(required_skills=[SKILL_A[0]], optional_skills=["s-unbekannt"]), reference)
    assert f"Kenntnisse: {SKILL_A[1]}, s-unbekannt." in text
