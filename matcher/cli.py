"""The ``matcher`` command line.

The CLI is the application's entry point, not part of the core library: it wires ``data``
(ingestion, demo world), ``training`` and ``api`` to the core. Those packages are imported inside
the commands, so ``import matcher`` never pulls them in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from matcher.errors import MatcherError
from matcher.settings import Settings

app = typer.Typer(
    help="Job-matching engine of Jobcenter Kaiserslautern.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _settings() -> Settings:
    return Settings()


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="export folder to write")],
    candidates: Annotated[int, typer.Option(help="number of job seekers")] = 12000,
    vacancies: Annotated[int, typer.Option(help="number of open vacancies")] = 3000,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    duplicates: Annotated[bool, typer.Option(help="deliberate cross-source duplicates")] = True,
    broken_rows: Annotated[bool, typer.Option(help="deliberate invalid rows")] = True,
    bias: Annotated[bool, typer.Option(help="historical bias against older job seekers")] = True,
) -> None:
    """Write the demo world's export folder (deterministic for a seed)."""
    from data.generate import WorldConfig, generate_world

    config = WorldConfig(
        candidates=candidates, vacancies=vacancies, seed=seed,
        duplicates=duplicates, broken_rows=broken_rows, bias=bias,
    )  # fmt: skip
    try:
        summary = generate_world(out, config)
    except (MatcherError, OSError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="export folder")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON summary")] = False,
) -> None:
    """Import an export folder into the store (idempotent, all or nothing)."""
    from data.ingest import ingest_folder
    from matcher.reference import ReferenceData
    from matcher.store import Store

    settings = _settings()
    try:
        report = ingest_folder(
            folder, Store(settings.store_url), ReferenceData(), settings.home / "rejects",
            progress=not as_json,
        )  # fmt: skip
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        typer.echo(report.describe())


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
