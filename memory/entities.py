"""The entity registry: who and what was seen, one identity across hours, streams and modalities.

An entity (``entity:7``) is a person, face, voice or object, with a name and aliases, a gallery
of a few representative vectors and crops, and appearances (stream, time span, box, event,
keyframe). Tables live in the memory's SQLite database beside the events (``ensure_schema``):

    entities            id, kind, name, name_source, created, merged_into, forgotten
    entity_aliases      entity_id, alias, source
    entity_gallery      id (the FAISS id), entity_id, kind, space, vector (float16), crop (JPEG), time, stream
    entity_spaces       name, dim, count, generation, epoch   (the entity indexes' stamps)
    entity_appearances  id, entity_id, event_id, stream, start, end, box (JSON), keyframe (JPEG)
    entity_reid         entity_id, kind, space, weight, sum   (re-identification centroids)
    entity_meta         key, value                            (the rest of the re-identification state)
    entity_keys         key, entity_id                        (ids other components give: "voice:3")

Merging is union-find: the merged entity's row stays, pointing at the survivor (``merged_into``),
and everything it owned moves to the survivor, so an old id resolves everywhere. Chains are
compressed at merge time (every id merged into the loser is re-pointed), so they are one hop.

Forgetting keeps the entity's row (kind, "forgotten" time) and its appearances (stream, span,
box, event): events stay, anonymous. It deletes the biometric data and the name everywhere:
gallery vectors and crops, re-identification centroids, appearance keyframes, the name and
aliases (also redacted from event text), keys that other components gave it ("voice:3", listed
in the report so that their own state can drop them), keyframe images of events taken while the
entity was in view (by default), their thumbnail files, and the vectors in the entity FAISS files
(rebuilt at once). With ``secure_delete`` the database overwrites deleted content and the WAL is
truncated, so that none of it remains on disk (``verify_forgotten`` checks).

Entity vectors are searched through a FAISS index per vector space, ``index/entity_<space>``,
a cache of ``entity_gallery`` kept in step like the event indexes (``memory.index``).
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence

import numpy as np

from memory.schema import register_schema
from memory.files import atomic_write
from memory.index import (FLOAT16, SpaceState, VectorIndex, build_space_state, load_or_build, safe_name,
                          stamp_path)
from memory.thumbnails import encode_jpeg

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

ENTITY_KINDS = ("person", "face", "voice", "object")
#: kinds that are parts of a person: binding them gives a "person"
PERSON_PARTS = ("person", "face", "voice")
#: name sources by authority: a name from a weaker source never replaces one from a stronger
NAME_SOURCES = ("sim", "subtitle", "transcript", "user")
SPACE_PREFIX = "entity/"
REDACTED = "[forgotten]"
_VECTOR_DTYPE = FLOAT16
_SUM_DTYPE = np.dtype("<f4")
_REF = re.compile(r"^\s*(?:entity:)?(\d+)\s*$")

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS entities (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused: "entity:7" means one thing forever
        kind TEXT NOT NULL CHECK (kind IN ('person', 'face', 'voice', 'object')),
        name TEXT,
        name_source TEXT,                         -- sim, subtitle, transcript, user
        created REAL NOT NULL,                    -- wall clock, unix seconds
        merged_into INTEGER REFERENCES entities(id),  -- union-find parent; NULL for a root
        forgotten REAL                            -- wall clock of forget(); NULL while remembered
    )""",
    "CREATE INDEX IF NOT EXISTS entities_merged ON entities(merged_into)",
    """CREATE TABLE IF NOT EXISTS entity_aliases (
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        alias TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'user',
        PRIMARY KEY (entity_id, alias)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS entity_spaces (
        name TEXT PRIMARY KEY,                    -- the vector space of the gallery vectors
        dim INTEGER NOT NULL CHECK (dim > 0),
        count INTEGER NOT NULL DEFAULT 0,
        generation INTEGER NOT NULL DEFAULT 0,    -- bumped by every write to the space's vectors
        epoch INTEGER NOT NULL DEFAULT 0          -- bumped by every write that is not an append
    )""",
    """CREATE TABLE IF NOT EXISTS entity_gallery (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- the id in the FAISS index; never reused
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,                       -- what the vector is of: person, face, voice, object
        space TEXT NOT NULL REFERENCES entity_spaces(name),
        vector BLOB NOT NULL,                     -- float16 little-endian, unit length
        crop BLOB,                                -- JPEG
        time REAL,                                -- media time of the crop
        stream TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS entity_gallery_entity ON entity_gallery(entity_id, space)",
    "CREATE INDEX IF NOT EXISTS entity_gallery_space ON entity_gallery(space, id)",
    """CREATE TABLE IF NOT EXISTS entity_appearances (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
        stream TEXT NOT NULL,
        start REAL NOT NULL,                      -- media time, seconds
        "end" REAL NOT NULL CHECK ("end" >= start),
        box TEXT,                                 -- JSON [x0, y0, x1, y1], pixels
        keyframe BLOB                             -- JPEG
    )""",
    "CREATE INDEX IF NOT EXISTS entity_appearances_entity ON entity_appearances(entity_id, start)",
    "CREATE INDEX IF NOT EXISTS entity_appearances_stream ON entity_appearances(stream, start)",
    """CREATE TABLE IF NOT EXISTS entity_reid (
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        space TEXT NOT NULL,
        weight REAL NOT NULL,
        sum BLOB NOT NULL,                        -- float32 sum of centred unit vectors
        PRIMARY KEY (entity_id, kind)
    ) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS entity_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS entity_keys (
        key TEXT PRIMARY KEY,                     -- an id given elsewhere, e.g. the diariser's "voice:3"
        entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE
    ) WITHOUT ROWID""",
]
_TABLES = ("entities", "entity_aliases", "entity_spaces", "entity_gallery", "entity_appearances", "entity_reid",
           "entity_meta", "entity_keys")


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the entity tables if they are missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


register_schema("entities", ensure_schema, order=10)


class EntityNotFound(KeyError):
    """No entity has that id."""


class EntityForgotten(ValueError):
    """The entity was forgotten; its biometric data cannot be added to or merged with."""


@dataclass(frozen=True)
class EntityConfig:
    # representative vectors (with crops) kept per entity and vector space; the most redundant goes
    gallery_size: int = 5
    # crops and keyframes given as images are shrunk so that their longer side is at most this
    crop_side: int = 128
    # JPEG quality of crops and keyframes
    jpeg_quality: int = 85
    # faiss factory string of the entity indexes; None: the store's
    index_factory: str | None = None
    # forget() overwrites deleted content in the database and truncates its WAL
    secure_delete: bool = True
    # forget() also drops keyframe images of events taken while the entity was in view
    drop_event_keyframes: bool = True
    # ... within this many seconds of one of its appearances
    keyframe_margin_s: float = 0.5

    def __post_init__(self) -> None:
        if self.gallery_size < 1:
            raise ValueError(f"EntityConfig.gallery_size={self.gallery_size!r}: expected >= 1")
        if self.crop_side < 8:
            raise ValueError(f"EntityConfig.crop_side={self.crop_side!r}: expected >= 8 pixels")
        if not 0 <= self.jpeg_quality <= 100:
            raise ValueError(f"EntityConfig.jpeg_quality={self.jpeg_quality!r}: expected 0..100")
        if not (math.isfinite(self.keyframe_margin_s) and self.keyframe_margin_s >= 0):
            raise ValueError(f"EntityConfig.keyframe_margin_s={self.keyframe_margin_s!r}: expected seconds >= 0")


@dataclass(frozen=True)
class ForgetReport:
    """What ``forget`` deleted, for the user and for an audit."""

    entity: int  # the entity forgotten (a root)
    ids: tuple[int, ...]  # it and every id merged into it
    gallery: int  # gallery vectors deleted
    crops: int  # gallery crops deleted
    centroids: int  # re-identification centroids deleted
    appearance_keyframes: int  # appearance keyframes deleted
    event_keyframes: int  # keyframe images of events dropped
    names: tuple[str, ...]  # the name and aliases removed
    keys: tuple[str, ...]  # ids given elsewhere that named it ("voice:3"): purge them there too
    redacted_events: tuple[int, ...]  # events whose text had the names removed: re-embed their text vectors
    files: tuple[str, ...]  # thumbnail and index files deleted or rewritten
    spaces: tuple[str, ...]  # entity vector spaces whose indexes were rebuilt
    appearances_kept: int  # anonymous appearances kept
    wal_truncated: bool  # the WAL (holding old copies of pages) was emptied


class TrackLike(Protocol):
    """What ``add_track`` reads of a track (``perception.tracking.Track``)."""

    stream: str
    kind: str
    times: np.ndarray
    boxes: np.ndarray
    appearance: np.ndarray | None
    space: str | None
    crop: np.ndarray | None
    crop_time: float | None
    crop_box: Any


def entity_ref(entity_id: int) -> str:
    """The id as users see it: ``entity:7``."""
    return f"entity:{int(entity_id)}"


def parse_entity(ref: str | int) -> int:
    """``"entity:7"``, ``"7"`` or 7 -> 7; anything else is a ValueError naming the input."""
    if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
        if ref < 1:
            raise ValueError(f"entity id {ref!r}: expected a positive integer")
        return int(ref)
    match = _REF.match(str(ref))
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"entity {ref!r}: expected 'entity:N' or N with N a positive integer")
    return int(match.group(1))


class EntityRegistry:
    """Entities of one memory, kept in its store's SQLite database (one transaction per write)."""

    def __init__(self, store: MemoryStore, config: EntityConfig | None = None) -> None:
        self.store = store
        self.config = config or EntityConfig()
        self._indexes: dict[str, VectorIndex] = {}
        if not self._has_tables():
            if store.readonly:
                raise PermissionError(f"memory {store.directory} has no entity tables and is open read-only")
            with self._write() as c:
                ensure_schema(c)

    # ------------------------------------------------------------------ plumbing
    @property
    def _conn(self) -> sqlite3.Connection:
        return self.store._conn  # the store's one connection: same transactions, same thread

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.store._write() as c:
            yield c

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self.store._read() as c:
            yield c

    def _has_tables(self) -> bool:
        names = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return all(t in names for t in _TABLES)

    @property
    def _factory(self) -> str:
        return self.config.index_factory or self.store.index_factory

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
            if vector is not None:
                self._add_gallery(c, entity, kind, str(space), vector, crop, time, stream)
        return entity

    def resolve(self, entity: str | int) -> int:
        """The surviving id of an entity (itself unless merged); EntityNotFound when unknown."""
        entity = parse_entity(entity)
        seen = set()
        while True:
            row = self._conn.execute("SELECT merged_into FROM entities WHERE id = ?", (entity,)).fetchone()
            if row is None:
                raise EntityNotFound(f"no {entity_ref(entity)} in memory {self.store.directory}")
            if row[0] is None:
                return entity
            if entity in seen:  # pragma: no cover - merges never make cycles
                raise RuntimeError(f"merge cycle through {entity_ref(entity)}")
            seen.add(entity)
            entity = int(row[0])

    def kind(self, entity: str | int) -> str:
        root = self.resolve(entity)
        return str(self._conn.execute("SELECT kind FROM entities WHERE id = ?", (root,)).fetchone()[0])

    def merge(self, a: str | int, b: str | int) -> int:
        """Make ``b`` one with ``a``; returns the survivor (a's root). Appearances, gallery, aliases
        and centroids move to it; b's id resolves to it from now on."""
        with self._write() as c:
            keep, drop = self._root(c, a), self._root(c, b)
            if keep == drop:
                return keep
            self._merge(c, keep, drop)
        self._drop_stale_indexes()
        logger.info("merged %s into %s", entity_ref(drop), entity_ref(keep))
        return keep

    def bind(self, face: str | int, voice: str | int) -> int:
        """A face and a voice are one person (they co-occur): merge them; the survivor is a person."""
        if self.kind(face) not in PERSON_PARTS or self.kind(voice) not in PERSON_PARTS:
            raise ValueError(f"bind: {face} and {voice} must be faces, voices or people")
        return self.merge(face, voice)

    def _root(self, c: sqlite3.Connection, entity: str | int) -> int:
        root = self.resolve(entity)
        if c.execute("SELECT forgotten FROM entities WHERE id = ?", (root,)).fetchone()[0] is not None:
            raise EntityForgotten(f"{entity_ref(root)} was forgotten")
        return root

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
        for table in ("entity_appearances", "entity_gallery", "entity_keys"):
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
        rows = self._conn.execute("SELECT key FROM entity_keys WHERE entity_id = ? ORDER BY key",
                                  (self.resolve(entity),)).fetchall()
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ names
    def name(self, entity: str | int, name: str, source: str = "user") -> None:
        """Name an entity. A user's name replaces any (the old one stays as an alias); a name from a
        weaker source (transcript, subtitle, the simulator) becomes an alias when a stronger one is set."""
        name = _clean_name(name)
        _check_source(source)
        with self._write() as c:
            root = self._root(c, entity)
            old, old_source = c.execute("SELECT name, name_source FROM entities WHERE id = ?", (root,)).fetchone()
            if old is None or _rank(source) >= _rank(old_source):
                c.execute("UPDATE entities SET name = ?, name_source = ? WHERE id = ?", (name, source, root))
                c.execute("DELETE FROM entity_aliases WHERE entity_id = ? AND alias = ?", (root, name))
                if old is not None and old != name:
                    c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                              (root, old, old_source or "user"))
            elif name != old:
                c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                          (root, name, source))

    def add_alias(self, entity: str | int, alias: str, source: str = "user") -> None:
        """Another name the entity goes by."""
        alias = _clean_name(alias)
        _check_source(source)
        with self._write() as c:
            root = self._root(c, entity)
            c.execute("INSERT OR IGNORE INTO entity_aliases(entity_id, alias, source) VALUES (?, ?, ?)",
                      (root, alias, source))

    def find(self, name: str) -> list[int]:
        """Entities named or aliased ``name`` (case-insensitive), roots only."""
        rows = self._conn.execute(
            "SELECT id FROM entities WHERE merged_into IS NULL AND name = ? COLLATE NOCASE "
            "UNION SELECT entity_id FROM entity_aliases WHERE alias = ? COLLATE NOCASE", (name, name)).fetchall()
        return sorted({self.resolve(r[0]) for r in rows})

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

    # ------------------------------------------------------------------ listing
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

    # ------------------------------------------------------------------ gallery
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
                if not key.endswith(("/ids", "/sums", "/counts"))}
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
        return state

    # ------------------------------------------------------------------ forgetting
    def forget(self, entity: str | int) -> ForgetReport:
        """Delete an entity's biometric data and names everywhere; keep anonymous appearances and events."""
        root = self.resolve(entity)
        secure = self.config.secure_delete and not self.store.readonly
        previous = self._conn.execute("PRAGMA secure_delete").fetchone()[0] if secure else None
        if secure:
            self._conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._write() as c:
                report, gallery_ids, appearance_ids, thumbs = self._forget(c, root)
        finally:
            if secure:
                self._conn.execute(f"PRAGMA secure_delete = {int(previous)}")
        files = self._forget_files(gallery_ids, appearance_ids, thumbs, report.spaces)
        wal = self._truncate_wal() if secure else False
        report = replace(report, files=tuple(files), wal_truncated=wal)
        logger.info("forgot %s: %d vectors, %d crops, %d keyframes, names %s", entity_ref(root), report.gallery,
                    report.crops, report.appearance_keyframes + report.event_keyframes, list(report.names))
        return report

    def _forget(self, c: sqlite3.Connection, root: int) -> tuple[ForgetReport, list[int], list[int], list[str]]:
        ids = tuple([root] + [r[0] for r in c.execute("SELECT id FROM entities WHERE merged_into = ? ORDER BY id",
                                                      (root,))])
        gallery = c.execute("SELECT id, crop IS NOT NULL FROM entity_gallery WHERE entity_id = ?", (root,)).fetchall()
        gallery_ids = [g for g, _ in gallery]
        spaces = self._delete_gallery(c, gallery_ids, unlink=False)  # files go after the commit
        centroids = c.execute("DELETE FROM entity_reid WHERE entity_id = ?", (root,)).rowcount
        appearance_ids = [r[0] for r in c.execute("SELECT id FROM entity_appearances WHERE entity_id = ? "
                                                  "AND keyframe IS NOT NULL", (root,))]
        c.execute("UPDATE entity_appearances SET keyframe = NULL WHERE entity_id = ?", (root,))
        names = [r[0] for r in c.execute("SELECT name FROM entities WHERE id IN (%s) AND name IS NOT NULL "
                                         "UNION SELECT alias FROM entity_aliases WHERE entity_id = ?"
                                         % ",".join("?" * len(ids)), (*ids, root))]
        c.execute("DELETE FROM entity_aliases WHERE entity_id = ?", (root,))
        keys = [r[0] for r in c.execute("SELECT key FROM entity_keys WHERE entity_id IN (%s) ORDER BY key"
                                        % ",".join("?" * len(ids)), ids)]
        c.execute("DELETE FROM entity_keys WHERE entity_id IN (%s)" % ",".join("?" * len(ids)), ids)
        c.execute("UPDATE entities SET name = NULL, name_source = NULL WHERE id IN (%s)" % ",".join("?" * len(ids)), ids)
        c.execute("UPDATE entities SET forgotten = ? WHERE id = ?", (_now(), root))
        redacted = _redact_events(c, names)
        event_keyframes, thumbs = self._drop_event_keyframes(c, root) if self.config.drop_event_keyframes else (0, [])
        kept = c.execute("SELECT COUNT(*) FROM entity_appearances WHERE entity_id = ?", (root,)).fetchone()[0]
        report = ForgetReport(entity=root, ids=ids, gallery=len(gallery_ids), crops=sum(int(b) for _, b in gallery),
                              centroids=centroids, appearance_keyframes=len(appearance_ids),
                              event_keyframes=event_keyframes, names=tuple(sorted(names)), keys=tuple(keys),
                              redacted_events=tuple(redacted), files=(), spaces=tuple(sorted(spaces)),
                              appearances_kept=int(kept), wal_truncated=False)
        return report, gallery_ids, appearance_ids, thumbs

    def _drop_event_keyframes(self, c: sqlite3.Connection, root: int) -> tuple[int, list[str]]:
        """Drop keyframe images of events taken while the entity was in view; returns (count, thumbnail names)."""
        if c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyframes'").fetchone() is None:
            return 0, []
        margin = self.config.keyframe_margin_s
        rows = c.execute('SELECT DISTINCT k.event_id, k.ordinal FROM keyframes k JOIN events e ON e.id = k.event_id '
                         'JOIN entity_appearances a ON a.stream = e.stream AND a.entity_id = ? '
                         'WHERE k.jpeg IS NOT NULL AND k.time >= a.start - ? AND k.time <= a."end" + ?',
                         (root, margin, margin)).fetchall()
        c.executemany("UPDATE keyframes SET jpeg = NULL WHERE event_id = ? AND ordinal = ?", rows)
        return len(rows), [f"{event}_{ordinal}" for event, ordinal in rows]

    def _forget_files(self, gallery_ids: list[int], appearance_ids: list[int], thumbs: list[str],
                      spaces: Sequence[str]) -> list[str]:
        touched = []
        names = [f"entity-{g}" for g in gallery_ids] + [f"appearance-{a}" for a in appearance_ids] + thumbs
        for name in names:
            path = self._thumb(name)
            if path.exists():
                path.unlink()
                touched.append(str(path))
        for space in spaces:
            self._indexes.pop(space, None)
            path = self.index_path(space)
            if self.spaces().get(space) is not None and self.space_state(space).count > 0:
                self.index(space)  # rebuilt from the database (the epoch moved) and saved over the old file
                touched.append(str(path))
            else:
                for stale in (path, stamp_path(path)):
                    if stale.exists():
                        stale.unlink()
                        touched.append(str(stale))
        return touched

    def _truncate_wal(self) -> bool:
        """Checkpoint and empty the WAL, which still holds old copies of the changed pages."""
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.OperationalError as exc:
            logger.warning("could not truncate the WAL of %s: %s", self.store.db_path, exc)
            return False
        if busy:
            logger.warning("the WAL of %s could not be emptied (a reader is active): old copies of forgotten "
                           "data stay in it until the next checkpoint", self.store.db_path)
        return not busy

    def verify_forgotten(self, entity: str | int) -> list[str]:
        """What is left of a forgotten entity's biometric data and names (empty when nothing is)."""
        root = self.resolve(entity)
        c = self._conn
        problems = []
        row = c.execute("SELECT forgotten, name FROM entities WHERE id = ?", (root,)).fetchone()
        if row[0] is None:
            problems.append(f"{entity_ref(root)} is not marked forgotten")
        ids = [root] + [r[0] for r in c.execute("SELECT id FROM entities WHERE merged_into = ?", (root,))]
        marks = ",".join("?" * len(ids))
        checks = {
            "names": f"SELECT COUNT(*) FROM entities WHERE id IN ({marks}) AND name IS NOT NULL",
            "aliases": f"SELECT COUNT(*) FROM entity_aliases WHERE entity_id IN ({marks})",
            "gallery rows": f"SELECT COUNT(*) FROM entity_gallery WHERE entity_id IN ({marks})",
            "centroids": f"SELECT COUNT(*) FROM entity_reid WHERE entity_id IN ({marks})",
            "appearance keyframes": f"SELECT COUNT(*) FROM entity_appearances WHERE entity_id IN ({marks}) "
                                    "AND keyframe IS NOT NULL",
        }
        for what, sql in checks.items():
            n = c.execute(sql, ids).fetchone()[0]
            if n:
                problems.append(f"{n} {what} remain")
        gallery_ids = {r[0] for r in c.execute("SELECT id FROM entity_gallery")}
        for space in self.spaces():
            path = self.index_path(space)
            if path.exists():
                stale = set(_index_ids(path)) - gallery_ids
                if stale:
                    problems.append(f"index {path.name} holds {len(stale)} deleted vectors")
        thumbs = self.store.directory / "thumbs"
        for path in thumbs.glob("entity-*.jpg") if thumbs.is_dir() else []:
            if int(path.stem.split("-")[1]) not in gallery_ids:
                problems.append(f"thumbnail {path.name} of a deleted crop remains")
        return problems

    # ------------------------------------------------------------------ helpers
    def _jpeg(self, image: np.ndarray | bytes | None) -> bytes | None:
        if image is None:
            return None
        if isinstance(image, (bytes, bytearray, memoryview)):
            return bytes(image)
        return encode_jpeg(np.ascontiguousarray(image), self.config.jpeg_quality, self.config.crop_side)

    def _thumb(self, name: str) -> Path:
        return self.store.directory / "thumbs" / f"{name}.jpg"


# ---------------------------------------------------------------------- names in text

_INTRODUCTION = re.compile(
    r"\b(?i:i'?m|i am|my name is|my name's|call me|this is)\s+([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)\b")
_SPEAKER = re.compile(r"^\s*(?:\[([A-Z][\w .'-]{0,30})\]|([A-Z][A-Za-z .'-]{0,30}?)\s*:)\s*(.*)$", re.S)
_NOT_NAMES = {"I", "Im", "Sorry", "Here", "Fine", "Good", "Ok", "Okay", "Not", "Just", "So", "Very", "Going", "The",
              "Back", "Home", "Done", "Ready", "Sure", "Happy", "Glad", "Tired", "Hungry", "Busy", "Late", "Right"}


def introduced_names(text: str) -> list[str]:
    """Names people give themselves in ``text``: "I'm Alice", "my name is Bob", "call me Carol"."""
    found = []
    for match in _INTRODUCTION.finditer(text.replace("\u2019", "'")):
        name = match.group(1)
        if name not in _NOT_NAMES and name not in found:
            found.append(name)
    return found


def speaker_label(text: str) -> tuple[str, str] | None:
    """(speaker, rest) of a labelled line ("ALICE: hi", "[Bob] hello"), or None."""
    match = _SPEAKER.match(text)
    if not match:
        return None
    speaker = (match.group(1) or match.group(2) or "").strip()
    if not speaker or speaker.lower() in {"note", "http", "https", "time"}:
        return None
    return speaker.title() if speaker.isupper() else speaker, match.group(3)


# ---------------------------------------------------------------------- module helpers

def _redact_events(c: sqlite3.Connection, names: Iterable[str]) -> list[int]:
    """Replace whole-word occurrences of ``names`` in event text and screen text lines with REDACTED;
    returns the ids of the events whose text changed."""
    names = sorted({n for n in names if len(n) >= 2}, key=len, reverse=True)
    if not names or c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone() is None:
        return []
    pattern = re.compile(r"\b(?:%s)\b" % "|".join(re.escape(n) for n in names), re.IGNORECASE)
    like = " OR ".join("text LIKE ?" for _ in names)
    changed = []
    for event_id, text in c.execute(f"SELECT id, text FROM events WHERE {like}", [f"%{n}%" for n in names]).fetchall():
        new = pattern.sub(REDACTED, text)
        if new != text:
            c.execute("UPDATE events SET text = ? WHERE id = ?", (new, event_id))
            changed.append(int(event_id))
    if c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'screen_text'").fetchone() is not None:
        for line_id, text in c.execute(f"SELECT id, text FROM screen_text WHERE {like}",
                                       [f"%{n}%" for n in names]).fetchall():  # a name read on screen
            c.execute("UPDATE screen_text SET text = ? WHERE id = ?", (pattern.sub(REDACTED, text), line_id))
    return changed


def _merged_kind(a: str, b: str, ida: int, idb: int) -> str:
    if a == b:
        return a
    if a in PERSON_PARTS and b in PERSON_PARTS:
        return "person"
    raise ValueError(f"cannot merge {entity_ref(idb)} ({b}) into {entity_ref(ida)} ({a}): an object is never "
                     "a person, face or voice")


def _check_kind(kind: str) -> None:
    if kind not in ENTITY_KINDS:
        raise ValueError(f"entity kind {kind!r}: expected one of {', '.join(ENTITY_KINDS)}")


def _check_source(source: str) -> None:
    if source not in NAME_SOURCES:
        raise ValueError(f"name source {source!r}: expected one of {', '.join(NAME_SOURCES)}")


def _rank(source: str | None) -> int:
    return NAME_SOURCES.index(source) if source in NAME_SOURCES else -1


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name or len(name) > 200:
        raise ValueError(f"name {name!r}: expected 1 to 200 characters")
    return name


def _encode_vector(space: str, vector: np.ndarray) -> tuple[bytes, int]:
    v = np.asarray(vector, dtype=np.float64).reshape(-1)
    if not v.size or not np.isfinite(v).all():
        raise ValueError(f"entity space {space!r}: expected a finite (dim,) vector, got shape {np.shape(vector)}")
    v = v / max(float(np.linalg.norm(v)), 1e-12)
    return v.astype(_VECTOR_DTYPE).tobytes(), int(v.size)


def _decode_vector(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=_VECTOR_DTYPE).astype(np.float32)


def _index_ids(path: Path) -> list[int]:
    """The ids held by a FAISS index file (to check that deleted vectors are gone from it)."""
    import faiss

    owner = faiss.read_index(str(path))  # keep it alive: the downcast view does not own the index
    index = faiss.downcast_index(owner)
    if hasattr(index, "id_map"):
        return [int(i) for i in faiss.vector_to_array(index.id_map)]
    invlists = faiss.extract_index_ivf(index).invlists  # IVF: ids live in the inverted lists
    return [int(i) for lst in range(invlists.nlist)
            for i in faiss.rev_swig_ptr(invlists.get_ids(lst), invlists.list_size(lst))]


def _thumbnail(path: Path, data: bytes) -> Path:
    """``path`` holding ``data``, written atomically when missing (readers never see half a file)."""
    if not path.exists():
        atomic_write(path, data)
    return path


def _now() -> float:
    return time.time()
