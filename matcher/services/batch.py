"""Nightly matching: the top-k shortlist of every job seeker and every open vacancy, on Ray.

The same engine code as the API, not a copy: each Ray task opens the engine from the home with
:func:`matcher.services.serving.open_engine` (the ``@champion``, followed through the change log) and calls
``Engine.shortlist_for_candidate`` / ``shortlist_for_vacancy`` with the online shortlist's default
filters at the run's reference date. For vacancies that is the employer service's view
(distances from the job seeker's municipality, as its cards show), since its new matches are for
the employer service.

A run is sharded by query id; each shard is one Ray task, retried by Ray when its worker dies
(``max_retries``) or it raises, and written in one transaction that replaces any earlier
attempt's rows (:mod:`matcher.services.batch_runs`). The run becomes visible when it commits, after every
shard; an exception before leaves it aborted and invisible, and the same run id finishes it.

``ray`` is imported inside the functions that need it, so importing this module stays cheap.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from matcher.errors import InsufficientProfileError, MatcherError, UnknownCandidateError, UnknownVacancyError
from matcher.ranking.engine import Engine
from matcher.ranking.explain import reason_data
from matcher.ranking.filters import FilterOptions
from matcher.ranking.shortlist import Direction, Shortlist, ShortlistItem
from matcher.records.clock import utc_stamp
from matcher.records.models import Candidate, Vacancy
from matcher.services.batch_runs import DIRECTIONS, BatchRuns, ResultRow, RunDirection, RunInfo, ShardPlan, plan_shards
from matcher.settings import Settings

ShardHook = Callable[[ShardPlan, int], None]  # called with the plan and attempt number (tests)


class BatchRunError(MatcherError):
    """A run could not finish (a shard failed after its retries, or the run id is taken)."""


@dataclass(frozen=True)
class BatchConfig:
    """What one run computes and how it is cut.

    Attributes:
        direction: "vacancies" (for every job seeker), "candidates" (for every open vacancy), both.
        k: items per query.
        shard_size: queries per Ray task.
        max_retries: Ray retries of a shard whose worker died or that raised.
        as_of: the reference date of filters and features (default: today).
        run_id: the run's id (default: time-stamped); the same id finishes or repeats a run.
        sample: only the first this many query ids per direction (benchmarks); None: all.
    """

    direction: RunDirection = "both"
    k: int = 20
    shard_size: int = 500
    max_retries: int = 3
    as_of: date | None = None
    run_id: str | None = None
    sample: int | None = None


@dataclass(frozen=True)
class BatchSummary:
    """What ``matcher batch-match --json`` prints."""

    run_id: str
    people: int
    vacancies: int
    pairs: int
    seconds: float
    shards: int
    retried: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def batch_filters(direction: Direction, as_of: date, defaults: FilterOptions) -> FilterOptions:
    """The online default filters of a direction at the run's date (see the module docstring)."""
    if direction == "candidates_for_vacancy":
        return defaults.override(today=as_of, coarse_places=True)
    return defaults.override(today=as_of)


def shortlist(engine: Engine, direction: Direction, query_id: str, k: int, as_of: date) -> Shortlist:
    """One query's shortlist as the run computes it (and the online endpoint answers it)."""
    options = batch_filters(direction, as_of, engine.config.filters)
    if direction == "vacancies_for_candidate":
        return engine.shortlist_for_candidate(query_id, k, options)
    return engine.shortlist_for_vacancy(query_id, k, options)


def shard_rows(engine: Engine, plan: ShardPlan, k: int, as_of: date) -> list[ResultRow]:
    """Every query's top-k of one shard; a query gone since the plan or too thin is skipped."""
    rows: list[ResultRow] = []
    for query_id in plan.query_ids:
        try:
            result = shortlist(engine, plan.direction, query_id, k, as_of)
            query: Candidate | Vacancy = (
                engine.candidate(query_id) if plan.direction == "vacancies_for_candidate" else engine.vacancy(query_id)
            )
        except (UnknownCandidateError, UnknownVacancyError, InsufficientProfileError):
            continue
        rows += [
            ResultRow(query_id, i.rank, i.id, i.score, reasons_as_data(query, result.records[i.id], i))
            for i in result.items
        ]
    return rows


def reasons_as_data(query: Candidate | Vacancy, other: Candidate | Vacancy, item: ShortlistItem) -> list[Any]:
    """An item's reasons as data (family and values, :func:`matcher.ranking.explain.reason_data`), so that
    the presentation decides what each role reads; none where the families are not known."""
    c, v = (query, other) if isinstance(query, Candidate) else (other, query)
    if item.details is None or len(item.details.effects) != len(item.reasons):
        return []
    assert isinstance(c, Candidate) and isinstance(v, Vacancy)
    families = list(item.details.effects)
    return [reason_data(f, text, c, v, item.details.facts) for f, text in zip(families, item.reasons, strict=True)]


# One engine per worker process and home: a Ray worker runs many shards, and opening the engine
# (encoder, both indexes, the champion) costs seconds; it follows the change log before each shard.
_ENGINES: dict[str, Engine] = {}


def _worker_engine(settings: Settings) -> Engine:
    key = str(settings.home)
    engine = _ENGINES.get(key)
    if engine is None:
        import faiss

        from matcher.services.serving import open_engine

        faiss.omp_set_num_threads(1)  # one CPU per task: Ray runs one task per core
        engine = _ENGINES[key] = open_engine(settings)
    engine.sync()
    return engine


def run_shard(settings: Settings, run: RunInfo, plan: ShardPlan, hook: ShardHook | None = None) -> int:
    """Compute and store one shard (the body of a Ray task); the pairs written.

    Raises:
        BatchRunError: the engine serves another model than the run started with.
    """
    from matcher.records.store import Store

    store = Store(settings.store_url)
    try:
        runs = BatchRuns(store)
        attempt = runs.attempt(plan)
        if hook is not None:
            hook(plan, attempt)
        engine = _worker_engine(settings)
        version = engine.model.version if engine.model is not None else None
        if version != run.model_version:
            raise BatchRunError(f"run {run.run_id} started with model {run.model_version}, now {version}")
        rows = shard_rows(engine, plan, run.k, run.as_of)
        runs.write_shard(plan, rows)
        return len(rows)
    finally:
        store.close()


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[None]:
    """Ray for the run: the given cluster, an instance already started in this process, or a
    local one sized to the machine (no dashboard; shut down afterwards)."""
    import ray

    if ray.is_initialized():
        yield
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the machine
    if address is not None:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _start(settings: Settings, config: BatchConfig) -> tuple[RunInfo, BatchRuns]:
    """The run to work on: a new one (engine opened here for the ids and versions), or the
    unfinished run of the same id."""
    from matcher.records.store import Store
    from matcher.services.serving import open_engine

    runs = BatchRuns(Store(settings.store_url))
    run_id = config.run_id or datetime.now(UTC).strftime("run-%Y%m%dT%H%M%S%fZ")
    found = runs.get(run_id)
    if found is not None:
        if (found.direction, found.k) != (config.direction, config.k):
            raise BatchRunError(f"run {run_id} exists with direction {found.direction} and k {found.k}")
        return found, runs
    engine = open_engine(settings, store=runs.store)
    if engine.model is None:
        raise BatchRunError(f"no model to rank with: {engine.problems.get('model', 'none loaded')}")
    queries = {
        "vacancies_for_candidate": engine.candidates.index.ids(),
        "candidates_for_vacancy": engine.vacancies.index.ids(),
    }
    plans = [
        plan
        for direction in DIRECTIONS[config.direction]
        for plan in plan_shards(run_id, direction, sorted(queries[direction])[: config.sample], config.shard_size)
    ]
    versions = {name: v.__dict__ for name, v in engine.versions().items()}
    run = RunInfo(
        run_id,
        config.direction,
        config.k,
        config.as_of or date.today(),
        engine.model.version,
        versions,
        "running",
        utc_stamp(),
    )
    runs.begin(run, plans)
    return run, runs


def _counts(runs: BatchRuns, run: RunInfo, seconds: float) -> BatchSummary:
    from sqlalchemy import func, select

    from matcher.services.batch_runs import batch_shards_table as t

    stmt = (
        select(t.c.direction, func.count(), func.coalesce(func.sum(t.c.pairs), 0))
        .where(t.c.run_id == run.run_id)
        .group_by(t.c.direction)
    )
    with runs.store.engine.connect() as conn:
        per = {d: (int(n), int(p)) for d, n, p in conn.execute(stmt)}
    ids = run.counts.get("queries") or {}
    return BatchSummary(
        run.run_id,
        int(ids.get("vacancies_for_candidate", 0)),
        int(ids.get("candidates_for_vacancy", 0)),
        sum(p for _, p in per.values()),
        round(seconds, 2),
        sum(n for n, _ in per.values()),
        runs.retried(run.run_id),
    )


def run_batch(
    settings: Settings,
    config: BatchConfig = BatchConfig(),
    ray_address: str | None = None,
    num_cpus: int | None = None,
    hook: ShardHook | None = None,
) -> BatchSummary:
    """Compute, store and commit one run (or finish the unfinished run of ``config.run_id``).

    A run already committed under that id is left as it is and summarised.

    Raises:
        BatchRunError: a shard failed after its retries (the run stays invisible), or the run id
            is taken by a run of another direction or k.
    """
    started = time.perf_counter()
    settings = settings.model_copy(update={"home": settings.home.resolve()})  # workers may run elsewhere
    run, runs = _start(settings, config)
    try:
        if run.status != "committed":
            pending = runs.pending(run.run_id)
            if pending:
                _run_shards(settings, run, runs, pending, config.max_retries, ray_address, num_cpus, hook)
            queries = _queries(runs, run.run_id)
            run = RunInfo(**{**run.__dict__, "counts": {"queries": queries}})
            runs.commit(run.run_id, {"queries": queries})
        return _counts(runs, run, time.perf_counter() - started)
    finally:
        runs.store.close()


def _run_shards(
    settings: Settings,
    run: RunInfo,
    runs: BatchRuns,
    pending: Sequence[ShardPlan],
    max_retries: int,
    ray_address: str | None,
    num_cpus: int | None,
    hook: ShardHook | None,
) -> None:
    """Every pending shard as a Ray task; on a failure after the retries the run is aborted."""
    import ray

    with ray_session(ray_address, num_cpus):
        task = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=True)(run_shard)
        try:
            ray.get([task.remote(settings, run, plan, hook) for plan in pending])  # type: ignore[call-arg]
        except (ray.exceptions.RayError, MatcherError) as exc:
            runs.abort(run.run_id)
            raise BatchRunError(f"run {run.run_id} aborted, nothing visible: {exc}") from exc


def _queries(runs: BatchRuns, run_id: str) -> dict[str, int]:
    """Queries planned per direction (read before the commit clears the plans)."""
    from sqlalchemy import select

    from matcher.services.batch_runs import batch_shards_table as t

    stmt = select(t.c.direction, t.c.query_ids).where(t.c.run_id == run_id)
    out: dict[str, int] = {}
    with runs.store.engine.connect() as conn:
        for direction, ids in conn.execute(stmt):
            out[direction] = out.get(direction, 0) + len(ids)
    return out


def gone_reasons(
    engine: Engine, direction: Direction, query_id: str, gone: Sequence[str], as_of: date
) -> list[dict[str, str]]:
    """Why each item left a query's top-k: ``filled`` or ``withdrawn`` (the vacancy's status; a
    deleted vacancy counts as withdrawn), else ``filter``, with ``detail``: the first hard filter
    the pair fails now, or ``rank`` when it passes them all and others ranked higher."""
    from matcher.ranking.columns import CandidateTable, VacancyTable
    from matcher.ranking.filters import apply_filters
    from matcher.records.models import Candidate, Vacancy, VacancyStatus

    out: list[dict[str, str]] = []
    for item_id in gone:
        try:
            other: Candidate | Vacancy = (
                engine.vacancy(item_id) if direction == "vacancies_for_candidate" else engine.candidate(item_id)
            )
            query: Candidate | Vacancy = (
                engine.candidate(query_id) if direction == "vacancies_for_candidate" else engine.vacancy(query_id)
            )
        except (UnknownVacancyError, UnknownCandidateError):
            out.append({"id": item_id, "why": "withdrawn"})
            continue
        if isinstance(other, Vacancy) and other.status != VacancyStatus.OPEN:
            out.append({"id": item_id, "why": "filled" if other.status == VacancyStatus.FILLED else "withdrawn"})
            continue
        c, v = (query, other) if isinstance(other, Vacancy) else (other, query)
        assert isinstance(c, Candidate) and isinstance(v, Vacancy)
        tables = CandidateTable.build([c], engine.gazetteer), VacancyTable.build([v], engine.gazetteer)
        options = batch_filters(direction, as_of, engine.config.filters)
        result = apply_filters(*tables, options, as_of)
        failing = next((name for name, n in result.excluded.items() if n), "rank")
        out.append({"id": item_id, "why": "filter", "detail": failing})
    return out
