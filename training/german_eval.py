"""German job-title retrieval evaluation built from the reference data, split by source or group.

Two tasks, each from a different source, so that a model fitted on one can be tested on the other:

- ``ba_titles``: BA job titles (Berufsbenennungen) as queries, the 1,301 KldB 5-digit titles as
  corpus; the relevant document is the position the BA files the title under.
- ``esco_alt``: ESCO alternative labels as queries, the preferred labels of all ESCO occupations as
  corpus; relevant are the occupations that carry the label. Labels that are a mere substring of
  the preferred label (the female/male halves of "Koch/Köchin") are left out: they are trivial.

Two more are held out by whole occupation groups (``GroupSplit``: a fixed, seeded ~20% of the KldB
3-digit groups): the BA job titles of those groups are never trained on, while all other sources
and the BA titles of the other groups may be. They stand in for real-world titles a model never saw:

- ``ba_group_kldb``: held-out groups' BA titles -> the KldB 5-digit titles, as ``ba_titles``.
- ``ba_group_esco``: held-out groups' BA titles -> ESCO preferred labels; relevant are the ESCO
  occupations the BA/ESCO crosswalk links to the title's KldB code as an exact or close match.
- ``ba_group_esco_ads``: the same queries written as job ads write them (``training.ad_titles``:
  "Lagerhelfer/in - Spätschicht befristet"), with phrases training never attaches.

Metrics: MAP@100, success@1, success@5 and success@10, from exact inner products.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matcher.records.reference import ReferenceData

EmbedFn = Callable[[list[str]], NDArray[np.float32]]
CUTOFF = 100


@dataclass(frozen=True)
class RetrievalTask:
    """Queries, a corpus and, per query, the indices of its relevant corpus documents."""

    name: str
    queries: list[str]
    corpus: list[str]
    relevant: list[frozenset[int]]


@dataclass(frozen=True)
class GroupSplit:
    """KldB groups (codes of one level) whose BA job titles are held out of training."""

    groups: frozenset[str]
    digits: int

    def holds_out(self, code: str) -> bool:
        """Whether a KldB code (5 digits) falls in a held-out group."""
        return code[: self.digits] in self.groups


def group_split(ref: ReferenceData, fraction: float = 0.2, digits: int = 3, seed: int = 0) -> GroupSplit:
    """A fixed share of the KldB groups of one level, drawn by seed (sorted codes, then sampled)."""
    codes = sorted(ref.kldb.loc[ref.kldb["level"] == digits, "code"])
    chosen = random.Random(seed).sample(codes, round(len(codes) * fraction))
    return GroupSplit(frozenset(chosen), digits)


def held_out_titles(ref: ReferenceData, split: GroupSplit) -> list[str]:
    """The BA job titles of the held-out groups (what training must never see)."""
    return [t for t, code in zip(ref.job_titles["title"], ref.job_titles["kldb"]) if split.holds_out(code)]


def esco_by_kldb(ref: ReferenceData, relations: Sequence[str] = ("exactMatch", "closeMatch")) -> dict[str, set[str]]:
    """KldB 5-digit code -> ESCO occupation ids the BA/ESCO crosswalk links to it."""
    links = ref.esco_kldb.loc[ref.esco_kldb["relation"].isin(relations)]
    result: dict[str, set[str]] = {}
    for esco, code in zip(links["esco_id"], links["kldb"]):
        result.setdefault(code, set()).add(esco)
    return result


def _held_out_sample(ref: ReferenceData, split: GroupSplit, n_queries: int, seed: int, codes: set[str]):
    titles = ref.job_titles
    mask = titles["kldb"].map(lambda c: split.holds_out(c) and c in codes)
    chosen = titles.loc[mask]
    return chosen.sample(n=min(n_queries, len(chosen)), random_state=seed)


def ba_group_kldb_task(ref: ReferenceData, split: GroupSplit, n_queries: int = 2000, seed: int = 0) -> RetrievalTask:
    """Held-out groups' BA titles -> KldB 5-digit titles."""
    kldb5 = ref.kldb.loc[ref.kldb["level"] == 5].sort_index()
    position = {code: i for i, code in enumerate(kldb5["code"])}
    sample = _held_out_sample(ref, split, n_queries, seed, set(position))
    return RetrievalTask(
        name="ba_group_kldb",
        queries=list(sample["title"]),
        corpus=list(kldb5["title"]),
        relevant=[frozenset([position[code]]) for code in sample["kldb"]],
    )


def ba_group_esco_task(ref: ReferenceData, split: GroupSplit, n_queries: int = 2000, seed: int = 0) -> RetrievalTask:
    """Held-out groups' BA titles -> ESCO preferred labels, linked through the crosswalk."""
    occupations = ref.esco_occupations.sort_index()
    position = {esco: i for i, esco in enumerate(occupations["id"])}
    links = {code: {position[e] for e in ids if e in position} for code, ids in esco_by_kldb(ref).items()}
    sample = _held_out_sample(ref, split, n_queries, seed, {c for c, ids in links.items() if ids})
    return RetrievalTask(
        name="ba_group_esco",
        queries=list(sample["title"]),
        corpus=list(occupations["label"]),
        relevant=[frozenset(links[code]) for code in sample["kldb"]],
    )


def ba_group_esco_ads_task(
    ref: ReferenceData, split: GroupSplit, n_queries: int = 2000, seed: int = 0
) -> RetrievalTask:
    """``ba_group_esco`` with each query decorated by the evaluation's ad phrases."""
    from training.ad_titles import EVAL, decorate

    task, rng = ba_group_esco_task(ref, split, n_queries, seed), random.Random(seed)
    queries = [decorate(query, rng, EVAL) for query in task.queries]
    return RetrievalTask("ba_group_esco_ads", queries, task.corpus, task.relevant)


def ba_titles_task(ref: ReferenceData, n_queries: int = 2000, seed: int = 0) -> RetrievalTask:
    """BA job titles -> KldB 5-digit titles (the BA source)."""
    kldb5 = ref.kldb.loc[ref.kldb["level"] == 5].sort_index()
    position = {code: i for i, code in enumerate(kldb5["code"])}
    titles = ref.job_titles.loc[ref.job_titles["kldb"].isin(position)]
    sample = titles.sample(n=min(n_queries, len(titles)), random_state=seed)
    return RetrievalTask(
        name="ba_titles",
        queries=list(sample["title"]),
        corpus=list(kldb5["title"]),
        relevant=[frozenset([position[code]]) for code in sample["kldb"]],
    )


def esco_alt_task(ref: ReferenceData, n_queries: int = 2000, seed: int = 0) -> RetrievalTask:
    """ESCO alternative labels -> preferred labels of their occupations (the ESCO source)."""
    occupations = ref.esco_occupations.sort_index()
    owners: dict[str, set[int]] = {}
    for i, (label, alt_labels) in enumerate(zip(occupations["label"], occupations["alt_labels"])):
        folded = label.casefold()
        for alt in alt_labels:
            if alt.casefold() not in folded:
                owners.setdefault(alt, set()).add(i)
    labels = sorted(owners)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(labels), size=min(n_queries, len(labels)), replace=False))
    return RetrievalTask(
        name="esco_alt",
        queries=[labels[i] for i in chosen],
        corpus=list(occupations["label"]),
        relevant=[frozenset(owners[labels[i]]) for i in chosen],
    )


def german_tasks(
    ref: ReferenceData, n_queries: int = 2000, seed: int = 0, split: GroupSplit | None = None
) -> list[RetrievalTask]:
    """The source-split tasks, and the group-split ones when a split is given, one query budget."""
    tasks = [ba_titles_task(ref, n_queries, seed), esco_alt_task(ref, n_queries, seed)]
    if split is not None and split.groups:
        tasks += [
            ba_group_kldb_task(ref, split, n_queries, seed),
            ba_group_esco_task(ref, split, n_queries, seed),
            ba_group_esco_ads_task(ref, split, n_queries, seed),
        ]
    return tasks


def score_metrics(scores: NDArray[np.float32], relevant: Sequence[frozenset[int]]) -> dict[str, float]:
    """MAP@100, success@1, @5 and @10 of a (queries x corpus) score matrix."""
    cutoff = min(CUTOFF, scores.shape[1])
    top = np.argpartition(-scores, cutoff - 1, axis=1)[:, :cutoff]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    ranked = np.take_along_axis(top, order, axis=1)
    aps, hit1, hit5, hit10 = [], [], [], []
    for row, rel in zip(ranked, relevant):
        hits = np.isin(row, list(rel))
        ranks = np.flatnonzero(hits) + 1
        aps.append(float((np.arange(1, len(ranks) + 1) / ranks).sum() / len(rel)))
        hit1.append(bool(hits[:1].any()))
        hit5.append(bool(hits[:5].any()))
        hit10.append(bool(hits[:10].any()))
    return {
        "map": float(np.mean(aps)),
        "success@1": float(np.mean(hit1)),
        "success@5": float(np.mean(hit5)),
        "success@10": float(np.mean(hit10)),
    }


def evaluate_embedder(embed: EmbedFn, task: RetrievalTask) -> dict[str, float]:
    """Metrics of an embedding function (rows L2-normalised) on one task."""
    scores = embed(task.queries) @ embed(task.corpus).T
    return score_metrics(np.asarray(scores, dtype=np.float32), task.relevant)


def tfidf_scores(task: RetrievalTask) -> NDArray[np.float32]:
    """Cosines of char 3-5-gram TF-IDF vectors (word-bounded), fitted on the task's corpus."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    corpus = vectorizer.fit_transform(task.corpus)
    queries = vectorizer.transform(task.queries)
    return sparse.csr_matrix(queries @ corpus.T).toarray().astype(np.float32)


def evaluate_tfidf_baseline(task: RetrievalTask) -> dict[str, float]:
    """The lexical baseline: char 3-5-gram TF-IDF alone."""
    return score_metrics(tfidf_scores(task), task.relevant)


def evaluate_hybrid(embed: EmbedFn, task: RetrievalTask, weight: float = 0.2) -> dict[str, float]:
    """Hybrid scoring: (1 - weight) x embedding cosine + weight x char TF-IDF cosine."""
    dense = np.asarray(embed(task.queries) @ embed(task.corpus).T, dtype=np.float32)
    return score_metrics((1 - weight) * dense + weight * tfidf_scores(task), task.relevant)


def format_table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    """A plain-text table: one line per model, MAP / s@1 / s@10 per task."""
    tasks = sorted({task for by_task in rows.values() for task in by_task})
    header = f"{'model':<28}" + "".join(f"| {t:<26}" for t in tasks)
    sub = f"{'':<28}" + "".join(f"| {'MAP':>7} {'s@1':>7} {'s@10':>7}   " for _ in tasks)
    lines = [header, sub, "-" * len(sub)]
    for model, by_task in rows.items():
        cells = "".join(
            f"| {by_task[t]['map']:7.3f} {by_task[t]['success@1']:7.3f} {by_task[t]['success@10']:7.3f}   "
            if t in by_task
            else f"| {'-':<26}"
            for t in tasks
        )
        lines.append(f"{model:<28}{cells}")
    return "\n".join(lines)
