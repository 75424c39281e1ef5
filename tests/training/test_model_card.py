"""The model card: its text comes from ``training/templates/model_card.md``, every placeholder filled."""

import pandas as pd
import pytest

from training import pipeline
from training.config import TrainingConfig
from training.evaluate import PromotionDecision


def test_model_card_fills_every_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    summary = {
        "history": ["2024-01-01", "2026-11-01"],
        "test_window": ["2026-09-01", "2026-11-01"],
        "train_queries": 12,
        "train_rows": 345,
        "test_queries": 6,
    }
    monkeypatch.setattr(pipeline, "_summary", lambda data: summary)
    metrics = pd.DataFrame({"ndcg@10": [0.5]}, index=["model"])
    table = pd.DataFrame({"group": ["50+ {x}"], "ratio": [0.9]})
    decision = PromotionDecision(True, ["better than the champion", "fair"])
    card = pipeline.model_card(TrainingConfig(), None, metrics, table, table, decision)
    assert card.startswith("# Model card: LambdaMART re-ranker (kl-matcher)\n\n## Intended use\n")
    assert card.endswith("Profiles are today's, not as of the proposal date.\n")
    assert "Placement history 2024-01-01 to 2026-11-01. Training: proposals up to 2026-09-01, less the" in card
    assert "(its last 91 days, where the score -> probability map is fitted) (12 queries" in card
    assert "No calibration: not fitted. The API answers probability null." in card
    assert "held constant in training (age proxy): experience_years." in card
    assert "| model | 0.500 |" in card and "| 50+ {x} | 0.900 |" in card
    assert "better than the champion; fair -> promoted: True" in card
    assert "{" not in card.replace("{x}", "")
