"""Calibrated probabilities: a monotone map from a re-ranker's score to the probability that
proposing the pair leads to an interview or a hire.

A LambdaMART score only orders a list; its scale means nothing across lists. Training fits one of
two maps on a held-out window of proposals (:mod:`training.calibrate`) and ships it with the model
(the registered model's MLflow metadata, :mod:`matcher.ranking.model_registry`):

- ``isotonic``: a non-decreasing step function through (score, rate) knots, applied by linear
  interpolation between knots and clipped at the ends (scikit-learn's ``IsotonicRegression``
  with ``out_of_bounds="clip"``);
- ``platt``: ``1 / (1 + exp(-(a * score + b)))`` with ``a > 0``.

Both are non-decreasing in the score, so within one model version a higher score never gets a
lower probability. Applying them needs numpy only: serving does not import scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

CalibrationMethod = Literal["isotonic", "platt"]
# What the probability is of: proposing the pair leads to an interview or a hire (relevance >= 2).
TARGET = "interview_or_hire"
ECE_BINS = 10


@dataclass(frozen=True)
class Calibration:
    """A fitted score -> probability map.

    Attributes:
        method: ``isotonic`` (knots ``x``, ``y``) or ``platt`` (``a``, ``b``).
        x: isotonic knots' scores, increasing.
        y: isotonic knots' probabilities, non-decreasing, in [0, 1].
        a: Platt slope (> 0).
        b: Platt intercept.
        target: what the probability is of.
        fitted_on: where it was fitted (e.g. the calibration window's dates and row count).
    """

    method: CalibrationMethod
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 0.0
    b: float = 0.0
    target: str = TARGET
    fitted_on: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method == "isotonic":
            x, y = np.asarray(self.x, dtype=np.float64), np.asarray(self.y, dtype=np.float64)
            if len(x) == 0 or len(x) != len(y):
                raise ValueError("an isotonic calibration needs knots x and y of the same, non-zero length")
            if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0) or y.min() < 0.0 or y.max() > 1.0:
                raise ValueError("isotonic knots must be increasing in x and non-decreasing in y within [0, 1]")
        elif self.method == "platt":
            if not (np.isfinite(self.a) and np.isfinite(self.b) and self.a > 0):
                raise ValueError(f"a Platt calibration needs a positive finite slope, got a={self.a}")
        else:
            raise ValueError(f"unknown calibration method: {self.method}")

    def apply(self, scores: ArrayLike) -> NDArray[np.float64]:
        """The probability of each score, in [0, 1], non-decreasing in the score."""
        s = np.asarray(scores, dtype=np.float64)
        if self.method == "isotonic":
            return np.interp(s, self.x, self.y)
        # Clipped so that exp never overflows; the result is 0 or 1 to double precision there.
        return 1.0 / (1.0 + np.exp(-np.clip(self.a * s + self.b, -700.0, 700.0)))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (kept in the registered model's metadata)."""
        out: dict[str, Any] = {"method": self.method, "target": self.target, "fitted_on": dict(self.fitted_on)}
        if self.method == "isotonic":
            out.update(x=list(self.x), y=list(self.y))
        else:
            out.update(a=self.a, b=self.b)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        """The inverse of :meth:`to_json`.

        Raises:
            ValueError: the data do not describe a valid calibration.
        """
        method = data.get("method")
        if method not in ("isotonic", "platt"):
            raise ValueError(f"unknown calibration method: {method!r}")
        return cls(
            method=method,
            x=tuple(float(v) for v in data.get("x", ())),
            y=tuple(float(v) for v in data.get("y", ())),
            a=float(data.get("a", 0.0)),
            b=float(data.get("b", 0.0)),
            target=str(data.get("target", TARGET)),
            fitted_on=dict(data.get("fitted_on", {})),
        )


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability table: predicted probabilities in [lower, upper)."""

    lower: float
    upper: float
    count: int
    mean_predicted: float | None  # None for an empty bin
    observed: float | None  # the share of positive outcomes; None for an empty bin

    def to_json(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "count": self.count,
            "mean_predicted": self.mean_predicted,
            "observed": self.observed,
        }


def reliability_table(probabilities: ArrayLike, outcomes: ArrayLike, bins: int = ECE_BINS) -> list[ReliabilityBin]:
    """Equal-width bins over [0, 1] (the last one includes 1.0): count, mean prediction, observed rate."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    if p.shape != y.shape:
        raise ValueError(f"{p.shape[0] if p.ndim else 0} probabilities but {y.shape[0] if y.ndim else 0} outcomes")
    which = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        out.append(
            ReliabilityBin(
                round(b / bins, 6),
                round((b + 1) / bins, 6),
                n,
                float(p[inside].mean()) if n else None,
                float(y[inside].mean()) if n else None,
            )
        )
    return out


def expected_calibration_error(probabilities: ArrayLike, outcomes: ArrayLike, bins: int = ECE_BINS) -> float:
    """ECE: the count-weighted mean gap between mean prediction and observed rate over equal-width bins.

    Raises:
        ValueError: no rows, or probabilities and outcomes differ in length.
    """
    table = reliability_table(probabilities, outcomes, bins)
    total = sum(b.count for b in table)
    if total == 0:
        raise ValueError("the expected calibration error needs at least one row")
    gaps = [b.count * abs((b.mean_predicted or 0.0) - (b.observed or 0.0)) for b in table if b.count]
    return float(sum(gaps) / total)
