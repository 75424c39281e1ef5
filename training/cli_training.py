"""Training commands of ``matcher``: ``train``, ``evaluate`` (two registered versions) and ``demo``
(the whole pipeline on the demo world).

Registered on the main app by :mod:`training.cli`; heavy imports stay inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matcher.errors import MatcherError
from matcher.settings import Settings
from training.cli import _encoder, _fail, _mlflow_quiet, _progress, _settings

if TYPE_CHECKING:
    from data.generate import WorldConfig
    from matcher.ranking.encoder import Encoder
    from matcher.records.store import Store
    from training.pipeline import ComparisonReport, TrainingInputs, TrainingResult

_ORACLE_HELP = "generated world folder with the oracle files (default: $MATCHER_HOME/world)"


def _oracle(settings: Settings, oracle: Path | None) -> Any:
    """The generated world's oracle (an evaluator, not a feature): ``--oracle`` if given, else
    ``$MATCHER_HOME/world`` if the generator wrote it; None without one."""
    from data.generate.oracle import load_oracle

    if oracle is not None and not oracle.exists():
        _fail(f"oracle folder or file not found: {oracle}")
    default = settings.home / "world"
    if oracle is None and not (default / "oracle_utilities.csv").is_file():
        return None
    return load_oracle(oracle or default, _progress)


def _inputs(settings: Settings, encoder: Encoder, store: Store, oracle: Any) -> TrainingInputs:
    """The training pipeline's inputs on the settings' home (embedding cache there)."""
    from training.config import TrainingConfig
    from training.pipeline import TrainingInputs

    return TrainingInputs(TrainingConfig(), encoder, store, settings.embedding_cache_dir, oracle, _progress)


def _print_metrics(metrics: dict[str, dict[str, float | None] | None]) -> None:
    names = ("ndcg@10", "map", "mrr", "recall@10", "recall@50")
    typer.echo(f"{'ranker':<14}" + "".join(f"{n:>11}" for n in names))
    for ranker, values in metrics.items():
        cells = [(values or {}).get(n) for n in names]
        typer.echo(f"{ranker:<14}" + "".join(f"{'-' if v is None else f'{v:.4f}':>11}" for v in cells))


def _report(result: TrainingResult | ComparisonReport, as_json: bool, lines: list[str]) -> None:
    """With ``--json`` one JSON object (stdout carries nothing else), else the metrics table and ``lines``."""
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    _print_metrics(result.to_json()["metrics"])
    for line in lines:
        typer.echo(line)


def train(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON result")] = False,
    oracle: Annotated[Path | None, typer.Option(help=_ORACLE_HELP)] = None,
    by: Annotated[str, typer.Option("--by", help="staff id of who trains (tagged on the version it promotes)")] = "cli",
) -> None:
    """Train the re-ranker, evaluate against baselines, audit, register, promote if better."""
    from matcher.records.store import Store

    settings = _settings()
    try:
        found = _oracle(settings, oracle)  # a wrong --oracle fails before the encoder loads
        inputs = _inputs(settings, _encoder(settings), Store(settings.store_url), found)
        # MLflow prints to stdout now and then; with --json stdout carries exactly one object.
        result = _run_training(settings, inputs, by)
    except (MatcherError, OSError, ValueError) as exc:
        _fail(str(exc))
    verdict = "promoted to @champion" if result.promoted else "not promoted"
    _report(
        result,
        as_json,
        [f"model version {result.model_version} (run {result.run_id}): {verdict}", "; ".join(result.decision)],
    )


def evaluate(
    a: Annotated[str, typer.Option("--a", help="alias or version number")] = "champion",
    b: Annotated[str, typer.Option("--b", help="alias or version number")] = "challenger",
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON result")] = False,
    oracle: Annotated[Path | None, typer.Option(help=_ORACLE_HELP)] = None,
) -> None:
    """Compare two registered re-ranker versions (and the baselines) on the test window."""
    from matcher.records.store import Store
    from training.pipeline import compare
    from training.tracking import Registry

    settings = _settings()
    try:
        found = _oracle(settings, oracle)  # a wrong --oracle fails before the encoder loads
        inputs = _inputs(settings, _encoder(settings), Store(settings.store_url), found)
        with _mlflow_quiet():
            report = compare(inputs, Registry.of(settings), a, b)
    except (MatcherError, OSError, ValueError) as exc:
        _fail(str(exc))
    versions = f"--a {a} = version {report.a.version}, --b {b} = version {report.b.version}"
    _report(report, as_json, [f"{versions}; better on NDCG@10: {report.better}"])


def demo(
    candidates: Annotated[int, typer.Option(help="job seekers in a newly generated world")] = 12000,
    vacancies: Annotated[int, typer.Option(help="open vacancies in a newly generated world")] = 3000,
    seed: Annotated[int, typer.Option(help="random seed of a newly generated world")] = 42,
) -> None:
    """The whole pipeline on the demo world: generate (if missing), ingest, index, train, and named
    demo people (one per role, a caseworker per team; tokens of each role's first in demo_tokens.json)."""
    from api.demo import ensure_demo_people
    from data.generate import WorldConfig
    from data.ingest import ingest_folder
    from matcher.ranking.snapshot import build_indexes
    from matcher.records.reference import ReferenceData
    from matcher.records.store import Store
    from matcher.schema import upgrade

    settings = _settings()
    world = settings.home / "world"
    try:
        upgrade(settings.store_url)  # the demo brings an older home's store up to date by itself
        reference, store = ReferenceData(), Store(settings.store_url)
        _demo_world(world, WorldConfig(candidates=candidates, vacancies=vacancies, seed=seed))
        _progress("[2/5] ingesting ...")
        report = ingest_folder(world, store, reference, settings.home / "rejects", progress=True)
        _progress(report.describe())
        _progress("[3/5] building the indexes ...")
        encoder = _encoder(settings)
        build_indexes(store, encoder, reference, settings.index_dir, progress=True)
        _progress("[4/5] training the re-ranker ...")
        result = _run_training(settings, _inputs(settings, encoder, store, _oracle(settings, world)), "demo")
    except (MatcherError, OSError, ValueError) as exc:
        _fail(str(exc))
    verdict = "promoted to @champion" if result.promoted else "not promoted (the champion stays)"
    _report(result, False, [f"model version {result.model_version}: {verdict}"])
    made = ensure_demo_people(settings, store)
    said = "named demo people created" if made else "named demo people kept"
    typer.echo(f"[5/5] {said}; tokens of each role's first person: {settings.demo_tokens_file.resolve()}")


def _demo_world(world: Path, config: WorldConfig) -> None:
    """Generate the demo world unless it is there (then add the measure catalogue if it lacks it)."""
    from data.generate import generate_world
    from data.generate.measures import write_measures

    if not (world / "oracle_utilities.csv").is_file():
        _progress(f"[1/5] generating the demo world into {world} ...")
        generate_world(world, config)
        return
    _progress(f"[1/5] demo world found in {world}")
    if not (world / "massnahmen.jsonl").is_file():  # generated before the measure catalogue
        write_measures(world, config)


def _run_training(settings: Settings, inputs: TrainingInputs, actor: str = "cli") -> TrainingResult:
    """The training pipeline on the settings' MLflow registry; ``actor``: who runs it."""
    from training.pipeline import run
    from training.tracking import Registry

    with _mlflow_quiet():
        return run(inputs, Registry.of(settings, actor))
