"""The score -> probability map shipped with a model: known answers, bounds, monotonicity."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.ranking.calibration import Calibration, expected_calibration_error, reliability_table
from matcher.ranking.features import N_FEATURES
from matcher.ranking.reranker import LambdaMartParams, LightGBMReranker, RuleReranker, SimilarityReranker

ISOTONIC = Calibration("isotonic", x=(-1.0, 0.0, 0.5, 2.0), y=(0.01, 0.05, 0.05, 0.4))
PLATT = Calibration("platt", a=1.7, b=-2.5)


def test_ece_and_reliability_known_answer() -> None:
    # 10 rows predicted 0.05 with one positive (gap 0.05), 10 rows predicted 0.75 with 8 (gap 0.05).
    p = np.r_[np.full(10, 0.05), np.full(10, 0.75)]
    y = np.r_[np.eye(1, 10, 0)[0], np.ones(8), np.zeros(2)]
    assert expected_calibration_error(p, y) == pytest.approx(0.05)
    table = reliability_table(p, y)
    assert len(table) == 10 and sum(b.count for b in table) == 20
    assert (table[0].count, table[0].observed) == (10, pytest.approx(0.1))
    assert (table[7].count, table[7].mean_predicted, table[7].observed) == (10, 0.75, pytest.approx(0.8))
    assert table[3].count == 0 and table[3].observed is None
    assert reliability_table([1.0], [1])[-1].count == 1  # 1.0 falls into the last bin


def test_perfectly_calibrated_predictions_have_a_small_ece() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(50_000)
    assert expected_calibration_error(p, rng.random(50_000) < p) < 0.01
    assert expected_calibration_error(p, np.zeros(50_000)) == pytest.approx(p.mean(), abs=1e-9)


def test_ece_refuses_nothing_and_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        expected_calibration_error([], [])
    with pytest.raises(ValueError):
        expected_calibration_error([0.1, 0.2], [1])


@pytest.mark.parametrize("calibration", [ISOTONIC, PLATT], ids=["isotonic", "platt"])
def test_probability_is_bounded_and_monotone(calibration: Calibration) -> None:
    scores = np.r_[np.linspace(-50, 50, 10_001), -1e308, 1e308]
    p = calibration.apply(np.sort(scores))
    assert np.all((p >= 0.0) & (p <= 1.0)) and np.all(np.isfinite(p))
    assert np.all(np.diff(p) >= 0.0)
    assert Calibration.from_json(calibration.to_json()) == calibration


def test_isotonic_interpolates_and_clips() -> None:
    assert ISOTONIC.apply([-5.0, 0.25, 1.25, 9.0]) == pytest.approx([0.01, 0.05, 0.225, 0.4])


@pytest.mark.parametrize(
    "bad",
    [
        {"method": "isotonic", "x": [0.0, 1.0], "y": [0.5, 0.2]},  # falling
        {"method": "isotonic", "x": [1.0, 0.0], "y": [0.1, 0.2]},  # x not sorted
        {"method": "isotonic", "x": [0.0], "y": [1.5]},  # above 1
        {"method": "isotonic", "x": [], "y": []},
        {"method": "platt", "a": -1.0, "b": 0.0},  # against the score
        {"method": "platt", "a": float("nan"), "b": 0.0},
        {"method": "beta"},
    ],
)
def test_invalid_calibrations_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Calibration.from_json(bad)


def test_a_calibrated_model_gives_monotone_probabilities_of_its_own_scores() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((2000, N_FEATURES)).astype(np.float32)
    y = (x[:, 5] > 0.7).astype(np.int64) + (x[:, 5] > 0.9)
    model = LightGBMReranker.fit(x, y, np.full(100, 20), LambdaMartParams(num_boost_round=20))
    assert model.probability(model.score(x)) is None  # not calibrated yet: no probability
    model.calibration = PLATT
    scores = model.score(x)
    p = model.probability(scores)
    assert p is not None and np.all((p >= 0) & (p <= 1))
    order = np.argsort(scores, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)


def test_baselines_give_no_probability() -> None:
    scores = np.linspace(0, 1, 5)
    assert SimilarityReranker().probability(scores) is None and RuleReranker().probability(scores) is None
