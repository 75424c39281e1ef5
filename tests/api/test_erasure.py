"""Erasure of a job seeker (Art. 17 GDPR): nothing of the person stays but the pseudonymous id in
the audit log (and in the change log's delete entry, which tells other replicas to drop them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import faiss
import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from api.security import Role
from matcher.records.store import Store, change_log_table, metadata
from tests.api.conftest import Ids, World
from training.cli import app as cli


def test_erasure_leaves_only_the_pseudonymous_id(fresh_world: World, ids: Ids) -> None:
    settings = fresh_world.settings
    person = ids.candidate
    # What only this person's record holds (the id is the pseudonym that may stay).
    marker = ids.candidate_record["profile_text"]
    store = Store(settings.store_url)
    assert [c.id for c in store.candidates() if c.profile_text == marker] == [person]
    store.close()
    with TestClient(create_app(settings)) as client:  # an access to be audited, a vector to be erased
        assert client.get(f"/v1/candidates/{person}", headers=fresh_world.auth(Role.CASEWORKER)).status_code == 200
        vector = client.app.state.service.engine.candidates.index.vectors([person])  # type: ignore[attr-defined]
    cache = settings.embedding_cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "candidates-test.npy").write_bytes(b"cached vectors")
    env = {
        "MATCHER_HOME": str(settings.home),
        "MATCHER_ENCODER": str(settings.encoder),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
    }
    erased = CliRunner().invoke(cli, ["erase", "--candidate", person], env=env)
    assert erased.exit_code == 0, erased.output

    store = Store(settings.store_url)
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = [tuple(map(str, r)) for r in conn.execute(select(table))]
            text = json.dumps(rows)
            if table is change_log_table:
                mine = [r for r in conn.execute(select(table).where(table.c.record_id == person))]
                assert all(r.vector is None for r in mine) and mine[-1].op == "delete"
            elif table.name != "audit_checkpoints":
                assert person not in text, f"{person} still in {table.name}"
            assert marker not in text
    store.close()
    raw = (settings.home / "matcher.db").read_bytes()
    assert marker.encode() not in raw  # not in a free page either (secure_delete, VACUUM)
    assert (
        not (settings.home / "matcher.db-wal").exists()
        or marker.encode() not in (settings.home / "matcher.db-wal").read_bytes()
    )
    index_dir = settings.index_dir / "candidates"
    assert person not in (index_dir / "ids.json").read_text()
    stored = faiss.read_index(str(index_dir / "index.faiss"))
    all_vectors = stored.reconstruct_n(0, stored.ntotal)
    assert not np.any(np.all(np.isclose(all_vectors, vector[0], atol=1e-6), axis=1))
    assert not list(cache.glob("candidates-*"))
    audit = settings.audit_log.read_text(encoding="utf-8")
    assert person in audit and marker not in audit


def _files_naming(home: Path, needles: list[bytes]) -> dict[str, list[bytes]]:
    """Every file below ``home`` that holds one of ``needles``, and which."""
    found: dict[str, list[bytes]] = {}
    for path in sorted(home.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            hits = [n for n in needles if n in raw]
            if hits:
                found[str(path.relative_to(home))] = hits
    return found


def test_erasure_scrubs_the_homes_export_copies_and_is_audited(api_world: World, fresh_world: World, ids: Ids) -> None:
    """``matcher demo`` keeps its world in the home: after an erasure, a scan of the whole home
    finds the person's id only where the pseudonymous id may stay, and nothing else of them."""
    settings = fresh_world.settings
    for folder in ("world", "rejects"):
        if (api_world.settings.home / folder).is_dir():
            shutil.copytree(api_world.settings.home / folder, settings.home / folder)
    person = ids.candidate
    marker = ids.candidate_record["profile_text"]
    needles = [person.encode(), marker.encode("utf-8"), marker.encode("cp1252", errors="replace")]
    before = _files_naming(settings.home, needles)
    assert any(name.startswith("world/") for name in before), before  # the hole: a full copy was there
    env = {
        "MATCHER_HOME": str(settings.home),
        "MATCHER_ENCODER": str(settings.encoder),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
    }
    erased = CliRunner().invoke(cli, ["erase", "--candidate", person], env=env)
    assert erased.exit_code == 0, erased.output
    left = _files_naming(settings.home, needles)
    # the pseudonymous id stays in the audit log and the change log's delete entry, nothing else
    assert {name: hits for name, hits in left.items() if name not in ("audit.log", "matcher.db")} == {}, left
    assert all(hits == [person.encode()] for hits in left.values()), left
    for path in (settings.home / "world").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, f"{path} readable by others"
    assert (settings.home / "world").stat().st_mode & 0o777 == 0o700
    records = [json.loads(line) for line in settings.audit_log.read_text(encoding="utf-8").splitlines()]
    erasure = [r for r in records if r["kind"] == "erasure"]
    assert len(erasure) == 1 and erasure[0]["query_id"] == person and erasure[0]["endpoint"] == "matcher erase"
    assert erasure[0]["user_id"].startswith("os:") and erasure[0]["time"]
    removed = {item["id"] for item in erasure[0]["items"]}
    assert {"store", "indexes"} <= removed and any(i.startswith("copy:world/") for i in removed), removed
    verified = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
