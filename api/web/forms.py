"""Form fields of the pages: parsing, German error messages beside each field, and labels.

Parsing never raises: a form comes back with its values as typed and one German message per
field that failed, and the page shows the form again with the messages beside the fields.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError

from api.schemas import K_MAX, FilterRequest
from matcher.ranking.filters import FILTER_LABELS_DE, SWITCHABLE_FILTERS
from matcher.records.labels_de import WORKING_TIME_DE as WORKING_TIME_DE  # one table; the pages import it from here
from matcher.records.models import DATE_MAX, DATE_MIN, LICENCES, PERMITS, GermanLevel, Outcome, School, Vocational

SCHOOL_DE = {
    School.NONE.value: "ohne Schulabschluss",
    School.HAUPTSCHULE.value: "Hauptschulabschluss",
    School.MITTLERE_REIFE.value: "Mittlere Reife",
    School.FACHHOCHSCHULREIFE.value: "Fachhochschulreife",
    School.ABITUR.value: "Abitur",
}
VOCATIONAL_DE = {
    Vocational.NONE.value: "ohne Berufsabschluss",
    Vocational.APPRENTICESHIP.value: "Berufsausbildung",
    Vocational.MASTER_TECHNICIAN.value: "Meister oder Techniker",
    Vocational.BACHELOR.value: "Bachelor",
    Vocational.MASTER.value: "Master",
}
# What a caseworker records about a proposal, in the order it happens; "vorgeschlagen" is a
# proposal with no reaction yet (``no_reaction``).
OUTCOME_DE = {
    Outcome.NO_REACTION.value: "vorgeschlagen",
    Outcome.APPLIED.value: "beworben",
    Outcome.INTERVIEW.value: "Vorstellungsgespräch",
    Outcome.HIRED.value: "eingestellt",
    Outcome.REJECTED_BY_EMPLOYER.value: "abgelehnt vom Arbeitgeber",
    Outcome.DECLINED_BY_CANDIDATE.value: "abgelehnt von der Person",
}
FILTERS_DE = FILTER_LABELS_DE
SWITCHES = SWITCHABLE_FILTERS
K_CHOICES = (10, 20, 50)
GERMAN_LEVELS = [g.value for g in GermanLevel]
GERMAN_LEVELS_DE = {g: ("Muttersprache" if g == GermanLevel.NATIVE.value else g) for g in GERMAN_LEVELS}


def label_of(value: Any, labels: Mapping[str, str]) -> str:
    return labels.get(str(value), str(value)) if value is not None else "–"


def school_label(value: str) -> str:
    return SCHOOL_DE.get(value, value.replace("_", " ").capitalize())


def vocational_label(value: str) -> str:
    return VOCATIONAL_DE.get(value, value.replace("_", " ").capitalize())


@dataclass
class Parsed:
    """A parsed form: what was typed (to show again), the errors by field, and clean values."""

    typed: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    clean: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _typed(parsed: Parsed, params: Mapping[str, str], name: str) -> str:
    """What was typed into ``name`` (kept for the form); an empty field is clean as None."""
    raw = (params.get(name) or "").strip()
    parsed.typed[name] = raw
    if not raw:
        parsed.clean[name] = None
    return raw


def model_bounds(model: type[BaseModel], name: str) -> tuple[float, float, bool]:
    """The bounds of a model's number field: (lowest, highest, lowest allowed itself), from the
    model's own ``Field(ge=..., gt=..., le=...)``; the form checks what the schema checks."""
    low, high, inclusive = -math.inf, math.inf, True
    for rule in model.model_fields[name].metadata:
        if isinstance(rule, annotated_types.Ge):
            low, inclusive = float(rule.ge), True  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Gt):
            low, inclusive = float(rule.gt), False  # type: ignore[arg-type]
        elif isinstance(rule, annotated_types.Le):
            high = float(rule.le)  # type: ignore[arg-type]
    return low, high, inclusive


def de_num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def parse_decimal(raw: str) -> float | None:
    """A number as typed by German staff: "37,5", "37.5", "0,5", " 12 "; None if it is none."""
    text = raw.strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def number(
    parsed: Parsed,
    params: Mapping[str, str],
    name: str,
    bounds: tuple[float, float, bool],
    label: str,
    whole: bool = False,
) -> None:
    """An optional number within ``bounds`` (see :func:`model_bounds`); decimal commas are fine.
    The message names the field by its label and the range in plain words ("von 0 bis 60")."""
    raw = _typed(parsed, params, name)
    if not raw:
        return
    low, high, inclusive = bounds
    value = parse_decimal(raw)
    above = "" if inclusive else "über "
    kind = "eine ganze Zahl" if whole else "eine Zahl"
    wanted = f"{label}: bitte {kind} von {above}{de_num(low)} bis {de_num(high)} eingeben."
    outside = value is None or not low <= value <= high or (value == low and not inclusive)
    if outside or (whole and value != int(value or 0)):
        parsed.errors[name] = wanted
    else:
        parsed.clean[name] = int(value or 0) if whole else value


def day(parsed: Parsed, params: Mapping[str, str], name: str, label: str) -> None:
    """An optional date: ISO (the date picker's) or German "TT.MM.JJJJ"."""
    raw = _typed(parsed, params, name)
    if not raw:
        return
    try:
        if "." in raw:
            d, m, y = raw.split(".")
            parsed.clean[name] = date(int(y), int(m), int(d))
        else:
            parsed.clean[name] = date.fromisoformat(raw)
    except ValueError:
        parsed.errors[name] = f"{label}: bitte ein gültiges Datum eingeben, z. B. 01.03.2027."


def choice(
    parsed: Parsed,
    params: Mapping[str, str],
    name: str,
    allowed: Sequence[str],
    label: str,
    default: str | None = None,
) -> None:
    """A choice from a list; without ``default`` an unchosen one ("bitte wählen") is an error."""
    raw = (params.get(name) or default or "").strip()
    parsed.typed[name] = raw
    if not raw and "" not in allowed:
        parsed.errors[name] = f"{label}: bitte einen Eintrag auswählen."
    elif raw not in allowed:
        parsed.errors[name] = f"{label}: bitte einen Eintrag aus der Liste wählen."
    else:
        parsed.clean[name] = raw


# The schema's errors as German sentences, by pydantic error type (``{label}`` names the field as the
# form does; the other names come from the error's context). A field's own message, where a form
# has one, comes first; a type not listed gets the general sentence.
SCHEMA_MESSAGES_DE = {
    "missing": "{label}: bitte ausfüllen.",
    "greater_than_equal": "{label}: bitte einen Wert ab {ge} eingeben.",
    "greater_than": "{label}: bitte einen Wert über {gt} eingeben.",
    "less_than_equal": "{label}: bitte einen Wert bis {le} eingeben.",
    "less_than": "{label}: bitte einen Wert unter {lt} eingeben.",
    "string_too_short": "{label}: bitte ausfüllen.",
    "string_too_long": "{label}: höchstens {max_length} Zeichen.",
    "too_short": "{label}: bitte mindestens {min_length} angeben.",
    "too_long": "{label}: höchstens {max_length} Einträge.",
    "enum": "{label}: bitte einen Eintrag aus der Liste wählen.",
    "literal_error": "{label}: bitte einen Eintrag aus der Liste wählen.",
    "date_from_datetime_parsing": "{label}: bitte ein gültiges Datum eingeben, z. B. 01.03.2027.",
    "date_parsing": "{label}: bitte ein gültiges Datum eingeben, z. B. 01.03.2027.",
    "date_range": f"{{label}}: bitte ein Datum zwischen {DATE_MIN:%d.%m.%Y} und {DATE_MAX:%d.%m.%Y} eingeben.",
}
SCHEMA_MESSAGE_DE = "{label}: bitte prüfen Sie diese Angabe."


def schema_message(error: Mapping[str, Any], label: str) -> str:
    """One schema error as a German sentence about the field called ``label``."""
    kind = str(error["type"])
    if kind == "value_error" and isinstance(error.get("input"), date):
        kind = "date_range"  # matcher.records.models.PlausibleDate
    context = {k: de_num(v) if isinstance(v, float) else v for k, v in (error.get("ctx") or {}).items()}
    try:
        return SCHEMA_MESSAGES_DE.get(kind, SCHEMA_MESSAGE_DE).format(label=label, **context)
    except (KeyError, IndexError):  # a context without the number the sentence names
        return SCHEMA_MESSAGE_DE.format(label=label)


def schema_errors(
    parsed: Parsed,
    exc: ValidationError,
    field_of: Mapping[str, str],
    messages: Mapping[str, str],
    labels: Mapping[str, str],
    first: str,
) -> None:
    """The API schema's errors beside the form fields they name, one per field: ``field_of`` maps a
    schema field to its form field (an error without a location goes to ``first``), ``messages``
    holds a field's own message, ``labels`` the fields' names for :data:`SCHEMA_MESSAGES_DE`."""
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else first
        name = field_of.get(name, name)
        message = messages.get(name) or schema_message(error, labels.get(name, "Eingabe"))
        parsed.errors.setdefault(name, message)


def filter_form(params: Mapping[str, str], *, with_switches: bool = True) -> tuple[Parsed, FilterRequest | None, int]:
    """The filter controls of a shortlist page: (parsed form, the API's filter request, k).

    A first visit (no ``f`` field) has every filter on; a submitted form sends ``f=1`` and a
    field per checked switch (an unchecked checkbox sends nothing).
    """
    parsed = Parsed()
    choice(parsed, params, "k", [str(k) for k in K_CHOICES], "Anzahl", "10")
    if "k" in parsed.errors:
        parsed.errors["k"] = f"Anzahl: bitte {', '.join(map(str, K_CHOICES[:-1]))} oder {K_CHOICES[-1]} wählen."
    number(parsed, params, "max_distance_km", model_bounds(FilterRequest, "max_distance_km"), "Höchstentfernung (km)")
    number(
        parsed,
        params,
        "max_commute_minutes",
        model_bounds(FilterRequest, "max_commute_minutes"),
        "Höchste Fahrzeit (Minuten)",
    )
    day(parsed, params, "available_by", "Stellenbeginn spätestens")
    submitted = params.get("f") == "1"
    switches = {name: (not submitted) or params.get(name) == "on" for name in SWITCHES} if with_switches else {}
    parsed.typed.update(switches)
    if not parsed.ok:
        return parsed, None, 10
    request = FilterRequest(
        max_distance_km=parsed.clean["max_distance_km"],
        max_commute_minutes=parsed.clean["max_commute_minutes"],
        available_by=parsed.clean["available_by"],
        **switches,
    )
    return parsed, request, min(int(parsed.clean["k"]), K_MAX)


def licence_choices() -> list[str]:
    return list(LICENCES)


def permit_choices() -> dict[str, str]:
    return dict(PERMITS)
