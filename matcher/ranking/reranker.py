"""Re-rankers over pair features: a small base class, implementations and a factory.

- ``lightgbm``: LambdaMART (LightGBM ``lambdarank``), trained on graded outcomes; explanations
  come from its own per-feature contributions (``pred_contrib``).
- ``similarity``: the embedding similarity alone (baseline).
- ``rules``: a transparent hand-weighted score a caseworker could recompute (baseline).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.calibration import Calibration
from matcher.ranking.features import FEATURE_INDEX as _I
from matcher.ranking.features import FEATURE_NAMES


class Reranker(ABC):
    """Scores pairs from their feature rows; higher is better."""

    kind: str = "base"
    version: str = "unversioned"

    @abstractmethod
    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        """One score per feature row."""

    def contributions(self, features: NDArray[np.float32]) -> NDArray[np.float64] | None:
        """Per-feature contributions (n, n_features), or None if the model has none."""
        return None

    def probability(self, scores: NDArray[np.floating[Any]]) -> NDArray[np.float64] | None:
        """The calibrated probability of an interview or a hire for each of this model's scores,
        or None when the model carries no calibration (the baselines, a model registered before
        calibration existed)."""
        return None


class SimilarityReranker(Reranker):
    kind = "similarity"

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        return np.asarray(features[:, _I["similarity"]], dtype=np.float64)


@dataclass(frozen=True)
class RuleWeights:
    """Weights of the transparent rule score (each term is in [0, 1] or a count)."""

    occupation: float = 2.0
    skills: float = 2.0
    commute: float = 1.5
    working_time: float = 1.0
    licence_missing: float = 1.5
    german_short: float = 1.0
    level_over: float = 1.0
    similarity: float = 0.5


class RuleReranker(Reranker):
    kind = "rules"

    def __init__(self, weights: RuleWeights = RuleWeights()) -> None:
        self.weights = weights

    def contributions(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        w, x = self.weights, features.astype(np.float64)
        depth = np.maximum(x[:, _I["occupation_depth_main"]], x[:, _I["occupation_depth_alt"]] - 1)
        out = np.zeros_like(x)
        out[:, _I["occupation_depth_main"]] = w.occupation * np.clip(depth - 1, 0, 4) / 4
        out[:, _I["essential_skill_coverage"]] = w.skills * x[:, _I["essential_skill_coverage"]]
        out[:, _I["commute_feasible"]] = w.commute * x[:, _I["commute_feasible"]]
        out[:, _I["working_time_fit"]] = w.working_time * x[:, _I["working_time_fit"]]
        out[:, _I["licences_missing"]] = -w.licence_missing * np.minimum(
            x[:, _I["licences_missing"]] + x[:, _I["permits_missing"]], 2
        )
        out[:, _I["german_gap"]] = -w.german_short * np.minimum(np.maximum(-x[:, _I["german_gap"]], 0), 3) / 3
        out[:, _I["level_gap"]] = -w.level_over * np.clip(x[:, _I["level_gap"]], 0, 2) / 2
        out[:, _I["similarity"]] = w.similarity * x[:, _I["similarity"]]
        return out

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        return self.contributions(features).sum(axis=1)


@dataclass(frozen=True)
class LambdaMartParams:
    """LightGBM lambdarank parameters (logged as MLflow params)."""

    num_boost_round: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambdarank_truncation_level: int = 20
    seed: int = 42
    num_threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)

    def lightgbm_params(self) -> dict[str, Any]:
        params = {k: v for k, v in self.__dict__.items() if k not in ("num_boost_round", "extra")}
        params.update(
            objective="lambdarank",
            metric="ndcg",
            eval_at=[10],
            verbosity=-1,
            deterministic=True,
            force_row_wise=True,
            label_gain=[0, 1, 3, 7],
        )
        params.update(self.extra)
        return params


@dataclass(frozen=True)
class _FlatTrees:
    """All trees of a booster as flat node arrays, for walking every tree at once with numpy.

    Leaves point to themselves, so a walk can run a fixed number of steps (the deepest path).
    """

    feature: NDArray[np.int64]  # split feature, 0 for leaves (never used)
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    value: NDArray[np.float64]  # internal_value of splits, leaf_value of leaves
    roots: NDArray[np.int64]
    depth: int

    @classmethod
    def of(cls, booster: Any) -> _FlatTrees:
        nodes: list[list[float]] = []  # feature, threshold, left, right, value

        def add(node: dict[str, Any], level: int) -> tuple[int, int]:
            at = len(nodes)
            nodes.append([0, 0.0, at, at, node.get("leaf_value", node.get("internal_value", 0.0))])
            if "leaf_value" in node or "split_feature" not in node:
                return at, level
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numerical '<=' splits are supported")
            left, d1 = add(node["left_child"], level + 1)
            right, d2 = add(node["right_child"], level + 1)
            nodes[at][:4] = [node["split_feature"], node["threshold"], left, right]
            return at, max(d1, d2)

        roots, depth = [], 0
        for tree in booster.dump_model()["tree_info"]:
            root, d = add(tree["tree_structure"], 0)
            roots.append(root)
            depth = max(depth, d)
        a = np.array(nodes, dtype=np.float64)
        return cls(
            a[:, 0].astype(np.int64),
            a[:, 1],
            a[:, 2].astype(np.int64),
            a[:, 3].astype(np.int64),
            a[:, 4],
            np.array(roots, dtype=np.int64),
            depth,
        )

    def path_contributions(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """Decision-path attribution (Saabas): each split credits its feature with the change of
        the node value along the path taken; per row, the contributions plus the sum of the root
        values equal the raw score exactly."""
        n = len(x)
        values = np.asarray(x, dtype=np.float64)
        rows = np.repeat(np.arange(n), len(self.roots))
        current = np.tile(self.roots, n)
        out = np.zeros((n, values.shape[1]), dtype=np.float64)
        for _ in range(self.depth):
            feature = self.feature[current]
            go_left = values[rows, feature] <= self.threshold[current]
            nxt = np.where(go_left, self.left[current], self.right[current])
            np.add.at(out, (rows, feature), self.value[nxt] - self.value[current])
            current = nxt
        return out


class LightGBMReranker(Reranker):
    """LambdaMART model. Contributions: ``"path"`` (decision-path attribution, ~0.05 ms for 10 rows
    and the default for serving) or ``"shap"`` (LightGBM's TreeSHAP ``pred_contrib``, exact Shapley
    values, ~0.7 ms per row).

    ``calibration`` maps its scores to probabilities (:mod:`matcher.ranking.calibration`); training sets
    it after fitting, and the registry loads it with the booster. None: :meth:`probability` is None.
    """

    kind = "lightgbm"

    def __init__(
        self,
        booster: Any,
        version: str = "unversioned",
        contributions_method: Literal["path", "shap"] = "path",
        calibration: Calibration | None = None,
    ) -> None:
        self.booster = booster
        self.version = version
        self.contributions_method = contributions_method
        self.calibration = calibration
        names = list(booster.feature_name())
        if names != list(FEATURE_NAMES):
            raise ValueError(f"model features {names} differ from this code's {list(FEATURE_NAMES)}")
        self._trees = _FlatTrees.of(booster)

    @classmethod
    def fit(
        cls,
        features: NDArray[np.float32],
        labels: NDArray[np.int64],
        group_sizes: NDArray[np.int64],
        params: LambdaMartParams = LambdaMartParams(),
    ) -> LightGBMReranker:
        """Train LambdaMART on rows grouped by query (rows of one query are contiguous)."""
        import lightgbm as lgb

        data = lgb.Dataset(
            features, label=labels, group=group_sizes, feature_name=list(FEATURE_NAMES), free_raw_data=False
        )
        booster = lgb.train(params.lightgbm_params(), data, num_boost_round=params.num_boost_round)
        return cls(booster)

    def score(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        return np.asarray(self.booster.predict(features, num_threads=1), dtype=np.float64)

    def probability(self, scores: NDArray[np.floating[Any]]) -> NDArray[np.float64] | None:
        return None if self.calibration is None else self.calibration.apply(scores)

    def contributions(self, features: NDArray[np.float32]) -> NDArray[np.float64]:
        if self.contributions_method == "path":
            return self._trees.path_contributions(features)
        contrib = self.booster.predict(features, pred_contrib=True, num_threads=1)
        return np.asarray(contrib, dtype=np.float64)[:, :-1]  # last column is the bias

    @property
    def bias(self) -> float:
        """The score of a row before any split: the sum of the trees' root values."""
        return float(self._trees.value[self._trees.roots].sum())

    def save(self, path: Path) -> None:
        self.booster.save_model(str(path))

    @classmethod
    def load(cls, path: Path, version: str = "unversioned", calibration: Calibration | None = None) -> LightGBMReranker:
        import lightgbm as lgb

        return cls(lgb.Booster(model_file=str(path)), version=version, calibration=calibration)


RerankerKind = Literal["lightgbm", "similarity", "rules"]


def make_reranker(kind: RerankerKind, **kwargs: Any) -> Reranker:
    """Every kind by name: ``similarity``, ``rules`` (``weights=``), ``lightgbm`` (a trained
    ``booster=``, or ``path=`` of a saved one, plus ``version=``; train one with ``fit``)."""
    if kind == "similarity":
        return SimilarityReranker()
    if kind == "rules":
        return RuleReranker(**kwargs)
    if kind == "lightgbm":
        if "path" in kwargs:
            return LightGBMReranker.load(Path(kwargs.pop("path")), **kwargs)
        if "booster" not in kwargs:
            raise ValueError("a lightgbm re-ranker needs booster= or path= (train one with LightGBMReranker.fit)")
        return LightGBMReranker(**kwargs)
    raise ValueError(f"unknown re-ranker kind: {kind}")
