"""Vector indexes: one contract suite for every kind, recall on real embeddings, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest
from numpy.typing import NDArray

from matcher.errors import IndexCorruptError, IndexMissingError, IndexModelMismatchError
from matcher.ranking.index import (
    INDEX_TYPES,
    ExactIndex,
    HNSWIndex,
    IndexConfig,
    IVFIndex,
    VectorIndex,
    build_index,
    choose_kind,
    load_index,
)
from matcher.ranking.index_io import FAISS_FILE, IDS_FILE, MANIFEST_FILE

DIM = 32
FP = "fp-test"


def unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> NDArray[np.float32]:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def numpy_top_k(corpus: NDArray[np.float32], queries: NDArray[np.float32], k: int) -> NDArray:
    return np.argsort(-(queries @ corpus.T), axis=1, kind="stable")[:, :k]


def recall_at_k(
    index: VectorIndex, corpus: NDArray[np.float32], ids: list[str], queries: NDArray[np.float32], k: int
) -> float:
    """Share of the exact top-k found, counting ties at the k-th score as found."""
    sims = queries @ corpus.T
    found = 0
    for q, hits in enumerate(index.search(queries, k)):
        kth = np.sort(sims[q])[-k]
        truth = {ids[i] for i in np.flatnonzero(sims[q] >= kth - 1e-6)}
        found += min(k, len(truth & set(hits.ids)))
    return found / (k * len(queries))


@pytest.fixture(params=sorted(INDEX_TYPES))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def filled(kind: str) -> tuple[VectorIndex, NDArray[np.float32]]:
    vectors = unit_vectors(400)
    index = build_index([f"id{i}" for i in range(400)], vectors, "test-model", FP, IndexConfig(kind=kind))  # type: ignore[arg-type]
    return index, vectors


# --- contract: every index kind ----------------------------------------------------------------
def test_search_finds_each_vector_first(filled: tuple[VectorIndex, NDArray[np.float32]]) -> None:
    index, vectors = filled
    hits = index.search(vectors[:20], 5)
    assert [h.ids[0] for h in hits] == [f"id{i}" for i in range(20)]
    assert all(h.scores[0] == pytest.approx(1.0, abs=1e-5) for h in hits)
    assert all(np.all(np.diff(h.scores) <= 1e-6) for h in hits)  # best first
    assert len(index) == 400 and index.tombstones == 0


def test_upsert_is_visible_in_next_search(filled: tuple[VectorIndex, NDArray[np.float32]]) -> None:
    index, vectors = filled
    index.upsert("id1", vectors[0])  # id1 now carries id0's vector
    assert set(index.search(vectors[0], 2)[0].ids) == {"id0", "id1"}
    assert "id1" not in index.search(vectors[1], 3)[0].ids  # the old vector is gone
    index.upsert("new", vectors[5])
    assert set(index.search(vectors[5], 2)[0].ids) == {"id5", "new"}
    assert len(index) == 401 and index.tombstones == 1


def test_delete_is_invisible(filled: tuple[VectorIndex, NDArray[np.float32]]) -> None:
    index, vectors = filled
    assert index.delete("id3") and not index.delete("id3") and not index.delete("nope")
    hits = index.search(vectors[3], 10)[0]
    assert "id3" not in hits.ids and len(hits.ids) == 10
    assert "id3" not in index and len(index) == 399


def test_search_returns_every_live_item_when_k_exceeds_size(kind: str) -> None:
    vectors = unit_vectors(30)
    index = build_index([f"x{i}" for i in range(30)], vectors, "m", FP, IndexConfig(kind=kind))  # type: ignore[arg-type]
    for i in range(0, 30, 3):
        index.delete(f"x{i}")
    hits = index.search(vectors[0], 100)[0]
    assert sorted(hits.ids) == sorted(index.ids()) and len(hits.ids) == 20


def test_later_duplicate_in_one_add_wins(kind: str) -> None:
    vectors = unit_vectors(3)
    index = build_index(["a", "b", "a"], vectors, "m", FP, IndexConfig(kind=kind))  # type: ignore[arg-type]
    assert len(index) == 2
    assert index.search(vectors[2], 1)[0].ids == ["a"]
    np.testing.assert_allclose(index.vectors(["a"])[0], vectors[2], atol=1e-6)


def test_wrong_dimension_is_refused(filled: tuple[VectorIndex, NDArray[np.float32]]) -> None:
    index, _ = filled
    with pytest.raises(ValueError, match="dimension"):
        index.search(unit_vectors(1, dim=DIM + 1), 3)


def test_save_load_round_trip_keeps_tombstones(filled: tuple[VectorIndex, NDArray[np.float32]], tmp_path: Path) -> None:
    index, vectors = filled
    index.delete("id7")
    index.upsert("id8", vectors[9])
    manifest = index.save(tmp_path / "vacancies")
    assert (manifest.count, manifest.tombstones, manifest.kind) == (399, 2, index.kind)
    loaded = load_index(tmp_path / "vacancies", FP)
    assert type(loaded) is type(index) and len(loaded) == 399 and loaded.tombstones == 2
    for q in (vectors[7], vectors[9], vectors[100]):
        assert loaded.search(q, 10)[0].ids == index.search(q, 10)[0].ids
    on_disk = json.loads((tmp_path / "vacancies" / MANIFEST_FILE).read_text())
    assert on_disk["encoder_fingerprint"] == FP and on_disk["dimension"] == DIM
    loaded.upsert("after-load", vectors[11])  # a loaded index keeps taking updates
    assert set(loaded.search(vectors[11], 2)[0].ids) == {"id11", "after-load"}


def test_save_compacts_beyond_the_tombstone_fraction(
    filled: tuple[VectorIndex, NDArray[np.float32]], tmp_path: Path
) -> None:
    index, vectors = filled
    before = index.search(vectors[250], 10)[0].ids
    for i in range(0, 200, 2):  # 100 of 400 rows: 25% > 20%
        index.delete(f"id{i}")
    expected = [i for i in before if int(i[2:]) >= 200 or int(i[2:]) % 2]
    manifest = index.save(tmp_path / "idx")
    assert manifest.tombstones == 0 and manifest.rows == manifest.count == 300
    assert index.search(vectors[250], 10)[0].ids[: len(expected)] == expected
    assert load_index(tmp_path / "idx", FP).search(vectors[250], 10)[0].ids == index.search(vectors[250], 10)[0].ids


# --- factory and recall -----------------------------------------------------------------------
def test_factory_chooses_by_size() -> None:
    config = IndexConfig(exact_below=1000)
    assert choose_kind(999, config) == "exact" and choose_kind(1000, config) == "ivf"
    assert choose_kind(10, IndexConfig(kind="hnsw")) == "hnsw"
    assert isinstance(build_index(["a"], unit_vectors(1), "m", FP, config), ExactIndex)
    many = build_index([str(i) for i in range(1000)], unit_vectors(1000), "m", FP, config)
    assert isinstance(many, IVFIndex)
    assert isinstance(build_index(["a"], unit_vectors(1), "m", FP, IndexConfig(kind="hnsw")), HNSWIndex)
    assert choose_kind(199_999) == "exact" and choose_kind(10**6) == "ivf"


def test_ivf_trains_on_the_first_batch_and_again_when_compacting(tmp_path: Path) -> None:
    config = IndexConfig(kind="ivf", ivf_lists_per_sqrt=2.0, ivf_train_per_list=40)
    index = build_index([str(i) for i in range(10_000)], unit_vectors(10_000), "m", FP, config)
    assert isinstance(index, IVFIndex) and index.lists() == 200  # 2 x sqrt(10,000)
    later = unit_vectors(5, seed=3)  # added to the trained lists, without re-training
    index.add([f"new{i}" for i in range(5)], later)
    assert index.lists() == 200 and index.search(later[2], 1)[0].ids == ["new2"]
    for i in range(8_000):  # 80 % tombstones: saving compacts, and the rebuild re-trains
        index.delete(str(i))
    index.save(tmp_path / "idx")
    loaded = load_index(tmp_path / "idx", FP, config)
    assert isinstance(loaded, IVFIndex) and loaded.lists() == 2_005 // 40  # at most one list per 40 rows
    assert len(loaded) == 2_005 and loaded.search(later[4], 1)[0].ids == ["new4"]
    np.testing.assert_array_equal(loaded.vectors(["new1"])[0], later[1])


def test_ivf_is_one_list_for_a_handful_of_vectors() -> None:
    index = build_index(["a", "b", "c"], unit_vectors(3), "m", FP, IndexConfig(kind="ivf"))
    assert isinstance(index, IVFIndex) and index.lists() == 1
    assert index.search(unit_vectors(3)[1], 3)[0].ids[0] == "b"


def clustered(n: int, centres: int, seed: int = 0, noise: float = 0.05, dim: int = DIM) -> NDArray[np.float32]:
    """Unit vectors around ``centres`` points, as sentence embeddings of similar texts are."""
    rng = np.random.default_rng(seed)
    x = unit_vectors(centres, seed, dim)[rng.integers(0, centres, n)]
    x = x + rng.normal(0, noise, x.shape).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("share", [0.05, 0.3, 1.0])
def test_ivf_filtered_search_scans_few_lists_and_keeps_recall(share: float) -> None:
    """The approximate path (exact scans switched off): the bitmap inside the nearest lists."""
    corpus = clustered(20_000, 400)
    config = IndexConfig(kind="ivf", exact_subset_below=0, ivf_exact_scan_share=1.0, ivf_nprobe=16)
    index = build_index([str(i) for i in range(len(corpus))], corpus, "m", FP, config)
    assert isinstance(index, IVFIndex)
    eligible = np.random.default_rng(1).random(len(corpus)) < share
    rows, found, lists = np.flatnonzero(eligible), 0, []
    for q in range(50):
        query = clustered(1, 400, seed=100 + q)[0]
        hits = index.search_rows(query, 10, eligible)
        assert eligible[hits.rows].all() and len(hits.rows) == 10
        exact = rows[np.argsort(-(corpus[rows] @ query))[:10]]
        found += len(set(hits.rows.tolist()) & set(exact.tolist()))
        lists.append(index._nprobe(10, len(rows)))
    assert found / 500 >= 0.9
    # Fewer eligible rows scan more lists (enough to meet them), never all of them here.
    assert max(lists) < index.lists() and (share < 1.0) == (lists[0] > config.ivf_nprobe)


def test_exact_index_equals_numpy_top_k(real_embeddings: tuple[NDArray, NDArray]) -> None:
    corpus, queries = real_embeddings
    ids = [str(i) for i in range(len(corpus))]
    index = build_index(ids, corpus, "minilm", FP, IndexConfig(kind="exact"))
    assert recall_at_k(index, corpus, ids, queries, 100) == pytest.approx(1.0)


def test_hnsw_recall_at_100_on_real_embeddings(real_embeddings: tuple[NDArray, NDArray]) -> None:
    corpus, queries = real_embeddings
    ids = [str(i) for i in range(len(corpus))]
    index = build_index(ids, corpus, "minilm", FP, IndexConfig(kind="hnsw"))
    assert recall_at_k(index, corpus, ids, queries, 100) >= 0.95
    # With 10% deleted, search among the live rows is still as good.
    for i in range(0, len(ids), 10):
        index.delete(ids[i])
    live = np.array([i % 10 != 0 for i in range(len(ids))])
    live_ids = [i for i, keep in zip(ids, live) if keep]
    assert recall_at_k(index, corpus[live], live_ids, queries, 100) >= 0.95


# --- persistence errors -----------------------------------------------------------------------
def test_missing_index_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="matcher index"):
        load_index(tmp_path / "nothing", FP)


def test_index_of_another_encoder_is_refused(filled: tuple[VectorIndex, NDArray[np.float32]], tmp_path: Path) -> None:
    index, _ = filled
    index.save(tmp_path / "idx")
    with pytest.raises(IndexModelMismatchError, match="test-model.*fp-test.*other-fp"):
        load_index(tmp_path / "idx", "other-fp")


@pytest.mark.parametrize("damage", ["truncate", "garble", "ids"])
def test_corrupt_files_are_a_named_error(
    filled: tuple[VectorIndex, NDArray[np.float32]], tmp_path: Path, damage: str
) -> None:
    index, _ = filled
    index.save(tmp_path / "idx")
    faiss_file = tmp_path / "idx" / FAISS_FILE
    if damage == "truncate":
        faiss_file.write_bytes(faiss_file.read_bytes()[:1000])
    elif damage == "garble":  # same size, so only FAISS itself can tell
        faiss_file.write_bytes(b"\x00" * faiss_file.stat().st_size)
    else:
        (tmp_path / "idx" / IDS_FILE).write_text('["a", "b"')
    with pytest.raises(IndexCorruptError):
        load_index(tmp_path / "idx", FP)


def test_failed_write_leaves_the_old_index_loadable(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = unit_vectors(50)
    old = build_index([f"o{i}" for i in range(50)], vectors, "m", FP, IndexConfig(kind=kind))  # type: ignore[arg-type]
    old.save(tmp_path / "idx")
    real_write = faiss.write_index

    def write_half_then_fail(index: object, path: str) -> None:
        real_write(index, path)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", write_half_then_fail)
    new = build_index(["n0"], vectors[:1], "m", FP, IndexConfig(kind=kind))  # type: ignore[arg-type]
    with pytest.raises(OSError, match="disk full"):
        new.save(tmp_path / "idx")
    monkeypatch.undo()
    loaded = load_index(tmp_path / "idx", FP)
    assert len(loaded) == 50 and loaded.search(vectors[4], 1)[0].ids == ["o4"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]  # no temporary leftovers


def test_crash_between_renames_falls_back_to_the_previous_index(tmp_path: Path) -> None:
    vectors = unit_vectors(10)
    build_index([str(i) for i in range(10)], vectors, "m", FP).save(tmp_path / "idx")
    (tmp_path / "idx").rename(tmp_path / ".idx.old")  # the state after the first rename
    assert len(load_index(tmp_path / "idx", FP)) == 10
    build_index(["z"], vectors[:1], "m", FP).save(tmp_path / "idx")  # the next write recovers
    assert load_index(tmp_path / "idx", FP).ids() == ["z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


@pytest.mark.parametrize("kind", ["exact", "hnsw", "ivf"])
@pytest.mark.parametrize("share", [0.01, 0.3, 0.9])
def test_filtered_search_finds_the_exact_top_k_among_the_eligible(kind: str, share: float) -> None:
    """Every exact path of ``search_rows`` (matrix product, exact scan, HNSW on a dense subset)."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((4000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    config = IndexConfig(kind=kind, exact_subset_below=200, hnsw_ef_search=400)  # type: ignore[arg-type]
    index = build_index([str(i) for i in range(4000)], vectors, "m", "fp", config)
    eligible = rng.random(4000) < share
    query = vectors[3]
    found = index.search_rows(query, 20, eligible)
    rows = np.flatnonzero(eligible)
    exact = rows[np.argsort(-(vectors[rows] @ query))[:20]]
    assert eligible[found.rows].all()
    overlap = len(set(found.rows.tolist()) & set(exact.tolist())) / 20
    assert overlap == 1.0 if (kind != "hnsw" or share < 0.7) else overlap >= 0.9


# --- the quantised first pass of an exact index -------------------------------------------------
def _exact_rows(vectors: NDArray[np.float32], eligible: NDArray[np.bool_], query: NDArray, k: int) -> list[int]:
    rows = np.flatnonzero(eligible)
    return rows[np.argsort(-(vectors[rows] @ query), kind="stable")[:k]].tolist()


@pytest.mark.parametrize("scan", ["int8", "fp16"])
def test_quantised_scan_returns_the_exact_top_k_and_scores(scan: str, tmp_path: Path) -> None:
    """The first pass only picks rows; the re-score makes results equal to the float32 scan, also
    after upserts (the copy catches up), deletes, a compaction and a save and load."""
    rng = np.random.default_rng(11)
    vectors = unit_vectors(3000, seed=11)
    config = IndexConfig(kind="exact", exact_subset_below=50, quantised_scan=scan, quantised_scan_above=100)  # type: ignore[arg-type]
    index = build_index([str(i) for i in range(3000)], vectors, "m", FP, config)
    assert isinstance(index, ExactIndex)

    def check(index: VectorIndex, vectors: NDArray[np.float32], live: NDArray[np.bool_]) -> None:
        for q in range(0, len(vectors), 150):
            eligible = live & (rng.random(len(live)) < 0.5)
            found = index.search_rows(vectors[q], 25, eligible)
            assert found.rows.tolist() == _exact_rows(vectors, eligible, vectors[q], 25)
            assert np.allclose(found.scores, vectors[found.rows] @ vectors[q], atol=1e-6)

    live = np.ones(3000, dtype=bool)
    check(index, vectors, live)
    assert index._scan is not None and len(index._scan) == 3000
    moved = unit_vectors(200, seed=12) * 1.0
    index.add([str(i) for i in range(200)], moved)  # upserts: new rows at the end, old ones tombstoned
    vectors, live = np.vstack([vectors, moved]), np.concatenate([live, np.ones(200, dtype=bool)])
    live[:200] = False
    check(index, vectors, live)
    assert len(index._scan) == 3200
    index.save(tmp_path / "idx")
    loaded = load_index(tmp_path / "idx", FP, config)
    assert isinstance(loaded, ExactIndex) and loaded._scan is not None and len(loaded._scan) == 3200
    check(loaded, vectors, live)
    for i in range(200, 1000):  # past the compaction fraction: the next save makes a fresh flat index
        loaded.delete(str(i))
    live[200:1000] = False
    loaded.save(tmp_path / "idx")
    rows = np.flatnonzero(live)
    check(loaded, vectors[rows], np.ones(len(rows), dtype=bool))
    assert len(loaded._scan) == len(rows)  # type: ignore[arg-type]


def test_quantised_scan_keeps_recall_at_100_on_real_embeddings(real_embeddings: tuple[NDArray, NDArray]) -> None:
    corpus, queries = real_embeddings
    config = IndexConfig(kind="exact", exact_subset_below=10, quantised_scan_above=10, rescore_min=200)
    index = build_index([str(i) for i in range(len(corpus))], corpus, "minilm", FP, config)
    eligible = np.ones(len(corpus), dtype=bool)
    found = 0
    for query in queries:
        sims = corpus @ query
        kth = np.sort(sims)[-100]
        truth = set(np.flatnonzero(sims >= kth - 1e-6).tolist())
        found += min(100, len(truth & set(index.search_rows(query, 100, eligible).rows.tolist())))
    assert found / (100 * len(queries)) >= 0.99


def test_an_index_written_without_the_quantised_scan_opens_with_it(tmp_path: Path) -> None:
    """The copy lives in memory only: files keep their format in both directions."""
    vectors = unit_vectors(500)
    build_index([str(i) for i in range(500)], vectors, "m", FP, IndexConfig(quantised_scan="off")).save(tmp_path / "a")
    config = IndexConfig(exact_subset_below=10, quantised_scan_above=100)
    loaded = load_index(tmp_path / "a", FP, config)
    eligible = np.ones(500, dtype=bool)
    assert loaded.search_rows(vectors[7], 10, eligible).rows.tolist() == _exact_rows(vectors, eligible, vectors[7], 10)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted([FAISS_FILE, IDS_FILE, MANIFEST_FILE])
