"""``generate_world``: the whole demo world, from the seed to the files of the export folder."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.formats import (
    FILES,
    LANDKREIS,
    MEASURES,
    ORACLE,
    ORACLE_JOB_SEEKERS,
    ORACLE_VACANCIES,
    PROPOSALS,
    PROTECTED,
    STADT,
    VACANCIES,
)
from data.generate.catalog import Catalog, build_catalog
from data.generate.config import WorldConfig
from data.generate.defects import (
    LANDKREIS_DEFECTS,
    PROPOSAL_DEFECTS,
    STADT_DEFECTS,
    VACANCY_DEFECTS,
    insert_broken,
    spares_needed,
)
from data.generate.history import candidate_side, simulate, vacancy_side
from data.generate.measures import measure_lines
from data.generate.people import generate_candidates, generate_protected
from data.generate.vacancies import generate_employers, generate_vacancies
from data.generate.writers import (
    CsvRow,
    JsonLine,
    landkreis_record,
    oracle_job_seeker_record,
    oracle_row,
    oracle_vacancy_record,
    proposal_row,
    protected_row,
    stadt_row,
    vacancy_record,
    write,
)
from matcher.records.reference import ReferenceData
from matcher.services.erasure import make_private

DUPLICATE_SHARE = 0.015
# Share of proposals for a duplicated vacancy that name the duplicate's id (mapped on ingestion).
DUPLICATE_ID_IN_PROPOSALS = 0.3
FILLED_WITHOUT_HIRE = 0.55


def _split_spares(
    rng: np.random.Generator, frame: pd.DataFrame, mask: np.ndarray, k: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Take ``k`` random rows where ``mask`` holds out of ``frame``, as spares for broken rows."""
    chosen = np.sort(rng.choice(np.flatnonzero(mask), size=k, replace=False)) if k else np.array([], int)
    keep = np.ones(len(frame), dtype=bool)
    keep[chosen] = False
    return frame[keep].reset_index(drop=True), frame.iloc[chosen].reset_index(drop=True)


@dataclass(frozen=True)
class People:
    """The generated job seekers (both sources), their protected attributes, and the spare rows
    that the broken rows of each source's file are made from."""

    candidates: pd.DataFrame
    protected: pd.DataFrame
    stadt_spares: pd.DataFrame
    landkreis_spares: pd.DataFrame


@dataclass(frozen=True)
class Jobs:
    """The generated employers and vacancies (open and closed), and the spare vacancy rows."""

    employers: pd.DataFrame
    vacancies: pd.DataFrame
    spares: pd.DataFrame


@dataclass(frozen=True)
class _World:
    """Everything the files are written from."""

    config: WorldConfig
    catalog: Catalog
    people: People
    jobs: Jobs
    history: pd.DataFrame
    copies: pd.DataFrame  # duplicated vacancies as another channel delivers them


def _people(rng: np.random.Generator, catalog: Catalog, config: WorldConfig) -> People:
    n_stadt = round(config.candidates * config.stadt_share)
    n_lk = config.candidates - n_stadt
    s_st = spares_needed(n_stadt, STADT_DEFECTS) if config.broken_rows else 0
    s_lk = spares_needed(n_lk, LANDKREIS_DEFECTS) if config.broken_rows else 0
    everyone = generate_candidates(rng, catalog, config, n_stadt + s_st, n_lk + s_lk)
    stadt = (everyone["source"] == "stadt").to_numpy()
    everyone, stadt_spares = _split_spares(rng, everyone, stadt, s_st)
    everyone, lk_spares = _split_spares(rng, everyone, (everyone["source"] == "landkreis").to_numpy(), s_lk)
    protected = generate_protected(rng, everyone, config.reference_date)
    return People(everyone, protected, stadt_spares, lk_spares)


def _jobs(rng: np.random.Generator, catalog: Catalog, config: WorldConfig) -> Jobs:
    n_open, n_closed = config.vacancies, config.n_closed_vacancies
    spares = spares_needed(n_open + n_closed, VACANCY_DEFECTS) if config.broken_rows else 0
    employers = generate_employers(rng, catalog, max(20, (n_open + n_closed) // 6))
    vacancies = generate_vacancies(rng, catalog, employers, n_open, n_closed + spares, config)
    vacancies, spare_rows = _split_spares(rng, vacancies, ~vacancies["open"].to_numpy(), spares)
    spare_rows["status"] = np.where(rng.random(len(spare_rows)) < 0.5, "filled", "withdrawn")
    return Jobs(employers, vacancies, spare_rows)


def _close(rng: np.random.Generator, vacancies: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Closed vacancies with a hire were filled; the others were filled elsewhere or withdrawn."""
    hired = np.zeros(len(vacancies), dtype=bool)
    hired[history.loc[history["outcome"] == "eingestellt", "vi"].to_numpy()] = True
    elsewhere = rng.random(len(vacancies)) < FILLED_WITHOUT_HIRE
    closed = np.where(hired | elsewhere, "filled", "withdrawn")
    return vacancies.assign(status=np.where(vacancies["open"], "open", closed))


def _history(
    rng: np.random.Generator, catalog: Catalog, config: WorldConfig, people: People, jobs: Jobs
) -> pd.DataFrame:
    today = config.reference_date
    c_side = candidate_side(people.candidates, today)
    v_side = vacancy_side(jobs.vacancies, today)
    history = simulate(rng, c_side, v_side, people.protected, config.n_proposals, config, catalog.places)
    history["proposal_id"] = [f"VV-{i + 1:07d}" for i in range(len(history))]
    history["candidate_id"] = people.candidates["id"].to_numpy()[history["ci"].to_numpy()]
    history["vacancy_id"] = jobs.vacancies["id"].to_numpy()[history["vi"].to_numpy()]
    return history


def _duplicates(
    rng: np.random.Generator, vacancies: pd.DataFrame, history: pd.DataFrame, enabled: bool
) -> pd.DataFrame:
    """Copies of some open vacancies as another channel delivers them (other id and quelle)."""
    if not enabled:
        return vacancies.iloc[0:0]
    open_rows = np.flatnonzero(vacancies["open"].to_numpy())
    k = min(len(open_rows), max(1, round(DUPLICATE_SHARE * len(open_rows))))
    chosen = np.sort(rng.choice(open_rows, size=k, replace=False))
    copies = vacancies.iloc[chosen].copy()
    copies["id"] = [f"JB-{d.year}-{900_000 + i:06d}" for i, d in enumerate(copies["posted_at"])]
    other = np.where(copies["source"] == "ags_stadt", "ags_landkreis", "ags_stadt")
    copies["source"] = np.where(copies["source"] == "jobboerse", other, "jobboerse")
    copies["original"] = vacancies["id"].to_numpy()[chosen]
    renamed = dict(zip(copies["original"], copies["id"]))
    named = history["vacancy_id"].map(renamed)
    switch = named.notna().to_numpy() & (rng.random(len(history)) < DUPLICATE_ID_IN_PROPOSALS)
    history.loc[switch, "vacancy_id"] = named[switch]
    return copies


def _vacancy_lines(rng: np.random.Generator, catalog: Catalog, jobs: Jobs, copies: pd.DataFrame) -> list[JsonLine]:
    lines: list[JsonLine] = [vacancy_record(v, catalog) for v in jobs.vacancies.itertuples()]
    position = {line["stellen_id"]: i for i, line in enumerate(lines) if isinstance(line, dict)}
    # Insert from the back so that earlier positions stay valid; a copy follows its original.
    after = sorted(((position[c.original], c) for c in copies.itertuples()), key=lambda t: -t[0])
    for index, copy_row in after:
        at = int(rng.integers(index + 1, len(lines) + 1))
        lines.insert(at, vacancy_record(copy_row, catalog))
    return lines


def _set_csv_id(row: CsvRow, new_id: str) -> CsvRow:
    return CsvRow([new_id, *row.values[1:]], row.encoding)


def _set_key(key: str) -> Any:
    return lambda record, new_id: {**record, key: new_id}


def _rows(rng: np.random.Generator, world: _World) -> tuple[dict[str, list], dict[str, int]]:
    """All files' rows in order, broken rows included, and how many broken rows each file has."""
    catalog, cands, history = world.catalog, world.people.candidates, world.history
    rows: dict[str, list] = {
        STADT.name: [stadt_row(c, catalog) for c in cands[cands["source"] == "stadt"].itertuples()],
        LANDKREIS.name: [landkreis_record(c, catalog) for c in cands[cands["source"] == "landkreis"].itertuples()],
        VACANCIES.name: _vacancy_lines(rng, catalog, world.jobs, world.copies),
        PROPOSALS.name: [proposal_row(p, world.config.reference_date) for p in history.itertuples()],
    }
    broken = dict.fromkeys([f.name for f in FILES], 0)
    if world.config.broken_rows:
        broken.update(_break(rng, world, rows))
    vacancies = pd.concat([world.jobs.vacancies, world.copies], ignore_index=True)
    rows |= {
        PROTECTED.name: [protected_row(a) for a in world.people.protected.itertuples()],
        ORACLE.name: [oracle_row(p) for p in history.itertuples()],
        ORACLE_JOB_SEEKERS.name: [oracle_job_seeker_record(c, catalog.places) for c in cands.itertuples()],
        ORACLE_VACANCIES.name: [oracle_vacancy_record(v, catalog.places) for v in vacancies.itertuples()],
    }
    return rows, broken


def _break(rng: np.random.Generator, world: _World, rows: dict[str, list]) -> dict[str, int]:
    """Insert broken rows (made from spare rows) into the files' rows; how many in each file."""
    catalog, people, proposals = world.catalog, world.people, rows[PROPOSALS.name]
    spares_p = [
        CsvRow([f"VV-{9_000_000 + i:07d}", *proposals[int(j)].values[1:]])
        for i, j in enumerate(rng.integers(0, max(1, len(proposals)), size=64))
    ]
    stadt_spares = [stadt_row(c, catalog) for c in people.stadt_spares.itertuples()]
    lk_spares = [landkreis_record(c, catalog) for c in people.landkreis_spares.itertuples()]
    vac_spares = [vacancy_record(v, catalog) for v in world.jobs.spares.itertuples()]
    first = lambda row: row.values[0]  # noqa: E731
    lk_id, vac_id = LANDKREIS.column("id"), VACANCIES.column("id")
    broken = {
        STADT.name: insert_broken(rng, rows[STADT.name], stadt_spares, STADT_DEFECTS, _set_csv_id, first),
        LANDKREIS.name: insert_broken(
            rng, rows[LANDKREIS.name], lk_spares, LANDKREIS_DEFECTS, _set_key(lk_id), lambda r: r[lk_id]
        ),
        VACANCIES.name: insert_broken(
            rng, rows[VACANCIES.name], vac_spares, VACANCY_DEFECTS, _set_key(vac_id), lambda r: r[vac_id]
        ),
    }
    if proposals:
        broken[PROPOSALS.name] = insert_broken(rng, proposals, spares_p, PROPOSAL_DEFECTS, _set_csv_id, first)
    return broken


def _write(out: Path, rows: dict[str, list]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for spec in FILES:
        write(spec, out, rows[spec.name])


def _summary(world: _World, rows: dict[str, list], broken: dict[str, int]) -> dict[str, Any]:
    config, history, copies = world.config, world.history, world.copies
    settings = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(config).items()}
    sources = world.people.candidates["source"].value_counts()
    status = world.jobs.vacancies["status"].value_counts()
    older = world.people.protected["birth_year"] < config.bias_birth_year
    return {
        "config": settings,
        "files": {name: len(r) for name, r in rows.items()},
        "candidates": {"stadt": int(sources.get("stadt", 0)), "landkreis": int(sources.get("landkreis", 0))},
        "vacancies": {k: int(status.get(k, 0)) for k in ("open", "filled", "withdrawn")},
        "employers": len(world.jobs.employers),
        "proposals": len(history),
        "outcomes": {k: int(v) for k, v in sorted(history["outcome"].value_counts().items())},
        "older_candidates": int(older.sum()),
        "duplicates": {VACANCIES.name: len(copies)},
        "duplicates_total": len(copies),
        "broken_rows": broken,
        "broken_rows_total": sum(broken.values()),
    }


def generate_world(out: Path, config: WorldConfig, reference: ReferenceData | None = None) -> dict[str, Any]:
    """Write the demo world's export folder and return a JSON-able summary.

    Args:
        out: folder to write (created if missing; its files are overwritten).
        config: sizes, seed and switches; same config, byte-identical files.
        reference: the reference data (loaded from ``data/reference`` when not given).

    Returns:
        Row counts per file, counts of job seekers, vacancies, proposals and outcomes, and the
        deliberate duplicates and broken rows per file (what ingestion should merge and reject).
    """
    rng = np.random.default_rng(config.seed)
    catalog = build_catalog(reference or ReferenceData())
    people = _people(rng, catalog, config)
    jobs = _jobs(rng, catalog, config)
    history = _history(rng, catalog, config, people, jobs)
    jobs = replace(jobs, vacancies=_close(rng, jobs.vacancies, history))
    copies = _duplicates(rng, jobs.vacancies, history, config.duplicates)
    world = _World(config, catalog, people, jobs, history, copies)
    rows, broken = _rows(rng, world)
    rows[MEASURES.name], broken[MEASURES.name] = measure_lines(config, catalog)
    _write(Path(out), rows)
    make_private(Path(out))  # the exports hold (made-up) social data: 0700 folder, 0600 files
    return _summary(world, rows, broken)
