"""Occupation coding: top-1 and top-5 accuracy of KldB codes on titles held out by source.

Two held-out tests, each against an index that lacks the test's source:

- **BA job titles -> KldB**: the index holds KldB titles and ESCO labels only; the queries are the
  BA's job titles (Berufsbenennungen) of the default encoder's held-out KldB 3-digit groups, each
  with its one KldB code. Titles that normalise to a text already in the index are left out, so
  every query is new to the index; the encoder never saw these titles either (it trains on the
  BA titles of the other groups).
- **ESCO alternative labels -> KldB**: the index holds KldB titles, BA titles and ESCO preferred
  labels; the queries are ESCO alternative labels that differ from every indexed text, and a code
  is right when the BA mapping links the occupation to it (exact or close match). The encoder was
  trained on ESCO labels, so this test is held out for the index, not for the encoder.

A third kind per language (``--languages ro pl bg ...``): **foreign ESCO labels -> KldB**, the
labels of the occupations in the encoder's held-out groups in that language (never trained), right
when the BA mapping links the occupation to the code by an exact or close match.

Run: ``python -m training.eval_occupations [--queries N] [--encoder PATH]``; prints a table per
variant (fusion, TF-IDF alone, encoder alone) and the query latency.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from matcher.ranking.encoder import Encoder, load_default_encoder
from matcher.records.reference import ReferenceData
from matcher.services.occupations import OccupationSuggester, SuggesterConfig, normalise_title
from training.encoder import EncoderBuildConfig, build_split


@dataclass(frozen=True)
class Task:
    name: str
    config: SuggesterConfig
    queries: list[str]
    truth: list[frozenset[str]]


def ba_task(reference: ReferenceData, base: SuggesterConfig, n: int, seed: int) -> Task:
    config = replace(base, sources=("kldb", "esco"))
    indexed = _indexed_texts(reference, config)
    titles = reference.job_titles.assign(text=reference.job_titles["title"].map(normalise_title))
    split = build_split(reference, EncoderBuildConfig())
    titles = titles[titles["kldb"].map(split.holds_out)]
    titles = titles[~titles["text"].isin(indexed) & (titles["text"] != "")]
    sample = titles.sample(min(n, len(titles)), random_state=seed)
    return Task("BA titles -> KldB", config, list(sample["title"]), [frozenset([c]) for c in sample["kldb"]])


def esco_task(reference: ReferenceData, base: SuggesterConfig, n: int, seed: int) -> Task:
    config = replace(base, esco_alt_labels=False)
    indexed = _indexed_texts(reference, config)
    links = reference.esco_kldb
    links = links[links["relation"].isin(["exactMatch", "closeMatch"])]
    codes = links.groupby("esco_id")["kldb"].agg(frozenset)
    alt = reference.esco_occupations[["id", "alt_labels"]].explode("alt_labels").dropna()
    alt = alt[alt["id"].isin(codes.index)]
    alt = alt.assign(text=alt["alt_labels"].map(normalise_title))
    alt = alt[~alt["text"].isin(indexed) & (alt["text"] != "")].drop_duplicates("text")
    sample = alt.sample(min(n, len(alt)), random_state=seed)
    return Task("ESCO alt labels -> KldB", config, list(sample["alt_labels"]), [codes[i] for i in sample["id"]])


def foreign_task(reference: ReferenceData, base: SuggesterConfig, lang: str, n: int, seed: int) -> Task:
    """Foreign ESCO labels of the encoder's held-out groups -> KldB (exact or close match links),
    against the full German index: the suggester indexes German labels only."""
    from training.encoder import _esco_codes

    links = reference.esco_kldb
    links = links[links["relation"].isin(["exactMatch", "closeMatch"])]
    codes = links.groupby("esco_id")["kldb"].agg(frozenset)
    split, closest = build_split(reference, EncoderBuildConfig()), _esco_codes(reference)
    frame = reference.esco_labels_multilingual
    frame = frame[(frame["lang"] == lang) & frame["esco_id"].isin(codes.index)]
    frame = frame[frame["esco_id"].map(lambda e: bool(closest.get(e)) and split.holds_out(closest[e]))]
    frame = frame.drop_duplicates("label", keep=False)  # a label of two occupations: no one truth
    sample = frame.sample(min(n, len(frame)), random_state=seed)
    return Task(f"{lang} labels -> KldB", base, list(sample["label"]), [codes[e] for e in sample["esco_id"]])


def _indexed_texts(reference: ReferenceData, config: SuggesterConfig) -> set[str]:
    from matcher.services.occupations import label_table

    return set(label_table(reference, config)["label"].map(normalise_title))


def evaluate(suggester: OccupationSuggester, task: Task) -> dict[str, float]:
    suggester.warm_up()
    hits1 = hits5 = 0
    latencies = []
    for query, truth in zip(task.queries, task.truth, strict=True):
        t0 = time.perf_counter()
        codes = [s.kldb for s in suggester.suggest(query, 5)]
        latencies.append(time.perf_counter() - t0)
        hits1 += codes[:1] != [] and codes[0] in truth
        hits5 += any(c in truth for c in codes)
    n = len(task.queries)
    ms = np.array(latencies) * 1000
    return {
        "top1": hits1 / n,
        "top5": hits5 / n,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


def variants(base: SuggesterConfig, encoder: Encoder) -> dict[str, tuple[SuggesterConfig, Encoder | None]]:
    return {
        "fusion 0.85/0.15 (default)": (base, encoder),
        "fusion, exact dense pass": (replace(base, prefilter=0), encoder),
        "fusion 0.5/0.5": (replace(base, dense_weight=0.5), encoder),
        "encoder alone": (replace(base, dense_weight=1.0), encoder),
        "char 3-5-gram TF-IDF alone": (base, None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--default-only", action="store_true", help="only the default variant")
    parser.add_argument("--foreign-queries", type=int, default=300, help="per foreign language")
    parser.add_argument(
        "--languages", nargs="*", default=["ro", "pl", "bg", "hr", "en", "ar"], help="foreign label tasks"
    )
    parser.add_argument("--encoder", type=Path, default=None, help="model folder (default: the built default)")
    parser.add_argument("--encoder-dir", type=Path, default=Path("var/encoder"))
    args = parser.parse_args()
    reference = ReferenceData()
    encoder = load_default_encoder(str(args.encoder) if args.encoder else None, args.encoder_dir)
    # The title cues learn from BA titles: never from those of the encoder's held-out groups.
    base = SuggesterConfig(cue_held_out=tuple(sorted(build_split(reference, EncoderBuildConfig()).groups)))
    tasks = [ba_task(reference, base, args.queries, args.seed), esco_task(reference, base, args.queries, args.seed)]
    foreign = [foreign_task(reference, base, lang, args.foreign_queries, args.seed) for lang in args.languages]
    rows, built = [], {}  # one index per (config, encoder): the foreign tasks share the default's
    for task in tasks + foreign:
        chosen = variants(task.config, encoder)
        if args.default_only or task in foreign:  # foreign: the default and the exact dense pass
            chosen = dict(list(chosen.items())[: 1 if args.default_only else 2])
        for name, (config, enc) in chosen.items():
            key = (config, enc is None)
            built.setdefault(key, OccupationSuggester(reference, enc, config))
            result = evaluate(built[key], task)
            rows.append({"task": task.name, "variant": name, "queries": len(task.queries), **result})
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    print(markdown(rows))


def markdown(rows: list[dict[str, object]]) -> str:
    """The rows as a README table."""
    lines = ["| task | variant | queries | top-1 | top-5 | p50 ms | p99 ms |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['variant']} | {r['queries']} | {r['top1']:.3f} | {r['top5']:.3f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
