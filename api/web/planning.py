"""The pages of opportunities and planning: what would open doors for one job seeker (caseworker),
the catalogue of measures (every role), and the region's shortages (employer service, data team).

The opportunities page is the API's answer (:func:`api.actions.audited_opportunities`:
the same counts and the same audit record); it suggests, the caseworker decides. Measures and
shortages are aggregates and name no person. Nothing here reads protected attributes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.actions import audited_opportunities
from api.deps import ReadyEngine, ServiceDep
from api.endpoint import Endpoint
from api.security import Permission, Principal
from api.web.core import PREFIX, Allowed, render
from api.web.forms import WORKING_TIME_DE, Parsed, choice
from matcher.errors import MatcherError
from matcher.records.models import LEVEL_LABELS_DE, PERMITS
from matcher.records.render import place_name
from matcher.services.measures import TYPE_LABELS_DE, MeasureType, count_measures, stored_measures
from matcher.services.opportunities import OpportunityConfig, open_vacancies
from matcher.services.planning import shortages

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Opportunities = Annotated[Principal, Depends(Allowed(Permission.OPPORTUNITIES))]
ReadsMeasures = Annotated[Principal, Depends(Allowed(Permission.READ_MEASURES))]
Shortages = Annotated[Principal, Depends(Allowed(Permission.SHORTAGES))]

KIND_DE = {
    "licence": "Führerschein",
    "permit": "Schein",
    "german_level": "Deutsch",
    "skill": "Kenntnis",
    "requirement_level": "Anforderungsniveau",
    "commute": "Arbeitsweg",
    "working_time": "Arbeitszeit",
}
DIMENSIONS_DE = {
    "occupation_group": "Berufsgruppen (KldB, 3-stellig)",
    "licence": "Führerscheine",
    "permit": "Scheine und Nachweise",
    "german_level": "Deutschkenntnisse",
    "requirement_level": "Anforderungsniveau",
    "skill": "Pflichtkenntnisse",
}
# Changes a course can teach, and changes of the person's own conditions (no course teaches them).
LEARNED = ("licence", "permit", "german_level", "skill", "requirement_level")
CONDITIONS = ("commute", "working_time")
# Shortage dimensions whose code is shown beside the name: the KldB group's number (the other
# names say their code already, "Führerschein CE", "Deutsch B2"; permit keys and ESCO ids are internal).
SHOWN_CODES = ("occupation_group",)
PAGE_SIZES = ("20", "50", "100")
SHORTAGE_ROWS = ("10", "20", "50")


@router.get("/candidates/{candidate_id}/opportunities", response_class=HTMLResponse)
def opportunities_page(
    candidate_id: str,
    request: Request,
    who: Opportunities,
    endpoint: Endpoint,
    engine: ReadyEngine,
    service: ServiceDep,
) -> HTMLResponse:
    """Which single change would open how many more fitting vacancies, with the reachable measures
    that teach it. Unknown id: the 404 page; a thin profile: "Profil reicht nicht aus"."""
    result = audited_opportunities(
        request, service, who, engine, candidate_id, engine.config.filters, OpportunityConfig(), endpoint
    )
    items = [_opportunity(i.to_json(), engine) for i in result.items]
    return render(
        request,
        "opportunities.html",
        title=f"Qualifizierung und Chancen für {result.candidate_id}",
        result=result,
        learned=[i for i in items if i["kind"] in LEARNED],
        conditions=[i for i in items if i["kind"] in CONDITIONS],
        tried=len(result.tried),
    )


def _opportunity(item: dict[str, Any], engine: Any) -> dict[str, Any]:
    """An item of the API's answer with German words for the page (the answer itself unchanged):
    its kind, the example vacancies' titles and places, the measures' type, schedule and weeks."""
    examples = []
    for vacancy_id in item["example_vacancy_ids"]:
        try:
            vacancy = engine.vacancy(vacancy_id)
        except MatcherError:
            examples.append({"id": vacancy_id, "title": "", "place": ""})
            continue
        examples.append({"id": vacancy_id, "title": vacancy.title, "place": place_name(vacancy.ags, engine.reference)})
    measures = [
        {
            **m,
            "type_de": TYPE_LABELS_DE.get(MeasureType(m["type"]), m["type"]),
            "schedule_de": WORKING_TIME_DE.get(m["schedule"], m["schedule"]),
            "weeks_de": weeks_de(m["duration_weeks"]),
        }
        for m in item["measures"]
    ]
    return {**item, "kind_de": KIND_DE.get(item["kind"], item["kind"]), "examples": examples, "measures": measures}


def weeks_de(weeks: int | None) -> str:
    """ "1 Woche", "12 Wochen"; "–" when unknown."""
    if weeks is None:
        return "–"
    return f"{weeks} Woche" if weeks == 1 else f"{weeks} Wochen"


@router.get("/measures", response_class=HTMLResponse)
def measures_page(request: Request, who: ReadsMeasures, engine: ReadyEngine) -> HTMLResponse:
    """The catalogue, paged (limit and offset links), filtered by type through a GET form."""
    store = engine.store
    params = request.query_params
    form = Parsed()
    choice(form, params, "type", ["", *(t.value for t in MeasureType)], "Art der Maßnahme", "")
    choice(form, params, "limit", PAGE_SIZES, "Einträge je Seite", PAGE_SIZES[0])
    raw_offset = (params.get("offset") or "0").strip()
    form.typed["offset"] = raw_offset
    offset = int(raw_offset) if raw_offset.isdigit() and len(raw_offset) <= 9 else 0
    rows: list[dict[str, Any]] = []
    total = 0
    limit = int(form.clean.get("limit") or PAGE_SIZES[0])
    if form.ok:
        kind = form.clean["type"] or None
        total = count_measures(store, kind)
        rows = [_measure_row(m, engine.reference) for m in stored_measures(store, limit, offset, kind)]
    base = {"type": form.typed["type"], "limit": str(limit)}
    previous = _page_url(base, max(offset - limit, 0)) if offset > 0 else None
    following = _page_url(base, offset + limit) if offset + limit < total else None
    return render(
        request,
        "measures.html",
        status_code=200 if form.ok else 422,
        title="Maßnahmen",
        form=form,
        rows=rows,
        total=total,
        offset=offset,
        limit=limit,
        types={t.value: TYPE_LABELS_DE[t] for t in MeasureType},
        page_sizes=PAGE_SIZES,
        previous=previous,
        following=following,
    )


def _page_url(base: dict[str, str], offset: int) -> str:
    query = {k: v for k, v in {**base, "offset": str(offset)}.items() if v}
    return f"{PREFIX}/measures?{urlencode(query)}"


def _measure_row(m: Any, reference: Any) -> dict[str, Any]:
    today = date.today()
    upcoming = sorted(d for d in m.starts if d >= today)[:3]
    teaches = [f"Führerschein {c}" for c in m.licences] + [PERMITS.get(p, p) for p in m.permits]
    if m.german_level is not None:
        teaches.append(f"Deutsch {m.german_level.value}")
    if m.level is not None:
        teaches.append(f"Abschluss auf Niveau {LEVEL_LABELS_DE.get(int(m.level), m.level)}")
    if m.skills:
        teaches.append(f"{len(m.skills)} Kenntnisse")
    return {
        "id": m.id,
        "title": m.title,
        "type": TYPE_LABELS_DE[m.type],
        "funding": m.funding_de,
        "provider": m.provider_name,
        "place": f"{m.postcode} {place_name(m.ags, reference)}",
        "starts": [d.strftime("%d.%m.%Y") for d in upcoming],
        "duration_weeks": m.duration_weeks,
        "weeks_de": weeks_de(m.duration_weeks),
        "schedule": WORKING_TIME_DE.get(m.schedule.value, m.schedule.value),
        "teaches": teaches,
    }


@router.get("/shortages", response_class=HTMLResponse)
def shortages_page(request: Request, who: Shortages, engine: ReadyEngine) -> HTMLResponse:
    """Supply and demand per occupation group, licence, permit, German level, requirement level
    and skill: open vacancies asking for it against job seekers in reach who hold it."""
    form = Parsed()
    choice(form, request.query_params, "rows", SHORTAGE_ROWS, "Zeilen je Bereich", SHORTAGE_ROWS[0])
    top = int(form.clean.get("rows") or SHORTAGE_ROWS[0])
    day = date.today()
    people = engine.live_table("candidates")
    vacancies = open_vacancies(engine)
    table = shortages(people, vacancies, engine.reference, engine.gazetteer, day)
    sections = [
        {
            "name": str(name),
            "label": DIMENSIONS_DE.get(str(name), str(name)),
            "rows": group.head(top).to_dict("records"),
            "codes": str(name) in SHOWN_CODES,
        }
        for name, group in table.groupby("dimension", sort=False)
    ]
    return render(
        request,
        "shortages.html",
        status_code=200 if form.ok else 422,
        title="Engpässe in der Region",
        form=form,
        sections=sections,
        as_of=day,
        job_seekers=len(people),
        open_vacancies=len(vacancies),
        row_choices=SHORTAGE_ROWS,
    )
