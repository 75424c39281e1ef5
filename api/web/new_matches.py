"""The caseworker's "Neue Treffer": what the last nightly run found new, for the whole caseload
(the digest) and per job seeker (new vacancies, and those that left with why).

The pages lay out the API's answers (:func:`api.routes.batch.digest_body`,
:func:`api.routes.batch.new_matches_body`), with the same audit records and role rules.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.deps import ReadyEngine, ServiceDep
from api.endpoint import Endpoint
from api.routes.batch import digest_body, new_matches_body
from api.security import Permission, Principal
from api.web.core import PREFIX, Allowed, PageNotFound, render
from matcher.errors import UnknownCandidateError, UnknownVacancyError
from matcher.records.store import Store

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Caseworker = Annotated[Principal, Depends(Allowed(Permission.NEW_MATCHES))]

PAGE = 50
GONE_DE = {"filled": "besetzt", "withdrawn": "zurückgezogen oder gelöscht", "filter": "nicht mehr unter den Besten"}
DETAIL_DE = {
    "vacancy_open": "Stelle nicht offen",
    "distance": "Entfernung zu groß",
    "commute": "Fahrzeit zu lang",
    "working_time": "Arbeitszeit passt nicht",
    "licences": "Führerschein oder Berechtigung fehlt",
    "availability": "nicht rechtzeitig verfügbar",
    "rank": "andere Stellen passen besser",
}


def _page(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return max(0, min(int(raw), 10**9)) if raw.isdigit() else 0


@router.get("/new-matches", response_class=HTMLResponse)
def digest_page(request: Request, who: Caseworker, service: ServiceDep) -> HTMLResponse:
    offset = _page(request)
    body = digest_body(service, who, PAGE, offset)
    return render(request, "new_matches.html", title="Neue Treffer", digest=body, offset=offset, page=PAGE)


def _titles(store: Store, ids: list[str]) -> dict[str, str]:
    out = {}
    for vacancy_id in ids:
        try:
            v = store.get_vacancy(vacancy_id)
        except UnknownVacancyError:
            out[vacancy_id] = "(Stelle nicht mehr vorhanden)"
        else:
            out[vacancy_id] = f"{v.title} – {v.employer_name}"
    return out


@router.get("/new-matches/{candidate_id}", response_class=HTMLResponse)
def person_page(
    candidate_id: str, request: Request, who: Caseworker, endpoint: Endpoint, engine: ReadyEngine, service: ServiceDep
) -> HTMLResponse:
    try:
        person = engine.candidate(candidate_id)
    except UnknownCandidateError as exc:
        raise PageNotFound("Arbeitsuchende/r") from exc
    body: dict[str, Any] = new_matches_body(service, engine, who, "vacancies_for_candidate", person.id, endpoint)
    ids = [i["id"] for i in body["items"]] + [g["id"] for g in body["gone"]]
    return render(
        request,
        "new_matches.html",
        title=f"Neue Treffer für {person.id}",
        person=person.id,
        answer=body,
        titles=_titles(service.store, ids),
        gone_de=GONE_DE,
        detail_de=DETAIL_DE,
    )
