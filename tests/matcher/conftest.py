"""Fixtures of the retrieval tests: the packaged MiniLM and real embeddings of German job titles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from matcher.ranking.encoder import Encoder, EncoderConfig, packaged_minilm_path
from matcher.records.reference import ReferenceData

N_CORPUS = 3000
N_QUERIES = 100


@pytest.fixture(scope="session")
def minilm_encoder() -> Encoder:
    """The packaged all-MiniLM-L6-v2 (loads offline, small and fast enough for tests)."""
    return Encoder(EncoderConfig(str(packaged_minilm_path())))


def _real_texts(reference: ReferenceData) -> tuple[list[str], list[str]]:
    """A deterministic spread of BA job titles (corpus) and KldB task phrases (queries)."""
    titles = reference.job_titles["title"].tolist()
    corpus = titles[:: max(1, len(titles) // N_CORPUS)][:N_CORPUS]
    kldb5 = reference.kldb[reference.kldb["level"] == 5]
    tasks = [t.split(" | ")[0] for t in kldb5["tasks"] if t]
    queries = tasks[:: max(1, len(tasks) // N_QUERIES)][:N_QUERIES]
    return corpus, queries


@pytest.fixture(scope="session")
def real_embeddings(
    request: pytest.FixtureRequest, minilm_encoder: Encoder, reference: ReferenceData
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """(corpus, queries) embeddings of real German job language, cached across test runs.

    Encoding takes a while on a small CPU; the cache key is the model fingerprint, so another
    model never reuses these vectors.
    """
    cache = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    file = None
    if cache is not None:
        file = Path(cache.mkdir("matcher-real-embeddings"))
        file = file / f"{minilm_encoder.fingerprint}-{N_CORPUS}-{N_QUERIES}.npz"
        if file.is_file():
            with np.load(file) as stored:
                return stored["corpus"], stored["queries"]
    corpus, queries = _real_texts(reference)
    vectors = minilm_encoder.encode(corpus + queries)
    corpus_vectors, query_vectors = vectors[: len(corpus)], vectors[len(corpus) :]
    if file is not None:
        np.savez(file, corpus=corpus_vectors, queries=query_vectors)
    return corpus_vectors, query_vectors
