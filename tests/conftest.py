"""Session-wide fixtures: expensive objects are built once."""

from __future__ import annotations

import os

import pytest

# Tests never reach the network, and MLflow keeps its telemetry to itself.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from matcher.reference import ReferenceData  # noqa: E402


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return ReferenceData()
