"""Every result the model ranks comes with German reasons from its own contributions."""

from __future__ import annotations

import numpy as np

from matcher.ranking.explain import FAMILIES, explain
from matcher.records.reference import ReferenceData
from tests.training.conftest import RegistryRuns
from training.dataset import Datasets


def test_explanations_for_every_top_result(
    registry_runs: RegistryRuns, small_datasets: Datasets, reference: ReferenceData
) -> None:
    from matcher.ranking.model_registry import load_champion

    s = registry_runs.settings
    model = load_champion(s.tracking_uri, s.artifact_dir, s.model_name)
    test, corpus = small_datasets.test, small_datasets.corpus
    bounds = test.bounds()
    explained = 0
    for q in range(min(20, len(test.queries))):
        rows = np.arange(bounds[q], bounds[q + 1])
        top = rows[np.argsort(-model.score(test.features[rows]), kind="stable")[:10]]
        contributions = model.contributions(test.features[top])
        assert contributions.shape == (len(top), test.features.shape[1])
        # Contributions plus the bias add up to the score (LightGBM's SHAP property).
        for j, row in enumerate(top):
            result = explain(
                corpus.candidates.records[test.cand[row]],
                corpus.vacancies.records[test.vac[row]],
                test.features[row],
                contributions[j],
                reference,
            )
            assert result.reasons, row
            assert all(r.text and r.family in FAMILIES for r in result.reasons)
            assert result.facts.matched_skills or result.facts.missing_skills or result.facts.distance_km is not None
            explained += 1
    assert explained >= 100
