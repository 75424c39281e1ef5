"""The ad-hoc profile form: fields, choices, and parsing into the API's :class:`AdHocProfile`.

One pass over the whole form (GOV.UK pattern): every field is checked at once and every error is
shown, beside its field and in the error summary at the top. The bounds are the schema's own
(:func:`api.web.forms.model_bounds`), and the schema validates the result, so the form and the API
never disagree. Selects whose default would silently become profile data (level, school,
vocational training, working time, German) start at "bitte wählen" and must be chosen. Numbers
take decimal commas. The postcode alone is enough where it names one municipality. Skills are
typed as ESCO labels or synonyms (one per line or separated by ";"), found by
:func:`matcher.records.text.fold`; an unknown one is an error naming it, with suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from api.schemas import AdHocProfile
from api.service import Service
from api.validation import use_reference
from api.web.forms import (
    GERMAN_LEVELS,
    GERMAN_LEVELS_DE,
    SCHOOL_DE,
    VOCATIONAL_DE,
    WORKING_TIME_DE,
    Parsed,
    choice,
    day,
    model_bounds,
    number,
    schema_errors,
)
from matcher.records.models import LEVEL_LABELS_DE, LICENCES, PERMITS, CandidateProfile
from matcher.records.text import fold

PROFILE_FIELDS = (
    "occupation",
    "more_occupations",
    "level",
    "postcode",
    "ags",
    "max_commute_minutes",
    "skills",
    "german_level",
    "working_time",
    "hours_per_week",
    "available_from",
    "experience_years",
    "school",
    "vocational",
    "licences",
    "permits",
    "has_car",
    "shifts",
    "weekends",
    "profile_text",
    "occupation_q",
)
TEXT_MAX = 4000  # CandidateProfile.profile_text max_length (checked in the tests)
SKILLS_SHOWN = 5

# The field of the form that a schema error's location names.
_FIELD_OF = {"occupations": "occupation", "ags": "ags", "postcode": "postcode"}
_MESSAGES = {
    "occupation": "Zielberuf: bitte eine KldB-Kennziffer mit 5 Ziffern eingeben, z. B. 52122.",
    "ags": "Wohnort: bitte eine Gemeinde aus der Liste wählen.",
    "postcode": "Postleitzahl: bitte eine Postleitzahl des gewählten Wohnorts eingeben.",
    "level": "Anforderungsniveau: bitte einen Eintrag auswählen.",
    "licences": "Führerscheine: unbekannte Klasse.",
    "permits": "Scheine und Bescheinigungen: unbekannter Eintrag.",
    "profile_text": f"Kurzbeschreibung: höchstens {TEXT_MAX:,} Zeichen.".replace(",", "."),
}
# The fields' names in a schema error's message (api.web.forms.SCHEMA_MESSAGES_DE).
_LABELS = {
    "occupation": "Zielberuf",
    "more_occupations": "Weitere Berufe",
    "max_commute_minutes": "Zumutbare Fahrzeit (Minuten)",
    "skills": "Fähigkeiten",
    "german_level": "Deutschkenntnisse",
    "working_time": "Arbeitszeit",
    "hours_per_week": "Stunden pro Woche",
    "available_from": "Verfügbar ab",
    "experience_years": "Berufserfahrung (Jahre)",
    "school": "Schulabschluss",
    "vocational": "Berufsabschluss",
}


def profile_choices(service: Service) -> dict[str, Any]:
    """The lists the form offers."""
    return {
        "places": sorted(service.reference.municipality_names.items(), key=lambda p: p[1]),
        "levels": LEVEL_LABELS_DE,
        "german_levels": GERMAN_LEVELS,
        "german_level_options": GERMAN_LEVELS_DE,
        "licence_choices": list(LICENCES),
        "permit_choices": dict(PERMITS),
        "working_times": WORKING_TIME_DE,
        "schools": SCHOOL_DE,
        "vocationals": VOCATIONAL_DE,
        "text_max": TEXT_MAX,
    }


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def split_skills(text: str) -> list[str]:
    """The labels typed: one per line or separated by ";" (empty parts dropped)."""
    return [part.strip() for part in text.replace(";", "\n").splitlines() if part.strip()]


def skill_ids(text: str, service: Service) -> tuple[list[str], list[str]]:
    """ESCO skill ids for the labels typed (labels or synonyms, folded: case, NFC, ae/oe/ue/ss),
    and the labels that are not known."""
    by_label = service.reference.skill_ids_by_label
    ids: list[str] = []
    unknown: list[str] = []
    for label in split_skills(text):
        skill = by_label.get(fold(label)) or (label if label in service.reference.skill_labels else None)
        (ids if skill else unknown).append(skill or label)
    return list(dict.fromkeys(ids)), unknown


def unknown_skills_message(unknown: list[str], service: Service, label: str = "Fähigkeiten") -> str:
    """The error for skills not found: each named, with the closest labels as suggestions."""
    parts = []
    for typed in unknown[:SKILLS_SHOWN]:
        near = [name for _, name in service.reference.skill_suggestions(typed, 3)]
        parts.append(f"„{typed}“" + (f" (meinten Sie: {', '.join(near)}?)" if near else ""))
    more = " …" if len(unknown) > SKILLS_SHOWN else ""
    return f"{label}: nicht im ESCO-Verzeichnis gefunden: {'; '.join(parts)}{more}."


def parse_profile(form: Mapping[str, list[str]], service: Service) -> tuple[Parsed, AdHocProfile | None]:
    """The profile of the form, or None with all the errors beside the fields (one pass)."""
    parsed = Parsed()
    flat = {name: _first(form, name) for name in PROFILE_FIELDS}
    parsed.typed.update(flat)
    parsed.typed["licences"] = list(form.get("licences", []))
    parsed.typed["permits"] = list(form.get("permits", []))
    for flag in ("has_car", "shifts", "weekends"):
        parsed.typed[flag] = flat[flag] == "on"
    _check_fields(parsed, flat, service)
    if not parsed.errors:
        use_reference(service.reference)
        profile = _validated(parsed, _profile_data(parsed, flat, service))
    else:
        profile = None
    parsed.errors = {name: parsed.errors[name] for name in PROFILE_FIELDS if name in parsed.errors}
    return parsed, profile


def _check_fields(parsed: Parsed, flat: dict[str, str], service: Service) -> None:
    """Every field's own check at once; all errors land in ``parsed.errors``."""
    _occupations(parsed, flat, service)
    choice(parsed, flat, "level", [str(k) for k in LEVEL_LABELS_DE], "Anforderungsniveau")
    _place(parsed, flat, service)
    bounds = {
        n: model_bounds(CandidateProfile, n) for n in ("max_commute_minutes", "hours_per_week", "experience_years")
    }
    number(
        parsed, flat, "max_commute_minutes", bounds["max_commute_minutes"], "Zumutbare Fahrzeit (Minuten)", whole=True
    )
    number(parsed, flat, "hours_per_week", bounds["hours_per_week"], "Stunden pro Woche")
    number(parsed, flat, "experience_years", bounds["experience_years"], "Berufserfahrung (Jahre)")
    day(parsed, flat, "available_from", "Verfügbar ab")
    choice(parsed, flat, "german_level", GERMAN_LEVELS, "Deutschkenntnisse")
    choice(parsed, flat, "working_time", list(WORKING_TIME_DE), "Arbeitszeit")
    choice(parsed, flat, "school", list(SCHOOL_DE), "Schulabschluss")
    choice(parsed, flat, "vocational", list(VOCATIONAL_DE), "Berufsabschluss")
    skills, unknown = skill_ids(flat["skills"], service)
    parsed.clean["skills"] = skills
    if unknown:
        parsed.errors["skills"] = unknown_skills_message(unknown, service)
    if len(flat["profile_text"]) > TEXT_MAX:
        parsed.errors["profile_text"] = _MESSAGES["profile_text"]


def _place(parsed: Parsed, flat: dict[str, str], service: Service) -> None:
    """Wohnort and postcode: the postcode alone is enough where it names one municipality."""
    postcode, ags = flat["postcode"], flat["ags"]
    places = service.reference.postcode_municipalities
    if not postcode:
        parsed.errors["postcode"] = "Postleitzahl: bitte eingeben (5 Ziffern, z. B. 67655)."
    elif postcode not in places:
        parsed.errors["postcode"] = "Postleitzahl: bitte eine Postleitzahl des Jobcenter-Bezirks eingeben."
    elif not ags and len(places[postcode]) == 1:
        flat["ags"] = parsed.typed["ags"] = places[postcode][0]
    elif not ags:
        parsed.errors["ags"] = "Wohnort: diese Postleitzahl gilt für mehrere Gemeinden, bitte eine auswählen."
    elif ags not in places[postcode]:
        parsed.errors["postcode"] = _MESSAGES["postcode"]
    if ags and ags not in service.reference.municipality_names:
        parsed.errors["ags"] = _MESSAGES["ags"]


def _occupations(parsed: Parsed, flat: dict[str, str], service: Service) -> None:
    """The target occupation and the others, as typed; unknown codes are an error of their field."""
    known = service.reference.kldb5_codes
    more = [o.strip() for o in flat["more_occupations"].split(",") if o.strip()]
    if not flat["occupation"]:
        parsed.errors["occupation"] = _MESSAGES["occupation"]
    elif flat["occupation"] not in known:
        parsed.errors["occupation"] = "Zielberuf: diese KldB-Kennziffer gibt es nicht (5 Ziffern, z. B. 52122)."
    wrong = [o for o in more if o not in known]
    if wrong:
        parsed.errors["more_occupations"] = (
            f"Weitere Berufe: diese KldB-Kennziffern gibt es nicht: {', '.join(wrong[:5])} (5 Ziffern, mit Komma)."
        )
    parsed.clean["occupations"] = [flat["occupation"], *more]


def _profile_data(parsed: Parsed, flat: dict[str, str], service: Service) -> dict[str, Any]:
    """The profile's fields from the form (every choice made by the caseworker, no defaults)."""
    clean = parsed.clean
    return {
        "ags": flat["ags"],
        "postcode": flat["postcode"],
        "occupations": clean["occupations"],
        "skills": clean["skills"],
        "level": int(clean["level"]),
        "german_level": clean["german_level"],
        "licences": parsed.typed["licences"],
        "permits": parsed.typed["permits"],
        "has_car": parsed.typed["has_car"],
        "max_commute_minutes": clean["max_commute_minutes"],
        "working_time": clean["working_time"],
        "hours_per_week": clean["hours_per_week"],
        "shifts": parsed.typed["shifts"],
        "weekends": parsed.typed["weekends"],
        "available_from": clean["available_from"],
        "experience_years": clean["experience_years"] or 0.0,
        "school": clean["school"],
        "vocational": clean["vocational"],
        "profile_text": flat["profile_text"],
    }


def _validated(parsed: Parsed, data: dict[str, Any]) -> AdHocProfile | None:
    """The API's schema over the data; its errors beside the fields they name."""
    try:
        return AdHocProfile.model_validate(data)
    except ValidationError as exc:
        schema_errors(parsed, exc, _FIELD_OF, _MESSAGES, _LABELS, "occupation")
        return None
