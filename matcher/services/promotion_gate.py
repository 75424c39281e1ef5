"""The promotion gate: a new champion only if fair enough AND better than the champion.

One gate for every way a version becomes ``@champion``: ``matcher train`` (training.pipeline, on
the run's own test window) and the data team's release from the web app (:mod:`matcher.services.release`,
on the figures the versions' training runs recorded). It lives in the core so that the API can
apply it without importing ``training``; ``training.fairness`` and ``training.evaluate`` re-export it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

UNKNOWN = "unknown"  # the group of a missing protected value: reported, never gated


@dataclass(frozen=True)
class GateResult:
    passed: bool
    failures: list[str]
    # (attribute, group, exposure ratio) of every group that failed, for reasons in German
    below: list[tuple[str, str, float]] = field(default_factory=list)


def fairness_gate(
    table: pd.DataFrame, threshold: float, min_support: int, champion: pd.DataFrame | None = None
) -> GateResult:
    """Every group with enough support has an exposure ratio >= ``threshold``, or one no worse
    than the champion's on the same data. Groups of fewer than ``min_support`` distinct people
    in the audit pool are too noisy to gate on (the same few people fill many vacancies' lists)
    and are only reported."""
    failures: list[str] = []
    below: list[tuple[str, str, float]] = []
    known = table[(table["people"] >= min_support) & (table["group"] != UNKNOWN)]
    for row in known.itertuples(index=False):
        ratio = float(row.exposure_ratio)
        if ratio >= threshold:
            continue
        if champion is not None:
            match = champion[(champion["attribute"] == row.attribute) & (champion["group"] == row.group)]
            if not match.empty and ratio >= float(match["exposure_ratio"].iloc[0]):
                continue
        failures.append(f"{row.attribute}={row.group}: exposure ratio {ratio:.2f} < {threshold:.2f}")
        below.append((str(row.attribute), str(row.group), ratio))
    return GateResult(passed=not failures, failures=failures, below=below)


def gated_group(people: int, group: str, min_support: int) -> bool:
    """Whether the gate judges this group (enough people, a known value)."""
    return people >= min_support and group != UNKNOWN


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a new model becomes champion, and why."""

    promote: bool
    reasons: list[str]


def decide_promotion(
    ndcg: float, fairness_passed: bool, fairness_failures: list[str], champion_ndcg: float | None
) -> PromotionDecision:
    """Champion only if fair enough and strictly better than the champion on the same data.

    Args:
        ndcg: the new model's NDCG@10 on the test window.
        fairness_passed: outcome of :func:`fairness_gate` (which already accepts a group below
            the threshold when the champion is no better there).
        fairness_failures: the gate's reasons, reported when it fails.
        champion_ndcg: the current champion's NDCG@10 on the same test window; None if none.
    """
    reasons: list[str] = []
    if not fairness_passed:
        reasons.append("fairness gate failed: " + "; ".join(fairness_failures))
    if champion_ndcg is None:
        reasons.append("no champion yet")
    elif not ndcg > champion_ndcg:
        reasons.append(f"NDCG@10 {ndcg:.4f} does not beat the champion's {champion_ndcg:.4f}")
    else:
        reasons.append(f"NDCG@10 {ndcg:.4f} beats the champion's {champion_ndcg:.4f}")
    better = champion_ndcg is None or ndcg > champion_ndcg
    return PromotionDecision(promote=fairness_passed and better, reasons=reasons)
