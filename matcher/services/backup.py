"""Backup and restore of a home: one ``.tar.gz`` with a manifest of every member's SHA-256.

A backup is written while the API serves. The parts are taken in an order that keeps them
consistent with each other: the encoder, then the index snapshots (checked against their own
checksums, taken again if a compaction replaced them meanwhile), then the store (SQLite's online
backup API, or ``pg_dump``, each a consistent snapshot) whose change log holds every write after the
snapshots, then the audit log up to its last complete record (a superset of the store's
checkpoints), then the MLflow store and its artifacts (a superset of the champion the store names).
Keys and token files travel only with ``with_keys``. The manifest is the tar's last member: a torn
file has none, an altered member has another digest, and either is refused before anything is
restored.

Layout inside the file::

    encoder/...  indexes/<side>/...  store/matcher.db | store/postgresql.dump  audit.log
    mlflow/mlflow.db | mlflow/postgresql.dump  mlartifacts/...  keys/<name>  MANIFEST.json
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from matcher.errors import BackupError, MatcherError
from matcher.ranking.index_io import IndexManifest, check_checksums, read_manifest, resolve_dir
from matcher.records.clock import utc_stamp
from matcher.records.private import private_dir, sqlite_file
from matcher.settings import Settings

FORMAT = 1
MANIFEST = "MANIFEST.json"
SIDES = ("vacancies", "candidates")
_INDEX_TRIES = 5  # a snapshot replaced while it was copied is copied again


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds.

    Attributes:
        members: member name -> SHA-256 hex digest, every file but the manifest.
        schema_revision: the store's schema revision (None: a 0.1.0 store, unversioned).
        store_dialect: "sqlite" or "postgresql".
        store_seq: the last change-log entry in the store's copy.
        index_seqs: side -> the change-log entry its snapshot includes.
        with_keys: whether keys and token files are inside.
    """

    members: dict[str, str]
    schema_revision: str | None
    store_dialect: str
    store_seq: int
    index_seqs: dict[str, int] = field(default_factory=dict)
    with_keys: bool = False
    release: str = ""
    created_at: str = ""
    format: int = FORMAT

    @classmethod
    def from_json(cls, data: dict[str, object]) -> BackupManifest:
        return cls(**data)  # type: ignore[arg-type]


def _release() -> str:
    from matcher import __version__

    return __version__


# --- writing ---------------------------------------------------------------------------------
def write_backup(settings: Settings, out: Path, with_keys: bool = False) -> BackupManifest:
    """Write a consistent backup of ``settings``' home to ``out`` (atomically: temporary file, rename).

    Raises:
        BackupError: a part cannot be read (no store, a PostgreSQL tool missing, ...).
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with _staging(out.parent) as stage:
        if settings.encoder_dir.is_dir():
            shutil.copytree(settings.encoder_dir, stage / "encoder")
        index_seqs = _copy_indexes(settings.index_dir, stage / "indexes")
        revision, seq, dialect = _dump_database(settings.store_url, stage / "store", "matcher.db")
        if settings.audit_log.is_file():
            _copy_complete_lines(settings.audit_log, stage / "audit.log")
        _dump_database(settings.tracking_uri, stage / "mlflow", "mlflow.db", versioned=False)
        if settings.artifact_dir.is_dir():
            shutil.copytree(settings.artifact_dir, stage / "mlartifacts")
        if with_keys:
            for name, path in key_files(settings).items():
                if path.is_file():
                    private_dir(stage / "keys")
                    shutil.copyfile(path, stage / "keys" / name)
        manifest = BackupManifest(
            members=_digests(stage),
            schema_revision=revision,
            store_dialect=dialect,
            store_seq=seq,
            index_seqs=index_seqs,
            with_keys=with_keys,
            release=_release(),
            created_at=utc_stamp("seconds"),
        )
        _write_tar(stage, manifest, out)
    return manifest


def key_files(settings: Settings) -> dict[str, Path]:
    """The secrets of a home by their name in a backup: left out unless ``--with-keys``."""
    files = {"audit.key": settings.audit_key, "pseudonym.key": settings.pseudonym_key}
    for name in ("session.key", "tokens.json", "demo_tokens.json"):
        files[name] = getattr(settings, _KEY_SETTINGS[name], settings.home / name)
    return files


# The service's settings name these files (api.settings.ServiceSettings); the core settings do not.
_KEY_SETTINGS = {"session.key": "session_key", "tokens.json": "tokens_file", "demo_tokens.json": "demo_tokens_file"}


@contextmanager
def _staging(parent: Path) -> Iterator[Path]:
    stage = Path(tempfile.mkdtemp(prefix=".matcher-backup-", dir=parent))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _copy_indexes(index_dir: Path, out: Path) -> dict[str, int]:
    """Copy each side's snapshot and check it against its manifest's checksums (copy again when a
    compaction renamed a new one into place while it was read)."""
    seqs: dict[str, int] = {}
    for side in SIDES:
        try:
            source = resolve_dir(index_dir / side)
        except MatcherError:
            continue  # no index built yet: the backup holds none, as the home did
        seqs[side] = _copy_checked_index(index_dir / side, source, out / side).applied_seq
    return seqs


def _copy_checked_index(path: Path, source: Path, target: Path) -> IndexManifest:
    for _ in range(_INDEX_TRIES):
        shutil.rmtree(target, ignore_errors=True)
        try:
            shutil.copytree(source, target)
            manifest = read_manifest(target)
            check_checksums(target, manifest)
            return manifest
        except (OSError, MatcherError):
            source = resolve_dir(path)
    raise BackupError(f"index at {path} changed during each of {_INDEX_TRIES} copies; try again")


def _copy_complete_lines(source: Path, target: Path) -> None:
    """The log up to its last newline: a record being appended right now is left for the next backup."""
    with source.open("rb") as f:
        data = f.read()
    target.write_bytes(data[: data.rfind(b"\n") + 1])


def _dump_database(url: str, out: Path, name: str, versioned: bool = True) -> tuple[str | None, int, str]:
    """A consistent copy of the database at ``url`` into ``out``; returns (schema revision, last
    change-log entry, dialect) read from the copy itself (SQLite) or just before the dump."""
    private_dir(out)
    db = sqlite_file(url)
    dialect = make_url(url).get_backend_name()
    if db is not None:
        if not db.is_file():
            raise BackupError(f"no database at {db}")
        _sqlite_backup(db, out / name)
        return (*_position(f"sqlite:///{out / name}", versioned), "sqlite")
    if dialect != "postgresql":
        raise BackupError(f"{url.split(':', 1)[0]}: only SQLite and PostgreSQL databases can be backed up here")
    position = _position(url, versioned)
    _pg_run("pg_dump", url, "--format=custom", "--no-owner", "--no-privileges", "-f", str(out / "postgresql.dump"))
    return (*position, "postgresql")


def _sqlite_backup(source: Path, target: Path) -> None:
    # SQLite's online backup API: a consistent copy while other processes read and write.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _position(url: str, versioned: bool) -> tuple[str | None, int]:
    if not versioned:
        return None, 0
    from matcher.schema import state_of

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            state = state_of(conn)
            seq = conn.execute(text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar_one()
        return state.current, int(seq)
    finally:
        engine.dispose()


def _digests(stage: Path) -> dict[str, str]:
    return {path.relative_to(stage).as_posix(): _sha256(path) for path in sorted(stage.rglob("*")) if path.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_tar(stage: Path, manifest: BackupManifest, out: Path) -> None:
    """Members first, the manifest last; written to a temporary file, fsynced, renamed into place."""
    (stage / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1))
    tmp = out.with_name(f".{out.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds personal data
    with os.fdopen(fd, "wb") as raw:
        # compresslevel 1: the store and the vectors shrink about as much as at 9, at a fraction of the CPU
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as tar:
            for name in [*manifest.members, MANIFEST]:
                tar.add(stage / name, arcname=name, recursive=False)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, out)


# --- reading and restoring ---------------------------------------------------------------------
def read_backup(file: Path, into: Path) -> BackupManifest:
    """Unpack ``file`` into the folder ``into`` and check every member against the manifest.

    Raises:
        BackupError: torn (unreadable, no manifest), altered (a digest differs, a member missing or
            extra), or not a backup.
    """
    try:
        with tarfile.open(file, mode="r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise BackupError(f"{file}: torn or not a backup file ({exc}); nothing was restored") from exc
    try:
        manifest = BackupManifest.from_json(json.loads((into / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(
            f"{file}: torn (no readable {MANIFEST}, which is written last); nothing was restored"
        ) from exc
    if manifest.format != FORMAT:
        raise BackupError(f"{file}: backup format {manifest.format}, this release reads {FORMAT}")
    found = _digests(into)
    found.pop(MANIFEST)
    for name, digest in manifest.members.items():
        if found.get(name) != digest:
            state = "missing" if name not in found else "altered (SHA-256 differs)"
            raise BackupError(f"{file}: member {name} is {state}; nothing was restored")
    if extra := sorted(set(found) - set(manifest.members)):
        raise BackupError(f"{file}: members not in the manifest: {', '.join(extra[:5])}; nothing was restored")
    return manifest


def restore_backup(file: Path, settings: Settings) -> BackupManifest:
    """Restore ``file`` into ``settings``' home, which must be empty (and so must a PostgreSQL
    ``DATABASE_URL`` database). Nothing is placed before every member is checked; a failure while
    placing removes what was placed.

    Raises:
        BackupError: the home or database is not empty, the backup is torn or altered, or its store
            is of the other kind (SQLite vs PostgreSQL) than the settings name.
    """
    home = Path(settings.home)
    if home.exists() and any(home.iterdir()):
        raise BackupError(f"{home} is not empty: restore only into an empty MATCHER_HOME")
    private_dir(home)
    placed: list[Path] = []
    try:
        with _staging(home) as stage:
            manifest = read_backup(file, stage)
            _restore_database(stage / "store", settings.store_url, "matcher.db", placed)
            _restore_database(stage / "mlflow", settings.tracking_uri, "mlflow.db", placed)
            targets = {
                "encoder": settings.encoder_dir,
                "indexes": settings.index_dir,
                "audit.log": settings.audit_log,
                "mlartifacts": settings.artifact_dir,
            }
            targets |= {f"keys/{name}": path for name, path in key_files(settings).items()}
            for name, target in targets.items():
                if (stage / name).exists():
                    _place(stage / name, Path(target), placed)
    except BaseException:
        for path in reversed(placed):
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        raise
    return manifest


def _place(source: Path, target: Path, placed: list[Path]) -> None:
    if target.exists():
        raise BackupError(f"{target} exists already: restore only into an empty home")
    private_dir(target.parent)
    shutil.move(source, target)
    placed.append(target)


def _restore_database(folder: Path, url: str, name: str, placed: list[Path]) -> None:
    db = sqlite_file(url)
    if (folder / name).is_file():
        if db is None:
            raise BackupError(f"the backup holds a SQLite {name}, but {url.split(':', 1)[0]} is configured: unset it")
        os.chmod(folder / name, 0o600)
        _place(folder / name, db, placed)
        return
    if not (folder / "postgresql.dump").is_file():
        return
    if db is not None:
        raise BackupError(
            f"the backup holds a PostgreSQL dump for {db.name}: point the URL at an empty PostgreSQL database"
        )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if tables := inspect(conn).get_table_names():
                raise BackupError(
                    f"the database of {_safe(url)} is not empty ({len(tables)} tables): restore into an empty one"
                )
    finally:
        engine.dispose()
    _pg_run(
        "pg_restore",
        url,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        str(folder / "postgresql.dump"),
    )


# --- PostgreSQL's own tools ----------------------------------------------------------------------
def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def pg_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest of Debian's versioned server folders.

    Raises:
        BackupError: none installed.
    """
    found = [Path(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=_major, reverse=True)]
    if on_path := shutil.which(name):
        found.append(Path(on_path))
    if not found:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client)")
    return found[0]


def _major(path: Path) -> int:
    digits = path.parts[-3]
    return int(digits) if digits.isdigit() else 0


def _pg_run(tool: str, url: str, *args: str) -> None:
    """Run a PostgreSQL tool on the database of a SQLAlchemy URL (the password through the environment)."""
    u = make_url(url)
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    conninfo = u.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([str(pg_tool(tool)), f"--dbname={conninfo}", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} on {_safe(url)} failed: {done.stderr.strip()[-500:]}")
