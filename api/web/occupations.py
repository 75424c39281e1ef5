"""Occupation suggestions for the web forms: a free job title -> KldB codes with ESCO occupations.

``GET /app/occupations?q=...`` is a full page (the form's submit button, without JavaScript);
with htmx (``hx-get`` on the "Berufsbezeichnung" field of the ad-hoc profile, and on the title
of a vacancy draft) the same address
answers the list alone, which htmx puts beside the field. Every signed-in role may ask: a title
names nobody. The suggester is the API's (:func:`api.actions.occupation_suggester`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.actions import SUGGEST_K_MAX, SUGGEST_TEXT_MAX, occupation_suggester
from api.deps import ServiceDep
from api.security import Principal
from api.web.core import PREFIX, CurrentSession, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)

SHOWN = 5
_TAKE_FIELDS = {"occupation": "Zielberuf", "kldb": "Beruf (KldB)"}  # form field id -> its label


def _signed_in(session: CurrentSession) -> Principal:
    return session.principal


SignedIn = Annotated[Principal, Depends(_signed_in)]


@router.get("/occupations", response_class=HTMLResponse)
def occupation_suggestions(
    request: Request,
    who: SignedIn,
    service: ServiceDep,
    q: str = "",
    title: str = "",
    occupation_q: str = "",
    field: str = "",
    k: int = SHOWN,
) -> HTMLResponse:
    """The suggestions for ``q`` (a page, or the list alone for htmx); ``title`` and
    ``occupation_q``: the vacancy draft's title field and the profile form's search field, which
    htmx sends under their own names; ``field``: the form's KldB field that "Übernehmen" fills."""
    q = q or title or occupation_q
    text = q.strip()
    error = None
    items = []
    if len(text) > SUGGEST_TEXT_MAX:
        error = f"Bitte höchstens {SUGGEST_TEXT_MAX} Zeichen eingeben."
    elif text:
        suggester = occupation_suggester(request, service)
        items = suggester.suggest(text, min(max(k, 1), SUGGEST_K_MAX))
    return render(
        request,
        "occupations.html",
        partial="_occupation_suggestions.html",
        title="Berufe zuordnen",
        q=q,
        items=items,
        error=error,
        take_field=field if field in _TAKE_FIELDS else None,
        target_label=_TAKE_FIELDS.get(field),
    )


SKILLS_SHOWN = 8


@router.get("/skills", response_class=HTMLResponse)
def skill_suggestions(request: Request, who: SignedIn, service: ServiceDep, q: str = "") -> HTMLResponse:
    """The skills picker's suggestions (an htmx fragment): ESCO skills whose German label or
    synonym holds the words typed (folded: case, umlauts, ae/oe/ue/ss); "Hinzufügen" (app.js)
    adds one to the form's skills field."""
    text = q.strip()[:100]
    items = service.reference.skill_suggestions(text, SKILLS_SHOWN) if len(text) >= 2 else []
    return render(request, "_skill_suggestions.html", q=text, items=items)
