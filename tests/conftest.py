"""Session-wide fixtures: expensive objects are built once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Tests never reach the network, and MLflow keeps its telemetry to itself.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from matcher.reference import ReferenceData  # noqa: E402

if TYPE_CHECKING:
    from matcher.encoder import Encoder


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return ReferenceData()


# --- encoder (owner: encoder work) ---------------------------------------------------------------
@pytest.fixture(scope="session")
def default_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default German encoder, built once per session (~30 s on two cores, no MLflow)."""
    from matcher.encoder import default_encoder_path
    from training.encoder import EncoderBuildConfig, build_default_encoder

    out = default_encoder_path(tmp_path_factory.mktemp("encoder"))
    # eval_queries=0: tests run their own small held-out eval; the build's own eval is for MLflow.
    return build_default_encoder(out, EncoderBuildConfig(eval_queries=0)).path


@pytest.fixture(scope="session")
def default_encoder(default_encoder_dir: Path) -> Encoder:
    """A loaded ``Encoder`` of the built default (resolved like the CLI and API do)."""
    from matcher.encoder import load_default_encoder

    return load_default_encoder(None, default_encoder_dir.parent)
