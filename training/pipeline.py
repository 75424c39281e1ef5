"""The training run as a chain of plain functions.

``run``: load and embed the store -> build the time-split learning-to-rank sets -> train
LambdaMART -> fit its score -> probability map on the calibration window and judge it on the test
window -> evaluate against the baselines and the oracle -> fairness audit -> decide promotion
against the current champion on the same data -> log, register (with the calibration) and alias
in MLflow.
``compare``: two registered versions (default ``@champion`` and ``@challenger``) on the test window.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.ranking.features import FEATURE_NAMES
from matcher.ranking.model_registry import CHALLENGER, CHAMPION, load_model
from matcher.ranking.reranker import LightGBMReranker, Reranker, SimilarityReranker
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.contacts import ContactBook
from training import fairness, tracking
from training.calibrate import CalibrationReport, ScoredOutcomes, calibrate, plot_reliability
from training.config import TrainingConfig
from training.dataset import (
    Datasets,
    TextEncoder,
    UtilityOracle,
    build_datasets,
    load_corpus,
    outcome_groups,
    with_feedback,
)
from training.evaluate import (
    PromotionDecision,
    baseline_scores,
    decide_promotion,
    evaluate_rankers,
    feature_importance,
    metrics_table,
)

Progress = Callable[[str], None]
MetricDict = dict[str, dict[str, float] | None]
Trainer = Callable[[Datasets, TrainingConfig], LightGBMReranker]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class TrainingResult:
    """What ``matcher train --json`` prints."""

    run_id: str
    model_version: str
    promoted: bool
    metrics: MetricDict
    fairness: dict[str, Any]
    decision: list[str] = field(default_factory=list)
    previous_champion: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)  # CalibrationReport.to_json

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model_version": self.model_version,
            "promoted": self.promoted,
            "metrics": _clean(self.metrics),
            "fairness": _clean(self.fairness),
            "calibration": _clean(self.calibration),
            "decision": self.decision,
            "previous_champion": self.previous_champion,
            "data": self.data,
        }


@dataclass(frozen=True)
class ModelRef:
    """A registered version as asked for (alias or number) and as resolved."""

    ref: str
    version: str


@dataclass(frozen=True)
class ComparisonReport:
    """What ``matcher evaluate --json`` prints: two registered versions and the baselines on the test window."""

    a: ModelRef
    b: ModelRef
    metrics: MetricDict
    better: str  # the ref with the higher NDCG@10 (a on a tie)
    fairness: dict[str, Any]  # ref -> fairness.to_json of its audit
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _clean(
            {
                "a": {"ref": self.a.ref, "version": self.a.version},
                "b": {"ref": self.b.ref, "version": self.b.version},
                "metrics": self.metrics,
                "better": self.better,
                "fairness": self.fairness,
                "data": self.data,
            }
        )


def _clean(value: Any) -> Any:
    """JSON-safe: nan becomes null, numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class TrainingInputs:
    """What ``prepare``, ``run`` and ``compare`` read: the settings of the run, the encoder, the
    store, the embedding cache, and an optional evaluator that knows the hidden utility (the
    generated world's oracle: the test set's ``utility``, never a feature)."""

    config: TrainingConfig
    encoder: TextEncoder
    store: Store
    cache_dir: Path | None = None
    oracle: UtilityOracle | None = None
    progress: Progress = _quiet


def prepare(inputs: TrainingInputs, with_train: bool = True) -> Datasets:
    """Load and embed the store, then build the time-split sets (the oracle's utility goes into
    the test set only, for the oracle ranker and Spearman)."""
    store, progress = inputs.store, inputs.progress
    progress("rendering and embedding candidates and vacancies")
    corpus = load_corpus(store, inputs.encoder, ReferenceData(), inputs.cache_dir)
    progress("building the learning-to-rank sets")
    labelled = with_feedback(store.proposals(), ContactBook(store).feedback())
    return build_datasets(corpus, labelled, inputs.oracle, inputs.config, with_train=with_train)


def train(data: Datasets, config: TrainingConfig) -> LightGBMReranker:
    if data.train is None:
        raise ValueError("the datasets were built without a training set")
    train_set = data.train.with_relevant()
    if len(train_set.queries) == 0:
        raise ValueError("no training query has a relevant outcome (applied, interview, hired)")
    groups = [g for by in config.outcome_groups for g in outcome_groups(data.train, by)]
    extra = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
    features = np.vstack([train_set.features, data.train.features[extra]])
    labels = np.concatenate([train_set.labels, data.train.labels[extra]])
    sizes = np.concatenate([train_set.group_sizes(), [len(g) for g in groups]]).astype(np.int64)
    for name in config.neutralised_features:
        # A constant column offers no split: the model cannot use it, yet keeps its signature.
        features[:, FEATURE_NAMES.index(name)] = 0.0
    return LightGBMReranker.fit(features, labels, sizes, config.params)


def calibrate_model(
    model: LightGBMReranker, data: Datasets, test_scores: NDArray[np.float64], config: TrainingConfig
) -> CalibrationReport:
    """Fit the model's calibration on the calibration window, set it on the model, judge it on
    the test window's proposals (``test_scores``: the model's scores of every test row)."""
    window = data.calibration
    if window is None:
        raise ValueError("the datasets were built without a calibration window")
    fit_set = ScoredOutcomes.of(model.score(window.features), window.labels)
    proposed = data.test.proposed
    test_set = ScoredOutcomes.of(test_scores[proposed], data.test.labels[proposed])
    days = [d.isoformat() for d in (window.first_day, window.last_day) if d is not None]
    report = calibrate(fit_set, test_set, days, config.calibration_min_rows, seed=config.seed)
    model.calibration = report.calibration
    return report


def audit_model(model: Reranker, data: Datasets, groups: pd.DataFrame) -> pd.DataFrame:
    """The fairness table of one model on the test window."""
    employer_scores = {
        "model": model.score(data.audit.features),
        "embedding": SimilarityReranker().score(data.audit.features),
    }
    return fairness.audit(groups, data.test, model.score(data.test.features), data.audit, employer_scores)


def _summary(data: Datasets) -> dict[str, Any]:
    train_queries = 0 if data.train is None else len(data.train.queries)
    return {
        "history": [data.first_day.isoformat(), data.last_day.isoformat()],
        "test_window": [data.cutoff.isoformat(), data.last_day.isoformat()],
        "train_queries": train_queries,
        "train_rows": 0 if data.train is None else len(data.train),
        "calibration_rows": 0 if data.calibration is None else len(data.calibration),
        "test_queries": len(data.test.queries),
        "test_rows": len(data.test),
        "audit_vacancies": len(data.audit.queries),
        "audit_rows": len(data.audit),
    }


def _champion_view(
    registry: tracking.Registry, name: str, data: Datasets, groups: pd.DataFrame
) -> tuple[str | None, float | None, pd.DataFrame | None]:
    """The current champion's version, NDCG@10 and fairness table on this run's test window."""
    champion = tracking.current_champion(registry, name)
    if champion is None:
        return None, None, None
    metrics = evaluate_rankers({"champion": champion.reranker.score(data.test.features)}, data.test)
    ndcg = (metrics["champion"] or {}).get("ndcg@10")
    return champion.version, ndcg, audit_model(champion.reranker, data, groups)


def _template(name: str) -> str:
    """A text template shipped with the package (``training/templates/``), placeholders for ``str.format``."""
    return resources.files("training").joinpath("templates", name).read_text(encoding="utf-8")


def model_card(
    config: TrainingConfig,
    data: Datasets,
    metrics: pd.DataFrame,
    table: pd.DataFrame,
    history: pd.DataFrame,
    decision: PromotionDecision,
    calibration: CalibrationReport | None = None,
) -> str:
    """The model card in Markdown; its text is ``training/templates/model_card.md``."""
    s = _summary(data)
    return _template("model_card.md").format(
        history_from=s["history"][0],
        history_to=s["history"][1],
        cutoff=s["test_window"][0],
        train_queries=s["train_queries"],
        train_rows=s["train_rows"],
        test_queries=s["test_queries"],
        calibration_window_days=config.calibration_window_days,
        negatives_train=config.negatives_train,
        negatives_test=config.negatives_test,
        neutralised_features=", ".join(config.neutralised_features) or "none",
        outcome_groups=", ".join({"cand": "job seeker", "vac": "vacancy"}[g] for g in config.outcome_groups) or "none",
        metrics=fairness.markdown(metrics.reset_index(names="ranker")),
        calibration=calibration_text(calibration),
        fairness=fairness.markdown(table),
        fairness_threshold=config.fairness_threshold,
        fairness_min_support=config.fairness_min_support,
        history=fairness.markdown(history),
        reasons="; ".join(decision.reasons),
        promoted=decision.promote,
    )


def run(inputs: TrainingInputs, registry: tracking.Registry, trainer: Trainer | None = None) -> TrainingResult:
    """Build, train, evaluate, audit, log, register and (maybe) promote.

    Args:
        trainer: replaces :func:`train` (tests build deliberately bad models with it).
    """
    config, store, progress = inputs.config, inputs.store, inputs.progress
    data = prepare(inputs)
    progress(f"training LambdaMART on {len(data.train or [])} rows")
    model = (trainer or train)(data, config)
    progress(f"evaluating on the test window ({len(data.test.queries)} queries)")
    scores = {"model": model.score(data.test.features), **baseline_scores(data.corpus, data.test)}
    metrics = evaluate_rankers(scores, data.test)
    progress(f"calibrating on {len(data.calibration or [])} proposals of the calibration window")
    calibration = calibrate_model(model, data, scores["model"], config)
    progress("fairness audit")
    groups = fairness.candidate_groups(store.protected_attributes(), data.corpus, data.cutoff)
    verdict = _judge(config, registry, data, model, metrics, groups)
    artifacts = _artifacts(config, data, model, metrics, verdict, calibration)
    progress("logging to MLflow and registering the model")
    decision = verdict.decision
    run_id, version = tracking.log_training(registry, config, model, artifacts, decision.promote)
    if decision.promote and verdict.name == registry.model_name:  # the serving name: every worker reloads
        store.log_model_change(verdict.name, str(version))
    return TrainingResult(
        run_id,
        version,
        decision.promote,
        metrics,
        fairness.to_json(verdict.table),
        decision.reasons,
        verdict.previous,
        _summary(data),
        calibration.to_json(),
    )


@dataclass(frozen=True)
class _Verdict:
    """The new model's fairness audit and history, and the promotion decision against the champion."""

    name: str  # the registered model's name
    table: pd.DataFrame
    history: pd.DataFrame
    previous: str | None  # the champion's version, if any
    decision: PromotionDecision


def _judge(
    config: TrainingConfig,
    registry: tracking.Registry,
    data: Datasets,
    model: LightGBMReranker,
    metrics: MetricDict,
    groups: pd.DataFrame,
) -> _Verdict:
    """Audit the model, and decide whether it replaces the champion (better and fair enough)."""
    table = audit_model(model, data, groups)
    history = fairness.history_table([s for s in (data.train, data.test) if s is not None], groups)
    name = config.model_name(registry.model_name)
    previous, champion_ndcg, champion_table = _champion_view(registry, name, data, groups)
    gate = fairness.fairness_gate(table, config.fairness_threshold, config.fairness_min_support, champion_table)
    decision = decide_promotion((metrics["model"] or {})["ndcg@10"], gate.passed, gate.failures, champion_ndcg)
    return _Verdict(name, table, history, previous, decision)


def _artifacts(
    config: TrainingConfig,
    data: Datasets,
    model: LightGBMReranker,
    metrics: MetricDict,
    verdict: _Verdict,
    calibration: CalibrationReport,
) -> tracking.RunArtifacts:
    frame = metrics_table(metrics)
    table, history, decision = verdict.table, verdict.history, verdict.decision

    def fairness_figure(path: Path) -> None:
        fairness.plot(table, history, config.fairness_threshold, path)

    def reliability_figure(path: Path) -> None:
        plot_reliability(calibration, path)

    return tracking.RunArtifacts(
        metrics=frame,
        fairness=table,
        history=history,
        importance=feature_importance(model),
        model_card=model_card(config, data, frame, table, history, decision, calibration),
        decision={"promote": decision.promote, "reasons": decision.reasons, "previous_champion": verdict.previous},
        figures={"fairness.png": fairness_figure, "reliability.png": reliability_figure},
        tables_md={
            "metrics": fairness.markdown(frame.reset_index(names="ranker")),
            "fairness": fairness.markdown(table),
            "history_by_age": fairness.markdown(history),
            "reliability": fairness.markdown(reliability_frame(calibration)),
        },
        calibration=calibration,
    )


def calibration_text(report: CalibrationReport | None) -> str:
    """The model card's calibration paragraph and reliability table."""
    if report is None or report.calibration is None:
        return "No calibration: " + (report.reason if report else "not fitted") + ". The API answers probability null."
    figures = ", ".join(
        f"{m} {row['cv_ece']:.4f} cross-validated / {row['test_ece']:.4f} test"
        for m, row in report.compared.items()
        if row["cv_ece"] is not None and row["test_ece"] is not None
    )
    head = (
        f"Method: {report.method} ({report.reason}), fitted on {report.fit_rows} proposals of "
        f"{' to '.join(report.window)}. ECE over 10 bins on the test window's {report.test_rows} proposals: "
        f"{report.ece:.4f} (target <= 0.05; base rate {report.test_base_rate:.3f}). Compared: {figures}."
    )
    return head + "\n\n" + fairness.markdown(reliability_frame(report))


def reliability_frame(report: CalibrationReport) -> pd.DataFrame:
    """The reliability table on the test window as a frame (bin, rows, mean predicted, observed)."""
    return pd.DataFrame(
        [
            {
                "bin": f"{b.lower:.1f}-{b.upper:.1f}",
                "proposals": b.count,
                "mean predicted": b.mean_predicted,
                "observed": b.observed,
            }
            for b in report.reliability
        ],
        columns=["bin", "proposals", "mean predicted", "observed"],
    )


def compare(
    inputs: TrainingInputs, registry: tracking.Registry, a: str = CHAMPION, b: str = CHALLENGER
) -> ComparisonReport:
    """Two registered versions (alias or number) and the baselines on the test window."""
    store = inputs.store
    name = inputs.config.model_name(registry.model_name)
    where = (registry.tracking_uri, registry.artifact_dir, name)
    first, second = load_model(*where, a), load_model(*where, b)
    data = prepare(inputs, with_train=False)
    inputs.progress(f"scoring {len(data.test)} test rows")
    scores = {
        a: first.reranker.score(data.test.features),
        b: second.reranker.score(data.test.features),
        **baseline_scores(data.corpus, data.test),
    }
    metrics = evaluate_rankers(scores, data.test)
    groups = fairness.candidate_groups(store.protected_attributes(), data.corpus, data.cutoff)
    ndcg = {ref: (metrics[ref] or {}).get("ndcg@10", float("nan")) for ref in (a, b)}
    return ComparisonReport(
        a=ModelRef(a, first.version),
        b=ModelRef(b, second.version),
        metrics=metrics,
        better=a if ndcg[a] >= ndcg[b] else b,
        fairness={ref: fairness.to_json(audit_model(m.reranker, data, groups)) for ref, m in ((a, first), (b, second))},
        data=_summary(data),
    )
