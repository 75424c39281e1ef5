"""Vector indexes over L2-normalised embeddings (inner product = cosine similarity).

A small base class, two kinds and a factory, as in txtai's ``ann``:

- ``ExactIndex`` (``faiss.IndexFlatIP``): brute force, exact. One region (~15k candidates,
  ~5k vacancies) costs well under 10 ms a query.
- ``HNSWIndex`` (``faiss.IndexHNSWFlat``, inner product): approximate, built only when asked
  for (``kind="hnsw"``). It needs no training, adds single vectors at any time and gives high recall per
  millisecond on unfiltered queries; the cost is memory for the graph (~2*M int32 links per
  vector), a slow build, and filtered queries: a graph walk restricted to a sparse subset misses
  most true neighbours, so ``search_rows`` falls back to an exact scan below
  ``hnsw_filtered_above``, which costs ~100 ms at a million rows.
- ``IVFIndex`` (``faiss.IndexIVFFlat``, inner product): approximate, what "auto" picks from
  ``exact_below`` (200,000) vectors on. k-means centroids cut the rows into lists; a query scans the
  ``nprobe`` lists nearest to it, with the filter's bitmap applied inside the scan, so a filtered
  query costs about as much as an unfiltered one (``training/bench/batch.py``: recall@10 and p99 at
  1M rows). The centroids are trained on the first batch added (the build) and again at each
  compaction; vectors upserted in between go to their nearest existing list (centroids drift
  slowly as profiles change; a rebuild or compaction re-trains them).

Updates without a rebuild. FAISS rows are append-only and a row's position is its internal id,
so no ID map is needed. An upsert adds a new row and tombstones the old one; a delete tombstones.
Tombstones are filtered *inside* the FAISS search by an ``IDSelectorBitmap`` over the live rows,
so a search returns k live items without over-fetching and without scanning tombstones in Python
(HNSW cannot remove vectors at all, and ``remove_ids`` on a flat index is O(N) per call). The
bitmap is N/8 bytes (125 kB at 1M) and is rebuilt only after a change. When tombstones exceed
``compact_fraction`` of the rows, ``save`` compacts: live vectors are copied into a fresh index.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import faiss
import numpy as np
from numpy.typing import NDArray

from matcher.errors import IndexCorruptError
from matcher.ranking import index_io
from matcher.ranking.index_config import IndexConfig
from matcher.ranking.index_io import IndexManifest
from matcher.ranking.quantised import QuantisedScan
from matcher.records.clock import utc_stamp

IndexKind = Literal["exact", "hnsw", "ivf"]


@dataclass(frozen=True)
class Hits:
    """Search result of one query: live external ids, best first, and their similarities."""

    ids: list[str]
    scores: NDArray[np.float32]


def _as_matrix(vectors: NDArray[np.float32], dimension: int) -> NDArray[np.float32]:
    matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[1] != dimension:
        raise ValueError(f"expected vectors of dimension {dimension}, got shape {matrix.shape}")
    return matrix


class VectorIndex(ABC):
    """External string ids over a FAISS index, with upserts, deletes, save and load.

    Thread-safe: one lock serialises mutations and searches (FAISS does not allow adding
    while searching; a single search already uses every core through OpenMP).
    """

    kind: ClassVar[IndexKind]

    def __init__(
        self,
        dimension: int,
        encoder_name: str,
        encoder_fingerprint: str,
        config: IndexConfig = IndexConfig(),
    ) -> None:
        self.dimension = dimension
        self.encoder_name = encoder_name
        self.encoder_fingerprint = encoder_fingerprint
        self.config = config
        self.built_at = utc_stamp("seconds")
        self._faiss: Any = self._new_faiss()
        self._ids: list[str | None] = []  # row -> external id; None marks a tombstone
        self._rows: dict[str, int] = {}  # external id -> its live row
        self._alive = np.zeros(0, dtype=bool)
        self._selector: tuple[Any, NDArray[np.uint8]] | None = None
        self._lock = threading.RLock()
        self.applied_seq = 0  # the change-log position this index state includes

    # --- kind-specific parts -----------------------------------------------------------------
    @abstractmethod
    def _new_faiss(self) -> Any:
        """An empty FAISS index of this kind."""

    def _prepare(self, matrix: NDArray[np.float32]) -> None:  # noqa: B027 (a hook; only IVF trains)
        """Ready the FAISS index for adding ``matrix`` (IVF: trains on the first batch)."""

    def _search_params(self, k: int, selector: Any | None) -> Any | None:
        if selector is None:
            return None
        return faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # stubs lag behind

    def _search_eligible(self, vector: NDArray[np.float32], k: int, selector: Any, eligible: int) -> Any:
        """FAISS's (scores, rows) for one query restricted by ``selector`` (``eligible`` rows)."""
        return self._faiss.search(vector, k, params=self._search_params(k, selector))

    def _subset(self, rows: NDArray[np.intp]) -> NDArray[np.float32]:
        """The vectors of ``rows``, for scoring a small eligible set by one matrix product."""
        return self._matrix()[rows]

    # --- size --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._rows

    @property
    def tombstones(self) -> int:
        return len(self._ids) - len(self._rows)

    def ids(self) -> list[str]:
        """Live external ids, in row order."""
        return [i for i in self._ids if i is not None]

    def row_ids(self) -> list[str | None]:
        """External id of every row (None: tombstone)."""
        return list(self._ids)

    def row(self, item_id: str) -> int | None:
        """The live row of an id, or None."""
        return self._rows.get(item_id)

    def alive(self) -> NDArray[np.bool_]:
        """One flag per row: live (True) or tombstoned (a view; copy before changing it)."""
        return self._alive[: len(self._ids)]

    # --- updates -----------------------------------------------------------------------------
    def add(self, ids: Sequence[str], vectors: NDArray[np.float32]) -> list[int]:
        """Insert or replace vectors; a later id in the same call wins over an earlier one.

        Returns:
            The row of each id, in order (new rows at the end: rows are append-only).
        """
        matrix = _as_matrix(vectors, self.dimension)
        if len(ids) != len(matrix):
            raise ValueError(f"{len(ids)} ids for {len(matrix)} vectors")
        with self._lock:
            start = len(self._ids)
            self._prepare(matrix)
            self._faiss.add(matrix)
            self._grow(start + len(ids))
            for offset, item_id in enumerate(ids):
                self._tombstone(self._rows.get(item_id))
                self._rows[item_id] = start + offset
                self._ids.append(item_id)
                self._alive[start + offset] = True
            self._selector = None
            return list(range(start, start + len(ids)))

    def upsert(self, item_id: str, vector: NDArray[np.float32]) -> int:
        return self.add([item_id], vector)[0]

    def delete(self, item_id: str) -> bool:
        """Remove an id from search results; False when it was not in the index."""
        with self._lock:
            row = self._rows.pop(item_id, None)
            self._tombstone(row)
            return row is not None

    def _tombstone(self, row: int | None) -> None:
        if row is not None:
            self._ids[row] = None
            self._alive[row] = False
            self._selector = None

    def _grow(self, rows: int) -> None:
        if rows > len(self._alive):  # amortised doubling: single upserts stay O(1)
            alive = np.zeros(max(rows, 2 * len(self._alive), 1024), dtype=bool)
            alive[: len(self._alive)] = self._alive
            self._alive = alive

    def compact(self) -> None:
        """Copy the live vectors into a fresh index, dropping tombstones (O(N), HNSW: a rebuild)."""
        with self._lock:
            rows = np.flatnonzero(self._alive[: len(self._ids)])
            vectors = self._faiss.reconstruct_batch(rows) if len(rows) else None
            ids = [self._ids[r] for r in rows]
            self._faiss = self._new_faiss()
            self._ids, self._rows, self._alive = [], {}, np.zeros(0, dtype=bool)
            if vectors is not None:
                self.add([i for i in ids if i is not None], vectors)

    # --- reads -------------------------------------------------------------------------------
    def vectors(self, ids: Sequence[str]) -> NDArray[np.float32]:
        """Stored vectors of live ids, in order.

        Raises:
            KeyError: an id is not in the index.
        """
        with self._lock:
            rows = np.array([self._rows[i] for i in ids], dtype=np.int64)
            if not len(rows):
                return np.zeros((0, self.dimension), dtype=np.float32)
            return np.asarray(self._faiss.reconstruct_batch(rows), dtype=np.float32)

    def search(self, queries: NDArray[np.float32], k: int) -> list[Hits]:
        """The k most similar live items of each query (fewer only when the index has fewer)."""
        matrix = _as_matrix(queries, self.dimension)
        with self._lock:
            k = min(k, len(self._rows))
            if k <= 0:
                return [Hits([], np.zeros(0, dtype=np.float32)) for _ in matrix]
            params = self._search_params(k, self._live_selector())
            scores, rows = self._faiss.search(matrix, k, params=params)
            return [self._hits(s, r) for s, r in zip(scores, rows)]

    def search_rows(self, query: NDArray[np.float32], k: int, eligible: NDArray[np.bool_]) -> RowHits:
        """The k most similar rows among ``eligible`` (one flag per row, tombstones False).

        Filter-first search: FAISS never returns an ineligible row, so no over-fetch or widening
        is needed. By measured cost (``training/bench/retrieval.py``, 100k vectors, k=100):

        - up to ``exact_subset_below`` eligible rows: one matrix product over them (0.1-2 ms);
        - more: a FAISS search restricted by an ``IDSelectorBitmap``, exact on an exact index; on
          HNSW and IVF see their ``_search_eligible``.
        """
        vector = _as_matrix(query, self.dimension)
        with self._lock:
            rows = np.flatnonzero(eligible[: len(self._ids)])
            k = min(k, len(rows))
            if k <= 0:
                return RowHits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
            if len(rows) <= self.config.exact_subset_below:
                return _top_k(rows, self._subset(rows) @ vector[0], k)
            selector, _bitmap = _bitmap_selector(eligible[: len(self._ids)])  # _bitmap: alive until the search ends
            scores, found = self._search_eligible(vector, k, selector, len(rows))
            keep = found[0] >= 0
            return RowHits(found[0][keep].astype(np.int64), scores[0][keep])

    def _matrix(self) -> NDArray[np.float32]:
        """Every row's vector as one (rows, d) array, a view on FAISS's own storage (no copy)."""
        flat = self._storage()
        n = flat.ntotal
        if n == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * self.dimension).reshape(n, self.dimension)

    def _storage(self) -> Any:
        return self._faiss

    def _hits(self, scores: NDArray[np.float32], rows: NDArray[np.int64]) -> Hits:
        keep = rows >= 0  # FAISS pads with -1 when it found fewer than k
        ids = [self._ids[r] for r in rows[keep]]
        found = [(i, s) for i, s in zip(ids, scores[keep]) if i is not None]
        return Hits([i for i, _ in found], np.array([s for _, s in found], dtype=np.float32))

    def _live_selector(self) -> Any | None:
        if self.tombstones == 0:
            return None
        if self._selector is None:
            self._selector = _bitmap_selector(self._alive[: len(self._ids)])
        return self._selector[0]

    # --- persistence -------------------------------------------------------------------------
    def manifest(self, faiss_bytes: int = 0, sha256: dict[str, str] | None = None) -> IndexManifest:
        return IndexManifest(
            kind=self.kind,
            encoder_name=self.encoder_name,
            encoder_fingerprint=self.encoder_fingerprint,
            dimension=self.dimension,
            count=len(self),
            rows=len(self._ids),
            tombstones=self.tombstones,
            built_at=self.built_at,
            faiss_bytes=faiss_bytes,
            applied_seq=self.applied_seq,
            sha256=sha256,
        )

    def save(self, path: Path) -> IndexManifest:
        """Write the index atomically into directory ``path`` (compacting first if worthwhile)."""
        with self._lock:
            if self._ids and self.tombstones / len(self._ids) > self.config.compact_fraction:
                self.compact()
            written: list[IndexManifest] = []
            index_io.write_atomic_dir(Path(path), lambda tmp: written.append(self._write(tmp)))
            return written[0]

    def _write(self, directory: Path) -> IndexManifest:
        faiss_path = directory / index_io.FAISS_FILE
        faiss.write_index(self._faiss, str(faiss_path))
        index_io.fsync_file(faiss_path)
        index_io.write_json(directory / index_io.IDS_FILE, self._ids)
        sums = {name: index_io.sha256_file(directory / name) for name in (index_io.FAISS_FILE, index_io.IDS_FILE)}
        manifest = self.manifest(faiss_path.stat().st_size, sums)
        # The manifest goes last: a directory with a manifest is a complete one.
        index_io.write_json(directory / index_io.MANIFEST_FILE, manifest.to_json())
        return manifest

    @classmethod
    def _restore(cls, raw: Any, ids: list[str | None], manifest: IndexManifest, config: IndexConfig) -> VectorIndex:
        index = cls(manifest.dimension, manifest.encoder_name, manifest.encoder_fingerprint, config)
        index._faiss, index._ids, index.built_at = raw, ids, manifest.built_at
        index.applied_seq = manifest.applied_seq
        index._alive = np.array([i is not None for i in ids], dtype=bool)
        index._rows = {i: row for row, i in enumerate(ids) if i is not None}
        return index


def _bitmap_selector(rows: NDArray[np.bool_]) -> tuple[Any, NDArray[np.uint8]]:
    """A FAISS selector of the flagged rows, with the bitmap it points into.

    The selector keeps a raw pointer: the caller holds the bitmap as long as the selector is used.
    """
    bitmap = np.packbits(rows, bitorder="little")
    return faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), bitmap


@dataclass(frozen=True)
class RowHits:
    """Search result as index rows (best first) and their similarities."""

    rows: NDArray[np.int64]
    scores: NDArray[np.float32]


def _top_k(rows: NDArray[np.intp], scores: NDArray[np.float32], k: int) -> RowHits:
    """The k best of exact scores, best first (ties: lower row first)."""
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = part[np.lexsort((rows[part], -scores[part]))]
    return RowHits(rows[order].astype(np.int64), scores[order].astype(np.float32))


class ExactIndex(VectorIndex):
    """Brute-force inner product: exact, no parameters, O(N) a query."""

    kind = "exact"
    _scan: QuantisedScan | None = None

    def _new_faiss(self) -> Any:
        return faiss.IndexFlatIP(self.dimension)

    def _search_eligible(self, vector: NDArray[np.float32], k: int, selector: Any, eligible: int) -> Any:
        """Exact. From ``quantised_scan_above`` eligible rows on, a quantised first pass keeps
        ``max(rescore_min, rescore_per_k x k)`` rows and those are re-scored in float32."""
        config = self.config
        if config.quantised_scan == "off" or eligible < config.quantised_scan_above:
            return super()._search_eligible(vector, k, selector, eligible)
        matrix = self.prepare_scan()
        rows = self._scan.candidates(vector, max(config.rescore_min, config.rescore_per_k * k), selector)  # type: ignore[union-attr]
        hits = _top_k(rows, matrix[rows] @ vector[0], k)
        return hits.scores[None, :], hits.rows[None, :]

    def prepare_scan(self) -> NDArray[np.float32]:
        """Bring the quantised copy up to date (a load calls it, so the first query does not pay)."""
        with self._lock:
            matrix = self._matrix()
            if self.config.quantised_scan != "off":
                if self._scan is None:
                    self._scan = QuantisedScan(self.dimension, self.config.quantised_scan)
                self._scan.sync(self._faiss, matrix)
            return matrix

    @classmethod
    def _restore(cls, raw: Any, ids: list[str | None], manifest: IndexManifest, config: IndexConfig) -> VectorIndex:
        index = super()._restore(raw, ids, manifest, config)
        if isinstance(index, ExactIndex) and len(ids) >= config.quantised_scan_above:
            index.prepare_scan()
        return index


class HNSWIndex(VectorIndex):
    """Hierarchical navigable small-world graph over inner product: approximate, sublinear."""

    kind = "hnsw"

    def _new_faiss(self) -> Any:
        index = faiss.IndexHNSWFlat(self.dimension, self.config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.config.hnsw_ef_construction
        index.hnsw.efSearch = self.config.hnsw_ef_search
        return index

    def _storage(self) -> Any:
        return faiss.downcast_index(self._faiss.storage)

    def _search_params(self, k: int, selector: Any | None) -> Any:
        # The beam must be well wider than k, or HNSW misses true neighbours (or returns < k).
        ef = max(self.config.hnsw_ef_search, self.config.hnsw_ef_per_k * k)
        params = faiss.SearchParametersHNSW(efSearch=ef)  # type: ignore[attr-defined]
        if selector is not None:
            params.sel = selector
        return params

    def _search_eligible(self, vector: NDArray[np.float32], k: int, selector: Any, eligible: int) -> Any:
        """HNSW when at least ``hnsw_filtered_above`` of the rows are eligible, else exact.

        HNSW restricted to a sparse subset misses most true neighbours (recall@100 0.54 at 5 %,
        0.86 at 20 %; 0.94-0.97 above 70 %), so below the threshold the index's own vectors are
        scanned exactly with the bitmap.
        """
        if eligible >= self.config.hnsw_filtered_above * len(self._rows):
            return super()._search_eligible(vector, k, selector, eligible)
        return self._storage().search(vector, k, params=faiss.SearchParameters(sel=selector))  # type: ignore[call-arg]


class IVFIndex(VectorIndex):
    """Inverted lists over spherical k-means centroids: approximate, cost set by ``nprobe``."""

    kind = "ivf"

    def _new_faiss(self) -> Any:
        return self._ivf(1)  # untrained: the first batch sets the list count and trains it

    def _ivf(self, lists: int) -> Any:
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dimension), self.dimension, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.spherical = True  # centroids on the unit sphere, as the vectors are
        index.cp.seed = 0
        return index

    def lists(self) -> int:
        return int(self._faiss.nlist)

    def _prepare(self, matrix: NDArray[np.float32]) -> None:
        if self._faiss.is_trained:
            return
        config = self.config
        lists = int(config.ivf_lists_per_sqrt * np.sqrt(len(matrix)))
        lists = max(1, min(lists, len(matrix) // config.ivf_train_per_list))
        index = self._ivf(lists)
        take = min(len(matrix), lists * config.ivf_train_per_list)
        sample = np.random.default_rng(0).choice(len(matrix), take, replace=False) if take < len(matrix) else None
        index.cp.max_points_per_centroid = config.ivf_train_per_list
        index.train(matrix if sample is None else matrix[np.sort(sample)])
        index.make_direct_map()  # row -> (list, offset), for reconstruct; written and read with the index
        self._faiss = index

    def _nprobe(self, k: int, eligible: int) -> int:
        """At least ``ivf_nprobe`` lists, and enough to meet ~``ivf_scan_per_k`` x k eligible rows."""
        lists = self.lists()
        per_list = eligible / lists  # eligible rows in a list, on average
        wanted = int(np.ceil(self.config.ivf_scan_per_k * k / max(per_list, 1e-9)))
        return min(lists, max(self.config.ivf_nprobe, wanted))

    def _search_params(self, k: int, selector: Any | None, nprobe: int | None = None) -> Any:
        nprobe = nprobe or self._nprobe(k, len(self._rows))
        params = faiss.SearchParametersIVF(nprobe=nprobe)  # type: ignore[call-arg]
        if selector is not None:
            params.sel = selector
        return params

    def _search_eligible(self, vector: NDArray[np.float32], k: int, selector: Any, eligible: int) -> Any:
        """The nearest lists with the bitmap inside the scan; all lists when that is most of them.

        A sparse eligible set needs more lists to meet enough eligible rows (``_nprobe``); once
        that reaches ``ivf_exact_scan_share`` of the lists, all are scanned, which is exact.
        """
        nprobe = self._nprobe(k, eligible)
        if nprobe >= self.config.ivf_exact_scan_share * self.lists():
            nprobe = self.lists()
        return self._faiss.search(vector, k, params=self._search_params(k, selector, nprobe))

    def _subset(self, rows: NDArray[np.intp]) -> NDArray[np.float32]:
        return np.asarray(self._faiss.reconstruct_batch(rows.astype(np.int64)), dtype=np.float32)

    def _matrix(self) -> NDArray[np.float32]:
        """Every row's vector (a copy: the lists hold them in list order)."""
        if self._faiss.ntotal == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._faiss.reconstruct_n(0, self._faiss.ntotal), dtype=np.float32)


INDEX_TYPES: dict[str, type[VectorIndex]] = {"exact": ExactIndex, "hnsw": HNSWIndex, "ivf": IVFIndex}


def choose_kind(count: int, config: IndexConfig = IndexConfig()) -> IndexKind:
    """The kind "auto" picks for ``count`` vectors."""
    if config.kind != "auto":
        return config.kind
    return "exact" if count < config.exact_below else "ivf"


def create_index(
    dimension: int,
    encoder_name: str,
    encoder_fingerprint: str,
    config: IndexConfig = IndexConfig(),
    expected_count: int = 0,
) -> VectorIndex:
    """An empty index of the kind that suits ``expected_count`` vectors."""
    cls = INDEX_TYPES[choose_kind(expected_count, config)]
    return cls(dimension, encoder_name, encoder_fingerprint, config)


def build_index(
    ids: Sequence[str],
    vectors: NDArray[np.float32],
    encoder_name: str,
    encoder_fingerprint: str,
    config: IndexConfig = IndexConfig(),
) -> VectorIndex:
    """An index holding ``vectors`` under ``ids``, of the kind that suits their number."""
    matrix = np.atleast_2d(vectors)
    index = create_index(matrix.shape[1], encoder_name, encoder_fingerprint, config, len(ids))
    index.add(ids, matrix)
    return index


def load_index(path: Path, encoder_fingerprint: str | None = None, config: IndexConfig = IndexConfig()) -> VectorIndex:
    """Read an index directory written by :meth:`VectorIndex.save`.

    Args:
        path: the index directory.
        encoder_fingerprint: the configured encoder's; None skips the check (tools, tests).
        config: search parameters (the kind comes from the manifest).

    Raises:
        IndexMissingError: no index there.
        IndexModelMismatchError: built with another encoder.
        IndexCorruptError: a file is unreadable, truncated or inconsistent.
    """
    directory = index_io.resolve_dir(Path(path))
    manifest = index_io.read_manifest(directory)
    index_io.check_encoder(manifest, directory, encoder_fingerprint)
    if manifest.kind not in INDEX_TYPES:
        raise IndexCorruptError(f"index at {directory} has unknown kind {manifest.kind!r}")
    faiss_file = index_io.check_faiss_file(directory, manifest)
    index_io.check_checksums(directory, manifest)
    ids = index_io.read_ids(directory, manifest)
    try:
        raw = faiss.read_index(str(faiss_file))
    except RuntimeError as exc:
        raise IndexCorruptError(f"index file {faiss_file} is unreadable: {exc}") from exc
    if raw.ntotal != manifest.rows or raw.d != manifest.dimension:
        raise IndexCorruptError(
            f"index file {faiss_file} holds {raw.ntotal} vectors of dimension {raw.d}, "
            f"manifest says {manifest.rows} of {manifest.dimension}"
        )
    return INDEX_TYPES[manifest.kind]._restore(raw, ids, manifest, config)
