"""A throwaway PostgreSQL server for the tests (fixtures in ``tests/conftest.py``).

``make test`` installs Debian's ``postgresql`` package where it is missing
(``tests/ensure_postgres.sh``); this module finds its server binaries, starts one cluster per test
session in a temporary folder on a free loopback port (trust authentication, no durability), and
creates one fresh database per test. ``MATCHER_TEST_DATABASE_URL`` points the tests at an
existing server instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL, make_url

ENV_URL = "MATCHER_TEST_DATABASE_URL"
SERVER_USER = "postgres"  # initdb refuses to run as root: the cluster belongs to this user


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here: the PostgreSQL tests skip (or fail under CI)."""


def find_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: Debian's versioned server package first."""
    candidates: list[str] = []
    if shutil.which("dpkg-query"):
        listed = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status} ${Package}\n", "postgresql-[0-9]*"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        packages = [line.split()[1] for line in listed.splitlines() if line.startswith("installed ")]
        for package in sorted(packages, key=_version_key, reverse=True):
            files = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False).stdout
            candidates += [f for f in files.splitlines() if f.endswith("/bin/initdb")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key, reverse=True)
    if on_path := shutil.which("initdb"):
        candidates.append(on_path)
    for initdb in candidates:
        bindir = Path(initdb).resolve().parent
        if (bindir / "pg_ctl").is_file() and os.access(bindir / "initdb", os.X_OK):
            return bindir
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found; `make test` installs Debian's "
        "`postgresql` package, or run `apt-get install postgresql`, or set "
        f"{ENV_URL} to an existing server's SQLAlchemy URL"
    )


def _version_key(name: str) -> float:
    digits = "".join(c if c.isdigit() or c == "." else " " for c in name).split()
    try:
        return float(digits[0]) if digits else 0.0
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server the tests may create databases on, reached through ``url``."""

    def __init__(self, url: URL) -> None:
        self.url = url

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        u = self.url
        return psycopg.connect(
            host=u.host,
            port=u.port,
            user=u.username,
            password=u.password,
            dbname=u.database or "postgres",
            autocommit=True,
        )

    def create_database(self, prefix: str = "matcher_test") -> str:
        """A new, empty database with a unique name; returns its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as conn:
            # FORCE: the tests' Store engines may still hold pooled connections.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Nothing to stop for a server the tests did not start."""


class TempPostgresServer(PostgresServer):
    """A cluster of its own in a temporary folder, on a free port, for one test session."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        # Not under pytest's tmp_path: its folders are private to root (the server user could not
        # reach them), and unix socket paths must stay short.
        self.root = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
        self.data, self.sockets, self.log = self.root / "data", self.root / "sockets", self.root / "server.log"
        self.as_root = os.geteuid() == 0
        self.started = False
        try:
            self._init_and_start()
        except BaseException:
            self.close()
            raise
        super().__init__(
            URL.create(
                "postgresql+psycopg", username=SERVER_USER, host="127.0.0.1", port=self.port, database="postgres"
            )
        )

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.root, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}")
        return done

    def _init_and_start(self) -> None:
        self.data.mkdir()
        self.sockets.mkdir()
        if self.as_root:
            try:
                user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, but there is no '{SERVER_USER}' user to run the server as "
                    "(Debian's postgresql package creates it)"
                ) from None
            for path in (self.root, self.data, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            SERVER_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        # A test server: durability off, which makes CREATE DATABASE and commits cheap.
        options = (
            f"-c listen_addresses=127.0.0.1 -k {self.sockets} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        for attempt in range(5):  # the free port may be taken between choosing and binding it
            self.port = _free_port()
            try:
                self._run(
                    self.bindir / "pg_ctl",
                    "-D",
                    self.data,
                    "-l",
                    self.log,
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} {options}",
                    "start",
                )
            except RuntimeError:
                log = self.log.read_text(errors="replace") if self.log.exists() else ""
                if attempt == 4 or "already in use" not in log:
                    raise
                continue
            self.started = True
            return

    def close(self) -> None:
        if self.started:
            with contextlib.suppress(Exception):
                self._run(self.bindir / "pg_ctl", "-D", self.data, "stop", "-m", "fast", "-w")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)


class ExistingPostgresServer(PostgresServer):
    """The server ``MATCHER_TEST_DATABASE_URL`` names. Its user needs CREATEDB for fresh
    per-test databases; without it, the tests share the named database and it is emptied."""

    def __init__(self, url: str) -> None:
        super().__init__(make_url(url))
        self.shared_url = url

    def create_database(self, prefix: str = "matcher_test") -> str:
        import psycopg

        try:
            return super().create_database(prefix)
        except psycopg.errors.InsufficientPrivilege:
            _drop_store_tables(self.shared_url)
            return self.shared_url

    def drop_database(self, url: str) -> None:
        if url == self.shared_url:
            _drop_store_tables(url)
        else:
            super().drop_database(url)


def _drop_store_tables(url: str) -> None:
    from sqlalchemy import create_engine

    from matcher.records.store import metadata

    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


def start_server() -> PostgresServer:
    """The server for this session: ``MATCHER_TEST_DATABASE_URL``'s, or a temporary one.

    Raises :class:`PostgresUnavailable` where there is no server to be had."""
    try:
        import psycopg  # noqa: F401
    except ImportError as e:
        raise PostgresUnavailable(f"psycopg is not installed ({e}); it is part of the dev extra") from None
    if url := os.environ.get(ENV_URL):
        return ExistingPostgresServer(url)
    return TempPostgresServer()


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """A new empty database on ``server`` for one test, dropped afterwards."""
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


if __name__ == "__main__":  # python -m tests.pg: time a start, a database and a stop
    t0 = time.perf_counter()
    server = start_server()
    t1 = time.perf_counter()
    with fresh_database(server) as db_url:
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    server.close()
    t4 = time.perf_counter()
    print(
        f"start {t1 - t0:.2f} s, create database {t2 - t1:.3f} s, drop {t3 - t2:.3f} s, "
        f"stop {t4 - t3:.2f} s; e.g. {db_url}"
    )
