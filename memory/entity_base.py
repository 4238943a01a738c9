"""What the entity registry's parts share: its tables, errors, options, ids, the plumbing over the
store's connection, and small helpers (memory/entities.py composes the registry from them).

Tables live in the memory's SQLite database beside the events (``ensure_schema``):

    entities            id, kind, name, name_source, created, merged_into, forgotten
    entity_aliases      entity_id, alias, source
    entity_gallery      id (the FAISS id), entity_id, kind, space, vector (float16), crop (JPEG), time, stream
    entity_spaces       name, dim, count, generation, epoch   (the entity indexes' stamps)
    entity_appearances  id, entity_id, event_id, stream, start, end, box (JSON), keyframe (JPEG)
    entity_reid         entity_id, kind, space, weight, sum   (re-identification centroids)
    entity_meta         key, value                            (the rest of the re-identification state)
    entity_keys         key, entity_id                        (ids other components give: "voice:3")
    entity_history      id, what, entity, other, name, source, time, stream, position
                                                              (when each merge and name was made:
                                                               memory/entity_history.py)

A merge moves appearances, gallery and aliases to the survivor; an ``entity_keys`` row and a sighting
keep the entity they were given, which resolves through the merges (all of them, or those made by a
media time: memory/entity_history.py).
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from memory.entity_history import NAME_SOURCES, source_rank
from memory.entity_history import ensure_schema as ensure_history
from memory.files import atomic_write
from memory.index import FLOAT16, VectorIndex
from memory.schema import register_schema
from memory.thumbnails import encode_jpeg

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

ENTITY_KINDS = ("person", "face", "voice", "object")
PERSON_PARTS = ("person", "face", "voice")
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


class RegistryBase:
    """The registry's state and plumbing: its store, options and entity indexes, ids and roots."""

    def __init__(self, store: MemoryStore, config: EntityConfig | None = None) -> None:
        self.store = store
        self.config = config or EntityConfig()
        self._indexes: dict[str, VectorIndex] = {}
        if not self._has_tables():
            if store.readonly:
                raise PermissionError(f"memory {store.directory} has no entity tables and is open read-only")
            with self._write() as c:
                ensure_schema(c)
                ensure_history(c)

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

    def _root(self, c: sqlite3.Connection, entity: str | int) -> int:
        root = self.resolve(entity)
        if c.execute("SELECT forgotten FROM entities WHERE id = ?", (root,)).fetchone()[0] is not None:
            raise EntityForgotten(f"{entity_ref(root)} was forgotten")
        return root

    def _jpeg(self, image: np.ndarray | bytes | None) -> bytes | None:
        if image is None:
            return None
        if isinstance(image, (bytes, bytearray, memoryview)):
            return bytes(image)
        return encode_jpeg(np.ascontiguousarray(image), self.config.jpeg_quality, self.config.crop_side)

    def _thumb(self, name: str) -> Path:
        return self.store.directory / "thumbs" / f"{name}.jpg"


def _check_kind(kind: str) -> None:
    if kind not in ENTITY_KINDS:
        raise ValueError(f"entity kind {kind!r}: expected one of {', '.join(ENTITY_KINDS)}")


def _check_source(source: str) -> None:
    if source not in NAME_SOURCES:
        raise ValueError(f"name source {source!r}: expected one of {', '.join(NAME_SOURCES)}")


_rank = source_rank


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
