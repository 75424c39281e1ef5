"""Releasing a registered version as ``@champion`` and rolling back, for the data team's web page.

Both go through the promotion gate of ``matcher train`` (:mod:`matcher.services.promotion_gate`), applied to
the figures the versions' training runs recorded: the version's fairness table (``fairness.csv``)
against the threshold and minimum group size its run was trained with, and, for a release, its
NDCG@10 against the current champion's (each on its own run's test window; ``matcher evaluate``
compares two versions on one window). A rollback returns to the champion before the current one
(the promotion history): it must pass the fairness part again, but need not beat the champion it
replaces (that one is being withdrawn).

The promotion history is the registered model's tag ``champion_history`` (versions in the order
they became champion); a registry older than the tag is read from the runs' ``promoted`` tags.
Every move of the alias tags the version with ``promoted_by`` (a staff id) and ``promoted_at``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from matcher.errors import ModelNotFoundError
from matcher.ranking.model_registry import CHAMPION, _client, load_model, run_artifact
from matcher.records.clock import utc_stamp
from matcher.services.promotion_gate import GateResult, decide_promotion, fairness_gate

HISTORY_TAG = "champion_history"
NDCG_KEY = "model.ndcg_at_10"  # the run metric of the model's NDCG@10 (training.tracking.metric_key)
ATTRIBUTES_DE = {
    "gender": "Geschlecht",
    "age_group": "Altersgruppe",
    "citizenship_group": "Staatsangehörigkeit",
    "severe_disability": "Schwerbehinderung",
}
GROUPS_DE = {
    "f": "weiblich",
    "m": "männlich",
    "d": "divers",
    "german": "deutsch",
    "eu": "EU",
    "third_country": "Drittstaat",
    "yes": "ja",
    "no": "nein",
    "unknown": "unbekannt",
    "<25": "unter 25",
    "25-49": "25 bis 49",
    "50+": "50 und älter",
}


def de_number(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


@dataclass(frozen=True)
class ReleaseCheck:
    """The gate's verdict on making ``version`` the champion, with its reasons in German."""

    version: str
    champion: str | None
    rollback: bool
    passed: bool
    reasons_de: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Recorded:
    """What a version's training run recorded for the gate."""

    ndcg: float | None
    table: pd.DataFrame | None
    threshold: float
    min_support: int


def _recorded(tracking_uri: str, artifact_dir: Path, client: Any, name: str, version: str) -> _Recorded:
    found = client.get_model_version(name, version)
    if not found.run_id:
        return _Recorded(None, None, 0.8, 50)
    run = client.get_run(found.run_id)
    raw = run_artifact(tracking_uri, artifact_dir, found.run_id, "fairness.csv")
    table = pd.DataFrame(list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))) if raw else None
    if table is not None and not table.empty:
        table["people"] = pd.to_numeric(table["people"])
        table["exposure_ratio"] = pd.to_numeric(table["exposure_ratio"])
    params = run.data.params
    return _Recorded(
        run.data.metrics.get(NDCG_KEY),
        table,
        float(params.get("fairness_threshold", 0.8)),
        int(params.get("fairness_min_support", 50)),
    )


def gate_figures(tracking_uri: str, artifact_dir: Path, name: str, version: str) -> tuple[float, int]:
    """The fairness threshold and minimum group size the version's run was gated with."""
    recorded = _recorded(tracking_uri, artifact_dir, _client(tracking_uri, artifact_dir), name, version)
    return recorded.threshold, recorded.min_support


def _champion(client: Any, name: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


def check_release(
    tracking_uri: str, artifact_dir: Path, name: str, version: str, rollback: bool = False
) -> ReleaseCheck:
    """The gate's verdict on ``version`` as the next champion (nothing changes).

    Raises:
        ModelNotFoundError: no such version, or the registry cannot be read.
    """
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri, artifact_dir)
    try:
        mine = _recorded(tracking_uri, artifact_dir, client, name, version)
        champion = _champion(client, name)
        theirs = _recorded(tracking_uri, artifact_dir, client, name, champion) if champion else None
    except MlflowException as exc:
        raise ModelNotFoundError(f"version {version}: {exc.message.splitlines()[0]}") from exc
    if champion == version:
        return ReleaseCheck(version, champion, rollback, False, [f"Version {version} ist schon das Produktivmodell."])
    if mine.ndcg is None or mine.table is None or mine.table.empty:
        missing = f"Der Trainingslauf von Version {version} hat keine Qualitäts- oder Fairness-Prüfung aufgezeichnet."
        return ReleaseCheck(version, champion, rollback, False, [missing])
    other = None if theirs is None or theirs.table is None or theirs.table.empty else theirs.table
    gate = fairness_gate(mine.table, mine.threshold, mine.min_support, other)
    their_ndcg = None if rollback or theirs is None else theirs.ndcg
    decision = decide_promotion(mine.ndcg, gate.passed, gate.failures, their_ndcg)
    reasons = [*_fairness_de(gate, mine.threshold), _quality_de(mine.ndcg, their_ndcg, champion, rollback)]
    try:
        load_model(tracking_uri, artifact_dir, name, version)
    except (ModelNotFoundError, ValueError) as exc:
        reasons.append(f"Version {version} lässt sich nicht laden: {exc}")
        return ReleaseCheck(version, champion, rollback, False, reasons)
    return ReleaseCheck(version, champion, rollback, decision.promote, reasons)


def _fairness_de(gate: GateResult, threshold: float) -> list[str]:
    """The gate's fairness verdict in German: each group below the threshold, or that all passed."""
    reasons = [
        f"Fairness: {ATTRIBUTES_DE.get(a, a)} {GROUPS_DE.get(g, g)} hat ein Sichtbarkeitsverhältnis von "
        f"{de_number(r, 2)}, unter der Schwelle {de_number(threshold, 2)} (und nicht besser als beim "
        "jetzigen Produktivmodell)."
        for a, g, r in gate.below
    ]
    if gate.passed:
        reasons.append(f"Fairness: alle geprüften Gruppen mindestens {de_number(threshold, 2)} – bestanden.")
    return reasons


def _quality_de(ndcg: float, champion_ndcg: float | None, champion: str | None, rollback: bool) -> str:
    if rollback:
        return f"Qualität: NDCG@10 {de_number(ndcg)}; eine Rückkehr muss das jetzige Produktivmodell nicht übertreffen."
    if champion_ndcg is None:
        return f"Qualität: NDCG@10 {de_number(ndcg)}; es gibt noch kein Produktivmodell zum Vergleich."
    if ndcg > champion_ndcg:
        return f"Qualität: NDCG@10 {de_number(ndcg)} besser als {de_number(champion_ndcg)} (Version {champion})."
    return (
        f"Qualität: NDCG@10 {de_number(ndcg)} ist nicht besser als {de_number(champion_ndcg)} "
        f"des jetzigen Produktivmodells (Version {champion})."
    )


def promotion_history(tracking_uri: str, artifact_dir: Path, name: str) -> list[str]:
    """The versions in the order they became champion, the current champion last."""
    return _history(_client(tracking_uri, artifact_dir), name)


def _history(client: Any, name: str) -> list[str]:
    from mlflow.exceptions import MlflowException

    try:
        tags = client.get_registered_model(name).tags
    except MlflowException:
        return []
    if HISTORY_TAG in tags:
        history = [str(v) for v in json.loads(tags[HISTORY_TAG])]
    else:  # a registry from before the tag: the versions whose training run promoted them
        history = []
        for found in sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version)):
            if found.run_id and client.get_run(found.run_id).data.tags.get("promoted") == "true":
                history.append(str(found.version))
    history = [v for i, v in enumerate(history) if i == 0 or history[i - 1] != v]  # a version once per turn
    champion = _champion(client, name)
    if champion is not None and (not history or history[-1] != champion):
        history.append(champion)  # moved by hand (mlflow's own tools): it is the champion now
    return history


def record_promotion(client: Any, name: str, version: str, actor: str) -> None:
    """Move ``@champion`` to ``version``, tag who and when, append it to the history."""
    history = _history(client, name)
    _move(client, name, version, actor, _appended(history, version))


def _appended(history: list[str], version: str) -> list[str]:
    """The history with ``version`` last (once: a training run tagged ``promoted`` counts already)."""
    return history if history and history[-1] == version else [*history, version]


def _move(client: Any, name: str, version: str, actor: str, history: list[str]) -> None:
    client.set_model_version_tag(name, version, "promoted_by", actor)
    client.set_model_version_tag(name, version, "promoted_at", utc_stamp("seconds"))
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history[-200:]))


def rollback_target(tracking_uri: str, artifact_dir: Path, name: str) -> str | None:
    """The champion before the current one, or None when there was none."""
    history = promotion_history(tracking_uri, artifact_dir, name)
    return history[-2] if len(history) >= 2 else None


def release(
    tracking_uri: str, artifact_dir: Path, name: str, version: str, actor: str, rollback: bool = False
) -> ReleaseCheck:
    """Check ``version`` again and, when the gate passes, make it the champion (tagged ``actor``).

    A rollback drops the current champion from the history; a release appends the version.
    The caller reloads the serving engine.
    """
    check = check_release(tracking_uri, artifact_dir, name, version, rollback)
    if not check.passed:
        return check
    client = _client(tracking_uri, artifact_dir)
    history = _history(client, name)
    if rollback:
        if len(history) < 2 or history[-2] != version:
            reason = f"Version {version} ist nicht das vorige Produktivmodell; die Liste wurde inzwischen geändert."
            return ReleaseCheck(version, check.champion, rollback, False, [reason])
        _move(client, name, version, actor, history[:-1])
    else:
        _move(client, name, version, actor, _appended(history, version))
    return check
