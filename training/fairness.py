"""Fairness audit by protected group: the only place in training that reads protected attributes.

Attributes and groups: gender (f, m, d); age group at the test window's start (<25, 25-49, 50+,
from the birth year); citizenship group (german, eu, third_country); severe disability (yes, no).
Missing values form the group ``unknown``.

Two directions:

- **employer service** (job seekers for a vacancy): for every test-window vacancy, the eligible
  people are those retrieved for it plus those proposed (``RankingSet`` from
  :func:`training.dataset.build_vacancy_queries`). A group's **exposure ratio** is its share of
  the top-10 slots over its share of the eligible items, summed over vacancies; 1.0 is parity.
  ``ndcg@10_employer`` ranks each vacancy's list restricted to the group.
- **caseworker** (vacancies for a job seeker): ``ndcg@10`` is the mean over the test queries of
  people in the group.

The exposure ratio is reported for the model and for embedding similarity (a ranker that never saw
an outcome); ``exposure_ratio_history`` is the recorded decisions' counterpart: a group's share of
the hires over its share of the proposals in the same test window. A model that does not
amplify the historical bias has a ratio at least as high as history's for the disadvantaged
group. The history table shows the raw outcome rates per age
group, overall and within terciles of the transparent rule score (similar fit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matcher.ranking.reranker import RuleReranker
from matcher.services.promotion_gate import UNKNOWN
from matcher.services.promotion_gate import GateResult as GateResult  # the one gate, re-exported
from matcher.services.promotion_gate import fairness_gate as fairness_gate
from matcher.services.release import ATTRIBUTES_DE, GROUPS_DE
from training.dataset import Corpus, RankingSet
from training.evaluate import HIRED, query_metrics

ATTRIBUTES: tuple[str, ...] = ("gender", "age_group", "citizenship_group", "severe_disability")
TOP_K = 10


def age_group(birth_year: float | None, year: int) -> str:
    """<25, 25-49 or 50+ in ``year``; unknown without a birth year."""
    if birth_year is None or pd.isna(birth_year):
        return UNKNOWN
    age = year - int(birth_year)
    return "<25" if age < 25 else ("25-49" if age < 50 else "50+")


def candidate_groups(protected: pd.DataFrame, corpus: Corpus, as_of: date) -> pd.DataFrame:
    """The group of every corpus candidate per attribute (row i = corpus candidate i)."""
    frame = protected.set_index("candidate_id").reindex([c.id for c in corpus.candidates.records])
    disability = frame["severe_disability"].map({True: "yes", False: "no"})  # 1/0 from SQLite hash equal
    return pd.DataFrame(
        {
            "gender": frame["gender"].fillna(UNKNOWN).astype(str),
            "age_group": [age_group(b, as_of.year) for b in frame["birth_year"]],
            "citizenship_group": frame["citizenship_group"].fillna(UNKNOWN).astype(str),
            "severe_disability": disability.fillna(UNKNOWN).astype(str),
        }
    ).reset_index(drop=True)


def _top_mask(scores: NDArray[np.float64], data: RankingSet, k: int) -> NDArray[np.bool_]:
    """True for the rows in the top ``k`` of their query (stable: row order breaks ties)."""
    bounds = data.bounds()
    mask = np.zeros(len(scores), dtype=bool)
    for q in range(len(bounds) - 1):
        order = np.argsort(-scores[bounds[q] : bounds[q + 1]], kind="stable")[:k]
        mask[bounds[q] + order] = True
    return mask


def exposure_ratios(scores: NDArray[np.float64], data: RankingSet, groups: NDArray[np.object_]) -> pd.Series:
    """Per group: share of the top-10 slots over share of the eligible items."""
    top = _top_mask(scores, data, TOP_K)
    eligible = pd.Series(groups).value_counts(normalize=True)
    shown = pd.Series(groups[top]).value_counts(normalize=True).reindex(eligible.index, fill_value=0.0)
    return shown / eligible


def _subset_ndcg(scores: NDArray[np.float64], data: RankingSet, rows: NDArray[np.bool_]) -> float:
    """NDCG@10 of each query's list restricted to ``rows``, averaged where defined."""
    query = data.query[rows]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(query, minlength=len(data.queries)))])
    ndcg = query_metrics(scores[rows], data.labels[rows], bounds.astype(np.int64))["ndcg@10"]
    return float(ndcg.mean()) if ndcg.notna().any() else float("nan")


def history_ratios(data: RankingSet, groups: NDArray[np.object_]) -> pd.Series:
    """Per group: share of the hires over share of the proposals.

    Hires are the employers' recorded decisions on the people actually proposed (applications
    are the job seekers' own); this is the yardstick a model trained on them could at worst
    reproduce.
    """
    proposed = pd.Series(groups[data.proposed])
    success = pd.Series(groups[data.proposed & (data.labels == HIRED)])
    base = proposed.value_counts(normalize=True)
    return success.value_counts(normalize=True).reindex(base.index, fill_value=0.0) / base


def audit(
    groups: pd.DataFrame,
    test: RankingSet,
    test_scores: NDArray[np.float64],
    employer: RankingSet,
    employer_scores: Mapping[str, NDArray[np.float64]],
) -> pd.DataFrame:
    """The fairness table: one row per (attribute, group).

    Args:
        groups: :func:`candidate_groups`.
        test: caseworker-direction test set; ``test_scores`` the model's scores on it.
        employer: employer-direction audit set; ``employer_scores`` maps ``model`` and
            ``embedding`` to scores on it (``history`` comes from the recorded outcomes).
    """
    per_query = query_metrics(test_scores, test.labels, test.bounds())["ndcg@10"]
    query_cand = test.queries["cand"].to_numpy(np.int64)
    rows: list[dict[str, Any]] = []
    for attribute in ATTRIBUTES:
        item_groups = groups[attribute].to_numpy(dtype=object)[employer.cand]
        ratios = {name: exposure_ratios(s, employer, item_groups) for name, s in employer_scores.items()}
        ratios["history"] = history_ratios(employer, item_groups)
        person_groups = groups[attribute].to_numpy(dtype=object)[query_cand]
        for group in sorted(set(item_groups) | set(person_groups)):
            in_group = per_query[person_groups == group]
            rows.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "eligible": int(np.sum(item_groups == group)),
                    "people": int(len(np.unique(employer.cand[item_groups == group]))),
                    "exposure_ratio": float(ratios["model"].get(group, np.nan)),
                    "exposure_ratio_embedding": float(ratios["embedding"].get(group, np.nan)),
                    "exposure_ratio_history": float(ratios["history"].get(group, np.nan)),
                    "ndcg@10": float(in_group.mean()) if in_group.notna().any() else float("nan"),
                    "queries": int(in_group.notna().sum()),
                    "ndcg@10_employer": _subset_ndcg(employer_scores["model"], employer, item_groups == group),
                }
            )
    return pd.DataFrame(rows)


def history_table(sets: list[RankingSet], groups: pd.DataFrame) -> pd.DataFrame:
    """Outcome rates of the recorded proposals per age group, overall and at similar fit.

    Fit is the transparent rule score of the pair, cut into terciles over all proposals, so a
    gap that remains within a tercile is not explained by the fit the features can see.
    """
    proposed = [(s.features[s.proposed], s.labels[s.proposed], s.cand[s.proposed]) for s in sets]
    features = np.concatenate([p[0] for p in proposed])
    frame = pd.DataFrame(
        {
            "age_group": groups["age_group"].to_numpy(dtype=object)[np.concatenate([p[2] for p in proposed])],
            "label": np.concatenate([p[1] for p in proposed]),
            "fit": RuleReranker().score(features),
        }
    )
    frame["fit_tercile"] = pd.qcut(frame["fit"].rank(method="first"), 3, labels=["low", "mid", "high"])
    frame["hired"] = frame["label"] == 3
    frame["interview_or_better"] = frame["label"] >= 2
    table = frame.groupby("age_group").agg(
        proposals=("label", "size"),
        hire_rate=("hired", "mean"),
        interview_or_better_rate=("interview_or_better", "mean"),
        mean_fit=("fit", "mean"),
    )
    by_fit = frame.pivot_table(index="age_group", columns="fit_tercile", values="hired", aggfunc="mean", observed=False)
    by_fit.columns = [f"hire_rate_{c}_fit" for c in by_fit.columns]
    return table.join(by_fit).reset_index()


def to_json(table: pd.DataFrame) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """``{attribute: {group: {"exposure_ratio": x, "ndcg@10": x, ...}}}`` (nan as null)."""
    out: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for record in table.to_dict(orient="records"):
        values = {
            k: (None if isinstance(v, float) and np.isnan(v) else v)
            for k, v in record.items()
            if k not in ("attribute", "group")
        }
        out.setdefault(str(record["attribute"]), {})[str(record["group"])] = values
    return out


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub Markdown table (pandas' own needs ``tabulate``, which we do not ship)."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def plot(table: pd.DataFrame, history: pd.DataFrame, threshold: float, path: Path) -> None:
    """Exposure ratios per group (model, embedding, history) and hire rates per age group."""
    import matplotlib

    matplotlib.use("Agg")  # files only: training runs headless
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 7), gridspec_kw={"width_ratios": [3, 1]})
    comma = FuncFormatter(lambda value, _: f"{value:.2f}".replace(".", ","))
    _plot_exposure(left, table, threshold)
    left.yaxis.set_major_formatter(comma)
    right.yaxis.set_major_formatter(comma)
    _plot_hire_rates(right, history)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_exposure(ax: Any, table: pd.DataFrame, threshold: float) -> None:
    """Bars of the exposure ratio per group: the model, similarity alone, and past decisions."""
    labels = [f"{ATTRIBUTES_DE.get(a, a)}: {GROUPS_DE.get(g, g)}" for a, g in zip(table["attribute"], table["group"])]
    x, width = np.arange(len(table)), 0.27
    for i, (column, name) in enumerate(
        (
            ("exposure_ratio", "Modell"),
            ("exposure_ratio_embedding", "nur Ähnlichkeit"),
            ("exposure_ratio_history", "frühere Entscheidungen"),
        )
    ):
        ax.bar(x + (i - 1) * width, table[column].fillna(0), width, label=name)
    ax.axhline(threshold, color="red", linestyle="--", linewidth=1, label=f"Schwelle {threshold:.2f}".replace(".", ","))
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xticks(x, labels, fontsize=10, rotation=35, ha="right")
    ax.set_ylabel("Sichtbarkeitsverhältnis (Top 10)", fontsize=11)
    ax.set_title("Sichtbarkeit je Gruppe (Personen für Stellen)", fontsize=13)
    ax.legend(fontsize=10)


def _plot_hire_rates(ax: Any, history: pd.DataFrame) -> None:
    """Bars of the hire rate per age group, overall and per level of fit."""
    fits = [c for c in history.columns if c.startswith("hire_rate_") and c.endswith("_fit")]
    names = {"hire_rate": "alle", **{c: c.removeprefix("hire_rate_").removesuffix("_fit") for c in fits}}
    names = {
        k: {"low": "geringe Passung", "mid": "mittlere Passung", "high": "hohe Passung"}.get(v, v)
        for k, v in names.items()
    }
    rates = history.set_index("age_group")[["hire_rate", *fits]].rename(columns=names)
    rates.index = [GROUPS_DE.get(str(g), str(g)) for g in rates.index]
    rates.plot.bar(ax=ax, rot=0, fontsize=10)
    ax.set_title("Einstellungsquote je Altersgruppe", fontsize=13)
    ax.set_xlabel("")
    ax.legend(fontsize=9)
