"""The default German encoder: contract, held-out German quality, fingerprint, resolution."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from matcher.ranking.encoder import (
    Encoder,
    EncoderConfig,
    EncoderNotBuiltError,
    default_encoder_path,
    resolve_encoder_config,
)
from matcher.records.reference import ReferenceData
from training.encoder import EncoderBuildConfig, build_split
from training.german_eval import ba_group_esco_task, ba_group_kldb_task, evaluate_embedder, evaluate_tfidf_baseline

TEXTS = ["Altenpfleger/in in Vollzeit", "", "Kfz-Mechatroniker", "Bäckereifachverkäuferin", "x"]


def test_encode_contract(default_encoder: Encoder) -> None:
    vectors = default_encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), default_encoder.dimension)
    assert vectors.dtype == np.float32
    # Every row is a unit vector, the empty text's too (a fixed direction).
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert default_encoder.encode([]).shape == (0, default_encoder.dimension)


def test_order_is_kept(default_encoder: Encoder) -> None:
    order = np.random.default_rng(0).permutation(len(TEXTS))
    shuffled = default_encoder.encode([TEXTS[i] for i in order])
    np.testing.assert_allclose(shuffled, default_encoder.encode(TEXTS)[order], atol=1e-6)


def test_german_titles_known_answers(default_encoder: Encoder) -> None:
    query, right, wrong = default_encoder.encode(
        ["Altenpflegerin", "Fachkraft Altenpflege", "Berufskraftfahrer im Güterverkehr"]
    )
    assert query @ right > query @ wrong


@pytest.mark.parametrize("make_task", [ba_group_kldb_task, ba_group_esco_task])
def test_beats_tfidf_on_held_out_groups(default_encoder: Encoder, reference: ReferenceData, make_task) -> None:
    # The default never sees the BA titles of its held-out KldB groups (tokenizer or pairs).
    task = make_task(reference, build_split(reference, EncoderBuildConfig()), n_queries=300, seed=7)
    ours = evaluate_embedder(default_encoder.encode, task)
    baseline = evaluate_tfidf_baseline(task)
    assert ours["map"] > baseline["map"] + 0.05
    assert ours["success@10"] > baseline["success@10"]


def test_fingerprint_follows_the_files(default_encoder_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(default_encoder_dir, copy)
    same = Encoder(EncoderConfig(str(copy)))
    assert same.fingerprint == Encoder(EncoderConfig(str(default_encoder_dir))).fingerprint
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the weights is another model
    weights.write_bytes(bytes(data))
    assert Encoder(EncoderConfig(str(copy))).fingerprint != same.fingerprint


def test_resolution(tmp_path: Path) -> None:
    assert resolve_encoder_config("some/model", tmp_path).name_or_path == "some/model"
    with pytest.raises(EncoderNotBuiltError, match="train-encoder"):
        resolve_encoder_config(None, tmp_path)
    assert default_encoder_path(tmp_path).parent == tmp_path
