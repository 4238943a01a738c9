"""The store's vectors: vector spaces, per-event vectors (float16 in SQLite), their FAISS indexes
(caches rebuilt when missing or stale) and search (a part of ``MemoryStore``, memory/store.py)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from memory.index import FLOAT16, SpaceState, VectorIndex, build_space_state, load_or_build, safe_name
from memory.store_base import StoreBase

logger = logging.getLogger("memory.store")  # the store's log, whichever part writes it

_VECTOR_DTYPE = FLOAT16


class StoreVectors(StoreBase):
    """Vector spaces, vectors, indexes and search (a part of MemoryStore)."""

    @staticmethod
    def _use_space(c: sqlite3.Connection, space: str, dim: int) -> None:
        row = c.execute("SELECT dim FROM spaces WHERE name = ?", (space,)).fetchone()
        if row is None:
            c.execute("INSERT INTO spaces(name, dim) VALUES (?, ?)", (space, dim))
        elif row[0] != dim:
            raise ValueError(f"space {space!r} has dim {row[0]}; got a vector of dim {dim}")

    def replace_vector(self, event_id: int, space: str, vector: np.ndarray) -> None:
        """Overwrite (or add) one vector of an event; the space's index is rebuilt on next use."""
        dim, blob = _encode_vector(space, vector)
        with self._write() as c:
            if c.execute("SELECT 1 FROM events WHERE id = ?", (int(event_id),)).fetchone() is None:
                raise KeyError(f"no event {event_id} in memory {self.directory}")
            self._use_space(c, space, dim)
            c.execute("INSERT INTO vectors(event_id, space, data) VALUES (?, ?, ?) ON CONFLICT(event_id, space) "
                      "DO UPDATE SET data = excluded.data", (int(event_id), space, blob))
            c.execute("UPDATE spaces SET generation = generation + 1, epoch = epoch + 1, "
                      "count = (SELECT COUNT(*) FROM vectors WHERE space = ?) WHERE name = ?", (space, space))

    def spaces(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT name, dim FROM spaces ORDER BY name").fetchall())

    def vectors(self, space: str) -> tuple[np.ndarray, np.ndarray]:
        """All vectors of a space: (ids int64 (n,), float32 (n, dim)), ordered by id."""
        state = self.space_state(space, with_vectors=True)
        assert state.ids is not None and state.vectors is not None
        return state.ids, state.vectors

    def space_state(self, space: str, after_id: int | None = None, with_vectors: bool = False) -> SpaceState:
        """A space's counters (and vectors with id > after_id) from one snapshot; the indexes' source."""
        with self._read() as c:
            row = c.execute("SELECT dim, generation, epoch, count FROM spaces WHERE name = ?", (space,)).fetchone()
            if row is None:
                raise KeyError(f"unknown space {space!r} in memory {self.directory}; spaces = {sorted(self.spaces())}")
            if not with_vectors:
                return build_space_state(space, row)
            data = c.execute("SELECT event_id, data FROM vectors WHERE space = ? AND event_id > ? ORDER BY event_id",
                             (space, -1 if after_id is None else int(after_id))).fetchall()
        return build_space_state(space, row, data)

    def index_path(self, space: str) -> Path:
        return self.directory / "index" / f"{safe_name(space)}.faiss"

    def index(self, space: str) -> VectorIndex:
        """The space's FAISS index, loaded or rebuilt as needed and kept up to date with the database."""
        index = self._indexes.get(space)
        if index is None:
            index = load_or_build(self.index_path(space), self, space, self.index_factory, self.nprobe)
            self._indexes[space] = index
        elif index.sync(self):
            try:
                index.save(self.index_path(space))
            except OSError as exc:
                logger.warning("could not write index %s (kept in memory): %s", self.index_path(space), exc)
        return index

    def search(self, space: str, query: np.ndarray, k: int = 10, stream: str | None = None,
               ids: Iterable[int] | None = None) -> list[tuple[int, float]]:
        """Top-k (event id, cosine score) in a space, optionally only among a stream's events / given ids."""
        index = self.index(space)
        allowed: set[int] | None = None if ids is None else {int(i) for i in ids}
        if stream is not None:
            in_stream = {r[0] for r in self._conn.execute("SELECT id FROM events WHERE stream = ?", (stream,))}
            allowed = in_stream if allowed is None else allowed & in_stream
        q = np.asarray(query, dtype=np.float32)
        if q.ndim != 1:
            raise ValueError(f"search: query must be one vector of shape ({index.dim},), got {q.shape}")
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        result = index.search(q, k, allowed)
        return result  # type: ignore[return-value]


def _encode_vector(space: str, vector: np.ndarray) -> tuple[int, bytes]:
    v = np.asarray(vector, dtype=np.float32)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"space {space!r}: expected a (dim,) vector, got shape {v.shape}")
    with np.errstate(over="ignore"):
        half = v.astype(_VECTOR_DTYPE)
    if not np.isfinite(half).all():
        raise ValueError(f"space {space!r}: vector has values that are not finite in float16")
    return v.size, half.tobytes()


def _decode_vector(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=_VECTOR_DTYPE).astype(np.float32)
