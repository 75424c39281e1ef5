"""Golden answers for restructuring: every API, page and CLI answer on a fixed set of requests, so
that a step that should change no behaviour can be compared byte for byte before and after.

    python -m training.bench.answers build HOME        # the API tests' world: 300/100, seed 7, trained
    python -m training.bench.answers record HOME OUT   # one file per request under OUT
    diff -r OUT_BEFORE OUT_AFTER

``record`` serves a copy of ``HOME`` (the original is never written), as every demo role, through
the real app in process: every GET route of the API and the web app with sample ids, the shortlist
posts in both directions with a few filter settings, and the CLI's shortlist, occupation and
opportunity commands. Values that differ on every run (times, CSRF tokens, session and request
ids, audit sequence numbers) are masked, so two records of the same code are identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<TIME>"),
    (re.compile(r"\d{1,2}\.\d{1,2}\.\d{4},? (um )?\d{1,2}:\d{2}( Uhr)?"), "<ZEIT>"),
    (re.compile(r"\b\d{1,2}:\d{2}( Uhr)\b"), "<UHR>"),
    (re.compile(r'(name="csrf_token" value=")[^"]+'), r"\1<CSRF>"),
    (re.compile(r'(csrf[_-]token"?\s*[:=]\s*"?)[A-Za-z0-9._\-]+'), r"\1<CSRF>"),
    (re.compile(r"\b1[6-9]\d{8}(\.\d+)?\b"), "<EPOCH>"),
    (re.compile(r'("(request_id|seq|entry|id_token|nonce|state)"\s*:\s*)("[^"]*"|\d+)'), r"\1<VOLATILE>"),
]
SHORTLIST_BODIES: list[dict[str, Any]] = [
    {},
    {"k": 5},
    {"k": 20, "filters": {"commute": False, "working_time": False, "licences": False}},
]
SUGGEST_TITLES = ["Koch", "Fachkraft Lagerlogistik", "Pflegehelferin", "bucătar", "Продавач", "طباخ"]


def _mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def build(home: Path) -> None:
    """The API tests' world (``tests/api/conftest.py``), with its build figures in ``build.json``."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.demo import issue_demo_tokens
    from api.settings import ServiceSettings
    from data.generate import WorldConfig, generate_world
    from data.generate.oracle import load_oracle
    from data.ingest import ingest_folder
    from matcher.ranking.encoder import Encoder, EncoderConfig
    from matcher.ranking.snapshot import build_indexes
    from matcher.records.reference import ReferenceData
    from matcher.records.store import Store
    from training.config import TrainingConfig
    from training.pipeline import TrainingInputs, run
    from training.tracking import Registry

    home.mkdir(parents=True, exist_ok=True)
    settings = ServiceSettings(home=home, MLFLOW_TRACKING_URI=f"sqlite:///{(home / 'mlflow.db').resolve()}")
    encoder = Encoder(EncoderConfig(name_or_path=str(_encoder_dir()), batch_size=256))
    generate_world(home / "world", WorldConfig(candidates=300, vacancies=100, seed=7))
    store = Store(settings.store_url)
    ingest_folder(home / "world", store, ReferenceData(), home / "rejects", progress=False)
    build_indexes(store, encoder, ReferenceData(), settings.index_dir)
    config = TrainingConfig(fairness_min_support=1_000_000, calibration_min_rows=50)
    oracle = load_oracle(home / "world" / "oracle_utilities.csv")
    result = run(TrainingInputs(config, encoder, store, home / "cache", oracle), Registry.of(settings))
    store.close()
    tokens = issue_demo_tokens(settings)
    with TestClient(create_app(settings)):
        pass  # creates the home's keys (pseudonyms, audit), so that every record sees the same
    figures = {
        "indexes": {p.name: _digest(p) for p in sorted(settings.index_dir.glob("*")) if p.is_file()},
        "training": json.loads(_mask(json.dumps(result.to_json(), sort_keys=True, default=str))),
    }
    (home / "build.json").write_text(json.dumps(figures, indent=1, sort_keys=True))
    (home / "tokens.json").write_text(json.dumps(tokens))


def _encoder_dir() -> Path:
    kept = os.environ.get("MATCHER_TEST_ENCODER_HOME")
    if not kept:
        raise SystemExit("set MATCHER_TEST_ENCODER_HOME to a home holding the default encoder")
    from matcher.ranking.encoder import default_encoder_path

    return default_encoder_path(Path(kept))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def record(home: Path, out: Path) -> int:
    """Every answer into ``out``; returns how many were written."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "home"
        shutil.copytree(home, copy, ignore=shutil.ignore_patterns("world", "cache", "rejects"))
        copy.chmod(0o700)
        out.mkdir(parents=True, exist_ok=True)
        written = 0
        for name, text in _answers(copy):
            (out / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:180] + ".txt")).write_text(_mask(text))
            written += 1
        return written


def _answers(home: Path) -> Iterator[tuple[str, str]]:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ServiceSettings

    settings = ServiceSettings(
        home=home, encoder=str(_encoder_dir()), MLFLOW_TRACKING_URI=f"sqlite:///{(home / 'mlflow.db').resolve()}"
    )
    tokens: dict[str, str] = json.loads((home / "tokens.json").read_text())
    ids = _ids(settings.store_url)
    with TestClient(create_app(settings)) as client:
        for role, token in sorted(tokens.items()):
            auth = {"Authorization": f"Bearer {token}"}
            yield from _api(client, role, auth, ids)
            yield from _pages(client, role, token, ids)
    yield from _cli(settings, ids)


def _ids(store_url: str) -> dict[str, list[str]]:
    from matcher.records.store import Store

    store = Store(store_url)
    try:
        candidates = [c.id for c in store.candidates(60) if c.skills][:3]
        vacancies = [v.id for v in store.vacancies(3, 0, "open")]
    finally:
        store.close()
    return {"candidate": candidates, "vacancy": vacancies}


SKIP = {"/app/login/oidc", "/app/login/callback", "/app/logout", "/metrics", "/v1/audit/verify"}
SAMPLES = {"candidate_id": "candidate", "vacancy_id": "vacancy", "id": "candidate"}


def _get_paths(app: Any, prefix: str, ids: dict[str, list[str]]) -> list[str]:
    from starlette.routing import Route

    from api.metrics import leaf_routes

    paths = []
    for route in leaf_routes(app.routes):
        if not isinstance(route, Route):
            continue
        if "GET" not in (route.methods or ()) or not route.path.startswith(prefix) or route.path in SKIP:
            continue
        path = route.path
        for name in route.param_convertors:
            if name not in SAMPLES:
                break
            path = path.replace(f"{{{name}}}", ids[SAMPLES[name]][0])
        else:
            paths.append(path)
    return sorted(set(paths))


def _api(client: Any, role: str, auth: dict[str, str], ids: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    for path in _get_paths(client.app, "/v1/", ids):
        if "audit" in path:
            continue
        answer = client.get(path, headers=auth)
        yield f"{role} GET {path}", f"{answer.status_code}\n{answer.text}"
    for n, title in enumerate(SUGGEST_TITLES):
        answer = client.get("/v1/occupations/suggest", params={"q": title}, headers=auth)
        yield f"{role} suggest {n}", f"{answer.status_code}\n{answer.text}"
    for i, body in enumerate(SHORTLIST_BODIES):
        for side, other in (("candidates", "vacancies"), ("vacancies", "candidates")):
            for n, record_id in enumerate(ids["candidate" if side == "candidates" else "vacancy"]):
                answer = client.post(f"/v1/{side}/{record_id}/{other}", json=body, headers=auth)
                yield f"{role} POST {side} {n} {other} body{i}", f"{answer.status_code}\n{answer.text}"


def _pages(client: Any, role: str, token: str, ids: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    from fastapi.testclient import TestClient

    browser = TestClient(client.app)
    login = browser.get("/app/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf, "no CSRF field on the sign-in page"
    browser.post("/app/login", data={"csrf_token": csrf.group(1), "token": token, "next": "/app/"})
    c, v = ids["candidate"][0], ids["vacancy"]
    extra = [f"/app/candidates/{c}/compare?v={v[0]}&v={v[1]}", "/app/occupations?q=Koch", "/app/candidates?q=LK"]
    for path in _get_paths(client.app, "/app/", ids) + extra:
        if "/models/runs/" in path:
            continue
        answer = browser.get(path, follow_redirects=False)
        yield f"{role} page {path}", f"{answer.status_code}\n{answer.text}"
    browser.close()


def _cli(settings: Any, ids: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    home = settings.home
    env = {
        **os.environ,
        "MATCHER_HOME": str(home),
        "MATCHER_ENCODER": str(settings.encoder),
        "MLFLOW_TRACKING_URI": f"sqlite:///{(home / 'mlflow.db').resolve()}",
    }
    commands = [
        ["shortlist", "--candidate", ids["candidate"][0]],
        ["shortlist", "--vacancy", ids["vacancy"][0]],
        ["opportunities", "--candidate", ids["candidate"][0]],
        ["suggest-occupation", "Fachkraft Lagerlogistik"],
    ]
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-c", "from training.cli import main; main()", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        stderr = "".join(line for line in done.stderr.splitlines(True) if "it/s]" not in line)  # MLflow's bars
        yield "cli " + " ".join(command), f"{done.returncode}\n{done.stdout}\n{stderr}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build").add_argument("home", type=Path)
    recording = sub.add_parser("record")
    recording.add_argument("home", type=Path)
    recording.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        build(args.home)
        print(f"built {args.home}")
    else:
        print(f"{record(args.home, args.out)} answers in {args.out}")


if __name__ == "__main__":
    main()
