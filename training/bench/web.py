"""Benchmark of the web app's shortlist page: server time and page weight.

    .venv/bin/python -m training.bench.web [--home DIR] [--pages N]

On the default world under ``--home`` (default ``$MATCHER_HOME``; prepared by the ``matcher`` CLI
when it holds none, as for :mod:`training.bench.serving`), in process: the app is built by ``create_app``,
signed in through the sign-in form as a caseworker, and ``GET /app/candidates/{id}`` (profile,
filters and a shortlist of 10 with reasons and forms) is asked for ``--pages`` job seekers. The
server time is the time from request to the last byte of the answer through the ASGI app (no
network), p50/p95/p99; the same for the htmx part (the shortlist area only). Page weight: the
HTML plus every asset the page loads (stylesheet, script, htmx), as sent and gzip-compressed.
Targets: p95 <= 100 ms, page weight <= 150 kB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from training.bench.worlds import prepare_world


def _stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {
        "p50": round(float(np.percentile(a, 50)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
        "p99": round(float(np.percentile(a, 99)), 1),
        "max": round(float(a.max()), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("MATCHER_HOME", "var")))
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args(argv)

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ServiceSettings
    from matcher.records.store import Store

    prepare_world(args.home)
    faiss.omp_set_num_threads(1)  # as `matcher serve`
    settings = ServiceSettings(home=args.home)
    token = json.loads(settings.demo_tokens_file.read_text())["caseworker"]
    store = Store(settings.store_url)
    ids = [c for c in store.candidate_ids()]
    store.close()
    chosen = random.Random(7).sample(ids, min(args.pages, len(ids)))
    with TestClient(create_app(settings)) as client:
        _sign_in(client, token)
        full, part, sizes, statuses = _timed_pages(client, chosen)
        page = client.get(f"/app/candidates/{chosen[0]}")
        assets = re.findall(r'(?:href|src)="(/app/static/[^"]+)"', page.text)
        asset_bytes = {a: client.get(a).content for a in dict.fromkeys(assets)}
    print(f"$ python -m training.bench.web --home {args.home} --pages {args.pages}")
    print(f"answers: {statuses} (422: profiles too thin to rank, answered with the form)")
    print("| GET /app/candidates/{id} | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, ms in (("whole page", full), ("htmx part (filter change)", part)):
        s = _stats(ms)
        print(f"| {name} | {s['p50']} | {s['p95']} | {s['p99']} | {s['max']} |")
    _print_weight(page.content, sizes, asset_bytes)


def _sign_in(client: Any, token: str) -> None:
    form = client.get("/app/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    client.post("/app/login", data={"csrf_token": csrf.group(1), "token": token}, follow_redirects=False)


def _timed_pages(client: Any, chosen: list[str]) -> tuple[list[float], list[float], list[int], dict[int, int]]:
    """Milliseconds of each whole page and of each htmx part (a filter change), the sizes of the
    pages answered 200, and the count of each status."""
    for person in chosen[:5]:  # warm-up
        client.get(f"/app/candidates/{person}")
    full, part, sizes = [], [], []
    statuses: dict[int, int] = {}
    for person in chosen:
        start = time.perf_counter()
        response = client.get(f"/app/candidates/{person}")
        full.append((time.perf_counter() - start) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            sizes.append(len(response.content))
        start = time.perf_counter()
        client.get(f"/app/candidates/{person}?f=1&max_distance_km=25", headers={"HX-Request": "true"})
        part.append((time.perf_counter() - start) * 1000)
    return full, part, sizes, statuses


def _print_weight(html: bytes, sizes: list[int], asset_bytes: dict[str, bytes]) -> None:
    raw = len(html) + sum(len(b) for b in asset_bytes.values())
    zipped = len(gzip.compress(html)) + sum(len(gzip.compress(b)) for b in asset_bytes.values())
    median = int(np.median(sizes)) if sizes else 0
    print(f"page weight: HTML median {median / 1000:.1f} kB (this page {len(html) / 1000:.1f} kB); assets:")
    for name, body in asset_bytes.items():
        print(f"  {name}: {len(body) / 1000:.1f} kB")
    print(f"total as sent {raw / 1000:.1f} kB, gzip {zipped / 1000:.1f} kB (target <= 150 kB)")


if __name__ == "__main__":
    main()
