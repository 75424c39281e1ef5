"""Fuzzing the whole OpenAPI surface with schemathesis: no input may make the service answer 5xx.

The schema is the one the served app publishes (``/openapi.json``), over a private copy of the
test world with engine, indexes and model loaded. Every operation gets generated requests:
schema-valid ones and schema-violating ones with an admin token (all permissions, so requests get
past authentication into the handlers), schema-valid ones with the ids of a stored job seeker and
vacancy in the path (so shortlists, reads and upserts reach the engine), and a few with no token.
Each response goes through schemathesis' ``not_a_server_error`` check. Every 5xx is collected
(with the traceback of the exception behind it, when there was one) and reported together.

Bounded: a fixed number of examples per operation and round, derandomised (the same requests on
every run), no shrinking, no example database. ``MATCHER_FUZZ_SCALE=4`` multiplies the examples
for a deeper run by hand (and ``MATCHER_FUZZ_SEED`` picks other requests than the fixed ones).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.python import asgi as schemathesis_asgi

from api.app import create_app
from api.security import Role
from tests.api.conftest import Ids, World

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Round:
    """One pass over the operations: how requests are generated and how many per operation."""

    name: str
    mode: GenerationMode
    examples: int
    token: bool = True
    known_ids: bool = False
    """Path ids of a stored job seeker and vacancy (operations without such ids are left out)."""
    overlay: bool = False
    """Bodies are a valid record with some of its fields replaced by generated ones."""
    methods: frozenset[str] = frozenset({"GET", "PUT", "POST", "DELETE"})


ROUNDS = (
    Round("schema-valid", GenerationMode.POSITIVE, 30),
    Round("schema-violating", GenerationMode.NEGATIVE, 15),
    Round(
        "stored ids, mostly valid bodies",
        GenerationMode.POSITIVE,
        25,
        known_ids=True,
        overlay=True,
        methods=frozenset({"GET", "PUT", "POST"}),
    ),
    Round("new records, mostly valid", GenerationMode.POSITIVE, 25, overlay=True, methods=frozenset({"PUT", "POST"})),
    Round("no token", GenerationMode.POSITIVE, 5, token=False),
    Round("deletes of stored ids", GenerationMode.POSITIVE, 2, known_ids=True, methods=frozenset({"DELETE"})),
)
SCALE = float(os.environ.get("MATCHER_FUZZ_SCALE", "1"))
SEED = os.environ.get("MATCHER_FUZZ_SEED")
PROJECT_CODE = ("/api/", "/matcher/", "/data/", "/training/")


class Served:
    """The app as schemathesis calls it: the TestClient runs the real lifespan (the service), this
    wrapper answers schemathesis' own lifespan messages and keeps the app's exceptions (Starlette
    has already answered 500 when one escapes) instead of raising them into schemathesis."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.errors: list[BaseException] = []

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # the response (500) has been sent; keep the cause for the report
            self.errors.append(exc)


@dataclass
class Findings:
    """Server errors by (operation, status, exception), with the first request that caused each."""

    first: dict[tuple[str, int, str], str] = field(default_factory=dict)
    count: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    requests: int = 0

    def report(self) -> str:
        lines = [
            f"{n} x {label} -> {status} {cause}\n{self.first[(label, status, cause)]}"
            for (label, status, cause), n in self.count.most_common()
        ]
        return "\n\n".join(lines)


def _where(exc: BaseException) -> str:
    """The exception and the innermost frames of project code it passed through."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if any(p in f.filename for p in PROJECT_CODE)]
    shown = "".join(traceback.format_list(frames[-3:])) if frames else "(no project frame)\n"
    return f"{shown}{type(exc).__name__}: {str(exc)[:300]}"


def _describe(case: Any) -> str:
    body = getattr(case, "body", None)
    body_text = "" if body is None or type(body).__name__ == "NotSet" else f" body={str(body)[:400]}"
    return f"{case.method} {case.formatted_path} query={case.query} headers={list(case.headers or {})}{body_text}"


def _exercise(served: Served, case: Any, findings: Findings) -> None:
    served.errors.clear()
    findings.requests += 1
    label = case.operation.label
    try:
        response = case.call()
    except Exception as exc:  # the request could not be sent at all (e.g. a header requests refuses)
        findings.statuses[(label, -1)] += 1
        if served.errors:  # ... but if the app raised, that is a server error all the same
            cause = type(served.errors[0]).__name__
            findings.count[(label, 500, cause)] += 1
            findings.first.setdefault((label, 500, cause), f"{_describe(case)}\n{_where(served.errors[0])}")
        del exc
        return
    findings.statuses[(label, response.status_code)] += 1
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except FailureGroup:  # a 5xx
        cause = type(served.errors[0]).__name__ if served.errors else "no exception"
        key = (label, response.status_code, cause)
        findings.count[key] += 1
        if key not in findings.first:
            detail = _where(served.errors[0]) if served.errors else f"response: {response.text[:300]}"
            findings.first[key] = f"{_describe(case)}\n{detail}"


def _valid_bodies(ids: Ids) -> dict[str, Any]:
    """A valid body per operation (by label) that generated fields are laid over."""
    profile_fields = (
        "ags",
        "postcode",
        "occupations",
        "skills",
        "level",
        "school",
        "vocational",
        "experience_years",
        "german_level",
        "languages",
        "licences",
        "permits",
        "has_car",
        "max_commute_minutes",
        "max_commute_km",
        "working_time",
        "hours_per_week",
        "shifts",
        "weekends",
        "profile_text",
    )
    profile = {k: ids.candidate_record[k] for k in profile_fields if ids.candidate_record.get(k) is not None}
    pair = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}
    return {
        "PUT /v1/candidates/{candidate_id}": ids.candidate_record,
        "PUT /v1/vacancies/{vacancy_id}": ids.vacancy_record,
        "POST /v1/match/vacancies": {"profile": profile},
        "POST /v1/score": {"pairs": [pair]},
        "POST /v1/outcomes": {**pair, "proposed_at": "2026-03-02", "outcome": "interview"},
        "POST /v1/candidates/{candidate_id}/opportunities": {"as_of": "2026-03-02"},
    }


def _overlay(base: dict[str, Any], generated: Any, keep: Iterator[bool]) -> Any:
    """``base`` with the generated value of some of the generated fields (``keep`` says which)."""
    if not isinstance(generated, dict):
        return generated
    merged = dict(base)
    for name, value in sorted(generated.items()):
        if isinstance(base.get(name), dict) and isinstance(value, dict):
            merged[name] = _overlay(base[name], value, keep)
        elif next(keep):
            merged[name] = value
    return merged


# Dates at the ends of what ISO 8601 allows: the schema's "format: date" rarely draws them, and
# 9999-12-31 made the measures' date arithmetic overflow (a 500) until dates were bounded.
FAR_DATES = ("0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _far(value: Any, day: str) -> Any:
    """``value`` with every ISO date in it (at any depth) replaced by ``day``."""
    if isinstance(value, dict):
        return {k: _far(v, day) for k, v in value.items()}
    if isinstance(value, list):
        return [_far(v, day) for v in value]
    return day if isinstance(value, str) and _ISO_DAY.match(value) else value


def _overlaid(strategy: Any, base: dict[str, Any], new_record: bool) -> Any:
    if new_record:  # the id comes from the (generated) path
        base = {k: v for k, v in base.items() if k != "id"}

    def lay_over(drawn: tuple[Any, list[bool], str | None]) -> Any:
        case, keep, far = drawn
        if type(case.body).__name__ != "NotSet":
            case.body = _overlay(base, case.body, itertools.cycle(keep))
            if far is not None:
                case.body = _far(case.body, far)
        if far is not None and case.query:
            case.query = _far(dict(case.query), far)
        return case

    # Mostly keep the valid value: each generated field replaces it with probability 1/4; one body
    # in four has its dates moved far away.
    keep = st.lists(st.integers(0, 3).map(lambda x: x == 0), min_size=8, max_size=8)
    far = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(FAR_DATES))
    return st.tuples(strategy, keep, far).map(lay_over)


def _explore(strategy: Any, examples: int, run: Callable[[Any], None]) -> None:
    @settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,
        derandomize=SEED is None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=strategy)
    def explore(case: Any) -> None:
        run(case)

    if SEED is not None:
        explore = hypothesis.seed(int(SEED))(explore)

    # Unsatisfiable: nothing to violate (e.g. a negative case of an operation without inputs).
    with contextlib.suppress(Unsatisfiable):
        explore()


@pytest.fixture
def served(fresh_world: World) -> Iterator[Served]:
    app = create_app(fresh_world.settings)
    with TestClient(app):  # lifespan: store, encoder, indexes and the @champion are loaded
        assert app.state.service.ready, app.state.service.problems
        yield Served(app)
    # schemathesis keeps the wrapper's (empty) lifespan, and so the app, until the process ends.
    schemathesis_asgi.shutdown_lifespans()


def test_no_input_makes_a_server_error(served: Served, fresh_world: World, ids: Ids) -> None:
    started = time.perf_counter()
    schema = schemathesis.openapi.from_asgi("/openapi.json", served)
    admin = fresh_world.auth(Role.ADMIN)
    known = {"candidate_id": ids.candidate, "vacancy_id": ids.vacancy}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    findings = Findings()
    bodies = _valid_bodies(ids)
    for round_ in ROUNDS:
        headers = admin if round_.token else None
        for operation in operations:
            names = {p.name for p in operation.path_parameters}
            if operation.method.upper() not in round_.methods or (round_.known_ids and not names & known.keys()):
                continue
            path_parameters = {k: v for k, v in known.items() if k in names} if round_.known_ids else None
            strategy = operation.as_strategy(
                generation_mode=round_.mode, headers=headers, path_parameters=path_parameters
            )
            if round_.overlay:
                if operation.label not in bodies and not round_.known_ids:
                    continue
                if operation.label in bodies:
                    strategy = _overlaid(strategy, bodies[operation.label], new_record=not round_.known_ids)
            _explore(strategy, round_.examples, lambda case: _exercise(served, case, findings))
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{label} {status}: {n}" for (label, status), n in sorted(findings.statuses.items()))
    print(f"\nfuzzed {len(operations)} operations with {findings.requests} requests in {elapsed:.1f} s\n{summary}")
    assert not findings.count, f"server errors:\n\n{findings.report()}"
