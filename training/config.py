"""The training run's configuration: one frozen dataclass, logged as MLflow params."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from matcher.ranking.features import FEATURE_NAMES
from matcher.ranking.reranker import LambdaMartParams

OutcomeGrouping = Literal["cand", "vac"]  # a job seeker's proposals, a vacancy's proposals


def default_lambdamart() -> LambdaMartParams:
    """LambdaMART settings of the pipeline.

    Fewer rounds and a coarser histogram than LightGBM's defaults: the set has 24 features and
    about 100,000 rows with a relevant outcome, and 150 rounds at max_bin 63 train in seconds.
    One thread: on two cores shared with other work, LightGBM's two OpenMP threads wait for each
    other at every barrier; measured on 200,000 rows, 2 threads took 45 s and 1 thread 5.7 s.
    """
    return LambdaMartParams(num_boost_round=150, learning_rate=0.08, num_threads=1, extra={"max_bin": 63})


@dataclass(frozen=True)
class TrainingConfig:
    """What one training run does.

    Attributes:
        test_window_days: the newest proposals within this many days of the last proposal date
            form the test window; everything earlier is training data.
        calibration_window_days: the proposals of this many days before the test window form
            the calibration window: the score -> probability map is fitted there
            (:mod:`training.calibrate`), and the model never trains on them. A quarter: about
            3,500 proposals on the default world and 650 on the 2,000-person world, enough for
            the two-parameter Platt map; 182 days cost the model 0.011 NDCG@10 on the default
            world (its training ends three months earlier), at about the same ECE (README).
        calibration_min_rows: fewer proposals (or only one outcome) in the calibration window
            fit no calibration: the model ships without one and serves ``probability`` null.
        open_window_days: a vacancy counts as open at a date when it was posted on or before
            it and is either still open today or at most this many days old then.
        negatives_train: retrieved, not-proposed vacancies added as label 0 per training query.
        negatives_test: the same per test query (the candidate pool for evaluation, so that
            recall@50 measures something).
        audit_pool: candidates retrieved per test vacancy for the employer-direction audit.
        max_train_queries: cap on training queries (sampled with ``seed``); None keeps all.
        max_test_queries: cap on test queries (sampled with ``seed``); None keeps all.
        params: LightGBM LambdaMART parameters.
        neutralised_features: features held constant in training, so the model cannot split on
            them (the booster still takes every feature, serving is unchanged).
            ``experience_years`` is an age proxy: on the default world the model used it to
            rank job seekers under 25 down (top-10 exposure ratio 0.70, below the 0.8 gate);
            held constant, their ratio is 0.97 at an NDCG@10 cost of 0.005.
            ``vacancy_age_days`` was held constant too while negatives were any similar posting
            open at the time (caseworkers propose postings a median 39 days old, the hire rate
            does not depend on age: the feature encoded the sampling). Negatives now follow the
            proposals' posting ages (:func:`training.negatives.age_matched`), and the model uses it.
        outcome_groups: extra training queries made of the training window's proposals, grouped
            by job seeker (``"cand"``) or by vacancy (``"vac"``), outcome labels only
            (:func:`training.dataset.outcome_groups`). The proposal-day queries teach which items
            caseworkers propose; these teach which proposals work out. By job seeker, on the
            default world: utility NDCG@10 0.45 -> 0.54, Spearman with the hidden utility
            0.61 -> 0.67, outcome NDCG@10 0.290 -> 0.270 (at the edge of run-to-run noise);
            both groupings recover the utility best but cost more outcome NDCG@10, which the
            promotion gate compares (README, re-ranker).
        seed: seed of every sampling step (query caps, tie-breaking order).
        fairness_threshold: the lowest acceptable exposure ratio of a group.
        fairness_min_support: groups of fewer distinct people in the audit pool are reported,
            not gated.
        experiment_name: MLflow experiment.
        registered_model_name: registry name; None means ``Settings.model_name``.
    """

    test_window_days: int = 182
    calibration_window_days: int = 91
    calibration_min_rows: int = 200
    open_window_days: int = 120
    negatives_train: int = 15
    negatives_test: int = 100
    audit_pool: int = 50
    max_train_queries: int | None = 40_000
    max_test_queries: int | None = 4_000
    params: LambdaMartParams = field(default_factory=default_lambdamart)
    neutralised_features: tuple[str, ...] = ("experience_years",)
    outcome_groups: tuple[OutcomeGrouping, ...] = ("cand",)
    seed: int = 42
    fairness_threshold: float = 0.8
    fairness_min_support: int = 50
    experiment_name: str = "kl-matcher-reranker"
    registered_model_name: str | None = None

    def __post_init__(self) -> None:
        if self.test_window_days < 1 or self.open_window_days < 1 or self.calibration_window_days < 1:
            raise ValueError("test_window_days, calibration_window_days and open_window_days must be positive")
        if self.negatives_train < 1 or self.negatives_test < 1 or self.audit_pool < 1:
            raise ValueError("negatives_train, negatives_test and audit_pool must be positive")
        unknown = set(self.neutralised_features) - set(FEATURE_NAMES)
        if unknown:
            raise ValueError(f"unknown neutralised feature(s): {', '.join(sorted(unknown))}")
        if set(self.outcome_groups) - {"cand", "vac"}:
            raise ValueError(f"outcome_groups may name 'cand' and 'vac', got {self.outcome_groups}")
        if not 0.0 < self.fairness_threshold <= 1.0:
            raise ValueError(f"fairness_threshold must lie in (0, 1], got {self.fairness_threshold}")

    def model_name(self, default: str) -> str:
        return self.registered_model_name or default

    def to_params(self) -> dict[str, str | int | float]:
        """Flat parameters for MLflow (LambdaMART ones prefixed ``lgbm.``)."""
        flat: dict[str, str | int | float] = {}
        for key, value in asdict(self).items():
            if key == "params":
                continue
            if isinstance(value, tuple):
                value = ",".join(value) or "none"
            flat[key] = "none" if value is None else value
        for key, value in self.params.lightgbm_params().items():
            flat[f"lgbm.{key}"] = str(value) if isinstance(value, list) else value
        flat["lgbm.num_boost_round"] = self.params.num_boost_round
        return flat
