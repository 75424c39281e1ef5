"""Index build throughput over the first and the last tenth of the rows: keyset against OFFSET paging.

An index build reads the store page by page. With ``OFFSET`` each page makes the database step over
every row before it, so the last pages of a large store cost far more than the first and the whole
build grows with the square of the rows; keyset paging (``WHERE id > :last ORDER BY id LIMIT n``,
:func:`matcher.records.store.walk_pages`) reads each page from the index at its cursor. Target: the last
tenth at least 0.9 x the first.

For each size a scratch SQLite store is filled with that many open vacancies, cloned inside SQLite
from the home's vacancies (a recursive CTE; ids ``SYN-0000000`` on, the JSON's id and status set to
match; the change log is not written, a build does not read it). Then, interleaved per tenth
(keyset first, OFFSET first, keyset last, OFFSET last):

- ``--encode-up-to`` rows and below (default 100k): what a build does per page: read the page,
  render, encode with the home's encoder, add to an exact index. Throughput = rows / seconds.
- above (1M): the store walk (read + validate) of the whole tenth with keyset paging, and of its
  first ``--offset-pages`` pages with OFFSET (a whole tenth at OFFSET 900,000 takes too long on a
  small machine); render + encode + add per row measured on ``--encode-sample`` rows of each
  walk; throughput = rows walked / (walk seconds + rows x per-row encode seconds). The table's
  "measured" column says which rows were read and encoded.

CPU seconds (this process: SQLite runs in it) sit beside wall seconds; the machine is shared, so
the ratio last/first is the figure to read, and ``other load`` says how busy the rest was.

    python -m training.bench.index_build --home var --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from matcher.settings import Settings
from training.bench.common import OtherLoad, _table

PAGE = 2048


def fill_store(source: Path, target: Path, rows: int) -> None:
    """A SQLite store at ``target`` with ``rows`` open vacancies cloned from ``source``'s."""
    from matcher.records.store import Store

    target.unlink(missing_ok=True)
    Store(f"sqlite:///{target}").close()  # the schema
    with contextlib.closing(sqlite3.connect(target)) as conn:
        conn.execute("PRAGMA journal_mode=OFF")  # a scratch file: no journal, no fsync (4 GB at 1M rows)
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
        conn.execute("CREATE TEMP TABLE base AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM src.vacancies")
        count = conn.execute("SELECT count(*) FROM base").fetchone()[0]
        conn.execute(
            """
            WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
            INSERT INTO vacancies (id, source, kldb, status, ags, posted_at, data)
            SELECT printf('SYN-%07d', i), b.source, b.kldb, 'open', b.ags, b.posted_at,
                   json_set(b.data, '$.id', printf('SYN-%07d', i), '$.status', 'open', '$.source_ids', json('[]'))
            FROM seq JOIN base AS b ON b.n = seq.i % ?
            """,
            (rows, count),
        )
        conn.commit()


def _id_at(store: Any, position: int) -> str:
    """The id before ``position`` in id order (the keyset cursor that starts there); None at 0."""
    if position == 0:
        return ""
    from sqlalchemy import select

    from matcher.records.store import vacancies_table

    stmt = select(vacancies_table.c.id).order_by(vacancies_table.c.id).offset(position - 1).limit(1)
    with store.engine.connect() as conn:
        return str(conn.execute(stmt).scalar_one())


def keyset_pages(store: Any, start: int, rows: int) -> Iterator[list[Any]]:
    after, done = _id_at(store, start), 0
    while done < rows and (page := store.vacancies(min(PAGE, rows - done), status="open", after=after)):
        yield page
        after, done = page[-1].id, done + len(page)


def offset_pages(store: Any, start: int, rows: int, pages: int | None = None) -> Iterator[list[Any]]:
    done = 0
    while (
        done < rows
        and (pages is None or done < pages * PAGE)
        and (page := store.vacancies(min(PAGE, rows - done), start + done, "open"))
    ):
        yield page
        done += len(page)


Builder = Callable[[list[Any]], None]


def _builder(encoder: Any) -> Builder:
    """Render, encode and add one page to an exact index, as a build does."""
    from matcher.ranking.index import ExactIndex
    from matcher.records.reference import ReferenceData
    from matcher.records.render import render_vacancy

    reference, index = ReferenceData(), ExactIndex(encoder.dimension, encoder.name, encoder.fingerprint)

    def build(page: list[Any]) -> None:
        index.add([v.id for v in page], encoder.encode([render_vacancy(v, reference) for v in page]))

    return build


def timed_walk(pages: Iterator[list[Any]], build: Builder | None, sample: int | None = None) -> dict[str, float]:
    """Rows, wall and CPU seconds of a walk (and of ``build`` on its pages, up to ``sample`` rows)."""
    rows = built = 0
    wall = cpu = build_wall = build_cpu = 0.0
    while True:
        w, c = time.perf_counter(), time.process_time()
        page = next(pages, None)
        wall, cpu = wall + time.perf_counter() - w, cpu + time.process_time() - c
        if page is None:
            break
        rows += len(page)
        if build is not None and (sample is None or built < sample):
            w, c = time.perf_counter(), time.process_time()
            build(page)
            build_wall, build_cpu = build_wall + time.perf_counter() - w, build_cpu + time.process_time() - c
            built += len(page)
    out = {"rows": rows, "walk_wall_s": wall, "walk_cpu_s": cpu, "built": built}
    if built:
        per_row_wall, per_row_cpu = build_wall / built, build_cpu / built
        out["wall_s"], out["cpu_s"] = wall + per_row_wall * rows, cpu + per_row_cpu * rows
    else:
        out["wall_s"], out["cpu_s"] = wall, cpu
    return out


def measure_size(
    source: Path, scratch: Path, rows: int, encoder: Any, encode_up_to: int, sample: int, offset_cap: int | None
) -> dict[str, Any]:
    """Fill a store with ``rows`` vacancies; the first and last tenth, keyset and OFFSET, interleaved."""
    from matcher.records.store import Store

    started = time.perf_counter()
    fill_store(source, scratch, rows)
    fill_s = time.perf_counter() - started
    store = Store(f"sqlite:///{scratch}")
    tenth, full = rows // 10, rows <= encode_up_to
    cap = None if full else offset_cap  # OFFSET pages per tenth measured above a full build's size
    out: dict[str, Any] = {"rows": rows, "fill_s": round(fill_s, 1), "full_build": full, "encoded": encoder is not None}
    try:
        for part, start in (("first", 0), ("last", rows - tenth)):
            for name in ("keyset", "offset"):
                load = OtherLoad()
                build = _builder(encoder) if encoder is not None else None
                pages = (
                    keyset_pages(store, start, tenth) if name == "keyset" else offset_pages(store, start, tenth, cap)
                )
                got = timed_walk(pages, build, None if full else sample)
                got["other_load"] = load.cores()
                out[f"{name}_{part}"] = got
    finally:
        store.close()
        scratch.unlink(missing_ok=True)
    return out


def _rate(got: dict[str, Any], key: str) -> float:
    return got["rows"] / max(got[key], 1e-9)


def report(results: list[dict[str, Any]], command: str) -> str:
    rows = []
    for r in results:
        for name in ("keyset", "offset"):
            first, last = r[f"{name}_first"], r[f"{name}_last"]
            what = "read+render+encode+add" if r["full_build"] else f"read {first['rows']:,}; encode {first['built']:,}"
            what = what if r["encoded"] else f"store walk only (read + validate {first['rows']:,})"
            rows.append(
                [
                    f"{r['rows']:,}",
                    name,
                    what,
                    f"{_rate(first, 'wall_s'):,.0f}",
                    f"{_rate(last, 'wall_s'):,.0f}",
                    f"{_rate(last, 'wall_s') / _rate(first, 'wall_s'):.2f}",
                    f"{_rate(first, 'cpu_s'):,.0f}",
                    f"{_rate(last, 'cpu_s'):,.0f}",
                    f"{_rate(last, 'cpu_s') / _rate(first, 'cpu_s'):.2f}",
                    f"{first['walk_wall_s']:.1f} / {last['walk_wall_s']:.1f}",
                    f"{first['other_load']} / {last['other_load']}",
                ]
            )
    header = [
        "rows",
        "paging",
        "measured",
        "first tenth rec/s (wall)",
        "last tenth rec/s (wall)",
        "last/first",
        "first rec/s (CPU)",
        "last rec/s (CPU)",
        "last/first (CPU)",
        "store walk s first / last",
        "other load (cores)",
    ]
    return f"```\n$ {command}\n```\n\n" + _table(header, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="the world to clone; default: $MATCHER_HOME")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--encode-up-to", type=int, default=100_000, help="sizes measured with a full build")
    parser.add_argument("--encode-sample", type=int, default=8 * PAGE, help="rows per tenth encoded above that")
    parser.add_argument("--offset-pages", type=int, default=4, help="OFFSET pages per tenth measured above that")
    parser.add_argument("--no-encode", dest="encode", action="store_false", help="store walk only")
    parser.add_argument("--scratch", type=Path, default=None, help="where the scratch store goes; default: HOME")
    args = parser.parse_args(argv)
    settings = Settings(home=args.home) if args.home else Settings()
    encoder = None
    if args.encode:
        from matcher.ranking.encoder import load_default_encoder

        encoder = load_default_encoder(settings.encoder, settings.encoder_dir)
    scratch = (args.scratch or settings.home) / "bench-build.db"
    source = settings.home / "matcher.db"
    command = "python -m training.bench.index_build " + " ".join(argv if argv is not None else sys.argv[1:])
    results = []
    for rows in args.sizes:
        print(f"index build, {rows:,} rows ...", file=sys.stderr, flush=True)
        results.append(
            measure_size(source, scratch, rows, encoder, args.encode_up_to, args.encode_sample, args.offset_pages)
        )
    print("### Index build throughput, first and last tenth\n\n" + report(results, command), flush=True)


if __name__ == "__main__":
    main()
