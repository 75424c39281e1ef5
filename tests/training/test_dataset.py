"""The training labels: proposals, and caseworkers' "passt nicht" as explicit negatives."""

from __future__ import annotations

import pandas as pd

from training.dataset import with_feedback


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
