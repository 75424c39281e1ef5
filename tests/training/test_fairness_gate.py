"""The promotion gate: better AND fair, or the champion stays."""

from __future__ import annotations

import pandas as pd

from training.evaluate import decide_promotion
from training.fairness import fairness_gate


def _table(ratios: dict[tuple[str, str], float], people: int = 1000) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"attribute": a, "group": g, "eligible": 10 * people, "people": people, "exposure_ratio": r}
            for (a, g), r in ratios.items()
        ]
    )


FAIR = {("age_group", "<25"): 1.05, ("age_group", "25-49"): 1.0, ("age_group", "50+"): 0.9}
UNFAIR = {**FAIR, ("age_group", "50+"): 0.5}


def test_fair_table_passes() -> None:
    assert fairness_gate(_table(FAIR), 0.8, 100).passed


def test_group_at_half_fails_the_gate() -> None:
    gate = fairness_gate(_table(UNFAIR), 0.8, 100)
    assert not gate.passed
    assert gate.failures == ["age_group=50+: exposure ratio 0.50 < 0.80"]


def test_below_threshold_but_no_worse_than_champion_passes() -> None:
    champion = _table({**FAIR, ("age_group", "50+"): 0.45})
    assert fairness_gate(_table(UNFAIR), 0.8, 100, champion).passed
    worse_champion_is_not_excuse = _table({**FAIR, ("age_group", "50+"): 0.6})
    assert not fairness_gate(_table(UNFAIR), 0.8, 100, worse_champion_is_not_excuse).passed


def test_small_groups_are_reported_not_gated() -> None:
    assert fairness_gate(_table(UNFAIR, people=20), 0.8, 100).passed


def test_unfair_model_is_refused_even_when_better() -> None:
    gate = fairness_gate(_table(UNFAIR), 0.8, 100)
    decision = decide_promotion(0.9, gate.passed, gate.failures, champion_ndcg=0.5)
    assert not decision.promote
    assert "fairness gate failed" in decision.reasons[0]


def test_unfair_first_model_is_not_champion() -> None:
    gate = fairness_gate(_table(UNFAIR), 0.8, 100)
    assert not decide_promotion(0.9, gate.passed, gate.failures, champion_ndcg=None).promote


def test_worse_or_equal_model_is_refused() -> None:
    assert not decide_promotion(0.60, True, [], champion_ndcg=0.61).promote
    assert not decide_promotion(0.61, True, [], champion_ndcg=0.61).promote
    assert decide_promotion(0.62, True, [], champion_ndcg=0.61).promote
    assert decide_promotion(0.2, True, [], champion_ndcg=None).promote
