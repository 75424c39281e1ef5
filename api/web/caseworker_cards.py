"""What a caseworker's card knows beyond the shortlist: the state of each vacancy for this person
(proposed on ..., "passt nicht" on ..., the outcomes), the notice when nothing in the target
occupation passes the filters, and the vacancy's own page with the advert, the contact and how
to apply.

The state is read from the store (``proposals``, ``feedback``) on every page view, so it holds
after a reload, on another worker and for a colleague; an accepted contact request records a
proposal and shows up the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import ReadyEngine, ServiceDep
from api.endpoint import Endpoint
from api.security import Permission, Principal
from api.service import Service
from api.web.core import PREFIX, Allowed, PageNotFound, render
from api.web.forms import FILTERS_DE, OUTCOME_DE, WORKING_TIME_DE
from matcher.errors import UnknownVacancyError
from matcher.ranking.engine import Engine
from matcher.ranking.filters import FilterOptions
from matcher.records.models import LEVEL_LABELS_DE, PERMITS, Candidate, Vacancy
from matcher.records.render import occupation_title, place_name
from matcher.records.store import proposals_table
from matcher.services.contacts import FEEDBACK_REASONS, feedback_table

router = APIRouter(prefix=PREFIX, include_in_schema=False)

Caseworker = Annotated[Principal, Depends(Allowed(Permission.CANDIDATE_SHORTLIST))]


@dataclass
class CardState:
    """One vacancy's history for one person, oldest first."""

    proposals: list[dict[str, Any]] = field(default_factory=list)  # proposed_at, outcome (German), outcome_at
    unfit: list[dict[str, Any]] = field(default_factory=list)  # reason (German), given_at (date)

    @property
    def marked_unfit(self) -> bool:
        return bool(self.unfit)


def card_states(service: Service, candidate_id: str) -> dict[str, CardState]:
    """vacancy id -> its proposals, outcomes and "passt nicht" marks for this person."""
    p, f = proposals_table, feedback_table
    states: dict[str, CardState] = {}
    with service.store.engine.connect() as conn:
        proposals = conn.execute(
            select(p.c.vacancy_id, p.c.proposed_at, p.c.outcome, p.c.outcome_at)
            .where(p.c.candidate_id == candidate_id)
            .order_by(p.c.proposed_at, p.c.id)
        ).all()
        marks = conn.execute(
            select(f.c.vacancy_id, f.c.reason, f.c.given_at)
            .where(f.c.candidate_id == candidate_id)
            .order_by(f.c.given_at, f.c.id)
        ).all()
    for vacancy_id, proposed_at, outcome, outcome_at in proposals:
        states.setdefault(vacancy_id, CardState()).proposals.append(
            {"proposed_at": proposed_at, "outcome": OUTCOME_DE.get(outcome, outcome), "outcome_at": outcome_at}
        )
    for vacancy_id, reason, given_at in marks:
        states.setdefault(vacancy_id, CardState()).unfit.append(
            {"reason": FEEDBACK_REASONS.get(reason, reason), "given_at": str(given_at)[:10]}
        )
    return states


def split_marked(items: list[dict[str, Any]], states: dict[str, CardState]) -> tuple[list[Any], list[Any]]:
    """(the items still in the list, those marked "passt nicht"), each in rank order."""
    kept = [i for i in items if not (i["id"] in states and states[i["id"]].marked_unfit)]
    marked = [i for i in items if i["id"] in states and states[i["id"]].marked_unfit]
    return kept, marked


def history_rows(service: Service, states: dict[str, CardState]) -> list[dict[str, Any]]:
    """The profile's list of every vacancy with a proposal or a mark, newest first."""
    rows = []
    for vacancy_id, state in states.items():
        try:
            v = service.store.get_vacancy(vacancy_id)
            title = f"{v.title} – {v.employer_name}"
        except UnknownVacancyError:
            title = "(Stelle nicht mehr vorhanden)"
        dates = [str(x["proposed_at"]) for x in state.proposals] + [x["given_at"] for x in state.unfit]
        rows.append({"id": vacancy_id, "title": title, "state": state, "latest": max(dates)})
    return sorted(rows, key=lambda r: r["latest"], reverse=True)


def target_notice(engine: Engine, candidate: Candidate, options: FilterOptions) -> dict[str, Any] | None:
    """When no open vacancy in the person's target occupation passes the filters: how many there
    are and the filter that excluded most of them (None: some pass, or there are none at all)."""
    result = engine.target_occupation_filters(candidate, options)
    if int(result.keep.sum()) > 0:
        return None
    excluded = {name: n for name, n in result.excluded.items() if name != "vacancy_open" and n > 0}
    total = sum(excluded.values())
    if total == 0:
        return {"total": 0, "filter": None, "excluded": 0}
    name = max(excluded, key=lambda n: excluded[n])
    return {"total": total, "filter": FILTERS_DE.get(name, name), "excluded": excluded[name]}


# --- the vacancy as the job seeker needs it ------------------------------------------------------
@router.get("/candidates/{candidate_id}/stellen/{vacancy_id}", response_class=HTMLResponse)
def vacancy_for_candidate(
    candidate_id: str,
    vacancy_id: str,
    request: Request,
    who: Caseworker,
    endpoint: Endpoint,
    engine: ReadyEngine,
    service: ServiceDep,
) -> HTMLResponse:
    """The full advert, the employer, the contact and how to apply, for the conversation with
    this person (the caseworker's view of the employer service's vacancy)."""
    candidate = engine.candidate(candidate_id)
    who = service.reach(who, candidate.id)
    try:
        vacancy = service.store.get_vacancy(vacancy_id)
    except UnknownVacancyError as exc:
        raise PageNotFound(f"Die Stelle {vacancy_id} gibt es nicht.") from exc
    service.audit(who, endpoint, candidate.id, [(vacancy.id, None)], kind="read")
    state = card_states(service, candidate.id).get(vacancy.id, CardState())
    return render(
        request,
        "vacancy_details.html",
        title=vacancy.title,
        candidate=candidate,
        vacancy=vacancy,
        facts=vacancy_facts(vacancy, service),
        contact=contact_lines(vacancy),
        state=state,
    )


def vacancy_facts(v: Vacancy, service: Service) -> list[tuple[str, str]]:
    """The vacancy's facts in plain German (no codes)."""
    ref = service.reference
    hours = f", {_de(v.hours_per_week)} Std. pro Woche" if v.hours_per_week else ""
    extra = [x for x in (("Schichtarbeit" if v.shifts else ""), ("Wochenendarbeit" if v.weekends else "")) if x]
    asked = [f"Führerschein {x}" for x in v.required_licences] + [PERMITS.get(p, p) for p in v.required_permits]
    return [
        ("Stellennummer", v.id),
        ("Arbeitgeber", v.employer_name),
        ("Beruf", occupation_title(v.kldb, ref)),
        ("Anforderungsniveau", LEVEL_LABELS_DE[v.level]),
        ("Arbeitsort", f"{v.postcode} {place_name(v.ags, ref)}"),
        ("Arbeitszeit", WORKING_TIME_DE.get(v.working_time.value, v.working_time.value) + hours),
        ("Schicht / Wochenende", ", ".join(extra) or "nein"),
        ("Beginn", v.start_date.strftime("%d.%m.%Y") if v.start_date else "ab sofort"),
        ("Führerscheine und Scheine", ", ".join(asked) or "keine gefordert"),
        ("Deutschkenntnisse", v.german_level_min.value if v.german_level_min else "keine Angabe"),
        ("Ausgeschrieben seit", f"{v.posted_at.strftime('%d.%m.%Y')} ({_days(v.posted_at)})"),
    ]


def contact_lines(v: Vacancy) -> list[tuple[str, str]]:
    """Contact and how to apply, as far as the vacancy names them."""
    lines = [
        ("Ansprechpartner/in", v.contact_name),
        ("Telefon", v.contact_phone),
        ("E-Mail", v.contact_email),
        ("Bewerbung", v.apply_how),
    ]
    return [(label, value) for label, value in lines if value]


def _days(posted: date) -> str:
    days = (date.today() - posted).days
    return "heute" if days <= 0 else "seit 1 Tag" if days == 1 else f"seit {days} Tagen"


def _de(value: float) -> str:
    return f"{value:g}".replace(".", ",")
