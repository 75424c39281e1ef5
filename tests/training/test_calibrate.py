"""Fitting the calibration: known answers on synthetic outcomes, and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient

from matcher.ranking.calibration import Calibration
from matcher.ranking.model_registry import load_model
from matcher.settings import Settings
from tests.training.conftest import CliRun
from training.calibrate import ScoredOutcomes, calibrate, cross_validated_ece, fit, plot_reliability


def synthetic(n: int, seed: int, slope: float = 2.0, shift: float = -3.0) -> ScoredOutcomes:
    """Scores whose true probability of a positive outcome is a known sigmoid of the score."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 1.0, n)
    truth = 1.0 / (1.0 + np.exp(-(slope * scores + shift)))
    return ScoredOutcomes(scores, (rng.random(n) < truth).astype(np.int64))


def test_platt_recovers_the_known_sigmoid() -> None:
    fitted = fit("platt", synthetic(20_000, 0))
    assert fitted.a == pytest.approx(2.0, abs=0.15) and fitted.b == pytest.approx(-3.0, abs=0.15)


def test_both_methods_are_calibrated_on_held_out_data() -> None:
    train, test = synthetic(8000, 1), synthetic(8000, 2)
    report = calibrate(train, test, ["2026-01-01", "2026-06-30"])
    assert report.calibration is not None and report.method in ("isotonic", "platt")
    for method in ("isotonic", "platt"):
        assert report.compared[method]["cv_ece"] is not None and report.compared[method]["cv_ece"] < 0.03
        assert report.compared[method]["test_ece"] is not None and report.compared[method]["test_ece"] < 0.03
    assert report.ece == report.compared[report.method]["test_ece"]
    assert len(report.reliability) == 10 and sum(b.count for b in report.reliability) == len(test)
    assert report.test_base_rate == pytest.approx(test.outcomes.mean())
    out = report.to_json()
    assert out["bins"] == 10 and out["target"] == "interview_or_hire" and out["fit_rows"] == 8000
    assert set(report.metrics()) >= {"calibration.ece", "calibration.isotonic.cv_ece", "calibration.platt.test_ece"}


def test_an_uncalibrated_score_has_a_large_ece() -> None:
    data = synthetic(5000, 4)
    raw = 1.0 / (1.0 + np.exp(-data.scores))  # a sigmoid, but not the right one
    from matcher.ranking.calibration import expected_calibration_error

    assert expected_calibration_error(raw, data.outcomes) > 0.2
    assert cross_validated_ece("isotonic", data, folds=5, seed=0) < 0.03


def test_too_small_a_window_fits_nothing() -> None:
    report = calibrate(synthetic(150, 5), synthetic(1000, 6), [], min_rows=200)
    assert report.calibration is None and report.method is None and report.ece is None
    assert "150 proposals" in report.reason and report.to_json()["reliability"] == []
    one_class = ScoredOutcomes(np.linspace(0, 1, 500), np.zeros(500, dtype=np.int64))
    assert calibrate(one_class, synthetic(100, 7), []).calibration is None


def test_scores_against_the_outcome_keep_isotonic_only() -> None:
    backwards = synthetic(4000, 8, slope=-2.0)
    report = calibrate(backwards, synthetic(4000, 9, slope=-2.0), [])
    assert report.method == "isotonic" and report.compared["platt"] == {"cv_ece": None, "test_ece": None}
    assert isinstance(report.calibration, Calibration)
    assert np.ptp(report.calibration.apply(np.linspace(-3, 3, 50))) < 0.05  # flat: no signal to give


def test_reliability_plot_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = calibrate(synthetic(2000, 10), synthetic(2000, 11), [])
    plot_reliability(report, tmp_path / "reliability.png")
    assert (tmp_path / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_train_json_reports_calibration_and_ships_it_with_the_model(cli_trained: CliRun) -> None:
    report = cli_trained.result["calibration"]
    assert report["method"] in ("isotonic", "platt") and report["bins"] == 10
    assert 0.0 <= report["ece"] <= 1.0 and report["ece"] == report["compared"][report["method"]]["test_ece"]
    assert report["fit_rows"] >= 200 and report["test_rows"] > 0
    assert len(report["reliability"]) == 10 and sum(b["count"] for b in report["reliability"]) == report["test_rows"]
    window, test_window = report["calibration_window"], cli_trained.result["data"]["test_window"]
    assert window[1] <= test_window[0]  # fitted before the test window, never on it
    settings = Settings(home=cli_trained.home)
    client = MlflowClient(tracking_uri=settings.tracking_uri)
    run = client.get_run(cli_trained.result["run_id"])
    assert run.data.metrics["calibration.ece"] == pytest.approx(report["ece"])
    assert {"calibration.json", "reliability.png", "reliability.md"} <= {
        a.path for a in client.list_artifacts(run.info.run_id)
    }
    model = load_model(settings.tracking_uri, settings.artifact_dir, settings.model_name, "1").reranker
    assert model.calibration is not None and model.calibration.method == report["method"]
    scores = np.sort(np.random.default_rng(0).normal(0.0, 3.0, 500))
    p = model.probability(scores)
    assert p is not None and np.all((p >= 0) & (p <= 1)) and np.all(np.diff(p) >= 0)


def test_model_card_paragraph_names_method_ece_and_table() -> None:
    from training.pipeline import calibration_text

    text = calibration_text(calibrate(synthetic(3000, 12), synthetic(3000, 13), ["2026-01-01", "2026-06-30"]))
    assert text.startswith("Method: ") and "ECE over 10 bins on the test window's 3000 proposals" in text
    assert "| bin | proposals | mean predicted | observed |" in text and "| 0.0-0.1 |" in text
    none = calibration_text(calibrate(synthetic(50, 14), synthetic(50, 15), []))
    assert none.startswith("No calibration: the calibration window has 50 proposals")
