"""Prometheus metrics at ``GET /metrics`` (admin bearer token), added up over all workers.

Events (requests, shortlist stages, audit appends) are counted in ``prometheus-client``'s
multiprocess mode: each worker writes its values to files in a per-server directory
(``PROMETHEUS_MULTIPROC_DIR``, made fresh by :func:`multiprocess_dir` when ``matcher serve`` starts),
and a scrape, whichever worker answers it, adds up every worker's files. State (model version,
index sizes, change-log lag, live web sessions) is read at scrape time by :class:`StateCollector`.

Labels are route templates, methods, statuses, stage and index names, and the model's registry
name and version: never an id of a person, never a raw path.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

if TYPE_CHECKING:  # the serving entry point imports this module before any worker: keep it light
    from api.service import Observers, Service

ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own switch, read by the library itself
# Request latencies: a shortlist takes 5-30 ms on the default world, a page up to a second.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# An audit append is an fsync: about a millisecond on a local disk, more on a network one.
_AUDIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def multiprocess() -> bool:
    """Whether values go to the shared files (a server started by :func:`multiprocess_dir`)."""
    return ENV in os.environ


@contextmanager
def multiprocess_dir() -> Iterator[Path]:
    """A fresh metrics directory for one server and its workers, set in the environment.

    An operator's ``PROMETHEUS_MULTIPROC_DIR`` is used and emptied of old values (they belong to
    a server that is gone); otherwise a temporary directory is made and removed at the end. Set
    before the workers start, so that each one writes its values there.
    """
    given = os.environ.get(ENV)
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="matcher-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    os.environ[ENV] = str(path)
    _reload_value_class()
    try:
        yield path
    finally:
        if not given:
            shutil.rmtree(path, ignore_errors=True)
            os.environ.pop(ENV, None)


def _reload_value_class() -> None:
    """prometheus-client picks where values live when it is first imported; pick again (a
    single-worker server runs in this very process, which may have imported it already)."""
    from prometheus_client import values

    values.ValueClass = values.get_value_class()


def sweep_dead_workers(path: str) -> None:
    """Drop the live gauges of workers that are gone (killed, restarted by uvicorn)."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = int(Path(name).stem.rsplit("_", 1)[1])
        if not _alive(pid):
            mark_process_dead(pid, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Metrics:
    """The service's metrics; ``observers()`` hands the timing hooks to :class:`api.service.Service`."""

    def __init__(self) -> None:
        # Multiprocess values are read back from the files, so the metrics stay out of any
        # registry; in one process (tests with TestClient) they live in this object's registry.
        self.registry = CollectorRegistry()
        own = None if multiprocess() else self.registry
        self.requests = Counter(
            "matcher_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=own
        )
        self.latency = Histogram(
            "matcher_http_request_duration_seconds",
            "time from request to answer",
            ["method", "route"],
            buckets=_REQUEST_BUCKETS,
            registry=own,
        )
        self.stages = Histogram(
            "matcher_shortlist_stage_seconds",
            "time per shortlist stage",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=own,
        )
        self.audit = Histogram(
            "matcher_audit_append_seconds", "time of a durable audit append", buckets=_AUDIT_BUCKETS, registry=own
        )
        self.applied = Gauge(
            "matcher_changelog_applied_seq",
            "change-log position applied by the slowest live worker",
            multiprocess_mode="livemin",
            registry=own,
        )
        if multiprocess():
            MultiProcessCollector(self.registry)

    def observers(self) -> Observers:
        from api.service import Observers

        return Observers(stage=self.observe_stage, audit_append=self.audit.observe)

    def observe_stage(self, stage: str, seconds: float) -> None:
        self.stages.labels(stage).observe(seconds)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def note_position(self, service: Service | None) -> None:
        """This worker's change-log position (an attribute read; the store is not asked)."""
        if service is not None and service.engine is not None:
            self.applied.set(service.engine.applied_seq)

    def exposition(self, service: Service, sessions: Callable[[], int] | None) -> bytes:
        """The text format of every worker's values plus the state seen by this one."""
        self.note_position(service)
        if multiprocess():
            sweep_dead_workers(os.environ[ENV])
        state = CollectorRegistry()
        state.register(StateCollector(service, self._min_applied, sessions))
        return generate_latest(self.registry) + generate_latest(state)

    def _min_applied(self) -> float | None:
        for metric in self.registry.collect():
            if metric.name == "matcher_changelog_applied_seq" and metric.samples:
                return min(s.value for s in metric.samples)
        return None

    def close(self) -> None:
        """This worker ends: its live gauge leaves the sums (counters stay)."""
        if multiprocess():
            mark_process_dead(os.getpid(), os.environ[ENV])


class StateCollector(Collector):
    """What the service holds now, read at scrape time: model, indexes, change log, sessions."""

    def __init__(
        self, service: Service, min_applied: Callable[[], float | None], sessions: Callable[[], int] | None
    ) -> None:
        self.service, self.min_applied, self.sessions = service, min_applied, sessions

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not run the queries of ``collect``

    def collect(self) -> Iterable[Metric]:
        yield from self._model()
        yield from self._indexes()
        yield from self._changelog()
        if self.sessions is not None:
            yield GaugeMetricFamily("matcher_web_sessions_active", "live web sessions", value=self.sessions())
        yield GaugeMetricFamily("matcher_scrape_timestamp_seconds", "when this scrape was answered", value=time.time())

    def _model(self) -> Iterator[Metric]:
        model = self.service.model
        if model is not None:
            labels = {"name": model.name, "version": model.version, "scorer": model.scorer}
            yield InfoMetricFamily("matcher_model", "the model that serves (registry name and version)", value=labels)

    def _indexes(self) -> Iterator[Metric]:
        engine = self.service.engine
        if engine is None:
            return
        sizes = GaugeMetricFamily("matcher_index_items", "items in an index (this worker)", labels=["index"])
        for name, version in engine.versions().items():
            sizes.add_metric([name], version.count)
        yield sizes

    def _changelog(self) -> Iterator[Metric]:
        seq = self.service.store.last_change()
        yield GaugeMetricFamily("matcher_changelog_seq", "the store's newest change-log entry", value=seq)
        applied = self.min_applied()
        if applied is not None:
            lag = max(0.0, seq - applied)
            yield GaugeMetricFamily(
                "matcher_changelog_lag", "entries not yet applied by the slowest live worker", value=lag
            )


def route_template(scope: Scope, routes: Iterable[BaseRoute]) -> str:
    """The route template of a request (``/v1/candidates/{candidate_id}``), never its raw path.

    The router puts the matched route in the scope; a request answered before routing (401,
    413) is matched here against ``routes`` (see :func:`leaf_routes`); one that no route knows
    is ``unmatched``.
    """
    route = scope.get("route")
    if route is None or not hasattr(route, "path"):
        route = _match(scope, routes)
    if route is None:
        return "unmatched"
    path = str(getattr(route, "path", "unmatched"))  # every route kind we mount has a path
    return path + "/{path}" if isinstance(route, Mount) else path


def leaf_routes(routes: Iterable[BaseRoute]) -> list[BaseRoute]:
    """The routes of a router with included routers opened up (FastAPI keeps each
    ``include_router`` as one route that holds the router; our routers are included without a
    prefix, and their routes carry their full paths)."""
    out: list[BaseRoute] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out.extend(leaf_routes(inner.routes) if inner is not None else [route])
    return out


def _match(scope: Scope, routes: Iterable[BaseRoute]) -> BaseRoute | None:
    """The route the router would pick: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match = route.matches(scope)[0]
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial
