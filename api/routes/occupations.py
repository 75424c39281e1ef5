"""Occupation coding: a free job title -> KldB 2010 codes and ESCO occupations (any role).

The suggester's label index is built on the first request ever (10-15 s), kept in
``$MATCHER_HOME/cache/`` for the next processes (read in well under a second), and on ``app.state``
for the engine's encoder; a reload with another encoder builds a new one. The
handler is plain ``def``: it encodes and scores, which blocks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.actions import SUGGEST_K_MAX, SUGGEST_TEXT_MAX, occupation_suggester
from api.deps import AnyRole, ServiceDep
from matcher.services.occupations import OccupationSuggestion

router = APIRouter(prefix="/v1", tags=["occupations"])


class SuggestRequest(BaseModel):
    """A free job title, as an employer or a job seeker wrote it."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=SUGGEST_TEXT_MAX, description="free German job title")
    k: int = Field(default=5, ge=1, le=SUGGEST_K_MAX, description="how many codes")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value.strip()


class SuggestItem(BaseModel):
    kldb: str = Field(description="KldB 2010 5-digit code")
    title_de: str
    esco_uri: str | None = Field(description="full ESCO concept URI of the occupation (none where unmapped)")
    esco_title_de: str | None
    score: float = Field(description="0..1, orders the items; not a probability")


class SuggestResponse(BaseModel):
    items: list[SuggestItem]


def suggestion_items(suggestions: list[OccupationSuggestion]) -> list[SuggestItem]:
    return [
        SuggestItem(kldb=s.kldb, title_de=s.title_de, esco_uri=s.esco_uri, esco_title_de=s.esco_title_de, score=s.score)
        for s in suggestions
    ]


@router.post("/occupations/suggest", response_model=SuggestResponse)
def suggest_occupations(
    request: Request, service: ServiceDep, who: AnyRole, body: Annotated[SuggestRequest, Body()]
) -> SuggestResponse:
    """KldB codes and ESCO occupations for a free job title, best first."""
    suggester = occupation_suggester(request, service)
    return SuggestResponse(items=suggestion_items(suggester.suggest(body.text, body.k)))
