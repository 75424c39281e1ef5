"""The oracle: the hidden utility of any job seeker-vacancy pair of a generated world.

The generator writes its own view of every job seeker and vacancy, with the hidden motivation and
selectivity, to ``oracle_kunden.jsonl`` and ``oracle_stellen.jsonl``. :class:`Oracle` reads them
back and computes ``U`` with :func:`data.generate.history.pair_utility`, the function the history's
outcomes were drawn from: a proposed pair gets exactly its ``oracle_utilities.csv`` value, any
other pair (a retrieved negative) the value it would have had. Only evaluation reads it (the
re-ranker's ceiling and how well a model recovers the preferences); it is never a feature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.formats import ORACLE_JOB_SEEKERS, ORACLE_VACANCIES, ExportFile
from data.generate.catalog import Places, build_places
from data.generate.history import Side, candidate_side, pair_utility, vacancy_side
from matcher.records.reference import ReferenceData

ORACLE_FILES: tuple[str, ...] = (ORACLE_JOB_SEEKERS.name, ORACLE_VACANCIES.name)


def has_oracle(folder: Path) -> bool:
    """Whether ``folder`` holds the oracle files (worlds generated before them do not)."""
    return all((folder / name).is_file() for name in ORACLE_FILES)


def _frame(spec: ExportFile, path: Path, places: Places) -> pd.DataFrame:
    """The file's records under the generator's column names, ``place`` as a municipality index."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    frame = pd.DataFrame(records, columns=list(spec.columns)).rename(columns={f.column: f.name for f in spec.fields})
    index = {ags: i for i, ags in enumerate(places.ags)}
    return frame.assign(place=frame["ags"].map(index).astype(np.int64))


@dataclass(frozen=True)
class Oracle:
    """The generator's job seekers and vacancies, and the utility of their pairs."""

    candidates: Side
    vacancies: Side
    places: Places
    candidate_index: dict[str, int]
    vacancy_index: dict[str, int]

    @classmethod
    def load(cls, folder: Path, reference: ReferenceData | None = None) -> Oracle:
        """Read the oracle files of a world folder.

        Raises:
            FileNotFoundError: when the folder lacks one of them.
        """
        missing = [name for name in ORACLE_FILES if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{folder}: no oracle file(s) {', '.join(missing)}")
        places = build_places(reference or ReferenceData())
        people = _frame(ORACLE_JOB_SEEKERS, folder / ORACLE_JOB_SEEKERS.name, places)
        jobs = _frame(ORACLE_VACANCIES, folder / ORACLE_VACANCIES.name, places)
        return cls(
            candidates=candidate_side(people),
            vacancies=vacancy_side(jobs),
            places=places,
            candidate_index={str(k): i for i, k in enumerate(people["id"])},
            vacancy_index={str(k): i for i, k in enumerate(jobs["id"])},
        )

    def utility(self, candidate_ids: Sequence[str], vacancy_ids: Sequence[str]) -> NDArray[np.float64]:
        """``U`` of each pair (``candidate_ids[k]``, ``vacancy_ids[k]``); nan where an id is unknown."""
        ci = pd.Series(list(candidate_ids), dtype=object).map(self.candidate_index)
        vi = pd.Series(list(vacancy_ids), dtype=object).map(self.vacancy_index)
        known = (ci.notna() & vi.notna()).to_numpy()
        out = np.full(len(known), np.nan)
        if known.any():
            c, v = ci[known].to_numpy(np.int64), vi[known].to_numpy(np.int64)
            out[known] = pair_utility(self.candidates, self.vacancies, c, v, self.places)[1]
        return out


def load_oracle(path: Path | None, progress: Callable[[str], None] | None = None) -> Oracle | None:
    """The generated world's hidden preferences; ``path`` is its folder or a file in it.

    None without a path, or for a world generated before the oracle files (then the report has no
    oracle figures; ``progress`` is told so).
    """
    if path is None:
        return None
    folder = path if path.is_dir() else path.parent
    if not has_oracle(folder):
        if progress is not None:
            progress(f"{folder}: no oracle files (generated before them?): no oracle in the report")
        return None
    return Oracle.load(folder)
