"""Opportunities for a job seeker, the catalogue of measures, and the region's shortages.

Opportunities are per person (caseworker, admin) and audited like shortlists: who asked, for whom,
which changes came back with how many vacancies. Measures and shortages are aggregates: they name
no person. Nothing here reads protected attributes. Handlers are plain ``def``: they filter and
score, which blocks.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.actions import audited_opportunities
from api.deps import CanReadMeasures, CanSeeOpportunities, CanSeeShortages, ReadyEngine, ServiceDep
from api.endpoint import Endpoint
from api.paging import Limit, Offset
from api.responses import LeanJSON
from api.schemas import PAGE_MAX, FilterRequest
from matcher.records.models import RECORD_ID_RULE, PlausibleDate
from matcher.services.measures import CHANGE_KINDS, MeasureType, count_measures, stored_measures
from matcher.services.opportunities import OpportunityConfig, open_vacancies
from matcher.services.planning import shortages

router = APIRouter(prefix="/v1", tags=["opportunities"])

RecordId = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_RULE)]


class OpportunityRequest(BaseModel):
    """Options of an opportunities request (all optional)."""

    model_config = ConfigDict(extra="forbid")

    filters: FilterRequest = Field(default_factory=FilterRequest)
    examples: int = Field(default=3, ge=0, le=20, description="example vacancy ids per change")
    skills: int = Field(default=5, ge=0, le=20, description="missing essential skills tried")
    as_of: PlausibleDate | None = Field(default=None, description="reference date (default: today)")


class OpportunityItem(BaseModel):
    kind: str = Field(description=f"one of {', '.join(CHANGE_KINDS)}")
    change: str
    label_de: str
    additional_vacancies: int
    in_target_group: int
    example_vacancy_ids: list[str]
    score_gain: float | None
    measures: list[dict[str, Any]]


class OpportunityResponse(BaseModel):
    candidate_id: str
    as_of: date
    baseline: dict[str, int]
    changes_tried: list[str]
    items: list[OpportunityItem]


class MeasurePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]


class ShortageResponse(BaseModel):
    as_of: date
    open_vacancies: int
    job_seekers: int
    dimensions: dict[str, list[dict[str, Any]]]


@router.post("/candidates/{candidate_id}/opportunities", response_model=OpportunityResponse)
def opportunities(
    candidate_id: RecordId,
    request: Request,
    who: CanSeeOpportunities,
    engine: ReadyEngine,
    service: ServiceDep,
    endpoint: Endpoint,
    body: Annotated[OpportunityRequest | None, Body()] = None,
) -> LeanJSON:
    """Which single change would open how many more fitting vacancies, with the measures that
    teach it (caseworker). Counts are exact over the engine's hard filters and minimums."""
    options = body or OpportunityRequest()
    filters = options.filters.options(engine.config.filters).override(today=options.as_of)
    config = OpportunityConfig(examples=options.examples, skills_tried=options.skills)
    result = audited_opportunities(request, service, who, engine, candidate_id, filters, config, endpoint)
    return LeanJSON(result.to_json())


@router.get("/measures", response_model=MeasurePage)
def measures(
    engine: ReadyEngine,
    who: CanReadMeasures,
    limit: Limit = 50,
    offset: Offset = 0,
    type: Annotated[MeasureType | None, Query(description="only measures of this type")] = None,
) -> LeanJSON:
    """The catalogue of qualification and activation measures, paged (any role but the data team's
    model work needs it; it names no person)."""
    store = engine.store
    kind = None if type is None else type.value
    page = stored_measures(store, limit, offset, kind)
    total = count_measures(store, kind)
    items = [{**m.model_dump(mode="json"), "funding": m.funding_de} for m in page]
    return LeanJSON({"total": total, "limit": limit, "offset": offset, "items": items})


@router.get("/region/shortages", response_model=ShortageResponse)
def region_shortages(
    engine: ReadyEngine,
    who: CanSeeShortages,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX, description="rows per dimension, scarcest first")] = 20,
    as_of: Annotated[PlausibleDate | None, Query(description="reference date (default: today)")] = None,
) -> LeanJSON:
    """Supply and demand per occupation group, licence, permit, German level, requirement level
    and skill: open vacancies asking for it against job seekers in reach who hold it. Counts only."""
    day = as_of or date.today()
    people = engine.live_table("candidates")
    vacancies = open_vacancies(engine)
    table = shortages(people, vacancies, engine.reference, engine.gazetteer, day)
    dims = {
        name: group.head(limit).drop(columns="dimension").to_dict("records")
        for name, group in table.groupby("dimension", sort=False)
    }
    return LeanJSON(
        {"as_of": day.isoformat(), "open_vacancies": len(vacancies), "job_seekers": len(people), "dimensions": dims}
    )
