"""A home written by release 0.1.0 upgrades in place: every row stays, the audit trail stays intact,
and the shortlists are the ones the 0.1.0 code computed (on SQLite and on PostgreSQL).

The home is ``tests/fixtures/v010_home.tar.gz``, built by the 0.1.0 code (commit 22f8fc6) with
``tests/fixtures/make_v010_home.py`` (README, "Schema migrations"). It holds the store, the index
snapshots, the MLflow store with the champion, the audit log and the keys; the encoder is left out
(11 MB) and put back from the session's build of the same recipe, whose fingerprint the fixture
recorded. ``matcher db upgrade`` runs every revision from the baseline to the head, so a new revision
is covered here as soon as it exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.settings import ServiceSettings
from matcher.errors import SchemaOutdatedError
from matcher.ranking.encoder import default_encoder_path, fingerprint_path
from matcher.ranking.filters import FilterOptions
from matcher.records.store import Store
from matcher.schema import head_revision

FIXTURE = Path(__file__).parent / "fixtures" / "v010_home.tar.gz"


@dataclass(frozen=True)
class OldHome:
    settings: ServiceSettings
    expected: dict[str, Any]

    def env(self) -> dict[str, str]:
        env = {"MATCHER_HOME": str(self.settings.home), "MLFLOW_TRACKING_URI": self.settings.tracking_uri}
        if self.settings.database_url:
            env["DATABASE_URL"] = self.settings.database_url
        return env


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("v010")
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(root, filter="data")
    return root


def _old_home(unpacked: Path, target: Path, encoder_dir: Path, database_url: str | None) -> OldHome:
    expected = json.loads((unpacked / "expected.json").read_text())
    if fingerprint_path(encoder_dir) != expected["encoder_fingerprint"]:
        pytest.fail(
            "the default encoder's recipe builds another encoder than the fixture's: remake "
            "tests/fixtures/v010_home.tar.gz (README, 'Schema migrations')",
            pytrace=False,
        )
    home = target / "home"
    shutil.copytree(unpacked / "home", home)
    shutil.copytree(encoder_dir, default_encoder_path(home / "encoder"))
    settings = ServiceSettings(
        home=home, DATABASE_URL=database_url, MLFLOW_TRACKING_URI=f"sqlite:///{(home / 'mlflow.db').resolve()}"
    )
    return OldHome(settings, expected)


def _replay_postgres_dump(sql: Path, url: str) -> None:
    """The 0.1.0 schema and rows, as the old code wrote them on PostgreSQL (``pg_dump --inserts``)."""
    from matcher.services.backup import pg_tool

    u = make_url(url)
    conninfo = u.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        [str(pg_tool("psql")), "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={conninfo}", "-f", str(sql)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def old_home(request: pytest.FixtureRequest, unpacked: Path, tmp_path: Path, default_encoder_dir: Path) -> OldHome:
    database_url = None
    if request.param == "postgresql":
        database_url = str(request.getfixturevalue("pg_database_url"))
        _replay_postgres_dump(unpacked / "postgresql.sql", database_url)
    home = _old_home(unpacked, tmp_path, default_encoder_dir, database_url)
    if database_url:
        (home.settings.home / "matcher.db").unlink()  # the store is the PostgreSQL database
    return home


def _counts(url: str, tables: list[str]) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}
    engine.dispose()
    return counts


def _shortlists(settings: ServiceSettings, as_of: date, keys: list[str]) -> dict[str, list[list[Any]]]:
    from matcher.services.serving import open_engine

    engine = open_engine(settings)
    options = FilterOptions(today=as_of)
    out = {}
    for key in keys:
        kind, record_id = key.split(":", 1)
        way = engine.shortlist_for_candidate if kind == "candidate" else engine.shortlist_for_vacancy
        out[key] = [[item.id, item.score] for item in way(record_id, k=10, filters=options).items]
    engine.store.close()
    return out


@pytest.mark.slow
def test_a_0_1_0_home_upgrades_in_place(old_home: OldHome) -> None:
    from training.cli import app

    settings, expected, runner = old_home.settings, old_home.expected, CliRunner()
    with pytest.raises(SchemaOutdatedError, match="matcher db upgrade"):
        Store(settings.store_url)

    upgraded = runner.invoke(app, ["db", "upgrade", "--json"], env=old_home.env())
    assert upgraded.exit_code == 0, upgraded.output
    assert json.loads(upgraded.output.strip().splitlines()[-1]) == {
        "before": None,
        "after": head_revision(),
        "changed": True,
    }
    assert _counts(settings.store_url, list(expected["counts"])) == expected["counts"]
    assert all(n > 0 for n in expected["counts"].values()), expected["counts"]  # every 0.1.0 table had rows

    verified = runner.invoke(app, ["audit", "verify"], env=old_home.env())
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output

    got = _shortlists(settings, date.fromisoformat(expected["as_of"]), list(expected["shortlists"]))
    for key, old in expected["shortlists"].items():
        assert [i for i, _ in got[key]] == [i for i, _ in old], key
        assert [s for _, s in got[key]] == pytest.approx([s for _, s in old], abs=1e-6), key
    assert sum(len(v) for v in got.values()) > 0

    again = runner.invoke(app, ["db", "upgrade", "--json"], env=old_home.env())
    assert json.loads(again.output.strip().splitlines()[-1])["changed"] is False


@pytest.mark.parametrize("damage", ["format", "garbage"])
def test_an_index_that_cannot_be_read_names_matcher_index(unpacked: Path, tmp_path: Path, damage: str) -> None:
    from matcher.errors import IndexCorruptError
    from matcher.ranking.index_io import MANIFEST_FILE, read_manifest

    index = tmp_path / "vacancies"
    shutil.copytree(unpacked / "home" / "indexes" / "vacancies", index)
    assert read_manifest(index).count > 0  # the 0.1.0 snapshot reads as it is
    manifest = json.loads((index / MANIFEST_FILE).read_text())
    text_ = json.dumps({**manifest, "format": 1}) if damage == "format" else "{not json"
    (index / MANIFEST_FILE).write_text(text_)
    with pytest.raises(IndexCorruptError, match="`matcher index`"):
        read_manifest(index)
