"""The entity registry's vectors: galleries of representative vectors and crops, their FAISS
indexes, search, and the re-identification state.

Entity vectors are searched through a FAISS index per vector space, ``index/entity_<space>``,
a cache of ``entity_gallery`` kept in step like the event indexes (``memory.index``).
"""

from __future__ import annotations

import io
import logging
import sqlite3
from pathlib import Path

import numpy as np

from memory.entity_base import (_SUM_DTYPE, SPACE_PREFIX, EntityNotFound, RegistryBase, _check_kind,
                                _decode_vector, _encode_vector, _thumbnail, entity_ref)
from memory.index import SpaceState, VectorIndex, build_space_state, load_or_build, safe_name

logger = logging.getLogger(__name__)


class EntityGallery(RegistryBase):
    """Gallery vectors and crops, entity search, re-identification state (a part of EntityRegistry)."""

    def add_gallery(self, entity: str | int, vector: np.ndarray, space: str, kind: str | None = None,
                    crop: np.ndarray | bytes | None = None, time: float | None = None,
                    stream: str | None = None) -> int | None:
        """Offer a vector (and crop) to the entity's gallery of ``space``; returns its gallery id,
        or None when it was not kept (the gallery is full of vectors that differ more)."""
        with self._write() as c:
            root = self._root(c, entity)
            kind = kind or c.execute("SELECT kind FROM entities WHERE id = ?", (root,)).fetchone()[0]
            _check_kind(kind)
            return self._add_gallery(c, root, kind, space, vector, crop, time, stream)

    def _add_gallery(self, c: sqlite3.Connection, entity: int, kind: str, space: str, vector: np.ndarray,
                     crop: np.ndarray | bytes | None, time: float | None, stream: str | None) -> int | None:
        blob, dim = _encode_vector(space, vector)
        row = c.execute("SELECT dim FROM entity_spaces WHERE name = ?", (space,)).fetchone()
        if row is None:
            c.execute("INSERT INTO entity_spaces(name, dim) VALUES (?, ?)", (space, dim))
        elif row[0] != dim:
            raise ValueError(f"entity space {space!r} has dim {row[0]}; got a vector of dim {dim}")
        cur = c.execute("INSERT INTO entity_gallery(entity_id, kind, space, vector, crop, time, stream) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (entity, kind, space, blob, self._jpeg(crop), None if time is None else float(time), stream))
        gallery_id = int(cur.lastrowid)
        c.execute("UPDATE entity_spaces SET count = count + 1, generation = generation + 1 WHERE name = ?", (space,))
        dropped = self._trim_gallery(c, entity, space)
        return None if gallery_id in dropped else gallery_id

    def _trim_gallery(self, c: sqlite3.Connection, entity: int, space: str) -> list[int]:
        """Drop the most redundant vectors (highest similarity to another) down to gallery_size."""
        rows = c.execute("SELECT id, vector FROM entity_gallery WHERE entity_id = ? AND space = ? ORDER BY id",
                         (entity, space)).fetchall()
        excess = len(rows) - self.config.gallery_size
        if excess <= 0:
            return []
        ids = [r[0] for r in rows]
        vectors = np.stack([_decode_vector(r[1]) for r in rows]).astype(np.float64)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -np.inf)
        alive = list(range(len(ids)))
        dropped = []
        for _ in range(excess):
            sub = sims[np.ix_(alive, alive)]
            worst = alive[int(np.argmax(sub.max(axis=1)))]  # the oldest among equals
            alive.remove(worst)
            dropped.append(ids[worst])
        self._delete_gallery(c, dropped)
        return dropped

    def _delete_gallery(self, c: sqlite3.Connection, ids: list[int], unlink: bool = True) -> dict[str, int]:
        """Delete gallery rows (and, with ``unlink``, their thumbnails); returns the rows deleted per space."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        per_space = dict(c.execute(f"SELECT space, COUNT(*) FROM entity_gallery WHERE id IN ({marks}) GROUP BY space",
                                   ids).fetchall())
        c.execute(f"DELETE FROM entity_gallery WHERE id IN ({marks})", ids)
        c.executemany("UPDATE entity_spaces SET count = count - ?, generation = generation + 1, epoch = epoch + 1 "
                      "WHERE name = ?", [(n, s) for s, n in per_space.items()])
        for gallery_id in ids if unlink else ():
            self._thumb(f"entity-{gallery_id}").unlink(missing_ok=True)
        return per_space

    def gallery(self, entity: str | int) -> list[dict]:
        """The entity's gallery: id, kind, space, time, stream, crop (bool)."""
        root = self.resolve(entity)
        rows = self._conn.execute("SELECT id, kind, space, time, stream, crop IS NOT NULL FROM entity_gallery "
                                  "WHERE entity_id = ? ORDER BY id", (root,)).fetchall()
        return [{"id": i, "kind": k, "space": s, "time": t, "stream": st, "crop": bool(cr)}
                for i, k, s, t, st, cr in rows]

    def gallery_vectors(self, entity: str | int, space: str) -> np.ndarray:
        """(n, dim) float32 gallery vectors of the entity in ``space``."""
        rows = self._conn.execute("SELECT vector FROM entity_gallery WHERE entity_id = ? AND space = ? ORDER BY id",
                                  (self.resolve(entity), space)).fetchall()
        dim = self.spaces().get(space, 0)
        return np.stack([_decode_vector(r[0]) for r in rows]) if rows else np.zeros((0, dim), np.float32)

    def gallery_views(self, kind: str, space: str) -> dict[int, np.ndarray]:
        """Entity -> (n, dim) gallery vectors in ``space`` of every remembered entity of ``kind`` (roots only):
        the views re-identification compares entities on (``ReidClusterer.merge_candidates``)."""
        _check_kind(kind)
        rows = self._conn.execute(
            "SELECT g.entity_id, g.vector FROM entity_gallery g JOIN entities e ON e.id = g.entity_id "
            "WHERE e.kind = ? AND g.space = ? AND e.merged_into IS NULL AND e.forgotten IS NULL ORDER BY g.id",
            (kind, space)).fetchall()
        views: dict[int, list[np.ndarray]] = {}
        for entity, blob in rows:
            views.setdefault(int(entity), []).append(_decode_vector(blob))
        return {entity: np.stack(vectors) for entity, vectors in views.items()}

    def crop_path(self, gallery_id: int) -> Path:
        """The thumbnail file of a gallery crop, written from the database when missing."""
        row = self._conn.execute("SELECT crop FROM entity_gallery WHERE id = ?", (int(gallery_id),)).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"gallery item {gallery_id} has no crop in memory {self.store.directory}")
        return _thumbnail(self._thumb(f"entity-{int(gallery_id)}"), bytes(row[0]))

    # ------------------------------------------------------------------ search
    def spaces(self) -> dict[str, int]:
        """Entity vector spaces and their dimensions."""
        return dict(self._conn.execute("SELECT name, dim FROM entity_spaces ORDER BY name").fetchall())

    def space_state(self, space: str, after_id: int | None = None, with_vectors: bool = False) -> SpaceState:
        """The VectorSource of the entity indexes: ``space`` is ``"entity/<vector space>"``."""
        name = space[len(SPACE_PREFIX):] if space.startswith(SPACE_PREFIX) else space
        with self._read() as c:
            row = c.execute("SELECT dim, generation, epoch, count FROM entity_spaces WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise KeyError(f"no entity vectors of space {name!r}; spaces = {sorted(self.spaces())}")
            if not with_vectors:
                return build_space_state(space, row)
            data = c.execute("SELECT id, vector FROM entity_gallery WHERE space = ? AND id > ? ORDER BY id",
                             (name, -1 if after_id is None else int(after_id))).fetchall()
        return build_space_state(space, row, data)

    def index_path(self, space: str) -> Path:
        return self.store.directory / "index" / f"{safe_name(SPACE_PREFIX + space)}.faiss"

    def index(self, space: str) -> VectorIndex:
        """The FAISS index of a space's gallery vectors (ids are gallery ids), kept up to date."""
        index = self._indexes.get(space)
        path = self.index_path(space)
        if index is None:
            index = load_or_build(path, self, SPACE_PREFIX + space, self._factory, self.store.nprobe,
                                  save=not self.store.readonly)
            self._indexes[space] = index
        elif index.sync(self) and not self.store.readonly:
            try:
                index.save(path)
            except OSError as exc:
                logger.warning("could not write index %s (kept in memory): %s", path, exc)
        return index

    def search_entities(self, vector: np.ndarray, kind: str | None = None, space: str | None = None,
                        k: int = 10) -> list[tuple[int, float]]:
        """Entities whose gallery holds vectors most like ``vector``: (entity id, best cosine), best first.

        ``space`` defaults to the only entity space of the vector's dimension (holding ``kind``
        vectors, when given); vectors of different spaces are never compared.
        """
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        if not np.isfinite(q).all() or not q.size:
            raise ValueError(f"search_entities: expected a finite (dim,) vector, got shape {q.shape}")
        space = space or self._space_for(q.size, kind)
        if space is None:
            return []
        if space not in self.spaces():
            raise KeyError(f"no entity vectors of space {space!r}; spaces = {sorted(self.spaces())}")
        allowed = None
        if kind is not None:
            allowed = [r[0] for r in self._conn.execute("SELECT id FROM entity_gallery WHERE space = ? AND kind = ?",
                                                        (space, kind))]
        index = self.index(space)
        hits = index.search(q / max(float(np.linalg.norm(q)), 1e-12), k * self.config.gallery_size + k, allowed)
        owner = self._owners([gid for gid, _ in hits])  # type: ignore[misc]
        best: dict[int, float] = {}
        for gid, score in hits:  # type: ignore[misc]
            entity = owner.get(gid)
            if entity is not None and score > best.get(entity, -np.inf):
                best[entity] = score
        return sorted(best.items(), key=lambda item: -item[1])[:k]

    def _space_for(self, dim: int, kind: str | None) -> str | None:
        if kind is None:
            spaces = [s for s, d in self.spaces().items() if d == dim]
        else:
            spaces = [r[0] for r in self._conn.execute(
                "SELECT DISTINCT g.space FROM entity_gallery g JOIN entity_spaces s ON s.name = g.space "
                "WHERE g.kind = ? AND s.dim = ?", (kind, dim))]
        if len(spaces) > 1:
            raise ValueError(f"search_entities: several entity spaces hold {dim}-d vectors ({', '.join(sorted(spaces))}); "
                             "name one with space=")
        return spaces[0] if spaces else None

    def _owners(self, gallery_ids: list[int]) -> dict[int, int]:
        if not gallery_ids:
            return {}
        marks = ",".join("?" * len(gallery_ids))
        rows = self._conn.execute(f"SELECT g.id, g.entity_id FROM entity_gallery g JOIN entities e ON e.id = g.entity_id "
                                  f"WHERE g.id IN ({marks}) AND e.forgotten IS NULL", gallery_ids).fetchall()
        return {gid: self.resolve(entity) for gid, entity in rows}

    def _drop_stale_indexes(self) -> None:
        """Forget cached indexes of spaces that no longer exist (their entities were all forgotten)."""
        for space in [s for s in self._indexes if s not in self.spaces()]:
            del self._indexes[space]

    # ------------------------------------------------------------------ re-identification state
    def save_reid(self, state: dict[str, np.ndarray]) -> None:
        """Persist a ReidClusterer's ``state_dict``: per-entity centroids as rows (so that merge and
        forget reach them), the rest as one blob. Centroids of forgotten entities are never written."""
        kinds = [str(k) for k in np.asarray(state.get("kinds", np.array([], dtype=str))).reshape(-1)]
        rest = {key: np.asarray(value) for key, value in state.items()
                if not key.endswith(("/ids", "/sums", "/counts", "/labels", "/places"))}
        for kind in kinds:  # each entity's label and resting place, by the id it had (resolved when loaded)
            if f"{kind}/labels" in state:
                rest[f"{kind}/meta_ids"] = np.asarray(state[f"{kind}/ids"], np.int64).reshape(-1)
                rest[f"{kind}/meta_labels"] = np.asarray(state[f"{kind}/labels"], dtype=str).reshape(-1)
                rest[f"{kind}/meta_places"] = np.asarray(state[f"{kind}/places"], np.float64).reshape(-1, 3)
        with self._write() as c:
            c.execute("DELETE FROM entity_reid")
            totals: dict[tuple[int, str], tuple[str, float, np.ndarray]] = {}
            for kind in kinds:
                space = str(np.asarray(state[f"{kind}/space"]))
                ids = np.asarray(state[f"{kind}/ids"], np.int64).reshape(-1)
                sums = np.asarray(state[f"{kind}/sums"], np.float64).reshape(len(ids), -1)
                counts = np.asarray(state[f"{kind}/counts"], np.float64).reshape(-1)
                for entity, total, weight in zip(ids, sums, counts):
                    root = self._reid_root(c, int(entity))
                    if root is None:
                        continue
                    _, w0, s0 = totals.get((root, kind), (space, 0.0, np.zeros_like(total)))
                    totals[(root, kind)] = (space, w0 + float(weight), s0 + total)
            c.executemany("INSERT INTO entity_reid(entity_id, kind, space, weight, sum) VALUES (?, ?, ?, ?, ?)",
                          [(e, kind, space, w, s.astype(_SUM_DTYPE).tobytes())
                           for (e, kind), (space, w, s) in totals.items()])
            buffer = io.BytesIO()
            np.savez(buffer, **rest)
            c.execute("INSERT INTO entity_meta(key, value) VALUES ('reid', ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (buffer.getvalue(),))

    def _reid_root(self, c: sqlite3.Connection, entity: int) -> int | None:
        try:
            root = self.resolve(entity)
        except EntityNotFound:
            raise ValueError(f"save_reid: the state has {entity_ref(entity)}, which the registry does not hold "
                             "(give the clusterer id_source=registry.add_entity)") from None
        forgotten = c.execute("SELECT forgotten FROM entities WHERE id = ?", (root,)).fetchone()[0]
        return None if forgotten is not None else root

    def load_reid(self) -> dict[str, np.ndarray] | None:
        """The re-identification state saved last, with merges and forgetting applied; None if none."""
        with self._read() as c:
            row = c.execute("SELECT value FROM entity_meta WHERE key = 'reid'").fetchone()
            if row is None:
                return None
            centroids = c.execute("SELECT entity_id, kind, space, weight, sum FROM entity_reid "
                                  "ORDER BY kind, entity_id").fetchall()
        with np.load(io.BytesIO(bytes(row[0])), allow_pickle=False) as saved:
            state = {key: saved[key] for key in saved.files}
        for kind in (str(k) for k in np.asarray(state.get("kinds", [])).reshape(-1)):
            dim = np.asarray(state[f"{kind}/mean"]).size
            mine = [r for r in centroids if r[1] == kind]
            state[f"{kind}/ids"] = np.asarray([r[0] for r in mine], np.int64)
            state[f"{kind}/sums"] = (np.stack([np.frombuffer(r[4], _SUM_DTYPE) for r in mine]).astype(np.float64)
                                     if mine else np.zeros((0, dim)))
            state[f"{kind}/counts"] = np.asarray([r[3] for r in mine], np.float64)
            self._load_reid_meta(state, kind)
        return state

    def _load_reid_meta(self, state: dict[str, np.ndarray], kind: str) -> None:
        """Labels and resting places of the loaded entities, through merges since they were saved (the first
        label; places averaged by weight); absent from a state saved before they existed."""
        ids = state.pop(f"{kind}/meta_ids", None)
        labels, places = state.pop(f"{kind}/meta_labels", None), state.pop(f"{kind}/meta_places", None)
        if ids is None or labels is None or places is None:
            return
        known: dict[int, tuple[str, np.ndarray]] = {}
        for entity, label, place in zip(ids.tolist(), labels.tolist(), np.asarray(places, np.float64)):
            try:
                root = self.resolve(int(entity))
            except EntityNotFound:
                continue
            old_label, old_place = known.get(root, ("", np.zeros(3)))
            weight = old_place[2] + place[2]
            mean = (old_place[:2] * old_place[2] + place[:2] * place[2]) / weight if weight > 0 else np.zeros(2)
            known[root] = (old_label or str(label), np.array([mean[0], mean[1], weight]))
        rows = [known.get(self.resolve(int(e)), ("", np.zeros(3))) for e in state[f"{kind}/ids"].tolist()]
        state[f"{kind}/labels"] = np.asarray([r[0] for r in rows], dtype=str).reshape(-1)
        state[f"{kind}/places"] = np.asarray([r[1] for r in rows], np.float64).reshape(-1, 3)
