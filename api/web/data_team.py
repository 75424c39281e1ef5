"""The data team's page: registered versions and aliases, metrics against the baselines, the
fairness table and plot of each run, the promotion history; releasing a version as the
production model and rolling back, both through the promotion gate of ``matcher train``.

It reads the registry and the runs' own artifacts (``metrics.csv``, ``fairness.csv``,
``history_by_age.csv``, ``promotion.json``, ``fairness.png``, written by ``training.tracking``);
nothing here is computed again, so the page shows exactly what promotion was decided on.
A release or rollback (:mod:`matcher.services.release`) needs a confirmation step, the CSRF token and
the data team's permission; it tags the version with the signed-in person's staff id
(``promoted_by``), writes an audit record and reloads the serving model in every worker
(as ``POST /v1/model/reload``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ServiceDep
from api.endpoint import Endpoint
from api.errors import ReloadFailedError
from api.security import Permission, Principal
from api.service import Service
from api.web.core import PREFIX, ROLE_LABELS_DE, Allowed, Form, PageNotFound, redirect, render, web_parts
from api.web.model_tables import fairness_table, history_table, metrics_table, read_csv, reasons_de
from matcher.errors import ModelNotFoundError
from matcher.ranking.model_registry import CHALLENGER, CHAMPION, RUN_FIGURES, registered_versions, run_artifact
from matcher.services.release import (
    ReleaseCheck,
    check_release,
    gate_figures,
    promotion_history,
    release,
    rollback_target,
)
from matcher.settings import Settings

router = APIRouter(prefix=PREFIX, include_in_schema=False)

DataTeam = Annotated[Principal, Depends(Allowed(Permission.MODEL))]
ALIASES_DE = {CHAMPION: "Produktivmodell", CHALLENGER: "zuletzt trainiert"}


def _versions(settings: Settings) -> tuple[list[dict[str, Any]], str]:
    try:
        versions = registered_versions(settings.tracking_uri, settings.artifact_dir, settings.model_name)
    except ModelNotFoundError as exc:
        return [], f"Die Registry ist nicht lesbar: {exc}"
    for v in versions:
        v["aliases_de"] = [ALIASES_DE.get(a, a) for a in v["aliases"]]
        v["is_champion"] = CHAMPION in v["aliases"]
        raw = _artifact(settings, v["run_id"], "promotion.json") if v["run_id"] else None
        decision = json.loads(raw) if raw else {}
        v["decision"] = {"promote": bool(decision.get("promote")), "reasons": reasons_de(decision.get("reasons") or [])}
    return versions, ""


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, who: DataTeam, service: ServiceDep) -> HTMLResponse:
    settings = service.settings
    versions, problem = _versions(settings)
    chosen_id = request.query_params.get("version") or (versions[0]["version"] if versions else None)
    chosen = next((v for v in versions if v["version"] == chosen_id), None)
    if versions and chosen is None:
        raise PageNotFound(f"Version {chosen_id}")
    history = promotion_history(settings.tracking_uri, settings.artifact_dir, settings.model_name) if versions else []
    done = request.query_params.get("freigegeben")
    return render(
        request,
        "models.html",
        title="Modelle",
        versions=versions,
        history=list(reversed(history)),
        chosen=chosen,
        detail=_run_tables(settings, chosen) if chosen is not None and chosen["run_id"] else {},
        problem=problem,
        serving=service.model,
        rollback_to=rollback_target(settings.tracking_uri, settings.artifact_dir, settings.model_name)
        if versions
        else None,
        released=done if done and service.model and service.model.version == done else None,
        mlflow_ui=web_parts(request).settings.mlflow_ui_url,
    )


def _artifact(settings: Settings, run_id: str, name: str) -> bytes | None:
    return run_artifact(settings.tracking_uri, settings.artifact_dir, run_id, name)


def _run_tables(settings: Settings, chosen: dict[str, Any]) -> dict[str, Any]:
    """A run's metrics, fairness and hire-rate tables in German, and whether it has the fairness plot."""
    run_id = chosen["run_id"]
    threshold, min_support = gate_figures(
        settings.tracking_uri, settings.artifact_dir, settings.model_name, chosen["version"]
    )
    return {
        "metrics": metrics_table(read_csv(_artifact(settings, run_id, "metrics.csv"))),
        "fairness": fairness_table(read_csv(_artifact(settings, run_id, "fairness.csv")), threshold, min_support),
        "history": history_table(read_csv(_artifact(settings, run_id, "history_by_age.csv"))),
        "threshold": threshold,
        "min_support": min_support,
        "has_plot": _artifact(settings, run_id, "fairness.png") is not None,
    }


@router.get("/models/runs/{run_id}/{name}")
def run_figure(run_id: str, name: str, who: DataTeam, service: ServiceDep) -> Response:
    """A run's figure (PNG), for the page above."""
    if name not in RUN_FIGURES:
        raise PageNotFound(name)
    data = _artifact(service.settings, run_id, name)
    if data is None:
        raise PageNotFound(name)
    return Response(data, media_type="image/png")


# --- release and rollback: a confirmation page (GET), then the change (POST) -----------------------
def _check(settings: Settings, version: str | None, rollback: bool) -> ReleaseCheck:
    if not version or not version.isdigit() or len(version) > 9:
        raise PageNotFound(f"Version {version}")
    try:
        return check_release(settings.tracking_uri, settings.artifact_dir, settings.model_name, version, rollback)
    except ModelNotFoundError as exc:
        raise PageNotFound(f"Version {version}") from exc


def _target(settings: Settings, rollback: bool, asked: str | None) -> str | None:
    if not rollback:
        return asked
    return rollback_target(settings.tracking_uri, settings.artifact_dir, settings.model_name)


def _confirm_page(request: Request, check: ReleaseCheck, status_code: int = 200, done: bool = False) -> HTMLResponse:
    title = "Zurück zum vorigen Produktivmodell" if check.rollback else "Als Produktivmodell freigeben"
    return render(request, "model_release.html", status_code=status_code, title=title, check=check, done=done)


def _no_rollback(request: Request) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status_code=409,
        title="Keine Rückkehr möglich",
        message="Es gibt kein voriges Produktivmodell, zu dem zurückgekehrt werden könnte.",
    )


@router.get("/models/release", response_class=HTMLResponse)
def confirm_release(request: Request, who: DataTeam, service: ServiceDep) -> HTMLResponse:
    """ "Wirklich freigeben?" with the gate's verdict; the button posts the release."""
    return _confirm_page(request, _check(service.settings, request.query_params.get("version"), rollback=False))


@router.get("/models/rollback", response_class=HTMLResponse)
def confirm_rollback(request: Request, who: DataTeam, service: ServiceDep) -> HTMLResponse:
    """ "Wirklich zurück?" to the champion before the current one, with the gate's verdict."""
    target = _target(service.settings, True, None)
    if target is None:
        return _no_rollback(request)
    return _confirm_page(request, _check(service.settings, target, rollback=True))


@router.post("/models/release")
def do_release(request: Request, who: DataTeam, form: Form, endpoint: Endpoint, service: ServiceDep) -> Response:
    return _apply(request, service, who, form, endpoint, rollback=False)


@router.post("/models/rollback")
def do_rollback(request: Request, who: DataTeam, form: Form, endpoint: Endpoint, service: ServiceDep) -> Response:
    return _apply(request, service, who, form, endpoint, rollback=True)


def _apply(
    request: Request, service: Service, who: Principal, form: dict[str, str], endpoint: str, rollback: bool
) -> Response:
    """Without the confirmation field: back to the confirmation page, nothing changes. Else the
    gate is checked again; passed: the alias moves, the audit record, every worker reloads."""
    version = form.get("version", "")
    step = "rollback" if rollback else f"release?version={version}"
    if form.get("confirmed") != "ja":
        return redirect(f"{PREFIX}/models/{step}")
    settings = service.settings
    target = _target(settings, rollback, version)
    if target is None:
        return _no_rollback(request)
    if target != version:  # the history moved since the confirmation page
        return redirect(f"{PREFIX}/models/{step}")
    _check(settings, version, rollback)  # 404 for an unknown version
    check = release(settings.tracking_uri, settings.artifact_dir, settings.model_name, version, who.user_id, rollback)
    if not check.passed:
        return _confirm_page(request, check, status_code=409)
    try:
        service.reload_model()
    except ReloadFailedError as exc:
        service.audit(who, endpoint, version, [], version, kind="model")
        return render(request, "error.html", status_code=409, title="Neu laden fehlgeschlagen", message=str(exc))
    service.audit(who, endpoint, version, [], version, kind="model")
    return redirect(f"{PREFIX}/models?freigegeben={version}")


# --- the break-glass report: who reached another team's job seekers, and why --------------------
@router.get("/zugriffe", response_class=HTMLResponse)
def break_glass_page(request: Request, who: DataTeam, service: ServiceDep) -> HTMLResponse:
    """Accesses to another team's job seekers by person and reason (as ``matcher audit break-glass``):
    pseudonymous staff ids, counts and days, no job seeker."""
    from datetime import date, timedelta

    from api.security import ACCESS_REASON_LABELS_DE, AccessReason
    from matcher.services.audit_reads import break_glass

    days = 90
    rows = break_glass(service.settings.audit_log, date.today() - timedelta(days=days))
    labels = {r.value: label for r, label in ACCESS_REASON_LABELS_DE.items()}
    for row in rows:
        row["reason_de"] = labels.get(row["reason"], AccessReason(row["reason"]).value)
    return render(
        request, "break_glass.html", title="Begründete Zugriffe", rows=rows, days=days, role_labels=ROLE_LABELS_DE
    )
