"""The entity registry: who and what was seen, one identity across hours, streams and modalities.

An entity (``entity:7``) is a person, face, voice or object, with a name and aliases, a gallery
of a few representative vectors and crops, and appearances (stream, time span, box, event,
keyframe). Its tables are listed in memory/entity_base.py; galleries, search and re-identification
state are in memory/entity_gallery.py; names and forgetting in memory/entity_naming.py.

Merging is union-find: the merged entity's row stays, pointing at the survivor (``merged_into``),
and everything it owned moves to the survivor, so an old id resolves everywhere. Chains are
compressed at merge time (every id merged into the loser is re-pointed), so they are one hop.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from pathlib import Path
from typing import Sequence

import numpy as np

from memory.entity_base import (  # noqa: F401  (the registry's public names, importable from here as before)
    _SUM_DTYPE, ENTITY_KINDS, NAME_SOURCES, PERSON_PARTS, REDACTED, SCHEMA, SPACE_PREFIX, EntityConfig,
    EntityForgotten, EntityNotFound, ForgetReport, TrackLike, _check_kind, _check_source, _clean_name, _now, _rank,
    _thumbnail, ensure_schema, entity_ref, parse_entity,
)
from memory.entity_gallery import EntityGallery
from memory.entity_history import record_merge, record_name
from memory.entity_naming import EntityNaming, introduced_names, speaker_label  # noqa: F401  (public names)

__all__ = ["ENTITY_KINDS", "NAME_SOURCES", "PERSON_PARTS", "REDACTED", "SCHEMA", "SPACE_PREFIX", "EntityConfig",
           "EntityForgotten", "EntityNotFound", "EntityRegistry", "ForgetReport", "TrackLike", "ensure_schema",
           "entity_ref", "introduced_names", "parse_entity", "speaker_label"]

logger = logging.getLogger(__name__)


class EntityRegistry(EntityGallery, EntityNaming):
    """Entities of one memory, kept in its store's SQLite database (one transaction per write).

    Its parts: memory/entity_base.py (tables, ids, plumbing), memory/entity_gallery.py (vectors,
    search, re-identification state), memory/entity_naming.py (names, forgetting); here: entities,
    merging and binding, keys other components give, appearances and listing.
    """

    # ------------------------------------------------------------------ entities
    def add_entity(self, kind: str, vector: np.ndarray | None = None, crop: np.ndarray | bytes | None = None, *,
                   space: str | None = None, name: str | None = None, name_source: str = "user",
                   time: float | None = None, stream: str | None = None) -> int:
        """A new entity (with a first gallery vector and crop when given); returns its id."""
        _check_kind(kind)
        if vector is not None and not space:
            raise ValueError("add_entity: a vector needs its space (the encoder's vector space name)")
        if name is not None:
            name = _clean_name(name)
            _check_source(name_source)
        with self._write() as c:
            cur = c.execute("INSERT INTO entities(kind, name, name_source, created) VALUES (?, ?, ?, ?)",
                            (kind, name, name_source if name else None, _now()))
            entity = int(cur.lastrowid)
            if name is not None:
                record_name(c, entity, name, name_source, None, stream)
            if vector is not None:
                self._add_gallery(c, entity, kind, str(space), vector, crop, time, stream)
        return entity

    def merge(self, a: str | int, b: str | int, *, time: float | None = None, stream: str | None = None) -> int:
        """Make ``b`` one with ``a``; returns the survivor (a's root). Appearances, gallery, aliases
        and centroids move to it; b's id resolves to it from now on. The merge is written in the
        history (memory/entity_history.py) as made at media ``time`` (None: the memory's end), by the
        ingest of ``stream`` (None: a user's), so that the registry as it was before then can be read."""
        with self._write() as c:
            keep, drop = self._root(c, a), self._root(c, b)
            if keep == drop:
                return keep
            self._merge(c, keep, drop)
            record_merge(c, keep, drop, time, stream)
        self._drop_stale_indexes()
        logger.info("merged %s into %s", entity_ref(drop), entity_ref(keep))
        return keep

    def bind(self, face: str | int, voice: str | int, *, time: float | None = None, stream: str | None = None) -> int:
        """A face and a voice are one person (they co-occur): merge them; the survivor is a person."""
        if self.kind(face) not in PERSON_PARTS or self.kind(voice) not in PERSON_PARTS:
            raise ValueError(f"bind: {face} and {voice} must be faces, voices or people")
        return self.merge(face, voice, time=time, stream=stream)

    def _merge(self, c: sqlite3.Connection, keep: int, drop: int) -> None:
        (kind_k, name_k, src_k), (kind_d, name_d, src_d) = (
            c.execute("SELECT kind, name, name_source FROM entities WHERE id = ?", (e,)).fetchone() for e in (keep, drop))
        kind = _merged_kind(kind_k, kind_d, keep, drop)
        name, source, alias = name_k, src_k, name_d
        if name_d is not None and (name_k is None or _rank(src_d) > _rank(src_k)):
            name, source, alias = name_d, src_d, name_k
        c.execute("UPDATE entities SET kind = ?, name = ?, name_source = ? WHERE id = ?", (kind, name, source, keep))
        c.execute("UPDATE entities SET merged_into = ?, name = NULL, name_source = NULL "
                  "WHERE id = ? OR merged_into = ?", (keep, drop, drop))
        if alias is not None and alias != name:
            c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                      (keep, alias, src_d if alias == name_d else src_k))
        c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) "
                  "SELECT ?, alias, source FROM entity_aliases WHERE entity_id = ?", (keep, drop))
        c.execute("DELETE FROM entity_aliases WHERE entity_id = ? OR (entity_id = ? AND alias IS ?)",
                  (drop, keep, name))
        # keys and sightings keep the entity they were given, which resolves to keep from now on (and to
        # what it was before then: memory/entity_history.py)
        for table in ("entity_appearances", "entity_gallery"):
            c.execute(f"UPDATE {table} SET entity_id = ? WHERE entity_id = ?", (keep, drop))
        self._merge_centroids(c, keep, drop)
        for (space,) in c.execute("SELECT DISTINCT space FROM entity_gallery WHERE entity_id = ?", (keep,)).fetchall():
            self._trim_gallery(c, keep, space)

    @staticmethod
    def _merge_centroids(c: sqlite3.Connection, keep: int, drop: int) -> None:
        for kind, space, weight, blob in c.execute("SELECT kind, space, weight, sum FROM entity_reid "
                                                   "WHERE entity_id = ?", (drop,)).fetchall():
            row = c.execute("SELECT weight, sum FROM entity_reid WHERE entity_id = ? AND kind = ?",
                            (keep, kind)).fetchone()
            if row is None:
                c.execute("UPDATE entity_reid SET entity_id = ? WHERE entity_id = ? AND kind = ?", (keep, drop, kind))
                continue
            total = np.frombuffer(row[1], _SUM_DTYPE) + np.frombuffer(blob, _SUM_DTYPE)
            c.execute("UPDATE entity_reid SET weight = ?, sum = ? WHERE entity_id = ? AND kind = ?",
                      (row[0] + weight, total.astype(_SUM_DTYPE).tobytes(), keep, kind))
            c.execute("DELETE FROM entity_reid WHERE entity_id = ? AND kind = ?", (drop, kind))

    def overlapping(self, a: str | int, b: str | int) -> bool:
        """Whether two entities were ever seen at the same time in one stream (then they are two)."""
        ra, rb = self.resolve(a), self.resolve(b)
        row = self._conn.execute(
            'SELECT 1 FROM entity_appearances x JOIN entity_appearances y ON x.stream = y.stream '
            'AND x.start <= y."end" AND y.start <= x."end" WHERE x.entity_id = ? AND y.entity_id = ? LIMIT 1',
            (ra, rb)).fetchone()
        return ra != rb and row is not None

    def entity_for(self, key: str, kind: str) -> int:
        """The entity an id given elsewhere stands for (the diariser's ``"voice:3"``), made on first
        use. A key of a forgotten entity starts a new one: what is recognised again is a stranger."""
        _check_kind(kind)
        if not isinstance(key, str) or not key:
            raise ValueError(f"entity key {key!r}: expected a non-empty string")
        with self._write() as c:
            row = c.execute("SELECT entity_id FROM entity_keys WHERE key = ?", (key,)).fetchone()
            if row is not None:
                root = self.resolve(row[0])
                if c.execute("SELECT forgotten FROM entities WHERE id = ?", (root,)).fetchone()[0] is None:
                    return root
            cur = c.execute("INSERT INTO entities(kind, created) VALUES (?, ?)", (kind, _now()))
            entity = int(cur.lastrowid)
            c.execute("INSERT INTO entity_keys(key, entity_id) VALUES (?, ?) "
                      "ON CONFLICT(key) DO UPDATE SET entity_id = excluded.entity_id", (key, entity))
        return entity

    def keys(self, entity: str | int) -> list[str]:
        """The ids given elsewhere that stand for this entity (or entities merged into it)."""
        root = self.resolve(entity)
        rows = self._conn.execute("SELECT key FROM entity_keys WHERE entity_id = ? OR entity_id IN "
                                  "(SELECT id FROM entities WHERE merged_into = ?) ORDER BY key",
                                  (root, root)).fetchall()
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ appearances
    def add_appearance(self, entity: str | int, stream: str, start: float, end: float,
                       box: Sequence[float] | None = None, event_id: int | None = None,
                       keyframe: np.ndarray | bytes | None = None) -> int:
        """Record that the entity was in view (or heard) in ``stream`` from ``start`` to ``end``."""
        with self._write() as c:
            return self._add_appearance(c, self._root(c, entity), stream, start, end, box, event_id, keyframe)

    def _add_appearance(self, c: sqlite3.Connection, entity: int, stream: str, start: float, end: float,
                        box: Sequence[float] | None, event_id: int | None,
                        keyframe: np.ndarray | bytes | None) -> int:
        start, end = float(start), float(end)
        if not (math.isfinite(start) and math.isfinite(end) and end >= start):
            raise ValueError(f"appearance span [{start}, {end}] is not a finite, ordered interval")
        box_json = None
        if box is not None:
            values = [float(v) for v in box]
            if len(values) != 4 or not all(math.isfinite(v) for v in values):
                raise ValueError(f"appearance box {box!r}: expected four finite numbers x0, y0, x1, y1")
            box_json = json.dumps([round(v, 2) for v in values])
        cur = c.execute('INSERT INTO entity_appearances(entity_id, event_id, stream, start, "end", box, keyframe) '
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (entity, None if event_id is None else int(event_id), str(stream), start, end, box_json,
                         self._jpeg(keyframe)))
        return int(cur.lastrowid)

    def add_track(self, track: TrackLike, entity: str | int, event_id: int | None = None,
                  keyframe: np.ndarray | bytes | None = None) -> int:
        """A closed track of ``entity``: its appearance, and its vector and best crop for the gallery
        (kept when they add to it). Returns the appearance id."""
        box = track.crop_box if track.crop_box is not None else track.boxes[len(track.boxes) // 2]
        with self._write() as c:
            root = self._root(c, entity)
            appearance = self._add_appearance(c, root, track.stream, float(track.times[0]), float(track.times[-1]),
                                              box, event_id, keyframe)
            if track.appearance is not None:
                if not track.space:
                    raise ValueError("add_track: the track's appearance vector has no space")
                self._add_gallery(c, root, track.kind, track.space, track.appearance, track.crop, track.crop_time,
                                  track.stream)
        return appearance

    def link_events(self, stream: str, event_id: int, start: float, end: float) -> int:
        """Attach the stream's unattached appearances centred in [start, end) to an event; returns how many."""
        with self._write() as c:
            return c.execute('UPDATE entity_appearances SET event_id = ? WHERE stream = ? AND event_id IS NULL '
                             'AND (start + "end") / 2 >= ? AND (start + "end") / 2 < ?',
                             (int(event_id), stream, float(start), float(end))).rowcount

    def entities_at(self, stream: str | None, start: float, end: float, kind: str | None = None) -> list[int]:
        """Entities seen (in ``stream``, or any) during [start, end], roots, by first appearance."""
        where, params = ['a.start <= ?', 'a."end" >= ?'], [float(end), float(start)]
        if stream is not None:
            where.append("a.stream = ?")
            params.append(stream)
        if kind is not None:
            where.append("e.kind = ?")
            params.append(kind)
        rows = self._conn.execute(f"SELECT a.entity_id, MIN(a.start) FROM entity_appearances a JOIN entities e "
                                  f"ON e.id = a.entity_id WHERE {' AND '.join(where)} GROUP BY a.entity_id "
                                  f"ORDER BY MIN(a.start), a.entity_id", params).fetchall()
        return [int(r[0]) for r in rows]

    def linked(self, event_id: int) -> bool:
        """Whether any appearance names the event (ingest links each event once)."""
        row = self._conn.execute("SELECT 1 FROM entity_appearances WHERE event_id = ? LIMIT 1",
                                 (int(event_id),)).fetchone()
        return row is not None

    # ------------------------------------------------------------------ listing
    def timeline(self, entity: str | int) -> list[dict]:
        """The entity's appearances ordered by time: appearance, entity, stream, start, end, box, event, keyframe."""
        root = self.resolve(entity)
        rows = self._conn.execute('SELECT id, stream, start, "end", box, event_id, keyframe IS NOT NULL '
                                  'FROM entity_appearances WHERE entity_id = ? ORDER BY start, stream, id',
                                  (root,)).fetchall()
        return [{"appearance": a, "entity": root, "stream": s, "start": st, "end": en,
                 "box": None if box is None else json.loads(box), "event": ev, "keyframe": bool(kf)}
                for a, s, st, en, box, ev, kf in rows]

    def keyframe_path(self, appearance: int) -> Path:
        """The thumbnail file of an appearance's keyframe, written from the database when missing."""
        row = self._conn.execute("SELECT keyframe FROM entity_appearances WHERE id = ?", (int(appearance),)).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"appearance {appearance} has no keyframe in memory {self.store.directory}")
        return _thumbnail(self._thumb(f"appearance-{int(appearance)}"), bytes(row[0]))

    def entities(self, kind: str | None = None, include_merged: bool = False) -> list[dict]:
        """Every entity (root) as a dict: id, ref, kind, name, aliases, first_seen, last_seen,
        appearances, streams, gallery, forgotten, merged_into."""
        where = [] if include_merged else ["e.merged_into IS NULL"]
        params: list[object] = []
        if kind is not None:
            _check_kind(kind)
            where.append("e.kind = ?")
            params.append(kind)
        return self._describe(" AND ".join(where) or "1", params)

    def entity(self, entity: str | int) -> dict:
        """One entity's description (of its root), as in :meth:`entities`."""
        found = self._describe("e.id = ?", [self.resolve(entity)])
        return found[0]

    def _describe(self, where: str, params: list[object]) -> list[dict]:
        with self._read() as c:
            rows = c.execute(
                f'SELECT e.id, e.kind, e.name, e.created, e.forgotten, e.merged_into, MIN(a.start), MAX(a."end"), '
                f"COUNT(a.id), GROUP_CONCAT(DISTINCT a.stream) FROM entities e LEFT JOIN entity_appearances a "
                f"ON a.entity_id = e.id WHERE {where} GROUP BY e.id ORDER BY e.id", params).fetchall()
            aliases: dict[int, list[str]] = {}
            for entity, alias in c.execute("SELECT entity_id, alias FROM entity_aliases ORDER BY alias"):
                aliases.setdefault(entity, []).append(alias)
            gallery = dict(c.execute("SELECT entity_id, COUNT(*) FROM entity_gallery GROUP BY entity_id").fetchall())
        return [{"id": i, "ref": entity_ref(i), "kind": k, "name": n, "aliases": aliases.get(i, []),
                 "first_seen": first, "last_seen": last, "appearances": count,
                 "streams": sorted(streams.split(",")) if streams else [], "gallery": gallery.get(i, 0),
                 "created": created, "forgotten": forgotten is not None, "merged_into": merged}
                for i, k, n, created, forgotten, merged, first, last, count, streams in rows]

    def count(self, include_merged: bool = False) -> int:
        where = "" if include_merged else " WHERE merged_into IS NULL"
        return int(self._conn.execute(f"SELECT COUNT(*) FROM entities{where}").fetchone()[0])


def _merged_kind(a: str, b: str, ida: int, idb: int) -> str:
    if a == b:
        return a
    if a in PERSON_PARTS and b in PERSON_PARTS:
        return "person"
    raise ValueError(f"cannot merge {entity_ref(idb)} ({b}) into {entity_ref(ida)} ({a}): an object is never "
                     "a person, face or voice")
