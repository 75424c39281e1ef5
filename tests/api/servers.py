"""Real ``uvicorn`` processes over a test home, for the consistency and crash tests.

Each server runs as its own process group on a free loopback port; ``stop`` ends the group. Requests
go out on fresh connections (``Connection: close``), so that with ``--workers 2`` about half of
them reach each worker (both accept from the same socket).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.app import server_command
from matcher.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def home_env(settings: Settings) -> dict[str, str]:
    """The environment a server or CLI process needs to serve ``settings``' home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHER_", "MLFLOW_TRACKING"))}
    env.update(
        MATCHER_HOME=str(settings.home),
        MLFLOW_TRACKING_URI=settings.tracking_uri,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    if settings.encoder:
        env["MATCHER_ENCODER"] = settings.encoder
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    return env


@dataclass
class Server:
    """One ``matcher serve``-equivalent process (uvicorn with the serving app factory)."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def request(
        self, method: str, path: str, token: str | None = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Connection": "close", **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        with httpx.Client(base_url=self.url, timeout=60) as client:
            return client.request(method, path, headers=headers, **kwargs)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def start_server(
    settings: Settings,
    log: Path,
    workers: int = 2,
    timeout: float = 120.0,
    port: int | None = None,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = ("--log-level", "warning"),
) -> Server:
    """Start and wait until every worker answers ``/health`` (seen by distinct process ids);
    ``env``: more environment (an identity provider's settings, say).

    The server's stdout and stderr (its JSON log lines) go to ``log``.
    """
    # A loaded development machine may take longer to start two workers (CI never sets this).
    timeout = float(os.environ.get("MATCHER_TEST_SERVER_START_SECONDS", timeout))
    port = port or free_port()
    cmd = server_command("127.0.0.1", port, workers, *options)
    handle = log.open("ab")
    process = subprocess.Popen(
        cmd, env=home_env(settings) | (env or {}), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    seen: set[int] = set()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            seen.add(int(server.request("GET", "/health").json()["worker"]))
        except (httpx.HTTPError, KeyError, ValueError):
            time.sleep(0.2)
            continue
        if len(seen) >= workers:
            return server
    server.stop()
    raise RuntimeError(f"server did not start {workers} workers in {timeout} s: {log.read_text()[-3000:]}")
