"""Contact and how to apply for generated vacancies (``data.generate.contacts``): deterministic per
vacancy id, drawn from a generator of their own, so every other value of a world is unchanged, and
accepted by ingestion with or without them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from data.formats import VACANCIES
from data.generate import WorldConfig, generate_world
from data.generate.contacts import contact_fields
from data.ingest import ingest_folder
from matcher.records.reference import ReferenceData
from matcher.records.store import Store

CONTACT_COLUMNS = ("ansprechpartner", "telefon", "email", "bewerbungsweg")
# The digest of a world of this config without the contact columns, as generated before they
# existed (commit 123eea0): ids, texts, proposals and every other value are the same. Truncated
# JSON lines (a deliberate defect: half of the record's text) are left out of the digest, because
# they cut a longer record.
CONFIG = WorldConfig(candidates=300, vacancies=200, seed=7)
DIGEST_BEFORE = "b1040e760fad77f022c75f3da3553a29de174eaf154d711a1c5819928fb2aaab"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, reference: ReferenceData) -> Path:
    out = tmp_path_factory.mktemp("contacts-world")
    generate_world(out, CONFIG, reference)
    return out


def _digest_without_contacts(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in folder.iterdir()):
        data = (folder / name).read_bytes()
        if name == VACANCIES.name:
            lines = []
            for line in data.decode().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    lines.append("<broken>")
                    continue
                if isinstance(record, dict):
                    for column in CONTACT_COLUMNS:
                        record.pop(column, None)
                lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
            data = "\n".join(lines).encode()
        digest.update(name.encode())
        digest.update(data)
    return digest.hexdigest()


def test_the_world_is_otherwise_unchanged(world: Path) -> None:
    assert _digest_without_contacts(world) == DIGEST_BEFORE


def test_every_vacancy_has_a_contact_deterministic_by_id(world: Path) -> None:
    records = []
    for line in (world / VACANCIES.name).read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # a deliberately broken line
            continue
    complete = [r for r in records if isinstance(r, dict) and "stellen_id" in r and "ansprechpartner" in r]
    assert len(complete) > 150
    for r in complete[:50]:
        again = contact_fields(r["stellen_id"], r["arbeitgeber_name"])
        assert [r[c] for c in CONTACT_COLUMNS] == [
            again["contact_name"],
            again["contact_phone"],
            again["contact_email"],
            again["apply_how"],
        ]
        assert r["ansprechpartner"].startswith(("Frau ", "Herr ")) and "@" in r["email"]
    assert len({r["ansprechpartner"] for r in complete}) > 20  # not one contact for all


def test_contacts_do_not_draw_from_a_shared_stream() -> None:
    first = contact_fields("AGS-2026-000001", "Westpfalz Logistik GmbH")
    contact_fields("AGS-2026-000002", "Westpfalz Logistik GmbH")
    assert contact_fields("AGS-2026-000001", "Westpfalz Logistik GmbH") == first


def test_ingestion_reads_them_and_accepts_records_without(
    world: Path, tmp_path: Path, reference: ReferenceData
) -> None:
    folder = tmp_path / "world"
    folder.mkdir()
    for p in world.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    lines = (folder / VACANCIES.name).read_text().splitlines()
    stripped = []
    for i, line in enumerate(lines):
        if i % 2 == 0 and line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                stripped.append(line)
                continue
            for column in CONTACT_COLUMNS:
                record.pop(column, None)
            line = json.dumps(record, ensure_ascii=False)
        stripped.append(line)
    (folder / VACANCIES.name).write_text("\n".join(stripped) + "\n")
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    ingest_folder(folder, store, reference, tmp_path / "rejects", progress=False)
    vacancies = store.vacancies()
    store.close()
    with_contact = [v for v in vacancies if v.contact_name]
    without = [v for v in vacancies if v.contact_name is None]
    assert with_contact and without
    assert all(v.apply_how and v.contact_email and v.contact_phone for v in with_contact)
