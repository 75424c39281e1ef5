"""The training labels: proposals, and caseworkers' "passt nicht" as explicit negatives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from training.dataset import with_feedback
from training.negatives import age_matched


def test_passt_nicht_feedback_is_an_explicit_negative_of_that_day() -> None:
    proposals = pd.DataFrame(
        {
            "id": ["p1"],
            "candidate_id": ["LK-1"],
            "vacancy_id": ["V1"],
            "proposed_at": pd.to_datetime(["2026-11-30"]),
            "outcome": ["hired"],
            "outcome_at": pd.to_datetime(["2026-12-01"]),
        }
    )
    feedback = pd.DataFrame(
        {
            "candidate_id": ["LK-1"],
            "vacancy_id": ["V2"],
            "reason": ["erreichbarkeit"],
            "given_at": ["2026-11-30T10:00:00+00:00"],
            "model_version": ["3"],
        }
    )
    both = with_feedback(proposals, feedback)
    assert len(both) == 2 and with_feedback(proposals, feedback.iloc[:0]) is proposals
    mark = both.iloc[1]
    assert (mark.candidate_id, mark.vacancy_id, mark.outcome) == ("LK-1", "V2", "no_reaction")
    assert mark.proposed_at == pd.Timestamp("2026-11-30")


def _pool(n_queries: int, size: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    qpos = np.repeat(np.arange(n_queries), size)
    ages = rng.gamma(1.4, 60, size=n_queries * size).astype(np.int64)  # the open stock: older
    sims = rng.random(n_queries * size).astype(np.float32)
    return qpos, sims, ages


def test_negatives_match_the_proposals_posting_ages() -> None:
    qpos, sims, ages = _pool(400, 60, 0)
    proposal_ages = np.random.default_rng(1).gamma(1.4, 30, size=2000).astype(np.int64)  # young postings
    periods = np.zeros(400, np.int64), (proposal_ages, np.zeros(2000, np.int64))
    keep = age_matched(qpos, sims, ages, *periods, 15, seed=2)
    assert (np.bincount(qpos[keep], minlength=400) == 15).all()
    # The pool is far off (KS 0.30); the drawn negatives must be as close as sampling noise allows
    # (the 5 % critical value for 2,000 against 6,000 ages is 0.035; measured 0.040).
    assert stats.ks_2samp(proposal_ages, ages).statistic > 0.25
    assert stats.ks_2samp(proposal_ages, ages[keep]).statistic < 0.06


def test_within_an_age_bin_the_most_similar_are_taken() -> None:
    qpos = np.zeros(6, np.int64)
    ages = np.full(6, 10)
    sims = np.array([0.1, 0.9, 0.5, 0.3, 0.2, 0.05], np.float32)
    proposals = (np.full(50, 10), np.zeros(50, np.int64))
    keep = age_matched(qpos, sims, ages, np.zeros(1, np.int64), proposals, 2, 0)
    assert keep.tolist() == [False, True, True, False, False, False]


def test_a_short_age_bin_is_filled_from_its_neighbours() -> None:
    qpos = np.zeros(5, np.int64)
    ages = np.array([5, 50, 51, 52, 300])
    sims = np.array([0.5, 0.4, 0.3, 0.2, 0.9], np.float32)
    keep = age_matched(qpos, sims, ages, np.zeros(1, np.int64), (np.full(50, 5), np.zeros(50, np.int64)), 3, 0)
    assert int(keep.sum()) == 3 and keep[0]
