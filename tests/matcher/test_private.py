"""Home files are private by default (files 0600, folders 0700), and wider ones are named."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.settings import ServiceSettings
from matcher.records.private import private_dir, touch_private, wide_modes


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave files group-writable and world-readable (0664): the modes must
    come from the code, not from the umask of whoever runs it."""
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def _settings(home: Path) -> ServiceSettings:
    return ServiceSettings(home=home, MLFLOW_TRACKING_URI=f"sqlite:///{(home / 'mlflow.db').resolve()}")


def test_private_dir_creates_every_missing_folder_0700(tmp_path: Path, loose_umask: None) -> None:
    (tmp_path / "shared").mkdir(mode=0o755)
    target = tmp_path / "shared" / "a" / "b" / "c"
    assert private_dir(target) == target
    for folder in (target, target.parent, target.parent.parent):
        assert _mode(folder) == 0o700, folder
    assert _mode(tmp_path / "shared") == 0o755  # existing folders are not ours to change
    assert private_dir(target) == target  # again: nothing to do


def test_touch_private_creates_0600_and_leaves_an_existing_file_alone(tmp_path: Path, loose_umask: None) -> None:
    new = tmp_path / "home" / "x.db"
    assert touch_private(new) == new
    assert _mode(new) == 0o600 and new.read_bytes() == b""
    assert _mode(new.parent) == 0o700
    existing = tmp_path / "existing.txt"
    existing.write_text("kept", encoding="utf-8")
    existing.chmod(0o640)
    touch_private(existing)
    assert existing.read_text(encoding="utf-8") == "kept" and _mode(existing) == 0o640


def test_wide_modes_names_wide_files_and_folders_only(tmp_path: Path) -> None:
    ok_file, wide_file = tmp_path / "ok", tmp_path / "wide"
    ok_dir, wide_dir = tmp_path / "okdir", tmp_path / "widedir"
    for path, mode in ((ok_file, 0o600), (wide_file, 0o644)):
        path.write_text("", encoding="utf-8")
        path.chmod(mode)
    ok_dir.mkdir(mode=0o700)
    wide_dir.mkdir()
    wide_dir.chmod(0o750)
    warnings = wide_modes([ok_file, wide_file, ok_dir, wide_dir, tmp_path / "missing"])
    assert len(warnings) == 2
    assert str(wide_file) in warnings[0] and "0644" in warnings[0] and "0600" in warnings[0]
    assert str(wide_dir) in warnings[1] and "0750" in warnings[1] and "0700" in warnings[1]
    assert all("\n" not in w for w in warnings)


def _home(home: Path, mlflow: bool) -> Iterator[ServiceSettings]:
    from api.demo import issue_demo_tokens
    from matcher.errors import ModelNotFoundError
    from matcher.ranking.index_io import write_atomic_dir
    from matcher.ranking.model_registry import describe_registered
    from matcher.records.store import Store

    settings = _settings(home)
    store = Store(settings.store_url)
    issue_demo_tokens(settings, store)
    if mlflow:  # an MLflow client opens (and creates) the tracking store: ~6 s of migrations
        with pytest.raises(ModelNotFoundError):
            describe_registered(settings.tracking_uri, settings.artifact_dir, settings.model_name)
    write_atomic_dir(settings.index_dir / "vacancies", lambda tmp: (tmp / "index.faiss").write_bytes(b"x"))
    try:
        yield settings
    finally:
        store.close()


@pytest.fixture
def tiny_home(tmp_path: Path, loose_umask: None) -> Iterator[ServiceSettings]:
    """A home as the engine leaves it: store (open, so -wal/-shm exist), tokens, MLflow store,
    an index folder; all generated under a loose umask."""
    yield from _home(tmp_path / "home", mlflow=True)


@pytest.fixture
def light_home(tmp_path: Path, loose_umask: None) -> Iterator[ServiceSettings]:
    """:func:`tiny_home` without the MLflow store."""
    yield from _home(tmp_path / "home", mlflow=False)


def test_a_generated_home_is_private(tiny_home: ServiceSettings) -> None:
    settings = tiny_home
    db = Path(settings.store_url.removeprefix("sqlite:///"))
    files = [
        db,
        db.with_name(db.name + "-wal"),
        db.with_name(db.name + "-shm"),
        settings.demo_tokens_file,
        settings.home / "mlflow.db",
    ]
    folders = [settings.home, settings.index_dir, settings.index_dir / "vacancies", settings.artifact_dir]
    for path in files:
        assert path.is_file() and _mode(path) == 0o600, f"{path}: {_mode(path):04o}"
    for path in folders:
        assert path.is_dir() and _mode(path) == 0o700, f"{path}: {_mode(path):04o}"
    assert wide_modes(settings.private_paths()) == []


def test_the_keys_are_private_paths(light_home: ServiceSettings) -> None:
    # Widened, either key is named at start-up like the store and the tokens.
    paths = light_home.private_paths()
    assert light_home.pseudonym_key in paths and light_home.session_key in paths
    for key in (light_home.pseudonym_key, light_home.session_key):
        key.write_bytes(b"k" * 32)
        key.chmod(0o644)
    warnings = wide_modes(paths)
    assert any(str(light_home.pseudonym_key) in w and "0644" in w for w in warnings)
    assert any(str(light_home.session_key) in w and "0644" in w for w in warnings)


def test_home_warnings_name_a_widened_file(light_home: ServiceSettings) -> None:
    light_home.demo_tokens_file.chmod(0o644)
    light_home.index_dir.chmod(0o755)
    warnings = wide_modes(light_home.private_paths())
    assert len(warnings) == 2, warnings
    assert any(str(light_home.demo_tokens_file) in w and "0644" in w for w in warnings)
    assert any(str(light_home.index_dir) in w and "0755" in w for w in warnings)


def test_the_cli_warns_on_stderr(light_home: ServiceSettings, tmp_path: Path) -> None:
    from training.cli import app

    db = Path(light_home.store_url.removeprefix("sqlite:///"))
    db.chmod(0o644)
    env = {"MATCHER_HOME": str(light_home.home), "MLFLOW_TRACKING_URI": light_home.tracking_uri}
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "no-such-export"), "--json"], env=env)
    assert f"{db} has mode 0644" in result.stderr
    assert "0644" not in result.stdout  # stdout may carry JSON


def test_the_api_logs_the_warnings_at_start(light_home: ServiceSettings, caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    light_home.demo_tokens_file.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="api.app"), TestClient(create_app(light_home)):
        pass
    logged = [r.getMessage() for r in caplog.records if r.name == "api.app"]
    assert any(str(light_home.demo_tokens_file) in m and "0644" in m for m in logged), logged
