"""FAISS indexes against brute force, and their file cache against a changing source."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from memory.index import SpaceState, VectorIndex, load_or_build, safe_name, stamp_path

DIM = 32


def unit_vectors(n: int, seed: int, clusters: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM))
    if clusters:  # embeddings are clustered, not uniform on the sphere
        centres = rng.standard_normal((clusters, DIM)) * 2
        x += centres[rng.integers(0, clusters, n)]
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_force(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors @ query
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(ids[i]) for i in order]


def recall(index: VectorIndex, ids, vectors, queries, k: int) -> float:
    hits = 0
    for q in queries:
        found = {i for i, _ in index.search(q, k)}
        hits += len(found & set(brute_force(ids, vectors, q, k)))
    return hits / (k * len(queries))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.arange(1, 2001, dtype=np.int64) * 3  # event ids are not positions
    return ids, unit_vectors(2000, 0, clusters=20), unit_vectors(20, 1, clusters=20)


def test_flat_equals_brute_force(data) -> None:
    ids, vectors, queries = data
    index = VectorIndex("clip", DIM)
    index.build(ids, vectors)
    for q in queries:
        got = index.search(q, 10)
        assert [i for i, _ in got] == brute_force(ids, vectors, q, 10)
        expected = np.sort(vectors @ q)[::-1][:10]
        np.testing.assert_allclose([s for _, s in got], expected, rtol=0, atol=1e-5)


def test_filtered_search_equals_brute_force_on_the_subset(data) -> None:
    ids, vectors, queries = data
    index = VectorIndex("clip", DIM)
    index.build(ids, vectors)
    keep = ids[::7]
    mask = np.isin(ids, keep)
    for q in queries[:5]:
        got = [i for i, _ in index.search(q, 5, allowed_ids=set(keep.tolist()))]
        assert got == brute_force(ids[mask], vectors[mask], q, 5)
    assert index.search(queries[0], 5, allowed_ids=set()) == []
    assert len(index.search(queries[0], 50, allowed_ids={int(ids[0]), int(ids[1])})) == 2


def test_batch_query_gives_one_list_per_row(data) -> None:
    ids, vectors, queries = data
    index = VectorIndex("clip", DIM)
    index.build(ids, vectors)
    rows = index.search(queries[:3], 4)
    assert len(rows) == 3 and all(len(r) == 4 for r in rows)
    assert rows[1] == index.search(queries[1], 4)


def test_ivf_recall(data) -> None:
    ids, vectors, queries = data
    index = VectorIndex("clip", DIM, factory="IVF16,Flat", nprobe=4)
    index.build(ids, vectors)
    assert index.built == "IVF16,Flat"
    assert recall(index, ids, vectors, queries, 10) >= 0.9


def test_ivf_with_too_few_vectors_falls_back_to_flat(data, caplog) -> None:
    ids, vectors, queries = data
    index = VectorIndex("clip", DIM, factory="IVF16,Flat")
    with caplog.at_level(logging.WARNING, logger="memory.index"):
        index.build(ids[:100], vectors[:100])
    assert index.built == "IDMap2,Flat" and "too few to train" in caplog.text
    assert [i for i, _ in index.search(queries[0], 5)] == brute_force(ids[:100], vectors[:100], queries[0], 5)


@pytest.mark.parametrize("factory", ["IDMap2,HNSW32", "HNSW32"])
def test_hnsw_recall(data, factory: str) -> None:
    ids, vectors, queries = data
    index = VectorIndex("clip", DIM, factory=factory)
    index.build(ids, vectors)
    assert recall(index, ids, vectors, queries, 10) >= 0.9


def test_bad_factory_and_dims_are_clear_errors(data) -> None:
    with pytest.raises(ValueError, match="not a valid faiss factory"):
        VectorIndex("clip", DIM, factory="Nonsense42")
    index = VectorIndex("clip", DIM)
    with pytest.raises(ValueError, match="dim 32"):
        index.build(np.arange(3), np.ones((3, 8)))
    with pytest.raises(ValueError, match="dim 32"):
        index.search(np.ones(8), 3)


def test_ids_must_grow(data) -> None:
    ids, vectors, _ = data
    index = VectorIndex("clip", DIM)
    index.build(ids[:10], vectors[:10])
    with pytest.raises(ValueError, match="ids must grow"):
        index.add(ids[5:6], vectors[5:6])


class FakeSource:
    """A space in a 'database': append, delete, and count what was read."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids, self.vectors = ids, vectors
        self.generation, self.epoch = len(ids), 0
        self.full_reads = 0

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids, self.vectors = np.concatenate([self.ids, ids]), np.concatenate([self.vectors, vectors])
        self.generation += len(ids)

    def delete(self, n: int) -> None:
        self.ids, self.vectors = self.ids[n:], self.vectors[n:]
        self.generation += 1
        self.epoch += 1

    def space_state(self, space: str, after_id: int | None = None, with_vectors: bool = False) -> SpaceState:
        if not with_vectors:
            return SpaceState(space, DIM, self.generation, self.epoch, len(self.ids))
        self.full_reads += after_id is None
        mask = self.ids > (-1 if after_id is None else after_id)
        return SpaceState(space, DIM, self.generation, self.epoch, len(self.ids), self.ids[mask], self.vectors[mask])


def test_load_or_build_cycle(tmp_path, data) -> None:
    ids, vectors, queries = data
    path = tmp_path / "index" / f"{safe_name('clip/ViT-B:32')}.faiss"
    source = FakeSource(ids[:1000], vectors[:1000])

    index = load_or_build(path, source, "clip")  # missing: built
    assert source.full_reads == 1 and path.exists()
    stamp = json.loads(stamp_path(path).read_text())
    assert {k: stamp[k] for k in ("space", "dim", "factory", "count", "max_id", "generation")} == {
        "space": "clip", "dim": DIM, "factory": "IDMap2,Flat", "count": 1000, "max_id": int(ids[999]),
        "generation": 1000}

    assert load_or_build(path, source, "clip").count == 1000 and source.full_reads == 1  # fresh: loaded

    source.append(ids[1000:], vectors[1000:])  # appended since: added incrementally
    index = load_or_build(path, source, "clip")
    assert source.full_reads == 1 and index.count == 2000
    assert [i for i, _ in index.search(queries[0], 10)] == brute_force(ids, vectors, queries[0], 10)

    source.delete(500)  # not an append: rebuilt
    index = load_or_build(path, source, "clip")
    assert source.full_reads == 2 and index.count == 1500
    assert [i for i, _ in index.search(queries[0], 10)] == brute_force(ids[500:], vectors[500:], queries[0], 10)

    path.write_bytes(b"garbage")  # unreadable: rebuilt
    assert load_or_build(path, source, "clip").count == 1500 and source.full_reads == 3
    stamp_path(path).unlink()  # stamp missing: rebuilt
    assert load_or_build(path, source, "clip").count == 1500 and source.full_reads == 4
    assert load_or_build(path, source, "clip", factory="IDMap2,HNSW32").factory == "IDMap2,HNSW32"
    assert source.full_reads == 5  # another factory asked for: rebuilt


def test_sync_trains_ivf_once_there_are_enough_vectors(tmp_path, data) -> None:
    ids, vectors, _ = data
    source = FakeSource(ids[:100], vectors[:100])
    index = load_or_build(tmp_path / "x.faiss", source, "clip", factory="IVF16,Flat")
    assert index.built == "IDMap2,Flat"
    source.append(ids[100:], vectors[100:])
    assert index.sync(source) and index.built == "IVF16,Flat" and index.count == 2000


def test_safe_name() -> None:
    assert safe_name("clip") == "clip"
    assert safe_name("clip/ViT-B:32") != safe_name("clip_ViT-B_32")
    assert "/" not in safe_name("../../etc") and not safe_name("../../etc").startswith(".")
