"""The ``matcher`` command line: the composition root.

It lives in ``training`` because it wires everything together: ``data`` (ingestion, demo world),
``training`` (pipelines) and ``api`` (``serve``) onto the core; nothing imports it, and the core
imports none of them (``tests/test_architecture.py``). Heavy imports stay inside the commands, so
``matcher --help`` is quick.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matcher.errors import MatcherError
from matcher.services.measures import stored_measures
from matcher.settings import Settings
from training.cli_users import users_app

if TYPE_CHECKING:
    from api.settings import ServiceSettings
    from matcher.ranking.encoder import Encoder
    from matcher.ranking.engine import Engine
    from matcher.ranking.shortlist import Shortlist

app = typer.Typer(
    help="Job-matching engine of Jobcenter Kaiserslautern.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _settings() -> ServiceSettings:
    """The settings from the environment (the service's: ``serve`` and ``demo`` need them too);
    warns on stderr about home files open to other users."""
    from api.settings import ServiceSettings
    from matcher.records.private import wide_modes

    settings = ServiceSettings()
    for warning in wide_modes(settings.private_paths()):
        typer.echo(warning, err=True)
    return settings


def _encoder(settings: Settings) -> Encoder:
    """The configured encoder: ``MATCHER_ENCODER`` if set, else the German default, which is
    built into ``settings.encoder_dir`` on first use (the core never imports ``training``)."""
    from matcher.ranking.encoder import default_encoder_path, is_model_dir, load_default_encoder

    if not settings.encoder and not is_model_dir(default_encoder_path(settings.encoder_dir)):
        typer.echo("building the default German encoder (first use, about a minute) ...", err=True)
        _build_encoder(settings, default_encoder_path(settings.encoder_dir))
    return load_default_encoder(settings.encoder, settings.encoder_dir)


def _build_encoder(settings: Settings, out: Path, epochs: int | None = None) -> dict[str, object]:
    """Build the default encoder and log it to the settings' MLflow store."""
    from matcher.records.private import private_dir
    from training.encoder import EncoderBuildConfig, build_default_encoder

    config = EncoderBuildConfig(tracking_uri=settings.tracking_uri, artifact_location=settings.artifact_dir.as_uri())
    if epochs is not None:
        config = EncoderBuildConfig(**{**config.__dict__, "epochs": epochs})
    private_dir(settings.home)
    result = build_default_encoder(out, config)
    return {
        "path": str(result.path),
        "seconds": result.seconds,
        "run_id": result.run_id,
        "metrics": {k: round(v, 4) for k, v in result.metrics.items()},
    }


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
        candidates=candidates,
        vacancies=vacancies,
        seed=seed,
        duplicates=duplicates,
        broken_rows=broken_rows,
        bias=bias,
    )
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
    from matcher.records.reference import ReferenceData
    from matcher.records.store import Store
    from matcher.services.occupations import OccupationSuggester

    settings = _settings()
    try:
        reference = ReferenceData()
        report = ingest_folder(
            folder,
            Store(settings.store_url),
            reference,
            settings.home / "rejects",
            progress=not as_json,
            suggester=OccupationSuggester(reference, _encoder_if_built(settings), cache_dir=settings.cache_dir),
        )
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        typer.echo(report.describe())


def _encoder_if_built(settings: Settings) -> Encoder | None:
    """The configured encoder where one is there; None (TF-IDF proposals only) rather than a build."""
    from matcher.ranking.encoder import default_encoder_path, is_model_dir

    if not settings.encoder and not is_model_dir(default_encoder_path(settings.encoder_dir)):
        return None
    return _encoder(settings)


@app.command("suggest-occupation")
def suggest_occupation(
    text: Annotated[str, typer.Argument(help="free German job title, e.g. 'Staplerfahrer Nachtschicht'")],
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="how many codes")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print the API's JSON answer")] = False,
) -> None:
    """KldB 2010 codes and ESCO occupations for a free job title, best first."""
    from matcher.records.reference import ReferenceData
    from matcher.services.occupations import OccupationSuggester

    if not text.strip() or len(text) > 200:
        _fail("the title must be 1 to 200 characters")
    try:
        settings = _settings()
        suggester = OccupationSuggester(ReferenceData(), _encoder(settings), cache_dir=settings.cache_dir)
        items = suggester.suggest(text.strip(), k)
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        keys = ("kldb", "title_de", "esco_uri", "esco_title_de", "score")
        typer.echo(json.dumps({"items": [{key: getattr(i, key) for key in keys} for i in items]}, ensure_ascii=False))
        return
    for i in items:
        typer.echo(f"{i.kldb}  {i.score:.3f}  {i.title_de}")
        if i.esco_uri:
            typer.echo(f"       ESCO: {i.esco_title_de} <{i.esco_uri}>")


@app.command()
def embed(
    input: Annotated[Path, typer.Option("--input", help="UTF-8 text file, one text per line")],
    output: Annotated[Path, typer.Option("--output", help="output .npy (float32, L2-normalised)")],
) -> None:
    """Embed one text per line with the configured encoder: one float32 row per input line."""
    import numpy as np

    if not input.is_file():
        _fail(f"input file not found: {input}")
    try:
        texts = read_lines(input)
        vectors = _encoder(_settings()).encode(texts)
        output.parent.mkdir(parents=True, exist_ok=True)
        np.save(output, vectors)
    except (MatcherError, OSError, UnicodeDecodeError) as exc:
        _fail(str(exc))
    typer.echo(f"{len(texts)} texts -> {output} {vectors.shape} float32", err=True)


def read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 file; empty lines are texts too, a final newline ends the last line."""
    text = path.read_text(encoding="utf-8-sig")  # a BOM is no text
    if not text:
        return []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


@app.command("train-encoder")
def train_encoder(
    out: Annotated[Path | None, typer.Option(help="model folder; default: settings")] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="training epochs")] = None,
) -> None:
    """Build the default German encoder and log it to MLflow (params, German eval, model)."""
    from matcher.ranking.encoder import default_encoder_path

    settings = _settings()
    try:
        summary = _build_encoder(settings, out or default_encoder_path(settings.encoder_dir), epochs)
    except (MatcherError, OSError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps(summary, ensure_ascii=False))


@app.command()
def index(
    compact: Annotated[
        bool,
        typer.Option(
            "--compact", help="write a new snapshot from the current one and the change log since, without re-embedding"
        ),
    ] = False,
) -> None:
    """Build both FAISS indexes (open vacancies, candidates) from the store."""
    from matcher.ranking.snapshot import build_indexes, save_snapshot
    from matcher.records.reference import ReferenceData
    from matcher.records.store import Store
    from matcher.services.serving import open_engine

    settings = _settings()
    try:
        if compact:
            engine = open_engine(settings, scorer="similarity", encoder=_encoder(settings))
            summary = save_snapshot(engine, settings.index_dir)
        else:
            summary = build_indexes(
                Store(settings.store_url), _encoder(settings), ReferenceData(), settings.index_dir, progress=True
            )
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    for name, info in summary.items():
        took = "" if info.seconds is None else f"{info.seconds} s "
        typer.echo(
            f"{name}: {info.manifest.count} vectors, {info.manifest.kind} index, change log at "
            f"{info.manifest.applied_seq}, {took}-> {settings.index_dir / name}"
        )


@app.command()
def shortlist(
    candidate: Annotated[str | None, typer.Option("--candidate", help="candidate id")] = None,
    vacancy: Annotated[str | None, typer.Option("--vacancy", help="vacancy id")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=500, help="number of matches")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print the shortlist as JSON")] = False,
    scorer: Annotated[
        str,
        typer.Option(
            "--scorer", help="champion: the registry's @champion re-ranker; similarity: the embedding baseline"
        ),
    ] = "champion",
) -> None:
    """Top matches for a candidate (open vacancies) or a vacancy (candidates), with reasons.

    Ranks with the registry's @champion, like the API (built the same way); says which it used.
    """
    if (candidate is None) == (vacancy is None):
        _fail("give exactly one of --candidate ID or --vacancy ID")
    if scorer not in ("champion", "similarity"):
        _fail(f"--scorer must be champion or similarity, not {scorer!r}")
    settings = _settings()
    try:
        engine = _ranking_engine(settings, scorer)
        if candidate is not None:
            result = engine.shortlist_for_candidate(candidate, k)
        else:
            result = engine.shortlist_for_vacancy(str(vacancy), k)
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, default=str))
        return
    _print_shortlist(result)


def _ranking_engine(settings: Settings, scorer: str) -> Engine:
    """The serving engine with ``scorer`` (champion or similarity); fails without a champion."""
    from matcher.services.serving import open_engine

    with _mlflow_quiet():
        engine = open_engine(settings, scorer=scorer, encoder=_encoder(settings))  # type: ignore[arg-type]
    if engine.model is None:
        _fail(
            f"no @champion to rank with ({engine.problems.get('model')}); run `matcher train`, "
            "or use --scorer similarity"
        )
    return engine


def _print_shortlist(result: Shortlist) -> None:
    from matcher.ranking.shortlist import VacancyFacts

    typer.echo(
        f"{result.direction} {result.query_id}: {len(result.items)} of {result.eligible} "
        f"eligible ({result.considered} checked; ranked by {result.scorer}, "
        f"{result.index.kind} index built {result.index.built_at})"
    )
    for item in result.items:
        f = item.facts
        title = (f.title if isinstance(f, VacancyFacts) else "") or f.occupation
        where = f.place if f.distance_km is None else f"{f.place} ({f.distance_km} km)"
        chance = "   -  " if item.probability is None else f"{item.probability:6.1%}"
        typer.echo(
            f"{item.rank:>3}. {item.id:<14} {item.score:6.3f} {chance}  {title[:48]:<48} {where}, "
            f"{f.level}, {f.working_time}"
        )
        if item.reasons:
            typer.echo("       " + "; ".join(item.reasons))
    excluded = {name: n for name, n in result.excluded.items() if n}
    if excluded:
        typer.echo("excluded: " + ", ".join(f"{name} {n}" for name, n in excluded.items()))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")


@app.command()
def opportunities(
    candidate: Annotated[str, typer.Option("--candidate", help="candidate id")],
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON (the API's shape)")] = False,
) -> None:
    """Which single change (licence, permit, German, skill, level, commute, working time) would open
    how many more fitting vacancies for a job seeker, with the measures that teach it."""
    from matcher.services.measures import MeasureCatalogue
    from matcher.services.opportunities import find_opportunities
    from matcher.services.serving import open_engine

    settings = _settings()
    try:
        with _mlflow_quiet():
            engine = open_engine(settings, encoder=_encoder(settings))
        if engine.model is None:
            _fail(f"no @champion to score with ({engine.problems.get('model')}); run `matcher train`")
        catalogue = MeasureCatalogue.build(stored_measures(engine.store), engine.gazetteer)
        result = find_opportunities(engine, candidate, catalogue)
    except (MatcherError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    typer.echo(
        f"{result.candidate_id} am {result.as_of:%d.%m.%Y}: {result.eligible} Stellen bestehen die Filter, "
        f"{result.fitting} passen; {len(result.tried)} Änderungen geprüft, {len(result.items)} öffnen Stellen"
    )
    for item in result.items:
        gain = "" if item.score_gain is None else f" (Top-10-Score {item.score_gain:+.2f})"
        typer.echo(f"- {item.label_de}{gain}; z. B. {', '.join(item.example_vacancy_ids)}")
        for m in item.measures:
            typer.echo(f"    {m['title']}, {m['provider']}, {m['place']}, ab {m['next_start']} ({m['funding']})")


@app.command("region-report")
def region_report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("region-report.html"),
) -> None:
    """The region's shortages, what each measure type would open, and the fairness table (one HTML file)."""
    from datetime import date

    from matcher.records.reference import ReferenceData
    from matcher.records.store import Store
    from training.region_report import build_report, render_html

    settings = _settings()
    try:
        report = build_report(Store(settings.store_url), ReferenceData(), date.today(), progress=True)
        out.write_text(render_html(report), encoding="utf-8")
    except (MatcherError, OSError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(json.dumps({"report": str(out), **report.headline()}, ensure_ascii=False, default=str))


@app.command("batch-match")
def batch_match(
    direction: Annotated[str, typer.Option(help="vacancies (for every job seeker), candidates, or both")] = "both",
    k: Annotated[int, typer.Option("--k", min=1, max=200, help="items per job seeker or vacancy")] = 20,
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="Ray cluster; default: local")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", help="finish or repeat this run")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the run's summary as JSON")] = False,
) -> None:
    """Nightly matching: the top-k of everyone with the @champion, sharded on Ray, into the store."""
    from matcher.services.batch import BatchConfig, run_batch

    if direction not in ("vacancies", "candidates", "both"):
        _fail(f"--direction must be vacancies, candidates or both, not {direction}")
    config = BatchConfig(direction=direction, k=k, run_id=run_id)  # type: ignore[arg-type]
    try:
        summary = run_batch(_settings(), config, ray_address)
    except MatcherError as exc:
        _fail(str(exc))
    out = summary.to_json()
    typer.echo(json.dumps(out) if as_json else "  ".join(f"{key}={value}" for key, value in out.items()))


def _progress(message: str) -> None:
    typer.echo(message, err=True)


@contextmanager
def _mlflow_quiet() -> Iterator[None]:
    """MLflow's chatter goes to stderr (stdout may carry JSON); its errors become one line."""
    from mlflow.exceptions import MlflowException

    try:
        with redirect_stdout(sys.stderr):
            yield
    except MlflowException as exc:
        raise MatcherError(f"MLflow: {exc.message}") from exc


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info or debug; warning drops the request lines")
    ] = "info",
) -> None:
    """The HTTP API (FastAPI on uvicorn; OpenAPI at /docs), JSON logs on stdout. Settings from the environment."""
    from api.app import run_server
    from matcher.records.store import Store

    if log_level.lower() not in ("critical", "error", "warning", "info", "debug"):
        _fail(f"--log-level {log_level!r}: use critical, error, warning, info or debug")
    try:  # an older schema is refused here, in one line, before any worker starts
        Store(_settings().store_url).close()
    except MatcherError as exc:
        _fail(str(exc))
    run_server(host, port, workers, log_level.lower())


from training.cli_audit import audit_app, erase  # noqa: E402  (they use _fail and _settings above)
from training.cli_ops import backup, db_app, restore  # noqa: E402  (they use _fail and _settings above)
from training.cli_training import demo, evaluate, train  # noqa: E402  (they use _fail and _settings above)

app.command()(train)
app.command()(evaluate)
app.command()(demo)
app.command()(serve)
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.command()(erase)

app.add_typer(db_app, name="db")
app.command()(backup)
app.command()(restore)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
