"""A quantised copy of an exact index's vectors: a cheap first pass over many eligible rows.

An exact index scans every eligible row's float32 vector: at 100k rows of 256 dimensions that is
100 MB of memory read per query, the bulk of a shortlist's time at that size. The first pass here
scans one byte per dimension instead (FAISS ``IndexScalarQuantizer``, ``QT_8bit``: 256 steps
between each dimension's least and greatest value, trained on the rows there when the copy is
made; a row added later outside that range is clipped to it) or two (``fp16``), keeps the
``candidates`` best rows, and the caller re-scores those exactly in float32. So the scores
returned are exact; only a true top-k row that the first pass ranked below ``candidates`` could
be missed (``training/bench/serving.py`` measures recall@100 against the float32 scan).

Nothing of this is written to disk: the copy is derived from the float32 vectors in memory (at
the first search that needs it, and caught up with appended rows before each), so index files
keep their format, an index written by an earlier release opens as before, and a crash cannot
leave a quantised file out of step with its vectors.
"""

from __future__ import annotations

from typing import Any, Literal

import faiss
import numpy as np
from numpy.typing import NDArray

ScanKind = Literal["int8", "fp16"]

# FAISS 1.15's QT_8bit_direct(_signed) scores inner products wrongly (measured): not used.
_QUANTISERS = {"int8": "QT_8bit", "fp16": "QT_fp16"}


class QuantisedScan:
    """The quantised rows of one FAISS flat index, kept in step with it (rows are append-only)."""

    def __init__(self, dimension: int, kind: ScanKind = "int8") -> None:
        self.dimension, self.kind = dimension, kind
        self._owner: Any = None  # the flat index the rows were copied from
        self._sq: Any = None

    def __len__(self) -> int:
        return 0 if self._sq is None else int(self._sq.ntotal)

    def sync(self, owner: Any, matrix: NDArray[np.float32]) -> None:
        """Catch up with ``matrix``, the rows of ``owner``; start over when ``owner`` changed
        (a compaction makes a fresh flat index) or has fewer rows than copied."""
        if self._owner is not owner or len(self) > len(matrix):
            self._owner, self._sq = owner, self._new()
            if len(matrix):
                self._sq.train(matrix)  # each dimension's range (fp16: nothing to learn)
        if len(self) < len(matrix):
            self._sq.add(np.ascontiguousarray(matrix[len(self) :], dtype=np.float32))

    def _new(self) -> Any:
        quantiser = getattr(faiss.ScalarQuantizer, _QUANTISERS[self.kind])
        return faiss.IndexScalarQuantizer(self.dimension, quantiser, faiss.METRIC_INNER_PRODUCT)

    def candidates(self, vector: NDArray[np.float32], count: int, selector: Any) -> NDArray[np.int64]:
        """The ``count`` rows (among ``selector``'s) the quantised scan ranks highest."""
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # stubs lag behind
        _scores, rows = self._sq.search(vector, count, params=params)
        found: NDArray[np.int64] = rows[0]
        return found[found >= 0]
