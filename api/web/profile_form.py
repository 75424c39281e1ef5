"""The ad-hoc profile form: fields, choices, and parsing into the API's :class:`AdHocProfile`.

The checks are the API's (the same schema validates the profile); each failure is shown beside
its field in German, and what was typed stays in the form. Skills are typed as ESCO labels (one
per line or separated by semicolons) and looked up case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from api.schemas import AdHocProfile
from api.service import Service
from api.validation import use_reference
from api.web.forms import GERMAN_LEVELS, SCHOOL_DE, VOCATIONAL_DE, WORKING_TIME_DE, Parsed, day, number, schema_errors
from matcher.models import LEVEL_LABELS_DE, LICENCES, PERMITS

PROFILE_FIELDS = (
    "occupation",
    "more_occupations",
    "ags",
    "postcode",
    "level",
    "skills",
    "german_level",
    "licences",
    "permits",
    "has_car",
    "max_commute_minutes",
    "working_time",
    "hours_per_week",
    "shifts",
    "weekends",
    "available_from",
    "experience_years",
    "school",
    "vocational",
    "profile_text",
)

# The field of the form that a schema error's location names.
_FIELD_OF = {"occupations": "occupation", "ags": "ags", "postcode": "postcode"}
_MESSAGES = {
    "occupation": "Zielberuf: bitte eine KldB-Kennziffer mit 5 Ziffern eingeben, z. B. 52122.",
    "ags": "Wohnort: bitte eine Gemeinde aus der Liste wählen.",
    "postcode": "Postleitzahl: bitte eine Postleitzahl des gewählten Wohnorts eingeben.",
    "level": "Anforderungsniveau: bitte einen Eintrag aus der Liste wählen.",
    "licences": "Führerscheine: unbekannte Klasse.",
    "permits": "Scheine: unbekannter Eintrag.",
    "profile_text": "Beschreibung: höchstens 4.000 Zeichen.",
}


def profile_choices(service: Service) -> dict[str, Any]:
    """The lists the form offers."""
    return {
        "places": sorted(service.reference.municipality_names.items(), key=lambda p: p[1]),
        "levels": LEVEL_LABELS_DE,
        "german_levels": GERMAN_LEVELS,
        "licence_choices": list(LICENCES),
        "permit_choices": dict(PERMITS),
        "working_times": WORKING_TIME_DE,
        "schools": SCHOOL_DE,
        "vocationals": VOCATIONAL_DE,
    }


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def skill_ids(text: str, service: Service) -> tuple[list[str], list[str]]:
    """ESCO skill ids for the labels typed, and the labels that are not known."""
    by_label = service.reference.skill_ids_by_label
    ids: list[str] = []
    unknown: list[str] = []
    for part in text.replace(";", "\n").splitlines():
        label = part.strip()
        if not label:
            continue
        skill = by_label.get(label.casefold()) or (label if label in service.reference.skill_labels else None)
        (ids if skill else unknown).append(skill or label)
    return list(dict.fromkeys(ids)), unknown


def parse_profile(form: Mapping[str, list[str]], service: Service) -> tuple[Parsed, AdHocProfile | None]:
    """The profile of the form, or None with the errors beside the fields."""
    parsed = Parsed()
    flat = {name: _first(form, name) for name in PROFILE_FIELDS}
    parsed.typed.update(flat)
    parsed.typed["licences"] = list(form.get("licences", []))
    parsed.typed["permits"] = list(form.get("permits", []))
    for flag in ("has_car", "shifts", "weekends"):
        parsed.typed[flag] = flat[flag] == "on"
    number(parsed, flat, "max_commute_minutes", 0, 300, "Zumutbare Fahrzeit (Minuten)")
    number(parsed, flat, "hours_per_week", 0, 60, "Stunden pro Woche")
    number(parsed, flat, "experience_years", -0.001, 60, "Berufserfahrung (Jahre)")
    day(parsed, flat, "available_from", "Verfügbar ab")
    skills, unknown = skill_ids(flat["skills"], service)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        parsed.errors["skills"] = f"Fähigkeiten: nicht im ESCO-Verzeichnis gefunden: {shown}."
    occupations = _occupations(parsed, flat, service)
    if parsed.errors:
        return parsed, None
    use_reference(service.reference)
    return parsed, _validated(parsed, _profile_data(parsed, flat, occupations, skills))


def _occupations(parsed: Parsed, flat: dict[str, str], service: Service) -> list[str]:
    """The target occupation and the others, as typed; unknown codes are an error of the field."""
    occupations = [flat["occupation"], *[o.strip() for o in flat["more_occupations"].split(",") if o.strip()]]
    if not flat["occupation"]:
        parsed.errors["occupation"] = _MESSAGES["occupation"]
    elif any(o not in service.reference.kldb5_codes for o in occupations):
        parsed.errors[
            "occupation" if flat["occupation"] not in service.reference.kldb5_codes else "more_occupations"
        ] = "Beruf: diese KldB-Kennziffer gibt es nicht (5 Ziffern, z. B. 52122)."
    return occupations


def _profile_data(parsed: Parsed, flat: dict[str, str], occupations: list[str], skills: list[str]) -> dict[str, Any]:
    """The profile's fields from the form, with the form's defaults."""
    data = {
        "ags": flat["ags"],
        "postcode": flat["postcode"],
        "occupations": occupations,
        "skills": skills,
        "level": flat["level"] or "2",
        "german_level": flat["german_level"] or "C1",
        "licences": parsed.typed["licences"],
        "permits": parsed.typed["permits"],
        "has_car": parsed.typed["has_car"],
        "max_commute_minutes": parsed.clean["max_commute_minutes"],
        "working_time": flat["working_time"] or "full_time",
        "hours_per_week": parsed.clean["hours_per_week"],
        "shifts": parsed.typed["shifts"],
        "weekends": parsed.typed["weekends"],
        "available_from": parsed.clean["available_from"],
        "experience_years": parsed.clean["experience_years"] or 0.0,
        "school": flat["school"] or "none",
        "vocational": flat["vocational"] or "none",
        "profile_text": flat["profile_text"],
    }
    if data["max_commute_minutes"] is not None:
        data["max_commute_minutes"] = int(data["max_commute_minutes"])
    return data


def _validated(parsed: Parsed, data: dict[str, Any]) -> AdHocProfile | None:
    """The API's schema over the data; its errors beside the fields they name."""
    try:
        return AdHocProfile.model_validate(data)
    except ValidationError as exc:
        schema_errors(parsed, exc, _FIELD_OF, _MESSAGES, "occupation")
        return None
