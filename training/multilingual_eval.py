"""Foreign job titles -> German occupations: one held-out retrieval task per language.

The queries are ESCO labels (preferred and alternative) in one language of the occupations whose
closest KldB code falls in the encoder's held-out groups (``GroupSplit``, as the German group
tasks): no label of theirs, in any language, is trained. The corpus is the German preferred labels
of all ESCO occupations; the relevant document is the query's own occupation (or each occupation
that carries the same label). The German labels themselves are trained, as in the German tasks.

Reported per language as ``held_out.lang_<code>.*``: MAP@100, success@1, @5 and @10.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matcher.records.reference import ReferenceData
from training.german_eval import EmbedFn, GroupSplit, RetrievalTask, score_metrics


def foreign_tasks(
    ref: ReferenceData, split: GroupSplit, languages: Sequence[str], n_queries: int = 300, seed: int = 0
) -> list[RetrievalTask]:
    """Per language: held-out groups' labels -> German ESCO preferred labels (``lang_<code>``);
    languages without held-out labels are left out. The tasks share one corpus list."""
    from training.encoder import _esco_codes

    occupations = ref.esco_occupations.sort_index()
    corpus = list(occupations["label"])
    position = {esco: i for i, esco in enumerate(occupations["id"])}
    codes = _esco_codes(ref)
    held = {e for e in position if codes.get(e) and split.holds_out(codes[e])}
    frame = ref.esco_labels_multilingual
    frame = frame.loc[frame["lang"].isin(languages) & frame["esco_id"].isin(held)]
    tasks = []
    for lang in languages:
        owners: dict[str, set[int]] = {}
        part = frame.loc[frame["lang"] == lang]
        for esco, label in zip(part["esco_id"], part["label"]):
            owners.setdefault(label, set()).add(position[esco])
        if not owners:
            continue
        labels = sorted(owners)
        rng = np.random.default_rng(seed)
        chosen = sorted(rng.choice(len(labels), size=min(n_queries, len(labels)), replace=False))
        queries, relevant = [labels[i] for i in chosen], [frozenset(owners[labels[i]]) for i in chosen]
        tasks.append(RetrievalTask(f"lang_{lang}", queries, corpus, relevant))
    return tasks


def evaluate_foreign_tasks(embed: EmbedFn, tasks: Sequence[RetrievalTask]) -> dict[str, dict[str, float]]:
    """Metrics per task; the shared corpus is embedded once."""
    if not tasks:
        return {}
    corpus = embed(tasks[0].corpus)
    results = {}
    for task in tasks:
        scores = embed(task.queries) @ (corpus if task.corpus is tasks[0].corpus else embed(task.corpus)).T
        results[task.name] = score_metrics(np.asarray(scores, dtype=np.float32), task.relevant)
    return results


def format_language_table(metrics: dict[str, float], languages: Sequence[str]) -> str:
    """A markdown table: language, MAP@100, success@1, success@5 from an encoder's build metrics."""
    lines = ["| language | MAP@100 | success@1 | success@5 |", "|---|---|---|---|"]
    for lang in languages:
        key = f"held_out.lang_{lang}"
        if f"{key}.map" in metrics:
            values = [metrics[f"{key}.{m}"] for m in ("map", "success_at_1", "success_at_5")]
            lines.append(f"| {lang} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    return "\n".join(lines)
