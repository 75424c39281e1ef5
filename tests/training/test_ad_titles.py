"""Job-ad decorations: training and evaluation use disjoint phrases, and only titles get them."""

from __future__ import annotations

import random

from matcher.ranking.encoder import Encoder
from matcher.records.reference import ReferenceData
from training.ad_titles import EVAL, TRAIN, decorate, is_title
from training.encoder import EncoderBuildConfig, ad_examples, build_split, training_examples
from training.german_eval import ba_group_esco_ads_task, ba_group_esco_task


def test_phrase_lists_are_disjoint() -> None:
    assert not set(TRAIN.after) & set(EVAL.after)
    assert not set(TRAIN.before) & set(EVAL.before)


def test_decorate_keeps_the_title_and_adds_phrases() -> None:
    rng = random.Random(3)
    for _ in range(50):
        text = decorate("Fachkraft für Lagerlogistik", rng, EVAL)
        assert "Fachkraft für Lagerlogistik" in text
        added = text.replace("Fachkraft für Lagerlogistik", " ")
        assert any(phrase in added for phrase in EVAL.after)


def test_is_title_tells_titles_from_texts() -> None:
    assert is_title("Bäcker/in - Konditorei")
    assert is_title("Fachkraft für Lagerlogistik")
    assert not is_title("Teig herstellen, Brot backen, Backwaren verkaufen")
    assert not is_title("Bäcker stellen Brot und Backwaren her und verkaufen sie in der Filiale.")


def test_ad_examples_decorate_a_share_of_title_anchors() -> None:
    examples = [("Koch/Köchin", "Koch", "29302"), ("Speisen zubereiten und anrichten.", "Koch", "29302")] * 200
    assert ad_examples(examples, 0.0) == []
    every = ad_examples(examples, 1.0)
    assert len(every) == 200
    assert all(a.startswith(("Koch/Köchin", *TRAIN.before)) and a != "Koch/Köchin" for a, _, _ in every)
    assert all((b, c) == ("Koch", "29302") for _, b, c in every)
    assert 60 < len(ad_examples(examples, 0.5)) < 140


def test_training_never_attaches_an_evaluation_phrase(reference: ReferenceData) -> None:
    decorated = training_examples(reference, EncoderBuildConfig(sources=("esco",), ad_noise=1.0))
    texts = " ".join(a for a, _, _ in decorated)
    # Phrases that are no substring of a training phrase never reach training through decoration.
    own = [p for p in EVAL.after if not any(p in t for t in TRAIN.after)]
    clean = " ".join(a for a, _, _ in training_examples(reference, EncoderBuildConfig(sources=("esco",))))
    assert [p for p in own if p in texts and p not in clean] == []


def test_ads_task_decorates_the_held_out_queries(reference: ReferenceData) -> None:
    split = build_split(reference, EncoderBuildConfig())
    clean, ads = ba_group_esco_task(reference, split, 200), ba_group_esco_ads_task(reference, split, 200)
    assert ads.relevant == clean.relevant and ads.corpus == clean.corpus
    assert all(q in a and q != a for q, a in zip(clean.queries, ads.queries))


def test_default_encoder_gives_ad_words_little_weight(default_encoder: Encoder) -> None:
    # Trained with ad phrases, the encoder all but ignores them; phrases it never saw pull more,
    # but the title still decides against a plain title of another occupation.
    rows = default_encoder.encode(
        [
            "Fachkraft für Lagerlogistik (m/w/d) in Vollzeit - ab sofort",
            "Fachkraft - Lagerlogistik",
            "Staplerfahrer/in (w/m/d) - Spätschicht befristet in Ramstein-Miesenbach",
            "Gabelstaplerfahrer/Gabelstaplerfahrerin",
            "Koch/Köchin",
        ]
    )
    assert rows[0] @ rows[1] > 0.9
    assert rows[2] @ rows[3] > rows[2] @ rows[4] + 0.25
