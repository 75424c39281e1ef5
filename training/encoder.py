"""Build the default encoder: a static-embedding sentence-transformers model.

Recipe (``build_default_encoder``): train a 10k WordPiece tokenizer (no continuation marker, gendered
forms folded by ``normalizers.Replace`` rules) on German reference texts, then train one embedding
row per token with MultipleNegativesRankingLoss, three epochs, on German pairs (ESCO alternative ->
preferred labels, ESCO occupations -> KldB titles via the official mapping, KldB short titles, tasks
and explanations -> KldB titles, ESCO descriptions and skill lists -> labels, BA job titles -> KldB
titles, other titles of the position and ESCO labels of the code, the crosswalk's BA names -> ESCO
labels), and ESCO's labels in 25 other languages and Arabic -> the occupation's German label, with
WordPiece tokens learnt from those labels added to the German vocabulary (``add_foreign_tokens``).
The result is a plain ``StaticEmbedding`` model: any sentence-transformers loads it
offline, without custom code, and it embeds thousands of profile texts per second on two cores.

Why static and not a fine-tuned transformer: on our probe, fine-tuning MiniLM for 11 minutes
raised an in-source test but lowered an independent one, and every transformer we have is too
slow on two cores. A bag of trained German subword vectors learns the compounds of German job
titles ("Kfz-Mechatroniker", "Altenpflegehelferin") in seconds and generalises to a source it
never saw (see ``training.german_eval``).

Group split: the BA job titles of a fixed, seeded 20% of the KldB 3-digit groups are left out of
everything (tokenizer and pairs, the crosswalk's BA names too), so the ``ba_group_*`` tasks are
true held-out tests, logged with every build as ``held_out.*``; tasks of trained sources are
logged as ``in_source.*``. The foreign labels of the ESCO occupations in those groups are left out
too, in every language: ``held_out.lang_<code>.*`` (``training.multilingual_eval``).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray

from matcher.ranking.encoder import Encoder, EncoderConfig
from matcher.records.reference import DEFAULT_REFERENCE_DIR, ReferenceData
from training.ad_titles import TRAIN, decorate, is_title
from training.german_eval import (
    GroupSplit,
    esco_by_kldb,
    evaluate_embedder,
    german_tasks,
    group_split,
    held_out_titles,
)

SOURCES = ("esco", "kldb", "ba", "crosswalk", "multilingual")
# ESCO's languages besides German in data/reference (see training.import_esco_multilingual).
# Ukrainian, Russian and Turkish have no licence-clear parallel data yet: a file of theirs, imported
# the same way, is all they need (their codes added here).
LANGUAGES = (
    "ro", "pl", "bg", "hr", "en", "el", "it", "es", "hu", "cs", "sk", "sl", "fr", "pt", "nl",
    "da", "sv", "no", "fi", "et", "lv", "lt", "ga", "is", "mt", "ar",
)  # fmt: skip
# Which sources train on an eval task's queries: a task counts as held out when none was trained
# (BA titles are anchors of "ba" and of "crosswalk" pairs). The group tasks query only BA titles of
# held-out groups, which no source ever trains on.
TASK_SOURCE: dict[str, tuple[str, ...]] = {
    "ba_titles": ("ba", "crosswalk"),
    "esco_alt": ("esco",),
    "ba_group_kldb": (),
    "ba_group_esco": (),
    "ba_group_esco_ads": (),
}
# Tasks named "lang_<code>" (training.multilingual_eval) query held-out groups' foreign labels.
Pair = tuple[str, str]
# One training example: anchor, positive and the KldB 5-digit code it belongs to ("" unknown).
Example = tuple[str, str, str]


@dataclass(frozen=True)
class EncoderBuildConfig:
    """Hyper-parameters of the default encoder (logged as MLflow params)."""

    # BA titles enter through the crosswalk (title -> an ESCO label of its code); the "ba" pairs
    # (title -> KldB title, -> another title) cost 0.014 MAP on both ESCO tasks and 0.012 on KldB.
    # "multilingual": ESCO's labels in 25 other languages and Arabic -> German labels (below).
    sources: tuple[str, ...] = ("esco", "kldb", "crosswalk", "multilingual")
    held_out_fraction: float = 0.2  # of the KldB groups below, whose BA titles are never trained
    held_out_digits: int = 3
    held_out_seed: int = 0
    normalize_gender: bool = True  # +0.045 MAP on held-out groups -> KldB, with BA titles trained
    # Decorated copies per title anchor (job-ad words around it): held-out ad-style titles -> ESCO
    # 0.244 -> 0.286 MAP, clean ones unchanged; 2 copies were no better.
    ad_noise: float = 1.0
    hard_negatives: bool = False  # batches of one 3-digit group: -0.04 MAP on both held-out tasks
    # No "##" marker: a compound's head ("pflege" in "altenpflege") shares the word's vector.
    subword_prefix: str = ""
    vocab_size: int = 10000  # 20k kept rare compounds whole; 10k splits them: +0.04 MAP (groups -> KldB)
    dimension: int = 256  # 384 and 512 were within 0.006 held-out MAP, at 1.5-2x the build time
    epochs: int = 3
    batch_size: int = 1024  # more in-batch negatives: +0.018 MAP (groups -> ESCO) over 256; 2048, 4096 no better
    learning_rate: float = 0.05
    # MNRL temperature: cosine x 10; the sentence-transformers default 20 scored 0.035 lower at batch 1024.
    scale: float = 10.0
    init_std: float = 0.0625  # unit-norm rows at 256 dims; 0.01 scored lower on held-out BA
    seed: int = 0
    eval_queries: int = 1000
    reference_dir: Path = DEFAULT_REFERENCE_DIR
    tracking_uri: str | None = None
    artifact_location: str | None = None
    # Foreign ESCO labels (source "multilingual"): each -> the occupation's German preferred label,
    # for the occupations outside the held-out groups; all preferred labels, and the first
    # ``foreign_alt_labels`` alternative labels per occupation and language.
    languages: tuple[str, ...] = LANGUAGES
    foreign_alt_labels: int = 1
    # Extra WordPiece tokens learnt from the foreign labels, added to the German 10k vocabulary.
    foreign_vocab_size: int = 16000
    # Add only foreign tokens German text cannot contain (a letter outside a-z, äöüß): German
    # titles are then cut exactly as by the German-only tokenizer.
    foreign_tokens_non_german: bool = False
    foreign_eval_queries: int = 300  # per language
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


def _esco_codes(ref: ReferenceData) -> dict[str, str]:
    """ESCO occupation id -> its KldB code: the crosswalk's closest link (exact, close, ...)."""
    order = {"exactMatch": 0, "closeMatch": 1, "narrowMatch": 2, "broadMatch": 3}
    links = sorted(zip(ref.esco_kldb["relation"].map(order), ref.esco_kldb["kldb"], ref.esco_kldb["esco_id"]))
    codes: dict[str, str] = {}
    for _, code, esco in links:
        codes.setdefault(esco, code)
    return codes


def esco_pairs(ref: ReferenceData) -> list[Example]:
    """ESCO: alt -> preferred label, occupation -> KldB title, description/skills -> label."""
    occ, titles, codes = ref.esco_occupations, _kldb5(ref), _esco_codes(ref)
    pairs = [
        (alt, label, codes.get(i, ""))
        for i, label, alts in zip(occ["id"], occ["label"], occ["alt_labels"])
        for alt in alts
    ]
    pairs += [(d, label, codes.get(i, "")) for i, d, label in zip(occ["id"], occ["description"], occ["label"]) if d]
    essential = ref.occupation_skills.loc[ref.occupation_skills["relation"] == "essential"]
    for occ_id, group in essential.groupby("occupation_id", sort=True):
        if occ_id in occ.index:
            skills = [ref.skill_label(s) for s in group["skill_id"][:10]]
            pairs.append((", ".join(skills), occ.at[occ_id, "label"], codes.get(occ_id, "")))
    # The mapping's own BA title column is BA data: only its ESCO side is used here.
    for esco, code in zip(ref.esco_kldb["esco_id"], ref.esco_kldb["kldb"]):
        if code in titles and esco in occ.index:
            pairs.append((occ.at[esco, "label"], titles[code], code))
            pairs += [(alt, titles[code], code) for alt in occ.at[esco, "alt_labels"][:3]]
    return pairs


def kldb_pairs(ref: ReferenceData) -> list[Example]:
    """KldB: short title, remarks and up to five task phrases -> the position's title."""
    frame = ref.kldb.loc[ref.kldb["level"] == 5]
    pairs: list[Example] = []
    for code, title, short, remarks in zip(frame["code"], frame["title"], frame["short_title"], frame["remarks"]):
        pairs += [(short, title, code)] + ([(remarks, title, code)] if remarks else [])
        pairs += [(task, title, code) for task in ref.kldb_tasks(code)[:5]]
    return pairs


def _seen(ref: ReferenceData, split: GroupSplit) -> Callable[[str, str], bool]:
    """Whether a BA text filed under a code may be trained: not in a held-out group, and not the
    text of a held-out title either (a few titles recur under a code of another group)."""
    held = set(held_out_titles(ref, split))
    return lambda text, code: not split.holds_out(code) and text not in held


def ba_pairs(ref: ReferenceData, split: GroupSplit, seed: int = 0) -> list[Example]:
    """BA: job title -> KldB title, and -> another title of the same position (held-out groups left out)."""
    titles, rng, seen = _kldb5(ref), random.Random(seed), _seen(ref, split)
    pairs: list[Example] = []
    for code, group in ref.job_titles.groupby("kldb", sort=True):
        names = [name for name in group["title"] if seen(name, code)]
        if code in titles:
            pairs += [(name, titles[code], code) for name in names]
        if len(names) > 1:
            pairs += [(name, rng.choice([n for n in names if n != name]), code) for name in names]
    return pairs


def crosswalk_pairs(ref: ReferenceData, split: GroupSplit, seed: int = 0) -> list[Example]:
    """BA/ESCO crosswalk: BA title -> an ESCO label of its code; the crosswalk's BA names -> ESCO label."""
    occ, rng, links, seen = ref.esco_occupations, random.Random(seed), esco_by_kldb(ref), _seen(ref, split)
    pairs: list[Example] = []
    for title, code in zip(ref.job_titles["title"], ref.job_titles["kldb"]):
        linked = sorted(e for e in links.get(code, ()) if e in occ.index)
        if linked and seen(title, code):
            pairs.append((title, occ.at[rng.choice(linked), "label"], code))
    close = ref.esco_kldb.loc[ref.esco_kldb["relation"].isin(("exactMatch", "closeMatch"))]
    for name, esco, code in zip(close["ba_title"], close["esco_id"], close["kldb"]):
        if esco in occ.index and seen(name, code):
            pairs.append((name, occ.at[esco, "label"], code))
    return pairs


def _esco_held_out(ref: ReferenceData, split: GroupSplit) -> Callable[[str], bool]:
    """Whether an ESCO occupation's closest KldB code falls in a held-out group (its foreign
    labels are then never trained)."""
    codes = _esco_codes(ref)
    return lambda esco: bool(codes.get(esco)) and split.holds_out(codes[esco])


def foreign_labels(ref: ReferenceData, config: EncoderBuildConfig) -> pd.DataFrame:
    """The foreign labels training may use: configured languages, occupations known in German
    ESCO and outside the held-out groups, preferred labels and the first alternative labels."""
    frame = ref.esco_labels_multilingual
    held_out = _esco_held_out(ref, build_split(ref, config))
    frame = frame.loc[frame["lang"].isin(config.languages) & frame["esco_id"].isin(ref.esco_occupations.index)]
    frame = frame.loc[~frame["esco_id"].map(held_out)]
    rank = frame.loc[~frame["preferred"]].groupby(["esco_id", "lang"], sort=False).cumcount()
    return frame.loc[frame["preferred"] | (rank.reindex(frame.index) < config.foreign_alt_labels)]


def multilingual_pairs(ref: ReferenceData, config: EncoderBuildConfig) -> list[Example]:
    """Foreign ESCO label -> the occupation's German preferred label (held-out groups left out)."""
    occ, codes = ref.esco_occupations, _esco_codes(ref)
    frame = foreign_labels(ref, config)
    return [(label, occ.at[e, "label"], codes.get(e, "")) for e, label in zip(frame["esco_id"], frame["label"])]


def training_examples(ref: ReferenceData, config: EncoderBuildConfig) -> list[Example]:
    """All examples of the configured sources, without empty texts; job-ad copies of the German
    titles only (the ad words are German)."""
    unknown = set(config.sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown sources {sorted(unknown)}; known: {SOURCES}")
    split = build_split(ref, config)
    builders = {
        "esco": lambda: esco_pairs(ref),
        "kldb": lambda: kldb_pairs(ref),
        "ba": lambda: ba_pairs(ref, split, config.seed),
        "crosswalk": lambda: crosswalk_pairs(ref, split, config.seed),
    }
    german = [e for source in config.sources if source != "multilingual" for e in builders[source]()]
    german = [(a, b, c) for a, b, c in german if a.strip() and b.strip()]
    foreign = multilingual_pairs(ref, config) if "multilingual" in config.sources else []
    return german + ad_examples(german, config.ad_noise, config.seed) + foreign


def ad_examples(examples: Sequence[Example], share: float, seed: int = 0) -> list[Example]:
    """Extra examples: title anchors written as job ads write them, ``share`` copies per title on
    average (``int(share)`` each, and one more with the probability of the rest)."""
    rng = random.Random(seed)
    whole, rest = int(share), share - int(share)
    extra: list[Example] = []
    for a, b, c in (e for e in examples if is_title(e[0])):
        extra += [(decorate(a, rng, TRAIN), b, c) for _ in range(whole + (rng.random() < rest))]
    return extra


def training_pairs(ref: ReferenceData, config: EncoderBuildConfig) -> list[Pair]:
    """The (anchor, positive) texts of ``training_examples``."""
    return [(a, b) for a, b, _ in training_examples(ref, config)]


def build_split(ref: ReferenceData, config: EncoderBuildConfig) -> GroupSplit:
    """The KldB groups whose BA titles this build holds out."""
    return group_split(ref, config.held_out_fraction, config.held_out_digits, config.held_out_seed)


def tokenizer_corpus(ref: ReferenceData, config: EncoderBuildConfig) -> Iterator[str]:
    """German texts of the chosen sources (held-out sources and groups stay unseen)."""
    seen = _seen(ref, build_split(ref, config))
    yield from ref.kldb["title"]
    if "kldb" in config.sources:
        yield from ref.kldb["short_title"]
        yield from (t for tasks in ref.kldb["tasks"] for t in tasks.split(" | ") if t)
    if "esco" in config.sources:
        occ = ref.esco_occupations
        yield from occ["label"]
        yield from (alt for alts in occ["alt_labels"] for alt in alts)
        yield from (d for d in occ["description"] if d)
        yield from (s for s in ref.esco_skills["label_de"] if s)
    if "ba" in config.sources:
        titles = ref.job_titles
        yield from (t for t, code in zip(titles["title"], titles["kldb"]) if seen(t, code))
    if "crosswalk" in config.sources:
        walk = ref.esco_kldb
        yield from (t for t, code in zip(walk["ba_title"], walk["kldb"]) if t and seen(t, code))


# --- model ------------------------------------------------------------------------------------
_LOWER = "a-zäöüß"
# Gendered and job-ad forms folded to one, inside the tokenizer so that every loader applies them
# ("Bäcker/in", "Bäckerin", "BäckerIn", "Bäcker*in", "Bäcker (m/w/d)" -> "bäcker"). After lower-casing
# except the Binnen-I, which needs the capital. The tokenizer regex (Oniguruma) has look-behind.
_GENDER_RULES: tuple[tuple[str, str], ...] = (
    (r"\(er/in\)", "er"),
    (r"[(\[]?\s*\b[mwdfx]\s*[/|,]\s*[mwdfx](?:\s*[/|,]\s*[mwdfx])?\b\s*[)\]]?", " "),
    (r"(?<=mann)\s*/\s*-?\w*frau\b", ""),
    (r"\s*/\s*-\w+(?:in|innen)\b", ""),
    (r"ärztin(?:nen)?\b", "arzt"),
    (r"köchin(?:nen)?\b", "koch"),
    (r"anwältin(?:nen)?\b", "anwalt"),
    (r"beamtin(?:nen)?\b", "beamter"),
    (r"bäuerin(?:nen)?\b", "bauer"),
    (r"(?<=\w)\s*(?:/-?|\*|:|_|\()(?:in|innen|frau)\)?(?=\W|$)", ""),
    (r"(?<=\w)/r\b", ""),
    (
        "(?<="
        + "|".join(f"[{_LOWER}]{{2}}{e}" for e in ("er", "ist", "ant", "ent", "eur", "or", "at", "ör", "ar"))
        + r")(?:in|innen)\b",
        "",
    ),
    (rf"(?<=[{_LOWER}]{{2}})ogin(?:nen)?\b", "oge"),
    (r"(?<=\w)frau\b", "mann"),
)


def build_normalizer(gender: bool):  # -> tokenizers.normalizers.Normalizer
    """NFC and lower-casing, with the gendered forms folded when ``gender`` is set."""
    from tokenizers import Regex, normalizers

    steps = [normalizers.NFC()]
    if gender:
        steps.append(normalizers.Replace(Regex(rf"(?<=[{_LOWER}])In(?:nen)?\b"), ""))
    steps.append(normalizers.Lowercase())
    if gender:
        steps += [normalizers.Replace(Regex(pattern), content) for pattern, content in _GENDER_RULES]
    return normalizers.Sequence(steps)


def train_tokenizer(texts: Iterator[str], config: EncoderBuildConfig):  # -> tokenizers.Tokenizer
    """A lower-casing WordPiece tokenizer; umlauts and ß are kept (they carry meaning)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    prefix = config.subword_prefix
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix=prefix))
    tokenizer.normalizer = build_normalizer(config.normalize_gender)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=config.vocab_size,
        special_tokens=["[UNK]"],
        min_frequency=2,
        show_progress=False,
        continuing_subword_prefix=prefix,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


_GERMAN_TOKEN = re.compile(r"[a-zäöüß0-9]+|[^\w]+")


def add_foreign_tokens(tokenizer, texts: Sequence[str], config: EncoderBuildConfig):  # -> Tokenizer
    """The German tokenizer with WordPiece tokens learnt from foreign labels added to its vocabulary
    (German ids kept, new ones after them); one model then embeds every language and script.

    A word is cut greedily by its longest known prefix, so a foreign token may cut a German word
    differently; with ``foreign_tokens_non_german`` only tokens German text cannot hold are added.
    """
    from tokenizers import Tokenizer, models

    foreign = train_tokenizer(iter(texts), replace(config, vocab_size=config.foreign_vocab_size))
    vocab = dict(tokenizer.get_vocab())
    for token in sorted(foreign.get_vocab(), key=foreign.get_vocab().get):
        if token not in vocab and not (config.foreign_tokens_non_german and _GERMAN_TOKEN.fullmatch(token)):
            vocab[token] = len(vocab)
    merged = Tokenizer(
        models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix=config.subword_prefix)
    )
    merged.normalizer = tokenizer.normalizer
    merged.pre_tokenizer = tokenizer.pre_tokenizer
    return merged


def _token_ids(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    return [enc.ids for enc in tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def _bag_inputs(ids: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat token ids and offsets, as ``StaticEmbedding`` feeds its ``EmbeddingBag``."""
    offsets = np.cumsum([0] + [len(x) for x in ids[:-1]])
    flat = [i for x in ids for i in x]
    return torch.tensor(flat, dtype=torch.long), torch.from_numpy(offsets)


def _mnrl(left: torch.Tensor, right: torch.Tensor, same: torch.Tensor, scale: float) -> torch.Tensor:
    """Symmetric in-batch-negatives loss: row i of ``left`` belongs to row i of ``right``.

    ``same[i, j]`` marks other rows with the same positive text: they are no negatives.
    """
    sims = torch.nn.functional.normalize(left, dim=-1) @ torch.nn.functional.normalize(right, dim=-1).T
    sims = sims.masked_fill(same, -1e4)
    labels = torch.arange(len(left))
    loss = torch.nn.functional.cross_entropy(sims * scale, labels)
    return (loss + torch.nn.functional.cross_entropy(sims.T * scale, labels)) / 2


def batch_order(examples: Sequence[Example], config: EncoderBuildConfig, epoch: int) -> NDArray[np.int64]:
    """Example indices for one epoch; with ``hard_negatives`` a batch is made of runs of examples
    of one KldB 3-digit group, so its in-batch negatives are neighbouring occupations."""
    rng = np.random.default_rng(config.seed + epoch)
    order = rng.permutation(len(examples))
    if not config.hard_negatives:
        return order
    run = max(config.batch_size // 8, 1)
    by_group: dict[str, list[int]] = {}
    for i in order:
        by_group.setdefault(examples[i][2][:3], []).append(int(i))
    runs = [ids[k : k + run] for ids in by_group.values() for k in range(0, len(ids), run)]
    return np.array([i for r in rng.permutation(len(runs)) for i in runs[r]], dtype=np.int64)


def train_embeddings(tokenizer, examples: Sequence[Example], config: EncoderBuildConfig) -> np.ndarray:
    """Token vectors trained with MultipleNegativesRankingLoss (symmetric, in-batch negatives)."""
    torch.manual_seed(config.seed)
    weights = torch.randn(tokenizer.get_vocab_size(), config.dimension) * config.init_std
    bag = torch.nn.EmbeddingBag.from_pretrained(weights, freeze=False, mode="mean")
    optimizer = torch.optim.Adam(bag.parameters(), lr=config.learning_rate)
    # Tokenised once up front: per-batch tokenising was the larger part of the build time.
    anchors = _token_ids(tokenizer, [a for a, _, _ in examples])
    positives = _token_ids(tokenizer, [b for _, b, _ in examples])
    target = {text: k for k, text in enumerate(sorted({b for _, b, _ in examples}))}
    targets = torch.tensor([target[b] for _, b, _ in examples])
    for epoch in range(config.epochs):
        order = batch_order(examples, config, epoch)
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            left = bag(*_bag_inputs([anchors[i] for i in batch]))
            right = bag(*_bag_inputs([positives[i] for i in batch]))
            ids = targets[batch]
            same = (ids[:, None] == ids[None, :]) & ~torch.eye(len(batch), dtype=torch.bool)
            loss = _mnrl(left, right, same, config.scale)
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

    encoder = Encoder(EncoderConfig(str(path), batch_size=256))
    metrics: dict[str, float] = {}
    for task in german_tasks(ref, config.eval_queries, config.seed, build_split(ref, config)):
        split = "in_source" if set(TASK_SOURCE[task.name]) & set(config.sources) else "held_out"
        for prefix, values in (
            (f"{split}.{task.name}", evaluate_embedder(encoder.encode, task)),
            (f"tfidf.{task.name}", evaluate_tfidf_baseline(task)),
        ):
            metrics.update({f"{prefix}.{k.replace('@', '_at_')}": v for k, v in values.items()})
    return metrics | evaluate_foreign(encoder, ref, config)


def evaluate_foreign(encoder: Encoder, ref: ReferenceData, config: EncoderBuildConfig) -> dict[str, float]:
    """Held-out foreign labels -> German occupations, per language (``held_out.lang_<code>.*``),
    measured whether or not the model was trained on foreign labels."""
    from training.multilingual_eval import evaluate_foreign_tasks, foreign_tasks

    if config.foreign_eval_queries <= 0:
        return {}
    tasks = foreign_tasks(ref, build_split(ref, config), LANGUAGES, config.foreign_eval_queries, config.seed)
    return {
        f"held_out.{name}.{k.replace('@', '_at_')}": v
        for name, values in evaluate_foreign_tasks(encoder.encode, tasks).items()
        for k, v in values.items()
    }


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

    Deterministic for a seed up to float summation order; 40-60 s on two quiet CPU cores.
    """
    config = config or EncoderBuildConfig()
    started = time.perf_counter()
    ref = ReferenceData(config.reference_dir)
    tokenizer = train_tokenizer(tokenizer_corpus(ref, config), config)
    if "multilingual" in config.sources:
        tokenizer = add_foreign_tokens(tokenizer, list(foreign_labels(ref, config)["label"]), config)
    examples = training_examples(ref, config)
    weights = train_embeddings(tokenizer, examples, config)
    save_static_model(tokenizer, weights, out_dir)
    params = _params(config, len(examples))
    (out_dir / "build.json").write_text(json.dumps(params, indent=2, default=str) + "\n")
    metrics = evaluate_encoder(out_dir, ref, config) if config.eval_queries > 0 else {}
    result = EncoderBuildResult(out_dir, metrics, round(time.perf_counter() - started, 2), params=params)
    if config.tracking_uri:
        result = EncoderBuildResult(out_dir, metrics, result.seconds, log_build(result, config), params)
    return result
