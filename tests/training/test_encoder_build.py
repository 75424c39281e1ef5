"""The default encoder's build: the held-out groups stay unseen (German BA titles and foreign ESCO
labels), gendered forms fold in the tokenizer, foreign tokens extend the German vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.ranking.encoder import Encoder
from matcher.records.reference import ReferenceData
from training.encoder import (
    LANGUAGES,
    EncoderBuildConfig,
    _esco_codes,
    add_foreign_tokens,
    build_normalizer,
    build_split,
    foreign_labels,
    multilingual_pairs,
    tokenizer_corpus,
    train_tokenizer,
    training_examples,
)
from training.german_eval import ba_group_esco_task, ba_group_kldb_task, group_split, held_out_titles
from training.multilingual_eval import foreign_tasks

CONFIG = EncoderBuildConfig()


@pytest.fixture(scope="module")
def unseen(reference: ReferenceData) -> set[str]:
    """Held-out groups' BA titles that no other source has as a text of its own."""
    others = EncoderBuildConfig(sources=tuple(s for s in CONFIG.sources if s not in ("ba", "crosswalk")))
    other_texts = {t for a, b, _ in training_examples(reference, others) for t in (a, b)}
    other_texts |= set(tokenizer_corpus(reference, others))
    titles = set(held_out_titles(reference, build_split(reference, CONFIG)))
    assert len(titles) > 2000
    return titles - other_texts


def test_default_trains_on_ba_titles(reference: ReferenceData) -> None:
    # The guard below means something only when BA titles are trained at all (crosswalk pairs).
    assert "crosswalk" in CONFIG.sources
    assert CONFIG.held_out_fraction > 0


def test_held_out_titles_never_in_any_sources_pairs(reference: ReferenceData, unseen: set[str]) -> None:
    every = EncoderBuildConfig(sources=("esco", "kldb", "ba", "crosswalk"))
    texts = {t for a, b, _ in training_examples(reference, every) for t in (a, b)}
    leaked = unseen & texts
    assert not leaked, sorted(leaked)[:5]


def test_held_out_titles_never_in_training_pairs(reference: ReferenceData, unseen: set[str]) -> None:
    texts = {t for a, b, _ in training_examples(reference, CONFIG) for t in (a, b)}
    leaked = unseen & texts
    assert not leaked, sorted(leaked)[:5]


def test_held_out_titles_never_in_tokenizer_corpus(reference: ReferenceData, unseen: set[str]) -> None:
    leaked = unseen & set(tokenizer_corpus(reference, CONFIG))
    assert not leaked, sorted(leaked)[:5]


def test_group_split_is_fixed_and_a_fifth(reference: ReferenceData) -> None:
    split = group_split(reference, 0.2, 3, seed=0)
    assert split == group_split(reference, 0.2, 3, seed=0)
    assert split != group_split(reference, 0.2, 3, seed=1)
    n_groups = int((reference.kldb["level"] == 3).sum())
    assert len(split.groups) == round(0.2 * n_groups)
    assert all(len(code) == 3 for code in split.groups)


def test_group_tasks_query_only_held_out_groups(reference: ReferenceData) -> None:
    split = build_split(reference, CONFIG)
    titles = set(held_out_titles(reference, split))
    for task in (ba_group_kldb_task(reference, split, 300), ba_group_esco_task(reference, split, 300)):
        assert len(task.queries) == 300
        assert set(task.queries) <= titles
        assert all(task.relevant)


@pytest.mark.parametrize(
    "text",
    ["Bäcker/in", "Bäckerin", "BäckerIn", "Bäcker*in", "Bäcker:innen", "Bäcker (m/w/d)", "Bäcker/Bäckerin"],
)
def test_normalizer_folds_gendered_forms(text: str) -> None:
    assert build_normalizer(gender=True).normalize_str(text).split() in (["bäcker"], ["bäcker/bäcker"])


def test_normalizer_keeps_other_words() -> None:
    normalizer = build_normalizer(gender=True)
    assert normalizer.normalize_str("Kauffrau in Medizin und Termin") == "kaufmann in medizin und termin"
    assert normalizer.normalize_str("Ärztin") == "arzt"


def test_saved_model_carries_the_normalizer(default_encoder: Encoder, default_encoder_dir: Path) -> None:
    # The folding lives in tokenizer.json: any sentence-transformers loader applies it.
    assert "Replace" in (default_encoder_dir / "tokenizer.json").read_text()
    params = json.loads((default_encoder_dir / "build.json").read_text())
    assert params["normalize_gender"] is True
    rows = default_encoder.encode(["Verkäufer/in (m/w/d)", "Verkäuferin", "VerkäuferIn"])
    assert (rows @ rows.T).min() > 0.999


# --- foreign labels (source "multilingual") -------------------------------------------------------
def test_default_trains_on_foreign_labels_of_every_language(reference: ReferenceData) -> None:
    assert "multilingual" in CONFIG.sources
    trained = foreign_labels(reference, CONFIG)
    assert set(trained["lang"]) == set(LANGUAGES)
    assert {"ro", "pl", "bg", "hr", "ar"} <= set(LANGUAGES)


def test_held_out_groups_foreign_labels_never_trained(reference: ReferenceData) -> None:
    # Held out by whole KldB groups in every language, as the German BA titles are: no label of
    # those occupations enters the foreign pairs or the tokenizer's foreign corpus (both are
    # ``foreign_labels``), and each evaluated label is one of theirs.
    tasks = foreign_tasks(reference, build_split(reference, CONFIG), LANGUAGES, n_queries=10_000)
    assert {task.name for task in tasks} == {f"lang_{lang}" for lang in LANGUAGES}
    ids = list(reference.esco_occupations.sort_index()["id"])
    held = {ids[i] for task in tasks for rel in task.relevant for i in rel}
    trained = foreign_labels(reference, CONFIG)
    assert len(held) > 300 and not held & set(trained["esco_id"])
    anchors = {a for a, _, _ in multilingual_pairs(reference, CONFIG)}
    assert anchors == set(trained["label"])
    # A held-out label may recur as the label of a trained occupation; most do not.
    queries = {q for task in tasks for q in task.queries}
    assert len(queries - anchors) > 0.9 * len(queries)


def test_foreign_tasks_query_only_held_out_occupations(reference: ReferenceData) -> None:
    split = build_split(reference, CONFIG)
    codes = _esco_codes(reference)
    ids = list(reference.esco_occupations.sort_index()["id"])
    for task in foreign_tasks(reference, split, ("ro", "bg", "ar"), n_queries=50):
        assert len(task.queries) == 50
        assert all(split.holds_out(codes[ids[i]]) for rel in task.relevant for i in rel)


def test_foreign_tokens_are_added_after_the_german_ones(reference: ReferenceData) -> None:
    german = train_tokenizer(iter(["Bäcker Koch Schweißer Maurer"] * 3), CONFIG)
    merged = add_foreign_tokens(german, ["заварчик", "sudor", "خباز", "bäcker"] * 3, CONFIG)
    assert all(merged.get_vocab()[t] == i for t, i in german.get_vocab().items())
    assert len(merged.get_vocab()) > len(german.get_vocab())
    assert "[UNK]" not in merged.encode("заварчик").tokens
    assert merged.normalizer.normalize_str("Bäckerin") == "bäcker"
