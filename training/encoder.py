"""Build the default German encoder: a static-embedding sentence-transformers model.

Recipe (``build_default_encoder``): train a WordPiece tokenizer on German reference texts, then
train one embedding row per token with MultipleNegativesRankingLoss on German pairs (ESCO
alternative -> preferred labels, ESCO occupations -> KldB titles via the official mapping, KldB
short titles, tasks and explanations -> KldB titles, ESCO descriptions and skill lists -> labels).
The result is a plain ``StaticEmbedding`` model: any sentence-transformers loads it offline,
without custom code, and it embeds thousands of profile texts per second on two cores.

Why static and not a fine-tuned transformer: on our probe, fine-tuning MiniLM for 11 minutes
raised an in-source test but lowered an independent one, and every transformer we have is too
slow on two cores. A bag of trained German subword vectors learns the compounds of German job
titles ("Kfz-Mechatroniker", "Altenpflegehelferin") in seconds and generalises to a source it
never saw (see ``training.german_eval``).

Source split: by default the BA job-title list is left out of everything (tokenizer and pairs),
so the ``ba_titles`` task is a true held-out test, logged with every build.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from matcher.encoder import Encoder, EncoderConfig
from matcher.reference import DEFAULT_REFERENCE_DIR, ReferenceData
from training.german_eval import evaluate_embedder, german_tasks

SOURCES = ("esco", "kldb", "ba")
# Which eval task uses which source: a task counts as held out when its source was not trained.
TASK_SOURCE = {"ba_titles": "ba", "esco_alt": "esco"}
Pair = tuple[str, str]


@dataclass(frozen=True)
class EncoderBuildConfig:
    """Hyper-parameters of the default encoder (logged as MLflow params)."""

    sources: tuple[str, ...] = ("esco", "kldb")
    vocab_size: int = 20000
    dimension: int = 256
    epochs: int = 1
    batch_size: int = 256
    learning_rate: float = 0.05
    scale: float = 20.0  # MNRL temperature: cosine x 20, the sentence-transformers default
    init_std: float = 0.0625  # unit-norm rows at 256 dims; 0.01 scored lower on held-out BA
    seed: int = 0
    eval_queries: int = 1000
    reference_dir: Path = DEFAULT_REFERENCE_DIR
    tracking_uri: str | None = None
    artifact_location: str | None = None
    experiment: str = "default-encoder"
    log_model: bool = True


@dataclass(frozen=True)
class EncoderBuildResult:
    """Where the model went, its German eval metrics and how long the build took."""

    path: Path
    metrics: dict[str, float]
    seconds: float
    run_id: str | None = None
    params: dict[str, object] = field(default_factory=dict)


# --- data -------------------------------------------------------------------------------------
def _kldb5(ref: ReferenceData) -> dict[str, str]:
    frame = ref.kldb.loc[ref.kldb["level"] == 5]
    return dict(zip(frame["code"], frame["title"]))


def esco_pairs(ref: ReferenceData) -> list[Pair]:
    """ESCO: alt -> preferred label, occupation -> KldB title, description/skills -> label."""
    occ, titles = ref.esco_occupations, _kldb5(ref)
    pairs = [(alt, label) for label, alts in zip(occ["label"], occ["alt_labels"]) for alt in alts]
    pairs += [(d, label) for d, label in zip(occ["description"], occ["label"]) if d]
    essential = ref.occupation_skills.loc[ref.occupation_skills["relation"] == "essential"]
    for occ_id, group in essential.groupby("occupation_id", sort=True):
        if occ_id in occ.index:
            skills = [ref.skill_label(s) for s in group["skill_id"][:10]]
            pairs.append((", ".join(skills), occ.at[occ_id, "label"]))
    # The mapping's own BA title column is BA data: only its ESCO side is used here.
    for esco, code in zip(ref.esco_kldb["esco_id"], ref.esco_kldb["kldb"]):
        if code in titles and esco in occ.index:
            pairs.append((occ.at[esco, "label"], titles[code]))
            pairs += [(alt, titles[code]) for alt in occ.at[esco, "alt_labels"][:3]]
    return pairs


def kldb_pairs(ref: ReferenceData) -> list[Pair]:
    """KldB: short title, remarks and up to five task phrases -> the position's title."""
    frame = ref.kldb.loc[ref.kldb["level"] == 5]
    pairs: list[Pair] = []
    for code, title, short, remarks in zip(frame["code"], frame["title"], frame["short_title"], frame["remarks"]):
        pairs += [(short, title)] + ([(remarks, title)] if remarks else [])
        pairs += [(task, title) for task in ref.kldb_tasks(code)[:5]]
    return pairs


def ba_pairs(ref: ReferenceData, seed: int = 0) -> list[Pair]:
    """BA: job title -> KldB title, and job title -> another title of the same position."""
    titles, rng = _kldb5(ref), random.Random(seed)
    pairs: list[Pair] = []
    for code, group in ref.job_titles.groupby("kldb", sort=True):
        names = list(group["title"])
        if code in titles:
            pairs += [(name, titles[code]) for name in names]
        if len(names) > 1:
            pairs += [(name, rng.choice([n for n in names if n != name])) for name in names]
    return pairs


def training_pairs(ref: ReferenceData, sources: Sequence[str], seed: int = 0) -> list[Pair]:
    """All pairs of the chosen sources, without empty texts."""
    builders = {"esco": esco_pairs, "kldb": kldb_pairs, "ba": lambda r: ba_pairs(r, seed)}
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; known: {SOURCES}")
    pairs = [pair for source in sources for pair in builders[source](ref)]
    return [(a, b) for a, b in pairs if a.strip() and b.strip()]


def tokenizer_corpus(ref: ReferenceData, sources: Sequence[str]) -> Iterator[str]:
    """German texts of the chosen sources (the held-out source's queries stay unseen)."""
    yield from ref.kldb["title"]
    if "kldb" in sources:
        yield from ref.kldb["short_title"]
        yield from (t for tasks in ref.kldb["tasks"] for t in tasks.split(" | ") if t)
    if "esco" in sources:
        occ = ref.esco_occupations
        yield from occ["label"]
        yield from (alt for alts in occ["alt_labels"] for alt in alts)
        yield from (d for d in occ["description"] if d)
        yield from (s for s in ref.esco_skills["label_de"] if s)
    if "ba" in sources:
        yield from ref.job_titles["title"]


# --- model ------------------------------------------------------------------------------------
def train_tokenizer(texts: Iterator[str], vocab_size: int):  # -> tokenizers.Tokenizer
    """A lower-casing WordPiece tokenizer; umlauts and ß are kept (they carry meaning)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=["[UNK]"], min_frequency=2, show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def _token_ids(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    return [enc.ids for enc in tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def _bag_inputs(ids: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat token ids and offsets, as ``StaticEmbedding`` feeds its ``EmbeddingBag``."""
    offsets = np.cumsum([0] + [len(x) for x in ids[:-1]])
    flat = [i for x in ids for i in x]
    return torch.tensor(flat, dtype=torch.long), torch.from_numpy(offsets)


def _mnrl(left: torch.Tensor, right: torch.Tensor, scale: float) -> torch.Tensor:
    """Symmetric in-batch-negatives loss: row i of ``left`` belongs to row i of ``right``."""
    sims = torch.nn.functional.normalize(left, dim=-1) @ torch.nn.functional.normalize(right, dim=-1).T
    labels = torch.arange(len(left))
    loss = torch.nn.functional.cross_entropy(sims * scale, labels)
    return (loss + torch.nn.functional.cross_entropy(sims.T * scale, labels)) / 2


def train_embeddings(tokenizer, pairs: Sequence[Pair], config: EncoderBuildConfig) -> np.ndarray:
    """Token vectors trained with MultipleNegativesRankingLoss (symmetric, in-batch negatives)."""
    torch.manual_seed(config.seed)
    weights = torch.randn(tokenizer.get_vocab_size(), config.dimension) * config.init_std
    bag = torch.nn.EmbeddingBag.from_pretrained(weights, freeze=False, mode="mean")
    optimizer = torch.optim.Adam(bag.parameters(), lr=config.learning_rate)
    # Tokenised once up front: per-batch tokenising was the larger part of the build time.
    anchors = _token_ids(tokenizer, [a for a, _ in pairs])
    positives = _token_ids(tokenizer, [b for _, b in pairs])
    for epoch in range(config.epochs):
        order = np.random.default_rng(config.seed + epoch).permutation(len(pairs))
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            left = bag(*_bag_inputs([anchors[i] for i in batch]))
            right = bag(*_bag_inputs([positives[i] for i in batch]))
            loss = _mnrl(left, right, config.scale)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return bag.weight.detach().numpy().astype(np.float32)


def save_static_model(tokenizer, weights: NDArray[np.float32], out_dir: Path) -> None:
    """Write a sentence-transformers ``StaticEmbedding`` model folder atomically."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    module = StaticEmbedding(tokenizer, embedding_weights=weights)
    model = SentenceTransformer(modules=[module], device="cpu")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    model.save(str(staging))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)  # a reader never sees a half-written model


# --- evaluation, tracking, the one entry point ------------------------------------------------
def evaluate_encoder(path: Path, ref: ReferenceData, config: EncoderBuildConfig) -> dict[str, float]:
    """German eval of a model folder, with the char TF-IDF baseline on the same queries."""
    from training.german_eval import evaluate_tfidf_baseline

    encoder = Encoder(EncoderConfig(str(path)))
    metrics: dict[str, float] = {}
    for task in german_tasks(ref, config.eval_queries, config.seed):
        split = "in_source" if TASK_SOURCE[task.name] in config.sources else "held_out"
        for prefix, values in (
            (f"{split}.{task.name}", evaluate_embedder(encoder.encode, task)),
            (f"tfidf.{task.name}", evaluate_tfidf_baseline(task)),
        ):
            metrics.update({f"{prefix}.{k.replace('@', '_at_')}": v for k, v in values.items()})
    return metrics


def log_build(result: EncoderBuildResult, config: EncoderBuildConfig) -> str:
    """Log params, German eval metrics and the model folder as an MLflow run; returns its id."""
    from training.tracking import log_encoder_build

    return log_encoder_build(
        str(config.tracking_uri),
        config.artifact_location,
        config.experiment,
        result.params,
        {**result.metrics, "build_seconds": result.seconds},
        result.path if config.log_model else None,
    )


def _params(config: EncoderBuildConfig, n_pairs: int) -> dict[str, object]:
    params: dict[str, object] = asdict(config)
    params.update(sources=",".join(config.sources), n_pairs=n_pairs, kind="StaticEmbedding")
    for key in ("reference_dir", "tracking_uri", "artifact_location", "log_model"):
        params.pop(key)
    return params


def build_default_encoder(out_dir: Path, config: EncoderBuildConfig | None = None) -> EncoderBuildResult:
    """Train, save, evaluate (and log to MLflow when a tracking URI is set) the default encoder.

    Deterministic for a seed up to float summation order; about 15-30 s on two CPU cores.
    """
    config = config or EncoderBuildConfig()
    started = time.perf_counter()
    ref = ReferenceData(config.reference_dir)
    tokenizer = train_tokenizer(tokenizer_corpus(ref, config.sources), config.vocab_size)
    pairs = training_pairs(ref, config.sources, config.seed)
    weights = train_embeddings(tokenizer, pairs, config)
    save_static_model(tokenizer, weights, out_dir)
    params = _params(config, len(pairs))
    (out_dir / "build.json").write_text(json.dumps(params, indent=2, default=str) + "\n")
    metrics = evaluate_encoder(out_dir, ref, config) if config.eval_queries > 0 else {}
    result = EncoderBuildResult(out_dir, metrics, round(time.perf_counter() - started, 2), params=params)
    if config.tracking_uri:
        result = EncoderBuildResult(out_dir, metrics, result.seconds, log_build(result, config), params)
    return result
