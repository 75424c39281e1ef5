"""Fixtures of the API tests: a small served world, built once per session.

The world (300 job seekers, 100 open vacancies) is generated and ingested into a temporary
``MATCHER_HOME``, indexed with the German default encoder, and given a registered @champion by
the training pipeline (into a temporary SQLite MLflow store). ``client`` serves it read-mostly for
the whole session; ``fresh_client`` serves a private copy for tests that write or reload.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import issue_demo_tokens
from api.security import Role
from api.settings import ServiceSettings
from matcher.ranking.encoder import Encoder
from matcher.records.reference import ReferenceData
from matcher.records.store import Store

WORLD_CANDIDATES = 300
WORLD_VACANCIES = 100
WORLD_SEED = 7


@dataclass(frozen=True)
class World:
    """A served home: its settings and one plain token per role."""

    settings: ServiceSettings
    tokens: dict[Role, str]

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def staff_id(self, role: Role) -> str:
        """The staff id of the person behind a role's demo token (what the audit log names)."""
        from matcher.services.staff import StaffDirectory

        store = Store(self.settings.store_url)
        try:
            member = StaffDirectory(store).by_token(self.tokens[role])
        finally:
            store.close()
        assert member is not None
        return member.id

    def pseudonym(self, vacancy_id: str, candidate_id: str) -> str:
        """The person's pseudonym on the vacancy's cards, as the server computes it (the tests play
        an attacker who could link pseudonyms across vacancies, which the employer service cannot)."""
        from matcher.services.pseudonyms import Pseudonyms

        return Pseudonyms.from_file(self.settings.pseudonym_key).of(vacancy_id, candidate_id)


def home_settings(home: Path, encoder: str | None) -> ServiceSettings:
    """Settings of a test home; the MLflow store is named explicitly, because MLflow writes
    ``MLFLOW_TRACKING_URI`` into the environment, which the settings would otherwise follow."""
    return ServiceSettings(
        home=home, encoder=encoder, MLFLOW_TRACKING_URI=f"sqlite:///{(home / 'mlflow.db').resolve()}"
    )


@pytest.fixture(scope="session")
def api_world(tmp_path_factory: pytest.TempPathFactory, default_encoder: Encoder, default_encoder_dir: Path) -> World:
    """Generate, ingest, index, train and register, and issue one token per role."""
    from data.generate import WorldConfig, generate_world
    from data.generate.oracle import load_oracle
    from data.ingest import ingest_folder
    from matcher.ranking.snapshot import build_indexes
    from tests.training.conftest import small_config
    from training.pipeline import TrainingInputs, run
    from training.tracking import Registry

    home = tmp_path_factory.mktemp("api-home")
    settings = home_settings(home, str(default_encoder_dir))
    generate_world(home / "world", WorldConfig(candidates=WORLD_CANDIDATES, vacancies=WORLD_VACANCIES, seed=WORLD_SEED))
    store = Store(settings.store_url)
    ingest_folder(home / "world", store, ReferenceData(), home / "rejects", progress=False)
    build_indexes(store, default_encoder, ReferenceData(), settings.index_dir)
    registry = Registry.of(settings)
    oracle = load_oracle(home / "world")
    result = run(TrainingInputs(small_config(), default_encoder, store, home / "cache", oracle), registry)
    store.close()
    assert result.promoted, result.decision
    plain = issue_demo_tokens(settings)
    return World(settings, {Role(role): token for role, token in plain.items()})


@pytest.fixture(scope="session")
def client(api_world: World) -> Iterator[TestClient]:
    """The app over the session's world (tests using it must not write)."""
    with TestClient(create_app(api_world.settings)) as test_client:
        yield test_client


def copy_world(world: World, target: Path) -> World:
    """A private copy of a served home; it reads (and trains into) its own copy of the artifacts,
    although the copied MLflow store still names the original's absolute paths
    (:func:`matcher.ranking.model_registry.in_this_home`, :func:`training.tracking._experiment_id`)."""
    shutil.copytree(world.settings.home, target, ignore=shutil.ignore_patterns("world", "cache", "rejects"))
    settings = home_settings(target, world.settings.encoder)
    return World(settings, world.tokens)


@pytest.fixture
def fresh_world(api_world: World, tmp_path: Path) -> World:
    return copy_world(api_world, tmp_path / "home")


@pytest.fixture
def fresh_client(fresh_world: World) -> Iterator[TestClient]:
    """The app over a private copy of the world: free to write, delete and reload."""
    with TestClient(create_app(fresh_world.settings)) as test_client:
        yield test_client


@dataclass(frozen=True)
class Ids:
    """Known records of the world: a candidate whose shortlist is not empty, an open vacancy."""

    candidate: str
    vacancy: str
    candidate_record: dict[str, Any]
    vacancy_record: dict[str, Any]


@pytest.fixture(scope="session")
def ids(api_world: World) -> Ids:
    store = Store(api_world.settings.store_url)
    try:
        candidate = next(c for c in store.candidates(50) if c.skills)
        vacancy = store.vacancies(1, 0, "open")[0]
    finally:
        store.close()
    return Ids(candidate.id, vacancy.id, candidate.model_dump(mode="json"), vacancy.model_dump(mode="json"))


@pytest.fixture
def home(api_world: World, tmp_path: Path) -> World:
    """A private copy of the world for a test with real server processes."""
    return copy_world(api_world, tmp_path / "home")


@pytest.fixture
def server(home: World, tmp_path: Path) -> Iterator[Any]:
    """Two real uvicorn workers over :func:`home` (``tests.api.servers``)."""
    from tests.api.servers import start_server

    running = start_server(home.settings, tmp_path / "server.log")
    try:
        yield running
    finally:
        running.stop()
