"""``matcher backup`` while two real workers serve writes, then ``matcher restore`` into an empty home:
the same shortlists, an intact audit trail, every write acknowledged before the backup; a torn or
altered backup file is refused before anything is restored."""

from __future__ import annotations

import io
import tarfile
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.security import Role
from matcher.errors import BackupError
from matcher.ranking.filters import FilterOptions
from matcher.records.store import Store
from matcher.services.audit import verify
from matcher.services.backup import MANIFEST, read_backup, restore_backup, write_backup
from matcher.services.serving import open_audit_log, open_engine
from matcher.settings import Settings
from tests.api.conftest import Ids, World, copy_world, home_settings
from tests.api.servers import start_server
from training.cli import app

AS_OF = date(2026, 12, 7)


class Writer(threading.Thread):
    """Upserts new job seekers one after the other (and asks for shortlists, which audit) until stopped."""

    def __init__(self, server_request, world: World, ids: Ids) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.request, self.world, self.ids = server_request, world, ids
        self.acked: list[str] = []
        self.stop = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        admin, caseworker = self.world.tokens[Role.ADMIN], self.world.tokens[Role.CASEWORKER]
        i = 0
        while not self.stop.is_set():
            record_id = f"BAK-{i:04d}"
            put = self.request(
                "PUT", f"/v1/candidates/{record_id}", admin, json={**self.ids.candidate_record, "id": record_id}
            )
            if put.status_code != 201:
                self.errors.append(put.text)
                return
            self.acked.append(record_id)
            self.request("POST", f"/v1/candidates/{record_id}/vacancies", caseworker, json={"k": 5})
            i += 1


def _candidate_shortlists(settings: Settings, ids: list[str]) -> dict[str, list[tuple[str, float]]]:
    engine = open_engine(settings)
    try:
        options = FilterOptions(today=AS_OF)
        return {
            c: [(i.id, round(i.score, 6)) for i in engine.shortlist_for_candidate(c, k=10, filters=options).items]
            for c in ids
        }
    finally:
        engine.store.close()


def _audit_ok(settings: Settings) -> int:
    store = Store(settings.store_url)
    try:
        audit = open_audit_log(settings, store)
        result = verify(settings.audit_log, audit.key, audit.checkpoints)
    finally:
        store.close()
    assert result.ok, result.reason
    return result.records


@pytest.mark.slow
def test_backup_while_two_workers_write_then_restore(api_world: World, ids: Ids, tmp_path: Path) -> None:
    home = copy_world(api_world, tmp_path / "home")
    server = start_server(home.settings, tmp_path / "server.log", workers=2)
    writer = Writer(server.request, home, ids)
    try:
        writer.start()
        while len(writer.acked) < 3 and not writer.errors:
            time.sleep(0.05)
        acked_before = list(writer.acked)
        manifest = write_backup(home.settings, tmp_path / "backup.tar.gz", with_keys=True)
        while len(writer.acked) < len(acked_before) + 6 and not writer.errors:
            time.sleep(0.05)  # writes go on during and after the backup
    finally:
        writer.stop.set()
        writer.join(60)
        server.stop()
    assert not writer.errors, writer.errors
    assert manifest.with_keys and any(m.startswith("keys/") for m in manifest.members)

    restored = home_settings(tmp_path / "restored", home.settings.encoder)
    result = CliRunner().invoke(
        app,
        ["restore", str(tmp_path / "backup.tar.gz")],
        env={"MATCHER_HOME": str(restored.home), "MLFLOW_TRACKING_URI": restored.tracking_uri},
    )
    assert result.exit_code == 0, result.output

    store = Store(restored.store_url)
    present = [c for c in writer.acked if _has(store, c)]
    store.close()
    # Everything acknowledged before the backup is in it, and what is in it has no gaps.
    assert set(acked_before) <= set(present)
    assert present == writer.acked[: len(present)]

    originals = [ids.candidate, *[c for c in acked_before[:2]]]
    assert _candidate_shortlists(restored, originals) == _candidate_shortlists(home.settings, originals)
    assert _audit_ok(restored) > 0 and _audit_ok(home.settings) >= _audit_ok(restored)


def _has(store: Store, candidate_id: str) -> bool:
    try:
        store.get_candidate(candidate_id)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="module")
def backup_file(api_world: World, ids: Ids, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a copy of the served world, without keys."""
    folder = tmp_path_factory.mktemp("backup")
    home = copy_world(api_world, folder / "home")
    with TestClient(create_app(home.settings)) as client:  # one audited shortlist: an audit log to back up
        client.post(f"/v1/candidates/{ids.candidate}/vacancies", json={"k": 3}, headers=home.auth(Role.CASEWORKER))
    write_backup(home.settings, folder / "backup.tar.gz")
    return folder / "backup.tar.gz"


def test_keys_stay_out_unless_asked_for(backup_file: Path, tmp_path: Path) -> None:
    manifest = read_backup(backup_file, tmp_path / "unpacked")
    assert not manifest.with_keys
    assert not [m for m in manifest.members if m.startswith("keys/") or m.endswith(".key")]
    assert {"store/matcher.db", "mlflow/mlflow.db", "audit.log"} <= set(manifest.members)
    assert any(m.startswith("indexes/vacancies/") for m in manifest.members)


def test_a_torn_backup_is_refused_and_nothing_restored(backup_file: Path, tmp_path: Path) -> None:
    torn = tmp_path / "torn.tar.gz"
    torn.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size * 2 // 3])
    target = home_settings(tmp_path / "home", None)
    with pytest.raises(BackupError, match="torn"):
        restore_backup(torn, target)
    assert not any(target.home.iterdir())


def test_an_altered_member_is_refused(backup_file: Path, tmp_path: Path) -> None:
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(backup_file) as src, tarfile.open(altered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "audit.log":
                data = data.replace(b"POST", b"PUT ", 1)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="audit.log is altered"):
        restore_backup(altered, home_settings(tmp_path / "home", None))


def test_a_backup_without_manifest_is_refused(backup_file: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    with tarfile.open(backup_file) as src, tarfile.open(cut, "w:gz") as dst:
        for member in src.getmembers():
            if member.name != MANIFEST:
                dst.addfile(member, src.extractfile(member))
    with pytest.raises(BackupError, match="no readable MANIFEST"):
        restore_backup(cut, home_settings(tmp_path / "home", None))


def test_restore_only_into_an_empty_home(backup_file: Path, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(backup_file, home_settings(tmp_path / "home", None))
