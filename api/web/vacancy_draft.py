"""A vacancy that is not recorded yet: the employer service types it in (a phone call with an
employer, a job ad to check) and sees whether the region has suitable job seekers.

``GET /app/vacancy-draft`` is the form, ``POST`` the pseudonymised cards. The draft is neither
stored nor logged; only the cards' customer numbers go to the audit log, under a draft id made up
per request, so the cards' pseudonyms belong to that request alone and link to no recorded
vacancy. A draft has no "Vorschlag anfragen": a contact request needs the recorded vacancy.

"Berufsbezeichnung": the title field asks the occupation suggester while typing (htmx, the same
list as the ad-hoc profile's); without JavaScript, a draft sent without a KldB code comes back
with the title's suggestions beside the code field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.actions import occupation_suggester
from api.deps import ServiceDep
from api.endpoint import Endpoint
from api.schemas import VacancyUpsert
from api.security import Permission, Principal
from api.service import Service
from api.validation import use_reference
from api.web.core import PREFIX, Allowed, FormLists, render, web_parts
from api.web.employer import employer_cards
from api.web.forms import (
    FILTERS_DE,
    GERMAN_LEVELS,
    WORKING_TIME_DE,
    Parsed,
    choice,
    day,
    model_bounds,
    number,
    schema_errors,
)
from api.web.profile_form import profile_choices, skill_ids, unknown_skills_message
from api.web.stash import STASH_COOKIE, clear_stash, restore
from matcher.ranking.profiles import profile_gaps
from matcher.records.models import LEVEL_LABELS_DE, Vacancy

router = APIRouter(prefix=PREFIX, include_in_schema=False)

EmployerService = Annotated[Principal, Depends(Allowed(Permission.VACANCY_SHORTLIST))]

DRAFT_FIELDS = (
    "title",
    "kldb",
    "level",
    "ags",
    "postcode",
    "working_time",
    "hours_per_week",
    "skills",
    "german_level_min",
    "start_date",
    "description",
)
SUGGESTED = 3  # suggestions beside the code field when a draft comes without one
TITLE_MAX = 200
DESCRIPTION_MAX = 8000

# The field of the form that a schema error's location names, and its German message.
_FIELD_OF = {"required_skills": "skills", "required_licences": "licences", "required_permits": "permits"}
_MESSAGES = {
    "ags": "Arbeitsort: bitte eine Gemeinde aus der Liste wählen.",
    "postcode": "Postleitzahl: bitte eine Postleitzahl des gewählten Arbeitsorts eingeben.",
    "level": "Anforderungsniveau: bitte einen Eintrag aus der Liste wählen.",
    "licences": "Führerscheine: unbekannte Klasse.",
    "permits": "Scheine: unbekannter Eintrag.",
    "german_level_min": "Deutsch mindestens: bitte einen Eintrag aus der Liste wählen.",
    "working_time": "Arbeitszeit: bitte einen Eintrag aus der Liste wählen.",
}
# The fields' names in a schema error's message (api.web.forms.SCHEMA_MESSAGES_DE).
_LABELS = {
    "title": "Stellentitel",
    "kldb": "Beruf",
    "skills": "Verlangte Fähigkeiten",
    "hours_per_week": "Stunden pro Woche",
    "start_date": "Beginn",
    "description": "Beschreibung",
}
_THIN = "Für Vorschläge bitte verlangte Fähigkeiten oder eine Beschreibung (mindestens fünf Wörter) angeben."


def parse_draft(
    request: Request, form: Mapping[str, list[str]], service: Service
) -> tuple[Parsed, list[Any], Vacancy | None]:
    """The draft of the form (or None), and suggestions for its title when no code was given."""
    parsed = Parsed()
    flat = {name: (form.get(name) or [""])[0].strip() for name in DRAFT_FIELDS}
    parsed.typed.update(flat)
    for group in ("licences", "permits"):
        parsed.typed[group] = list(form.get(group, []))
    for flag in ("shifts", "weekends"):
        parsed.typed[flag] = (form.get(flag) or [""])[0] == "on"
    choice(parsed, flat, "level", [str(k) for k in LEVEL_LABELS_DE], "Anforderungsniveau")
    choice(parsed, flat, "working_time", list(WORKING_TIME_DE), "Arbeitszeit")
    number(parsed, flat, "hours_per_week", model_bounds(Vacancy, "hours_per_week"), "Stunden pro Woche")
    day(parsed, flat, "start_date", "Beginn")
    skills, unknown = skill_ids(flat["skills"], service)
    if unknown:
        parsed.errors["skills"] = unknown_skills_message(unknown, service, "Verlangte Fähigkeiten")
    if len(flat["description"]) > DESCRIPTION_MAX:
        parsed.errors["description"] = f"Beschreibung: höchstens {DESCRIPTION_MAX:,} Zeichen.".replace(",", ".")
    suggestions = _occupation(request, parsed, flat, service)
    parsed.errors = {n: parsed.errors[n] for n in (*DRAFT_FIELDS, "licences", "permits") if n in parsed.errors}
    if parsed.errors:
        return parsed, suggestions, None
    return parsed, suggestions, _validated(parsed, _draft_data(parsed, flat, skills))


def _occupation(request: Request, parsed: Parsed, flat: dict[str, str], service: Service) -> list[Any]:
    """Checks title and code; the title's suggestions where the code is missing."""
    title, code = flat["title"], flat["kldb"]
    if not title or len(title) > TITLE_MAX:
        parsed.errors["title"] = f"Stellentitel: bitte eingeben (höchstens {TITLE_MAX} Zeichen)."
    if code and code not in service.reference.kldb5_codes:
        parsed.errors["kldb"] = "Beruf: diese KldB-Kennziffer gibt es nicht (5 Ziffern, z. B. 52531)."
    if code:
        return []
    parsed.errors["kldb"] = "Beruf: bitte eine KldB-Kennziffer eingeben" + (
        " oder einen der Vorschläge zum Stellentitel übernehmen." if title else "."
    )
    if "title" in parsed.errors:  # missing or too long: nothing to suggest from
        return []
    return occupation_suggester(request, service).suggest(title, SUGGESTED)


def _draft_data(parsed: Parsed, flat: dict[str, str], skills: list[str]) -> dict[str, Any]:
    return {
        "id": f"entwurf-{uuid4().hex}",
        "source": "entwurf",
        "employer_id": "entwurf",
        "employer_name": "Entwurf (nicht gespeichert)",
        "title": flat["title"],
        "description": flat["description"],
        "kldb": flat["kldb"],
        "level": int(flat["level"]),
        "required_skills": skills,
        "ags": flat["ags"],
        "postcode": flat["postcode"],
        "working_time": flat["working_time"],
        "hours_per_week": parsed.clean["hours_per_week"],
        "shifts": parsed.typed["shifts"],
        "weekends": parsed.typed["weekends"],
        "required_licences": parsed.typed["licences"],
        "required_permits": parsed.typed["permits"],
        "german_level_min": flat["german_level_min"] or None,
        "start_date": parsed.clean["start_date"],
        "posted_at": date.today(),
    }


def _validated(parsed: Parsed, data: dict[str, Any]) -> Vacancy | None:
    """The API's vacancy schema over the draft; its errors beside the fields they name."""
    try:
        checked = VacancyUpsert.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        schema_errors(parsed, exc, _FIELD_OF, _MESSAGES, _LABELS, "title")
        return None
    return Vacancy.model_validate(checked.model_dump() | {"id": data["id"]})


def _choices(service: Service) -> dict[str, Any]:
    return {
        **profile_choices(service),
        "german_levels": GERMAN_LEVELS,
        "filters_de": FILTERS_DE,
        "working_time_de": WORKING_TIME_DE,
        "draft": True,
        "description_max": DESCRIPTION_MAX,
    }


def _page(
    request: Request,
    service: Service,
    form: Parsed,
    suggestions: list[Any],
    body: dict[str, Any] | None,
    **notice: str,
) -> HTMLResponse:
    """The form (422 with its errors beside the fields), and the cards when there are any;
    ``notice``, ``notice_kind``: a message for this page (else the session's flash)."""
    return render(
        request,
        "vacancy_draft.html",
        status_code=422 if form.errors else 200,
        title="Stelle vorab prüfen",
        form=form,
        body=body,
        suggestions=suggestions,
        **_choices(service),
        **notice,
    )


@router.get("/vacancy-draft", response_class=HTMLResponse)
def draft_form(request: Request, who: EmployerService, service: ServiceDep) -> HTMLResponse:
    """The empty form, or the draft as typed before the session ended (kept over the sign-in)."""
    kept = restore(request, web_parts(request).sessions.key, f"{PREFIX}/vacancy-draft", who.user_id)
    if kept is None:
        response = _page(request, service, Parsed(), [], None)
    else:
        response = _page(request, service, _as_typed(kept[0]), [], None, notice=kept[1], notice_kind="problem")
    if request.cookies.get(STASH_COOKIE):
        clear_stash(response)  # used, or another person's: never shown
    return response


def _as_typed(form: Mapping[str, list[str]]) -> Parsed:
    """The form as typed, no checks."""
    kept = Parsed(typed={name: (form.get(name) or [""])[0] for name in DRAFT_FIELDS})
    kept.typed.update({g: list(form.get(g, [])) for g in ("licences", "permits")})
    kept.typed.update({f: (form.get(f) or [""])[0] == "on" for f in ("shifts", "weekends")})
    return kept


@router.post("/vacancy-draft", response_class=HTMLResponse)
def draft_cards(
    request: Request, who: EmployerService, form: FormLists, endpoint: Endpoint, service: ServiceDep
) -> HTMLResponse:
    """The cards for a draft typed in; the draft itself is neither stored nor logged."""
    taken = (form.get("take_kldb") or [""])[0]
    if taken in service.reference.kldb5_codes:  # "Übernehmen" without JavaScript: the form as typed
        kept = _as_typed(form)
        kept.typed["kldb"] = taken
        return _page(request, service, kept, [], None)
    use_reference(service.reference)
    parsed, suggestions, vacancy = parse_draft(request, form, service)
    if vacancy is not None and profile_gaps(vacancy):
        parsed.errors["description"] = _THIN
        vacancy = None
    body = None if vacancy is None else employer_cards(service, who, vacancy, endpoint)
    return _page(request, service, parsed, suggestions, body)
