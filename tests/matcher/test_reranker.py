from datetime import date

import numpy as np
import pytest

from matcher.ranking.columns import CandidateTable, VacancyTable
from matcher.ranking.explain import explain
from matcher.ranking.features import (
    FEATURE_NAMES,
    N_FEATURES,
    pair_features,
)
from matcher.ranking.reranker import (
    LambdaMartParams,
    LightGBMReranker,
    Reranker,
    RuleReranker,
    SimilarityReranker,
    make_reranker,
)
from matcher.records.geo import Gazetteer
from matcher.records.reference import ReferenceData
from tests.factories import make_candidate, make_vacancy

SIM = FEATURE_NAMES.index("similarity")
COV = FEATURE_NAMES.index("essential_skill_coverage")


def synthetic_ranking(n_queries: int = 300, per_query: int = 20, seed: int = 0):
    """Relevance is driven by skill coverage only: a learner must find that out."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_queries * per_query, N_FEATURES)).astype(np.float32)
    y = np.digitize(x[:, COV], [0.55, 0.75, 0.9]).astype(np.int64)
    return x, y, np.full(n_queries, per_query)


@pytest.fixture(scope="module")
def trained() -> LightGBMReranker:
    x, y, groups = synthetic_ranking()
    return LightGBMReranker.fit(x, y, groups, LambdaMartParams(num_boost_round=40))


def test_lambdamart_learns_the_known_signal(trained: LightGBMReranker) -> None:
    x, y, _ = synthetic_ranking(n_queries=20, seed=1)
    scores = trained.score(x)
    assert np.corrcoef(scores, y)[0, 1] > 0.8
    contrib = trained.contributions(x[:5])
    assert contrib.shape == (5, N_FEATURES)
    assert np.abs(contrib[:, COV]).mean() > np.abs(np.delete(contrib, COV, axis=1)).mean(axis=0).max()


def test_save_and_load_round_trip(trained: LightGBMReranker, tmp_path) -> None:
    x, _, _ = synthetic_ranking(n_queries=2, seed=2)
    trained.save(tmp_path / "model.txt")
    loaded = LightGBMReranker.load(tmp_path / "model.txt", version="7")
    assert loaded.version == "7"
    np.testing.assert_allclose(loaded.score(x), trained.score(x))


def test_baselines_and_factory() -> None:
    x, _, _ = synthetic_ranking(n_queries=1, seed=3)
    assert np.array_equal(make_reranker("similarity").score(x), x[:, SIM].astype(np.float64))
    rules = make_reranker("rules")
    assert isinstance(rules, RuleReranker) and rules.score(x).shape == (len(x),)
    assert np.allclose(rules.contributions(x).sum(axis=1), rules.score(x))
    assert isinstance(make_reranker("similarity"), SimilarityReranker)
    with pytest.raises(ValueError):
        make_reranker("nope")  # type: ignore[arg-type]


def test_rules_prefer_the_fitting_vacancy(reference: ReferenceData) -> None:
    gazetteer = Gazetteer(reference)
    good, bad = (
        make_vacancy(),
        make_vacancy(kldb="62102", required_licences=["CE"], german_level_min="C2", required_skills=["zz"]),
    )
    cands = CandidateTable.build([make_candidate()], gazetteer)
    vacs = VacancyTable.build([good, bad], gazetteer)
    x = pair_features(cands, np.array([0, 0]), vacs, np.array([0, 1]), np.array([0.5, 0.5]), date(2026, 11, 25))
    scores = RuleReranker().score(x)
    assert scores[0] > scores[1]


def test_explanations_in_german_with_facts(reference: ReferenceData) -> None:
    gazetteer = Gazetteer(reference)
    cand = make_candidate(skills=["s-lager"], has_car=False)
    vac = make_vacancy(required_licences=["CE"], ags="07335004", postcode="67677")
    x = pair_features(
        CandidateTable.build([cand], gazetteer),
        np.array([0]),
        VacancyTable.build([vac], gazetteer),
        np.array([0]),
        np.array([0.7]),
        date(2026, 11, 25),
    )
    rules = RuleReranker()
    explanation = explain(cand, vac, x[0], rules.contributions(x)[0], reference, max_reasons=10)
    texts = {r.family: r.text for r in explanation.reasons}
    assert texts["skills"].startswith("1 von 2 geforderten Kenntnissen")
    assert texts["licences"] == "Führerschein CE fehlt"
    assert "mit Bus und Bahn" in texts["distance"]
    assert explanation.facts.missing_licences == ["CE"]
    assert explanation.facts.commute_mode == "public_transport"
    effects = [abs(r.effect) for r in explanation.reasons]
    assert effects == sorted(effects, reverse=True)


def test_path_contributions_add_up_to_the_score_and_agree_with_shap(trained: LightGBMReranker) -> None:
    x, _, _ = synthetic_ranking(n_queries=5, seed=4)
    path = trained.contributions(x)
    np.testing.assert_allclose(path.sum(axis=1) + trained.bias, trained.score(x), atol=1e-9)
    shap = LightGBMReranker(trained.booster, contributions_method="shap").contributions(x)
    assert shap.shape == path.shape
    assert np.corrcoef(path.ravel(), shap.ravel())[0, 1] > 0.75
    # both name the feature that drives relevance as the strongest
    assert np.abs(path).mean(axis=0).argmax() == np.abs(shap).mean(axis=0).argmax() == COV


# --- one contract, every kind ----------------------------------------------------------------------
KINDS = ("similarity", "rules", "lightgbm")


@pytest.fixture(params=KINDS)
def any_reranker(request: pytest.FixtureRequest, trained: LightGBMReranker, tmp_path) -> Reranker:
    """Each kind built through the factory (lightgbm from a saved booster)."""
    if request.param == "lightgbm":
        trained.save(tmp_path / "model.txt")
        return make_reranker("lightgbm", path=tmp_path / "model.txt", version="3")
    return make_reranker(request.param)


def test_every_reranker_keeps_the_contract(any_reranker: Reranker) -> None:
    x, _, _ = synthetic_ranking(n_queries=2, seed=4)
    scores = any_reranker.score(x)
    assert scores.shape == (len(x),) and np.isfinite(scores).all()
    np.testing.assert_array_equal(any_reranker.score(x), scores)  # deterministic
    np.testing.assert_allclose(any_reranker.score(x[5:9]), scores[5:9])  # row-wise: no batch effects
    contrib = any_reranker.contributions(x[:4])
    if contrib is not None:  # where a kind explains, its contributions add up to its score
        assert contrib.shape[0] == 4 and contrib.shape[1] >= N_FEATURES
        bias = any_reranker.bias if isinstance(any_reranker, LightGBMReranker) else 0.0
        np.testing.assert_allclose(contrib[:, :N_FEATURES].sum(axis=1) + bias, scores[:4], rtol=1e-4, atol=1e-4)
    assert any_reranker.kind in KINDS


def test_the_factory_refuses_a_lightgbm_without_a_model() -> None:
    with pytest.raises(ValueError, match="booster= or path="):
        make_reranker("lightgbm")
