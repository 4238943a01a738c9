"""A FAISS index over one vector space, a cache rebuilt from the database when stale.

Vectors are unit vectors compared by inner product (cosine similarity); ids are event ids.
The index kind is a faiss factory string ("IDMap2,Flat", "IVF256,Flat", "IDMap2,HNSW32").
On disk an index is ``<name>.faiss`` plus a JSON stamp ``<name>.json`` saying which database
state it reflects: {space, dim, factory, built, count, max_id, generation, epoch, bytes, crc32}.
The store bumps a space's ``generation`` on every write to its vectors and its ``epoch`` on
every write that is not a pure append (a delete); same epoch, newer generation = append only.
"""

from __future__ import annotations

import json
import logging
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from memory.files import atomic_write

try:
    import faiss
except ImportError as exc:  # pragma: no cover - faiss-cpu is a core dependency
    raise ImportError("faiss is not installed: pip install faiss-cpu (or 'mnemo[gpu]')") from exc

logger = logging.getLogger(__name__)

DEFAULT_FACTORY = "IDMap2,Flat"
_POINTS_PER_CENTROID = 39  # faiss warns below this many training points per IVF list
_IVF = re.compile(r"IVF(\d+)")


@dataclass(frozen=True)
class SpaceState:
    """What the database says about one space, read in one transaction with its vectors."""

    space: str
    dim: int
    generation: int  # bumped by every write to the space's vectors
    epoch: int  # bumped by every write that is not an append (deletes)
    count: int  # vectors in the space
    ids: np.ndarray | None = None  # (n,) int64, when vectors were asked for
    vectors: np.ndarray | None = None  # (n, dim) float32


FLOAT16 = np.dtype("<f2")  # how every vector is stored in the database: little-endian float16 blobs


def build_space_state(space: str, counters: tuple, rows: list | None = None) -> SpaceState:
    """A SpaceState from a (dim, generation, epoch, count) row and, when given, (id, float16 blob) rows."""
    dim, generation, epoch, count = counters
    if rows is None:
        return SpaceState(space, dim, generation, epoch, count)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=FLOAT16).astype(np.float32)
    return SpaceState(space, dim, generation, epoch, count, ids, vectors.reshape(len(rows), dim))


class VectorSource(Protocol):
    """Where an index gets its truth (the store)."""

    def space_state(self, space: str, after_id: int | None = None, with_vectors: bool = False) -> SpaceState:
        """The space's counters, and its vectors with id > after_id when asked."""
        ...


@dataclass(frozen=True)
class Stamp:
    """The database state an index file reflects."""

    space: str
    dim: int
    factory: str  # the factory string asked for
    built: str  # the one actually built (Flat while too few vectors to train IVF)
    count: int
    max_id: int  # -1 when empty
    generation: int
    epoch: int
    bytes: int = 0  # size of the .faiss file
    crc32: int = 0  # its checksum: a stamp only vouches for the file it was written with


class VectorIndex:
    """Inner-product kNN over one space's unit vectors, keyed by event id."""

    def __init__(self, space: str, dim: int, factory: str = DEFAULT_FACTORY, nprobe: int = 16,
                 ef_search: int = 128) -> None:
        if dim <= 0:
            raise ValueError(f"VectorIndex dim = {dim}: expected > 0")
        self.space, self.dim, self.factory = space, int(dim), factory
        self.nprobe, self.ef_search = nprobe, ef_search
        self.built = factory
        self.generation = self.epoch = 0
        self.max_id = -1
        self._index = self._make(factory)

    # ------------------------------------------------------------ building
    def _make(self, factory: str) -> faiss.Index:
        try:
            index = faiss.index_factory(self.dim, factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise ValueError(f"index factory {factory!r} is not a valid faiss factory string: {exc}") from exc
        if not isinstance(index, (faiss.IndexIDMap, faiss.IndexIDMap2)) and not _is_ivf(index):
            index = faiss.IndexIDMap2(index)  # "Flat" or "HNSW32" alone cannot take ids
        return index

    def _trainable_with(self, n: int) -> bool:
        m = _IVF.search(self.factory)
        return m is None or n >= _POINTS_PER_CENTROID * int(m.group(1))

    def build(self, ids: np.ndarray, vectors: np.ndarray, generation: int = 0, epoch: int = 0) -> None:
        """Replace the contents with these vectors (training first when the factory needs it)."""
        ids, vectors = self._checked(ids, vectors)
        self.built = self.factory
        if not self._trainable_with(len(ids)):
            logger.warning("space %r: %d vectors are too few to train %r; using a flat index until there are more",
                           self.space, len(ids), self.factory)
            self.built = DEFAULT_FACTORY
        self._index = self._make(self.built)
        if not self._index.is_trained:
            self._index.train(vectors)
        self.max_id = -1
        self.add(ids, vectors)
        self.generation, self.epoch = generation, epoch

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Append vectors; their ids must all exceed the ids already in."""
        ids, vectors = self._checked(ids, vectors)
        if not len(ids):
            return
        if ids.min() <= self.max_id:
            raise ValueError(f"space {self.space!r}: ids must grow; got {int(ids.min())} <= {self.max_id}")
        self._index.add_with_ids(vectors, ids)
        self.max_id = int(ids.max())

    def _checked(self, ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1) if len(ids) \
            else np.zeros((0, self.dim), np.float32)
        if vectors.shape[1] != self.dim:
            raise ValueError(f"space {self.space!r} has dim {self.dim}, got vectors of dim {vectors.shape[1]}")
        return ids, vectors

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    # ------------------------------------------------------------ search
    def search(self, query: np.ndarray, k: int = 10, allowed_ids: Iterable[int] | None = None
               ) -> list[tuple[int, float]] | list[list[tuple[int, float]]]:
        """Top-k (id, score) by inner product; a (n, dim) query gives one list per row."""
        q = np.asarray(query, dtype=np.float32)
        single = q.ndim == 1
        q = np.ascontiguousarray(q.reshape(1, -1) if single else q)
        if q.ndim != 2 or q.shape[1] != self.dim:
            raise ValueError(f"space {self.space!r} has dim {self.dim}, got a query of shape {np.shape(query)}")
        allowed = None if allowed_ids is None else np.fromiter(allowed_ids, dtype=np.int64)
        if k <= 0 or self.count == 0 or (allowed is not None and allowed.size == 0):
            return [] if single else [[] for _ in range(len(q))]
        k = min(int(k), self.count if allowed is None else min(self.count, allowed.size))
        scores, ids = self._index.search(q, k, params=self._params(allowed))
        rows = [[(int(i), float(s)) for i, s in zip(row_ids, row_scores) if i >= 0]
                for row_ids, row_scores in zip(ids, scores)]
        return rows[0] if single else rows

    def _params(self, allowed: np.ndarray | None) -> faiss.SearchParameters:
        selector = None if allowed is None else faiss.IDSelectorBatch(allowed)
        inner = faiss.downcast_index(self._index.index) if isinstance(
            self._index, (faiss.IndexIDMap, faiss.IndexIDMap2)) else self._index
        if _is_ivf(inner):
            params = faiss.SearchParametersIVF(nprobe=self.nprobe)
        elif isinstance(inner, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(efSearch=self.ef_search)
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
            params._selector = selector  # keep the selector alive as long as the params
        return params

    # ------------------------------------------------------------ files
    def stamp(self) -> Stamp:
        return Stamp(self.space, self.dim, self.factory, self.built, self.count, self.max_id,
                     self.generation, self.epoch)

    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` and its ``.json`` stamp atomically (temp file, then os.replace)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = faiss.serialize_index(self._index).tobytes()
        stamp = asdict(self.stamp()) | {"bytes": len(data), "crc32": zlib.crc32(data)}
        atomic_write(path, data)
        atomic_write(stamp_path(path), json.dumps(stamp, indent=1).encode())

    @classmethod
    def load(cls, path: str | os.PathLike, nprobe: int = 16, ef_search: int = 128) -> VectorIndex:
        """Read an index file checked against its stamp; ValueError/OSError when unusable."""
        path = Path(path)
        try:
            stamp = Stamp(**json.loads(stamp_path(path).read_text()))
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
            raise ValueError(f"index stamp {stamp_path(path)} is unreadable: {exc}") from exc
        data = path.read_bytes()
        if len(data) != stamp.bytes or zlib.crc32(data) != stamp.crc32:
            raise ValueError(f"index file {path} does not match its stamp")
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise ValueError(f"index file {path} is unreadable: {exc}") from exc
        if index.d != stamp.dim or index.ntotal != stamp.count:
            raise ValueError(f"index file {path} holds {index.ntotal} vectors of dim {index.d}, "
                             f"its stamp says {stamp.count} of dim {stamp.dim}")
        self = cls(stamp.space, stamp.dim, stamp.factory, nprobe, ef_search)
        self._index, self.built = index, stamp.built
        self.max_id, self.generation, self.epoch = stamp.max_id, stamp.generation, stamp.epoch
        return self

    # ------------------------------------------------------------ keeping up with the database
    def sync(self, source: VectorSource) -> bool:
        """Bring the index up to the database: append new rows, or rebuild. True if it changed."""
        head = source.space_state(self.space)
        if head.dim == self.dim and (head.generation, head.epoch) == (self.generation, self.epoch) \
                and self.built == self.factory:
            return False
        if head.dim == self.dim and head.epoch == self.epoch and head.generation > self.generation \
                and (self.built == self.factory or not self._trainable_with(head.count)):
            new = source.space_state(self.space, after_id=self.max_id, with_vectors=True)
            if new.epoch == self.epoch and self.count + len(new.ids) == new.count:
                self.add(new.ids, new.vectors)
                self.generation = new.generation
                logger.debug("space %r: appended %d vectors to the index", self.space, len(new.ids))
                return True
        full = source.space_state(self.space, with_vectors=True)
        if full.dim != self.dim:
            self.dim = full.dim
        self.build(full.ids, full.vectors, full.generation, full.epoch)
        logger.info("space %r: index rebuilt from the database (%d vectors, %s)", self.space, self.count, self.built)
        return True


def load_or_build(path: str | os.PathLike, source: VectorSource, space: str, factory: str = DEFAULT_FACTORY,
                  nprobe: int = 16, ef_search: int = 128, save: bool = True) -> VectorIndex:
    """The index file at ``path`` brought up to date with ``source``; rebuilt when missing or unusable."""
    path = Path(path)
    head = source.space_state(space)
    index = None
    if path.exists():
        try:
            index = VectorIndex.load(path, nprobe, ef_search)
        except (OSError, ValueError) as exc:
            logger.warning("index %s is unusable, rebuilding: %s", path, exc)
    if index is not None and (index.space, index.dim, index.factory) != (space, head.dim, factory):
        logger.info("index %s was built for %s/%d/%r; rebuilding", path, index.space, index.dim, index.factory)
        index = None
    if index is None:
        index = VectorIndex(space, head.dim, factory, nprobe, ef_search)
        index.generation = index.epoch = -1  # forces a full build in sync
    if index.sync(source) and save:
        try:
            index.save(path)
        except OSError as exc:
            logger.warning("could not write index %s (kept in memory): %s", path, exc)
    return index


def stamp_path(path: str | os.PathLike) -> Path:
    return Path(path).with_suffix(".json")


def safe_name(space: str) -> str:
    """A file name for a space: its characters when safe, else a cleaned name plus a hash."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", space).strip(".") or "space"
    return clean if clean == space else f"{clean}-{zlib.crc32(space.encode()):08x}"


def _is_ivf(index: faiss.Index) -> bool:
    try:
        faiss.extract_index_ivf(index)
    except RuntimeError:
        return False
    return True


