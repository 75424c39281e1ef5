"""Fitting and judging the score -> probability map of a trained re-ranker.

The probability is that proposing a pair leads to an interview or a hire (relevance >= 2). Only
proposals have an observed outcome, so the map is fitted on the proposals of the calibration
window (:attr:`training.dataset.Datasets.calibration`: the days just before the test window, which
the model never trained on) and judged on the proposals of the test window.

Both scikit-learn methods are fitted: isotonic regression and Platt scaling (a one-feature
logistic regression). The one with the lower expected calibration error in a k-fold
cross-validation *within the calibration window* is kept and refitted on the whole window; the test
window only reports (choosing on it would leave no honest figure). The report carries both methods'
figures on both windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.calibration import (
    ECE_BINS,
    TARGET,
    Calibration,
    CalibrationMethod,
    ReliabilityBin,
    expected_calibration_error,
    reliability_table,
)

METHODS: tuple[CalibrationMethod, ...] = ("isotonic", "platt")
INTERVIEW = 2  # relevance of an interview (hired 3): the positive outcome
ECE_TARGET = 0.05


@dataclass(frozen=True)
class ScoredOutcomes:
    """Model scores of proposals and whether each led to an interview or a hire."""

    scores: NDArray[np.float64]
    outcomes: NDArray[np.int64]  # 1 interview or hire, else 0

    @classmethod
    def of(cls, scores: NDArray[np.floating[Any]], labels: NDArray[np.int64]) -> ScoredOutcomes:
        return cls(np.asarray(scores, dtype=np.float64), (np.asarray(labels) >= INTERVIEW).astype(np.int64))

    def __len__(self) -> int:
        return len(self.scores)

    def usable(self, min_rows: int) -> bool:
        """Enough rows and both outcomes present (a one-class window fits nothing)."""
        return len(self) >= min_rows and 0 < int(self.outcomes.sum()) < len(self)


def fit(method: CalibrationMethod, data: ScoredOutcomes, fitted_on: dict[str, Any] | None = None) -> Calibration:
    """One calibration by scikit-learn: ``IsotonicRegression`` or a logistic regression on the score.

    A Platt fit whose slope is not positive (a model whose scores do not rise with the outcome)
    is refused with ValueError: it would rank the probability against the score.
    """
    info = dict(fitted_on or {})
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        iso.fit(data.scores, data.outcomes)
        x, y = iso.X_thresholds_, iso.y_thresholds_
        return Calibration("isotonic", tuple(map(float, x)), tuple(map(float, np.clip(y, 0.0, 1.0))), fitted_on=info)
    from sklearn.linear_model import LogisticRegression

    # A large C: Platt scaling is the maximum-likelihood sigmoid, not a shrunk one.
    logistic = LogisticRegression(C=1e6, max_iter=1000).fit(data.scores.reshape(-1, 1), data.outcomes)
    return Calibration("platt", a=float(logistic.coef_[0, 0]), b=float(logistic.intercept_[0]), fitted_on=info)


def cross_validated_ece(method: CalibrationMethod, data: ScoredOutcomes, folds: int, seed: int) -> float:
    """ECE of ``method`` on each held-out fold of the calibration window, pooled over the folds."""
    order = np.random.default_rng(seed).permutation(len(data))
    predicted = np.zeros(len(data), dtype=np.float64)
    for part in np.array_split(order, folds):
        rest = np.setdiff1d(order, part, assume_unique=True)
        fold = ScoredOutcomes(data.scores[rest], data.outcomes[rest])
        predicted[part] = fit(method, fold).apply(data.scores[part])
    return expected_calibration_error(predicted, data.outcomes)


@dataclass(frozen=True)
class CalibrationReport:
    """What ``matcher train --json`` prints under ``calibration`` (and MLflow logs).

    ``calibration`` is None when the calibration window had too few proposals or only one
    outcome; the model then ships without one and serves ``probability: null``.
    """

    calibration: Calibration | None
    method: str | None
    ece: float | None  # the chosen method's ECE on the test window
    reliability: list[ReliabilityBin]  # the chosen method on the test window
    compared: dict[str, dict[str, float | None]]  # method -> cv_ece (calibration window), test_ece
    fit_rows: int
    test_rows: int
    test_base_rate: float | None
    window: list[str] = field(default_factory=list)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": TARGET,
            "method": self.method,
            "bins": ECE_BINS,
            "ece": self.ece,
            "ece_target": ECE_TARGET,
            "reliability": [b.to_json() for b in self.reliability],
            "compared": self.compared,
            "calibration_window": self.window,
            "fit_rows": self.fit_rows,
            "test_rows": self.test_rows,
            "test_base_rate": self.test_base_rate,
            "reason": self.reason,
        }

    def metrics(self) -> dict[str, float]:
        """Flat MLflow metrics: the chosen ECE and every method's figures."""
        out = {f"calibration.{m}.{k}": v for m, row in self.compared.items() for k, v in row.items() if v is not None}
        if self.ece is not None:
            out["calibration.ece"] = self.ece
        return out


def _compare(
    method: CalibrationMethod,
    fit_set: ScoredOutcomes,
    test_set: ScoredOutcomes,
    info: dict[str, Any],
    seed: int,
    folds: int,
) -> tuple[Calibration | None, dict[str, float | None]]:
    """One method fitted on the whole window, with its cross-validated and its test-window ECE."""
    try:
        fitted = fit(method, fit_set, info)
        cv = cross_validated_ece(method, fit_set, folds, seed)
    except ValueError:  # a Platt slope <= 0
        return None, {"cv_ece": None, "test_ece": None}
    test = expected_calibration_error(fitted.apply(test_set.scores), test_set.outcomes) if len(test_set) else None
    return fitted, {"cv_ece": cv, "test_ece": test}


def calibrate(
    fit_set: ScoredOutcomes,
    test_set: ScoredOutcomes,
    window: list[str],
    min_rows: int = 200,
    folds: int = 5,
    seed: int = 42,
) -> CalibrationReport:
    """Fit both methods on ``fit_set``, keep the one with the lower cross-validated ECE, report on ``test_set``."""
    base = float(test_set.outcomes.mean()) if len(test_set) else None
    if not fit_set.usable(min_rows):
        reason = f"the calibration window has {len(fit_set)} proposals ({int(fit_set.outcomes.sum())} positive)"
        reason += f"; at least {min_rows} with both outcomes are needed: no calibration, probability null"
        return CalibrationReport(None, None, None, [], {}, len(fit_set), len(test_set), base, window, reason)
    info = {"window": window, "rows": len(fit_set), "positives": int(fit_set.outcomes.sum())}
    results = {m: _compare(m, fit_set, test_set, info, seed, folds) for m in METHODS}
    compared = {m: figures for m, (_, figures) in results.items()}
    fitted = {m: c for m, (c, _) in results.items() if c is not None}
    best = min(fitted, key=lambda m: _or_inf(compared[m]["cv_ece"]))  # isotonic always fits
    table = reliability_table(fitted[best].apply(test_set.scores), test_set.outcomes) if len(test_set) else []
    reason = f"{best}: lower cross-validated ECE on the calibration window"
    return CalibrationReport(
        fitted[best],
        best,
        compared[best]["test_ece"],
        table,
        compared,
        len(fit_set),
        len(test_set),
        base,
        window,
        reason,
    )


def _or_inf(value: float | None) -> float:
    return float("inf") if value is None else value


def plot_reliability(report: CalibrationReport, path: Path) -> None:
    """The reliability diagram of the chosen method on the test window (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: training runs headless
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    filled = [b for b in report.reliability if b.count]
    if filled:
        ax.plot(
            [b.mean_predicted for b in filled],
            [b.observed for b in filled],
            marker="o",
            label=f"{report.method} (ECE {report.ece:.3f})" if report.ece is not None else str(report.method),
        )
        for b in filled:  # the rows behind each point: a far-off point of 3 rows says little
            where = (b.mean_predicted or 0.0, b.observed or 0.0)
            ax.annotate(str(b.count), where, fontsize=7, xytext=(3, -9), textcoords="offset points")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability of an interview or a hire")
    ax.set_ylabel("observed share (test window)")
    ax.set_title("Reliability on the test window (10 bins)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
