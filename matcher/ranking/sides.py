"""The two sides of the market as the engine holds them: vectors and records in one row order, and
a shortlist's direction (which side holds the items)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from matcher.ranking.columns import CandidateTable, Rows, VacancyTable
from matcher.ranking.index import VectorIndex
from matcher.ranking.shortlist import Direction, IndexVersion
from matcher.records.geo import Gazetteer

Table = TypeVar("Table", CandidateTable, VacancyTable)


class Side(Generic[Table]):
    """One side of the market: vectors (FAISS rows) and records (table rows) in one row order."""

    def __init__(self, name: str, index: VectorIndex, rows: Rows[Table]) -> None:
        self.name, self.index = name, index
        self.rows: Rows[Table] = rows

    @classmethod
    def of(
        cls, name: str, index: VectorIndex, kind: type[Table], records: dict[str, Any], gazetteer: Gazetteer
    ) -> Side[Table]:
        """Rows for the index's rows; an indexed id without a record leaves the index."""
        for item_id in index.ids():
            if item_id not in records:
                index.delete(item_id)
        by_row = [records.get(i) if i is not None else None for i in index.row_ids()]
        return cls(name, index, Rows.of(kind, by_row, gazetteer))

    def __contains__(self, item_id: str) -> bool:
        return item_id in self.index

    def record(self, item_id: str) -> Any | None:
        row = self.index.row(item_id)
        return None if row is None else self.rows.record(row)

    def put(self, record: Any, vector: NDArray[np.float32]) -> None:
        self.rows.set(self.index.upsert(record.id, vector), record)

    def remove(self, item_id: str) -> None:
        self.index.delete(item_id)

    def compact(self, kind: type[Table], gazetteer: Gazetteer) -> None:
        """Drop tombstoned rows from the index and rebuild the table in the new row order."""
        records = {i: self.rows.record(r) for r, i in enumerate(self.index.row_ids()) if i is not None}
        self.index.compact()
        self.rows = Rows.of(kind, [records[i] for i in self.index.row_ids() if i is not None], gazetteer)

    def version(self) -> IndexVersion:
        i = self.index
        return IndexVersion(i.kind, i.encoder_name, i.encoder_fingerprint, i.built_at, len(i), i.applied_seq)


@dataclass(frozen=True)
class Way:
    """A shortlist's direction, chosen once per request: which side holds the items."""

    direction: Direction
    items: Side[Any]
    query_is_candidate: bool

    def orient(self, query: Any, items: Any) -> tuple[Any, Any]:
        """(candidates, vacancies) from (query table, item table)."""
        return (query, items) if self.query_is_candidate else (items, query)
