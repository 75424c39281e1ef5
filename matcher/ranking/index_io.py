"""On-disk format of a vector index: one directory per direction.

::

    indexes/vacancies/
        index.faiss     the FAISS index (internal ids are row positions)
        ids.json        external id of every row, ``null`` for a tombstone (deleted row)
        manifest.json   encoder name and fingerprint, dimension, counts, kind, build time, size

Writes are atomic: everything is written and fsynced into a hidden temporary sibling
(``.vacancies.tmp-<random>``), then the old directory is renamed away (``.vacancies.old``), the new
one renamed into place and the old one removed. POSIX cannot rename a directory over a non-empty
one, so there is a short window between the two renames; a reader that finds no directory but
the ``.old`` one loads that (the last complete index). A crash before the renames leaves the old
index untouched; the stale temporary directory is removed by the next write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matcher.errors import IndexCorruptError, IndexMissingError, IndexModelMismatchError
from matcher.records.private import private_dir

# 2: the manifest carries the change-log position of the snapshot and a checksum of each file.
FORMAT_VERSION = 2
FAISS_FILE = "index.faiss"
IDS_FILE = "ids.json"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class IndexManifest:
    """What an index directory holds and which encoder produced its vectors."""

    kind: str
    encoder_name: str
    encoder_fingerprint: str
    dimension: int
    count: int  # live vectors
    rows: int  # FAISS rows, live and tombstoned
    tombstones: int
    built_at: str  # ISO 8601, UTC
    faiss_bytes: int = 0
    applied_seq: int = 0  # the change-log entry this snapshot includes, all before it too
    sha256: dict[str, str] | None = None  # file name -> hex digest
    format: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexManifest:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_checksums(path: Path, manifest: IndexManifest) -> None:
    """Every file the manifest lists has the recorded SHA-256 (a same-size corruption too).

    Raises:
        IndexCorruptError: a file is missing or its content changed.
    """
    for name, expected in (manifest.sha256 or {}).items():
        file = path / name
        actual = sha256_file(file) if file.is_file() else "missing"
        if actual != expected:
            raise IndexCorruptError(
                f"index file {file} does not match the checksum in its manifest "
                f"(sha256 {actual[:12]}..., expected {expected[:12]}...): rebuild it with `matcher index`"
            )


def _backup(path: Path) -> Path:
    return path.with_name(f".{path.name}.old")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # A directory's entries (new files, renames) are durable only once the directory is fsynced.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())


def write_atomic_dir(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a temporary sibling directory, then swap it in for ``path``.

    Raises:
        Whatever ``write`` raises; ``path`` is then left as it was.
    """
    private_dir(path.parent)  # the indexes hold embeddings of people: owner-only, like the store
    for stale in path.parent.glob(f".{path.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # one writer per index: these are crash leftovers
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:12]}")
    tmp.mkdir(mode=0o700)
    try:
        write(tmp)
        _fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    backup = _backup(path)
    if path.exists():
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(path, backup)
    os.rename(tmp, path)
    _fsync_dir(path.parent)
    shutil.rmtree(backup, ignore_errors=True)


def resolve_dir(path: Path) -> Path:
    """The directory to read: ``path``, or its backup when a write died between the renames.

    Raises:
        IndexMissingError: neither exists.
    """
    if (path / MANIFEST_FILE).is_file():
        return path
    backup = _backup(path)
    if not path.exists() and (backup / MANIFEST_FILE).is_file():
        return backup
    raise IndexMissingError(f"no index at {path}: build it with `matcher index` (manifest.json missing)")


def read_manifest(path: Path) -> IndexManifest:
    """Read and check a manifest.

    Raises:
        IndexCorruptError: unreadable, or a format this code does not know.
    """
    try:
        data = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        manifest = IndexManifest.from_json(data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorruptError(
            f"index manifest {path / MANIFEST_FILE} is unreadable ({exc}): rebuild it with `matcher index`"
        ) from exc
    if manifest.format != FORMAT_VERSION:
        raise IndexCorruptError(
            f"index at {path} has format {manifest.format}, this version reads {FORMAT_VERSION}: "
            "rebuild it with `matcher index`"
        )
    return manifest


def check_encoder(manifest: IndexManifest, path: Path, fingerprint: str | None) -> None:
    """Refuse an index whose vectors came from another encoder.

    Raises:
        IndexModelMismatchError: the fingerprints differ.
    """
    if fingerprint is not None and manifest.encoder_fingerprint != fingerprint:
        raise IndexModelMismatchError(
            f"index at {path} was built with encoder {manifest.encoder_name!r} "
            f"(fingerprint {manifest.encoder_fingerprint}), but the configured encoder has "
            f"fingerprint {fingerprint}: rebuild the indexes with `matcher index`"
        )


def read_ids(path: Path, manifest: IndexManifest) -> list[str | None]:
    """Row -> external id (None for tombstones), checked against the manifest.

    Raises:
        IndexCorruptError: unreadable, or the counts disagree with the manifest.
    """
    try:
        ids = json.loads((path / IDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"index id map {path / IDS_FILE} is unreadable ({exc}): rebuild it with `matcher index`"
        ) from exc
    live = sum(i is not None for i in ids) if isinstance(ids, list) else -1
    if live != manifest.count or len(ids) != manifest.rows:
        raise IndexCorruptError(
            f"index id map {path / IDS_FILE} does not match its manifest "
            f"({live} live ids, manifest says {manifest.count})"
        )
    return ids


def check_faiss_file(path: Path, manifest: IndexManifest) -> Path:
    """The FAISS file, if it has the size the manifest recorded.

    Raises:
        IndexCorruptError: missing or truncated.
    """
    file = path / FAISS_FILE
    size = file.stat().st_size if file.is_file() else -1
    if size != manifest.faiss_bytes:
        raise IndexCorruptError(
            f"index file {file} is missing or truncated ({size} bytes, "
            f"manifest says {manifest.faiss_bytes}): rebuild it with `matcher index`"
        )
    return file
