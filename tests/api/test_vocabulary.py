"""One vocabulary, spelled once: the filters' names and labels, working time, the commute phrase."""

from __future__ import annotations

import re
from pathlib import Path

from api.schemas import FilterRequest
from api.web import forms
from matcher.ranking.filters import (
    FILTER_LABELS_DE,
    FILTER_ORDER,
    FILTER_SPECS,
    FILTERS,
    SWITCHABLE_FILTERS,
    FilterOptions,
)
from matcher.records.labels_de import COMMUTE_MODE_DE, WORKING_TIME_DE
from matcher.records.models import WorkingTime

TEMPLATES = Path(__file__).parents[2] / "api" / "web" / "templates"


def test_the_request_switches_are_the_switchable_filters() -> None:
    switches = [name for name in FilterRequest.model_fields if name in FILTERS]
    assert tuple(switches) == SWITCHABLE_FILTERS == FILTER_ORDER[1:]
    assert [s.name for s in FILTER_SPECS if not s.switchable] == ["vacancy_open"]
    off = FilterRequest(enabled=False).options(FilterOptions())
    assert not any(getattr(off, name) for name in SWITCHABLE_FILTERS) and off.vacancy_open


def test_the_web_form_reads_the_filters_table() -> None:
    assert forms.FILTERS_DE is FILTER_LABELS_DE and forms.SWITCHES == SWITCHABLE_FILTERS
    template = (TEMPLATES / "_filters.html").read_text()
    assert "filters_de" in template and '"distance", "commute"' not in template


def test_working_time_and_commute_are_spelled_once() -> None:
    assert forms.WORKING_TIME_DE is WORKING_TIME_DE
    assert set(WORKING_TIME_DE) == {w.value for w in WorkingTime}
    assert set(COMMUTE_MODE_DE) == {"car", "public_transport"}
    sources = [*Path(__file__).parents[2].joinpath("matcher").rglob("*.py"), *TEMPLATES.glob("*.html")]
    sources += [*Path(__file__).parents[2].joinpath("api").rglob("*.py")]
    spelled = [p.name for p in sources if re.search(r"mit Bus und Bahn|Voll- oder Teilzeit", p.read_text())]
    assert spelled == ["labels_de.py"]
