"""Session-wide fixtures: expensive objects are built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# Tests never reach the network, and MLflow keeps its telemetry to itself.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from matcher.records.reference import ReferenceData  # noqa: E402

if TYPE_CHECKING:
    from matcher.ranking.encoder import Encoder
    from tests.pg import PostgresServer


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return ReferenceData()


# --- encoder (owner: encoder work) ---------------------------------------------------------------
@pytest.fixture(scope="session")
def default_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default encoder, built once per session (~1-2 min on two quiet cores, no MLflow)."""
    from matcher.ranking.encoder import default_encoder_path
    from training.encoder import EncoderBuildConfig, build_default_encoder

    # A developer may point MATCHER_TEST_ENCODER_HOME at a home holding an encoder that today's
    # recipe built (``default_encoder_path(HOME)``), to save the build on repeated local runs.
    # CI never sets it, so the suite always builds and tests the recipe itself there.
    if (kept := os.environ.get("MATCHER_TEST_ENCODER_HOME")) and not os.environ.get("CI"):
        path = default_encoder_path(Path(kept))
        if path.exists():
            return path
    out = default_encoder_path(tmp_path_factory.mktemp("encoder"))
    # eval_queries=0: tests run their own small held-out eval; the build's own eval is for MLflow.
    return build_default_encoder(out, EncoderBuildConfig(eval_queries=0)).path


@pytest.fixture(scope="session")
def default_encoder(default_encoder_dir: Path) -> Encoder:
    """A loaded ``Encoder`` of the built default (resolved like the CLI and API do)."""
    from matcher.ranking.encoder import load_default_encoder

    return load_default_encoder(None, default_encoder_dir.parent)


# --- PostgreSQL (tests/pg.py) --------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session: a temporary cluster (~1.5 s to start), or the one
    ``MATCHER_TEST_DATABASE_URL`` names. Skips where no server can be had; fails instead under CI,
    which must run these tests."""
    from tests.pg import PostgresUnavailable, start_server

    try:
        server = start_server()
    except PostgresUnavailable as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {e}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {e}")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) of one database shared by the session.
    Tests that must not see each other's rows use ``pg_database_url`` instead."""
    from tests.pg import fresh_database

    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
def pg_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test alone (dropped afterwards)."""
    from tests.pg import fresh_database

    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL for a ``Store``, once on SQLite and once on PostgreSQL: a test
    that takes it runs on both backends (ids ``[sqlite]`` and ``[postgresql]``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("pg_database_url"))
