"""Serving with uvicorn: ``matcher serve``, and ``python -m api.server`` for a process of its own.

Both prepare what every worker shares before uvicorn starts them: a fresh metrics directory
(:func:`api.metrics.multiprocess_dir`) and the JSON logging configuration (:func:`api.logs.log_config`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

SERVING_APP = "api.app:serving_app"
# uvicorn kills a worker that does not answer its supervisor's ping in time (default 5 s). A worker
# loading the engine holds the GIL for seconds at a time: on a busy 2-core machine workers of the
# default world were killed again and again before they finished starting.
HEALTHCHECK_SECONDS = 60


def run_server(
    host: str, port: int, workers: int = 1, log_level: str = "info", access_log: bool = False, **uvicorn_options: Any
) -> None:
    """Serve with uvicorn (blocks), with JSON logs and metrics added up over the workers.

    uvicorn's access log is off by default: the request log (:mod:`api.logs`) says the same with
    the route template instead of the raw path, and the pseudonymous caller.
    """
    # Imported here: with several workers, each one imports this module again as its
    # ``__mp_main__`` before it answers uvicorn's first health check (5 s), so it stays light.
    import uvicorn

    from api.logs import log_config
    from api.metrics import multiprocess_dir

    # stdout and stderr carry JSON lines only: MLflow's download progress bar (loading the
    # champion) would write a line of its own.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # uvicorn raises the SIGTERM it caught again once it has shut down; with the default action the
    # process would end on the spot, and the metrics directory would stay behind.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with multiprocess_dir():
        uvicorn.run(
            SERVING_APP,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            log_config=log_config(log_level),
            access_log=access_log,
            **{"timeout_worker_healthcheck": HEALTHCHECK_SECONDS, **uvicorn_options},
        )


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def server_command(host: str, port: int, workers: int, *options: str) -> list[str]:
    """The command line that serves the app as ``matcher serve`` does, for a process of its own
    (benchmarks, the tests with several workers). ``options``: ``--log-level L``, ``--access-log``,
    ``--no-access-log``."""
    return [
        sys.executable,
        "-m",
        "api.server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        *options,
    ]


def main(argv: list[str] | None = None) -> None:
    """``python -m api.server``: :func:`run_server` from the command line."""
    parser = argparse.ArgumentParser(prog="python -m api.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=False)
    args = parser.parse_args(argv)
    run_server(args.host, args.port, args.workers, args.log_level, args.access_log)


if __name__ == "__main__":
    main()
