"""The data team's page: registered versions and aliases, metrics against the baselines, the
fairness table and plot of each run, the promotion history, and the way to the MLflow UI.

It reads the registry and the runs' own artifacts (``metrics.csv``, ``fairness.csv``,
``promotion.json``, ``fairness.png``, written by ``training.tracking``); nothing here is computed
again, so the page shows exactly what promotion was decided on.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.security import Permission, Principal
from api.web.core import PREFIX, ROLE_LABELS_DE, Allowed, PageNotFound, render, service_of, web_parts
from matcher.errors import ModelNotFoundError
from matcher.model_registry import CHAMPION, RUN_FIGURES, registered_versions, run_artifact
from matcher.settings import Settings

router = APIRouter(prefix=PREFIX, include_in_schema=False)

DataTeam = Annotated[Principal, Depends(Allowed(Permission.MODEL))]

RANKERS_DE = {
    "model": "Re-Ranker (LambdaMART)",
    "embedding": "nur Einbettungsähnlichkeit",
    "lexical": "lexikalisch (TF-IDF)",
    "rules": "Regeln (Beruf und Entfernung)",
    "oracle": "Orakel (kennt die Vorschläge)",
}
ATTRIBUTES_DE = {
    "gender": "Geschlecht",
    "age_group": "Altersgruppe",
    "citizenship_group": "Staatsangehörigkeit",
    "severe_disability": "Schwerbehinderung",
}


def _csv(data: bytes | None) -> tuple[list[str], list[list[str]]]:
    if not data:
        return [], []
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    return (rows[0], rows[1:]) if rows else ([], [])


def _rounded(value: str) -> str:
    """Counts as they are, ratios with three decimals (German decimal comma)."""
    if value.isdigit():
        return value
    try:
        return f"{float(value):.3f}".replace(".", ",")
    except ValueError:
        return value


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, who: DataTeam) -> HTMLResponse:
    service = service_of(request)
    settings = service.settings
    try:
        versions = registered_versions(settings.tracking_uri, settings.artifact_dir, settings.model_name)
    except ModelNotFoundError as exc:
        versions, problem = [], str(exc)
    else:
        problem = ""
    chosen_id = request.query_params.get("version") or (versions[0]["version"] if versions else None)
    chosen = next((v for v in versions if v["version"] == chosen_id), None)
    if versions and chosen is None:
        raise PageNotFound(f"Version {chosen_id}")
    history = []
    for v in versions:
        raw = _artifact(settings, v["run_id"], "promotion.json") if v["run_id"] else None
        history.append({**v, "decision": json.loads(raw) if raw else {}})
    return render(
        request,
        "models.html",
        title="Modelle",
        versions=versions,
        history=history,
        chosen=chosen,
        detail=_run_tables(settings, chosen["run_id"]) if chosen is not None and chosen["run_id"] else {},
        problem=problem,
        serving=service.model,
        champion=CHAMPION,
        mlflow_ui=web_parts(request).settings.mlflow_ui_url,
    )


def _artifact(settings: Settings, run_id: str, name: str) -> bytes | None:
    return run_artifact(settings.tracking_uri, settings.artifact_dir, run_id, name)


def _run_tables(settings: Settings, run_id: str) -> dict[str, Any]:
    """A run's metrics and fairness tables in German, and whether it has the fairness plot."""
    head, rows = _csv(_artifact(settings, run_id, "metrics.csv"))
    f_head, f_rows = _csv(_artifact(settings, run_id, "fairness.csv"))
    return {
        "metrics_head": head,
        "metrics": [[RANKERS_DE.get(r[0], r[0]), *map(_rounded, r[1:])] for r in rows],
        "fairness_head": f_head,
        "fairness": [[ATTRIBUTES_DE.get(r[0], r[0]), r[1], *map(_rounded, r[2:])] for r in f_rows],
        "has_plot": _artifact(settings, run_id, "fairness.png") is not None,
    }


@router.get("/models/runs/{run_id}/{name}")
def run_figure(run_id: str, name: str, request: Request, who: DataTeam) -> Response:
    """A run's figure (PNG), for the page above."""
    if name not in RUN_FIGURES:
        raise PageNotFound(name)
    data = _artifact(service_of(request).settings, run_id, name)
    if data is None:
        raise PageNotFound(name)
    return Response(data, media_type="image/png")


# --- the break-glass report: who reached another team's job seekers, and why --------------------
@router.get("/zugriffe", response_class=HTMLResponse)
def break_glass_page(request: Request, who: DataTeam) -> HTMLResponse:
    """Accesses to another team's job seekers by person and reason (as ``matcher audit break-glass``):
    pseudonymous staff ids, counts and days, no job seeker."""
    from datetime import date, timedelta

    from api.security import ACCESS_REASON_LABELS_DE, AccessReason
    from matcher.audit import break_glass

    days = 90
    rows = break_glass(service_of(request).settings.audit_log, date.today() - timedelta(days=days))
    labels = {r.value: label for r, label in ACCESS_REASON_LABELS_DE.items()}
    for row in rows:
        row["reason_de"] = labels.get(row["reason"], AccessReason(row["reason"]).value)
    return render(
        request, "break_glass.html", title="Begründete Zugriffe", rows=rows, days=days, role_labels=ROLE_LABELS_DE
    )
