"""One memory = one directory: ``memory.db`` (SQLite, the source of truth) plus caches.

Layout::

    <dir>/memory.db                      streams, events, vectors, keyframes, checkpoints
    <dir>/index/<space>.faiss (+ .json)  FAISS index per vector space, rebuilt when missing or stale
    <dir>/thumbs/<event>_<ordinal>.jpg   keyframe JPEGs written from the database on demand

An event, its vectors, keyframes and the stream's checkpoint are committed in one
transaction, so a crash at any moment loses at most the event being written. With WAL and
synchronous=NORMAL a killed process loses no committed event; a power cut may roll back the
last few commits, never leaving a half-written one.

Concurrency: one writer, many readers, across threads and processes. A ``MemoryStore``
owns one SQLite connection and belongs to the thread that opened it; every other thread
or process opens its own (``MemoryStore(dir, create=False, readonly=True)`` for readers).
Readers see every event committed before their current call (WAL mode).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from memory.poses import Pose, PoseTrack, add_poses, pose_track
from memory.schema import ensure_registered
from memory.files import atomic_write
from memory.words import rank_by_words
from memory.event import Checkpoint, Event, Keyframe, ScreenText, Utterance
from memory.index import (DEFAULT_FACTORY, FLOAT16, SpaceState, VectorIndex, build_space_state, load_or_build,
                          safe_name)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3
APPLICATION = "mnemo"
DB_NAME = "memory.db"
_VECTOR_DTYPE = FLOAT16

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS streams (
        id TEXT PRIMARY KEY,
        uri TEXT NOT NULL,
        info TEXT NOT NULL DEFAULT '{}',          -- JSON object
        added REAL NOT NULL                       -- wall clock, unix seconds
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused, so caches keyed by id stay valid
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        start REAL NOT NULL,                      -- media time, seconds
        "end" REAL NOT NULL CHECK ("end" >= start),
        text TEXT NOT NULL DEFAULT '',
        surprise REAL NOT NULL DEFAULT 0,
        created REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS events_stream_start ON events(stream, start)",
    """CREATE TABLE IF NOT EXISTS spaces (
        name TEXT PRIMARY KEY,
        dim INTEGER NOT NULL CHECK (dim > 0),     -- fixed at first use
        count INTEGER NOT NULL DEFAULT 0,         -- vectors in the space
        generation INTEGER NOT NULL DEFAULT 0,    -- bumped by every write to the space's vectors
        epoch INTEGER NOT NULL DEFAULT 0          -- bumped by every write that is not an append
    )""",
    """CREATE TABLE IF NOT EXISTS vectors (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        space TEXT NOT NULL REFERENCES spaces(name),
        data BLOB NOT NULL,                       -- float16 little-endian, dim values
        PRIMARY KEY (event_id, space)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS vectors_space ON vectors(space, event_id)",
    """CREATE TABLE IF NOT EXISTS keyframes (
        event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        time REAL NOT NULL,
        jpeg BLOB,
        PRIMARY KEY (event_id, ordinal)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        stream TEXT PRIMARY KEY REFERENCES streams(id) ON DELETE CASCADE,
        position REAL NOT NULL,                   -- media time to resume reading from
        state BLOB NOT NULL,                      -- opaque pipeline state
        done INTEGER NOT NULL DEFAULT 0,
        updated REAL NOT NULL
    )""",
]

# version 2: speech (utterances with their voice) and per-memory state (e.g. the voice clusterer)
_SCHEMA_V2 = [
    """CREATE TABLE IF NOT EXISTS utterances (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        start REAL NOT NULL,                      -- media time, seconds
        "end" REAL NOT NULL CHECK ("end" >= start),
        text TEXT NOT NULL DEFAULT '',
        voice TEXT,                               -- 'voice:N' or NULL
        origin TEXT NOT NULL,                     -- asr, subtitle, sidecar, vad
        language TEXT,
        words TEXT NOT NULL DEFAULT '[]',         -- JSON [[word, start, end, probability], ...]
        confidence REAL,
        model TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS utterances_stream_start ON utterances(stream, start)",
    "CREATE INDEX IF NOT EXISTS utterances_voice ON utterances(voice)",
    """CREATE TABLE IF NOT EXISTS memory_state (
        key TEXT PRIMARY KEY,                     -- e.g. 'voices': the voice clusterer
        value BLOB NOT NULL,
        updated REAL NOT NULL
    )""",
]
# version 3: screen text (lines read by OCR on keyframes), each line stored once while it stays on screen
_SCHEMA_V3 = [
    """CREATE TABLE IF NOT EXISTS screen_text (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,  -- the event it was first read in
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        time REAL NOT NULL,                       -- media time of the keyframe it was first read on
        text TEXT NOT NULL,
        x0 REAL NOT NULL, y0 REAL NOT NULL,       -- box, fractions of the frame's width and height
        x1 REAL NOT NULL, y1 REAL NOT NULL,
        score REAL NOT NULL,                      -- the reader's confidence, 0..1
        origin TEXT NOT NULL DEFAULT 'ocr',
        model TEXT                                -- which reader read it
    )""",
    "CREATE INDEX IF NOT EXISTS screen_text_stream_time ON screen_text(stream, time)",
    "CREATE INDEX IF NOT EXISTS screen_text_event ON screen_text(event_id)",
]
_SCHEMA += _SCHEMA_V2 + _SCHEMA_V3
_MIGRATIONS = {1: _SCHEMA_V2, 2: _SCHEMA_V3}  # from version N to N + 1

# Tables that other modules of memory/ own register themselves in memory/schema.py (each runs
# CREATE ... IF NOT EXISTS statements inside the caller's transaction). They run when a memory is
# created and at every writable open, so a memory made by an older mnemo gains them without a schema
# version bump; the store never imports the modules that own them.


class StoreError(Exception):
    """A memory directory cannot be used."""


class NotAMemoryError(StoreError):
    """The directory holds a ``memory.db`` that is not a mnemo memory."""


class SchemaVersionError(StoreError):
    """The memory was written by a newer mnemo."""


class MemoryStore:
    """Events, vectors, keyframes and checkpoints of one memory directory."""

    def __init__(self, directory: str | os.PathLike, create: bool = True, readonly: bool = False,
                 index_factory: str = DEFAULT_FACTORY, nprobe: int = 16) -> None:
        self.directory = Path(directory)
        self.readonly = readonly
        self.index_factory = index_factory
        self.nprobe = nprobe
        self._indexes: dict[str, VectorIndex] = {}
        self._conn = self._open(create and not readonly)

    # ------------------------------------------------------------ opening
    @property
    def db_path(self) -> Path:
        return self.directory / DB_NAME

    def _open(self, create: bool) -> sqlite3.Connection:
        d = self.directory
        if d.exists() and not d.is_dir():
            raise NotADirectoryError(f"memory {d} is not a directory")
        if not d.exists():
            if not create:
                how = "a read-only open cannot create one" if self.readonly else "open with create=True to make one"
                raise FileNotFoundError(f"memory directory {d} does not exist ({how})")
            d.mkdir(parents=True)
        db = self.db_path
        if db.exists() and not db.is_file():
            raise NotAMemoryError(f"{db} is not a mnemo memory: not a file")
        if not db.exists() and not create:
            raise FileNotFoundError(f"{d} is not a mnemo memory: it has no {DB_NAME}")
        conn = self._connect(db)
        try:
            self._check_schema(conn, create)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self, db: Path) -> sqlite3.Connection:
        try:
            if self.readonly:
                uri = f"file:{urllib.parse.quote(str(db.resolve()))}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)
            else:
                conn = sqlite3.connect(db, isolation_level=None, timeout=30.0)
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise NotAMemoryError(f"{db} is not a mnemo memory: {exc}") from exc
        return conn

    def _check_schema(self, conn: sqlite3.Connection, create: bool) -> None:
        db = self.db_path
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise NotAMemoryError(f"{db} is not a mnemo memory: {exc}") from exc
        if not tables:
            if not create:
                raise NotAMemoryError(f"{db} is an empty database, not a mnemo memory")
            self._create_schema(conn)
            return
        meta = {}
        if "meta" in tables:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("application") != APPLICATION:
            raise NotAMemoryError(f"{db} is not a mnemo memory (an SQLite database with tables {sorted(tables)})")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(f"{db} has schema version {version}; this mnemo reads versions up to "
                                     f"{SCHEMA_VERSION}: upgrade mnemo to open it")
        if version < SCHEMA_VERSION:
            self._migrate(conn, version)
        if not self.readonly:
            self._ensure_extensions(conn)

    @staticmethod
    def _ensure_extensions(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ensure_registered(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        """Bring an older schema up to date in one transaction (only adds tables)."""
        db = self.db_path
        if self.readonly:
            raise SchemaVersionError(f"{db} has schema version {version}: open it writable once to upgrade it")
        if any(v not in _MIGRATIONS for v in range(version, SCHEMA_VERSION)):
            raise SchemaVersionError(f"{db} has schema version {version}, which this mnemo cannot migrate")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for v in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[v]:
                    conn.execute(statement)
            ensure_registered(conn)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        logger.info("upgraded %s from schema version %d to %d", db, version, SCHEMA_VERSION)

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            fresh = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
            for statement in _SCHEMA:
                conn.execute(statement)
            ensure_registered(conn)
            conn.executemany("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                             [("application", APPLICATION), ("schema_version", str(SCHEMA_VERSION)),
                              ("created", repr(time.time()))])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if fresh:  # caches left from another database would be wrong for this one
            for cache in ("index", "thumbs"):
                shutil.rmtree(self.directory / cache, ignore_errors=True)
            logger.info("created memory %s", self.directory)

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (SQLite's online backup: a writer may be
        ingesting meanwhile; the copy holds what was committed when it began)."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target)
        try:
            self._conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()

    def summary(self) -> dict:
        """Streams, events, media seconds covered (per stream: last event end) and files on disk."""
        with self._read() as c:
            streams, events = (c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("streams", "events"))
            media = c.execute('SELECT COALESCE(SUM(last), 0) FROM (SELECT MAX("end") AS last FROM events '
                              "GROUP BY stream)").fetchone()[0]
            first, last = c.execute("SELECT MIN(added), MAX(added) FROM streams").fetchone()
        size = sum(p.stat().st_size for p in self.directory.rglob("*") if p.is_file())
        return {"directory": str(self.directory), "streams": streams, "events": events,
                "media_seconds": float(media), "bytes": size, "first_added": first, "last_added": last}

    def close(self) -> None:
        self._conn.close()
        self._indexes.clear()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MemoryStore({str(self.directory)!r}{', readonly=True' if self.readonly else ''})"

    # ------------------------------------------------------------ transactions
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise PermissionError(f"memory {self.directory} is open read-only")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several queries."""
        if self._conn.in_transaction:
            yield self._conn
            return
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        finally:
            self._conn.execute("COMMIT")

    # ------------------------------------------------------------ poses
    def add_poses(self, poses: Sequence[Pose]) -> int:
        """Log where the camera was (see memory/poses.py); one transaction."""
        with self._write() as c:
            for stream in {p.stream for p in poses}:
                self._require_stream(c, stream)
            return add_poses(c, poses)

    def poses(self, stream: str, start: float | None = None, end: float | None = None) -> PoseTrack:
        with self._read() as c:
            return pose_track(c, stream, start, end)

    # ------------------------------------------------------------ streams and checkpoints
    def add_stream(self, stream_id: str, uri: str, info: dict | None = None) -> None:
        """Register a stream (again: updates its uri and info)."""
        try:
            info_json = json.dumps(info or {}, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"stream {stream_id!r}: info is not JSON-serialisable: {exc}") from exc
        with self._write() as c:
            c.execute("INSERT INTO streams(id, uri, info, added) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT(id) DO UPDATE SET uri = excluded.uri, info = excluded.info",
                      (stream_id, str(uri), info_json, time.time()))

    def streams(self) -> list[dict]:
        rows = self._conn.execute("SELECT id, uri, info, added FROM streams ORDER BY added, id").fetchall()
        return [{"id": i, "uri": u, "info": json.loads(info), "added": a} for i, u, info, a in rows]

    def checkpoint(self, stream: str) -> Checkpoint | None:
        row = self._conn.execute("SELECT position, state, done FROM checkpoints WHERE stream = ?",
                                 (stream,)).fetchone()
        return None if row is None else Checkpoint(stream, row[0], bytes(row[1]), bool(row[2]))

    def set_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Record where a stream stands without adding an event (e.g. done)."""
        with self._write() as c:
            self._require_stream(c, checkpoint.stream)
            self._put_checkpoint(c, checkpoint)

    @staticmethod
    def _require_stream(c: sqlite3.Connection, stream: str) -> None:
        if c.execute("SELECT 1 FROM streams WHERE id = ?", (stream,)).fetchone() is None:
            raise ValueError(f"unknown stream {stream!r}: add_stream it first")

    @staticmethod
    def _put_checkpoint(c: sqlite3.Connection, cp: Checkpoint) -> None:
        c.execute("INSERT INTO checkpoints(stream, position, state, done, updated) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT(stream) DO UPDATE SET position = excluded.position, state = excluded.state, "
                  "done = excluded.done, updated = excluded.updated",
                  (cp.stream, float(cp.position), bytes(cp.state), int(cp.done), time.time()))

    # ------------------------------------------------------------ events
    def add_event(self, event: Event, checkpoint: Checkpoint, state: dict[str, bytes] | None = None) -> int:
        """Commit an event with its vectors, keyframes, utterances, screen text and the stream's checkpoint.

        ``state`` (per-memory blobs such as the voice clusterer) is written in the same
        transaction, so a resumed ingest finds the state that matches its last event.
        Sets and returns the event's id.
        """
        if checkpoint.stream != event.stream:
            raise ValueError(f"checkpoint is for stream {checkpoint.stream!r}, event for {event.stream!r}")
        if not (math.isfinite(event.start) and math.isfinite(event.end) and event.end >= event.start):
            raise ValueError(f"event span [{event.start}, {event.end}) is not a finite, ordered interval")
        blobs = {space: _encode_vector(space, v) for space, v in event.vectors.items()}
        with self._write() as c:
            self._require_stream(c, event.stream)
            cur = c.execute('INSERT INTO events(stream, start, "end", text, surprise, created) '
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (event.stream, float(event.start), float(event.end), event.text,
                             float(event.surprise), time.time()))
            event_id = int(cur.lastrowid)
            for space, (dim, blob) in blobs.items():
                self._use_space(c, space, dim)
                c.execute("INSERT INTO vectors(event_id, space, data) VALUES (?, ?, ?)", (event_id, space, blob))
                c.execute("UPDATE spaces SET generation = generation + 1, count = count + 1 WHERE name = ?",
                          (space,))
            c.executemany("INSERT INTO keyframes(event_id, ordinal, time, jpeg) VALUES (?, ?, ?, ?)",
                          [(event_id, i, float(k.time), None if k.jpeg is None else bytes(k.jpeg))
                           for i, k in enumerate(event.keyframes)])
            self._put_utterances(c, event_id, event.utterances)
            self._put_screen_text(c, event_id, event.screen_text)
            for key, value in (state or {}).items():
                self._put_state(c, key, value)
            self._put_checkpoint(c, checkpoint)
        event.id = event_id
        return event_id

    @staticmethod
    def _put_utterances(c: sqlite3.Connection, event_id: int, utterances) -> None:
        for u in utterances:
            cur = c.execute('INSERT INTO utterances(event_id, stream, start, "end", text, voice, origin, language, '
                            "words, confidence, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event_id, u.stream, float(u.start), float(u.end), u.text, u.voice, u.origin,
                             u.language, json.dumps([list(w) for w in u.words]), u.confidence, u.model))
            u.id, u.event_id = int(cur.lastrowid), event_id

    @staticmethod
    def _put_screen_text(c: sqlite3.Connection, event_id: int, lines: Sequence[ScreenText]) -> None:
        for line in lines:
            x0, y0, x1, y1 = (float(v) for v in line.box)
            cur = c.execute("INSERT INTO screen_text(event_id, stream, time, text, x0, y0, x1, y1, score, origin, "
                            "model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (event_id, line.stream, float(line.time), line.text, x0, y0, x1, y1, float(line.score),
                             line.origin, line.model))
            line.id, line.event_id = int(cur.lastrowid), event_id

    def screen_text(self, stream: str | None = None, event_id: int | None = None) -> list[ScreenText]:
        """Lines read on screen, ordered by stream and time, optionally of one stream or event."""
        where, params = _equal_to(stream=stream, event_id=event_id)
        rows = self._conn.execute(
            "SELECT id, event_id, stream, time, text, x0, y0, x1, y1, score, origin, model FROM screen_text "
            f"WHERE {where} ORDER BY stream, time, id", params).fetchall()
        return [ScreenText(stream=r[2], time=r[3], text=r[4], box=(r[5], r[6], r[7], r[8]), score=r[9], origin=r[10],
                           model=r[11], event_id=r[1], id=r[0]) for r in rows]

    def search_screen_text(self, query: str, k: int = 10, stream: str | None = None) -> list[tuple[int, float]]:
        """Top-k (event id, share of the query's wording) among events whose screen text holds at least
        half of the query's words (memory/words.py); a scan of the lines, fine for ~10^5 of them."""
        where, params = ("stream = ?", [stream]) if stream is not None else ("1", [])
        rows = self._conn.execute(f"SELECT event_id, text FROM screen_text WHERE event_id IS NOT NULL AND {where}",
                                  params)
        return rank_by_words(((int(r[0]), r[1]) for r in rows), query, k)

    @staticmethod
    def _put_state(c: sqlite3.Connection, key: str, value: bytes) -> None:
        c.execute("INSERT INTO memory_state(key, value, updated) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                  "SET value = excluded.value, updated = excluded.updated", (key, bytes(value), time.time()))

    def forget_voices(self, voices: Sequence[str], state: bytes | None = None, key: str = "voices") -> int:
        """Remove voice labels from utterances and (optionally) replace the voice state, in one transaction.

        Returns the number of utterances that lost their label. The old state's pages are
        overwritten (secure_delete), so the forgotten centroids do not linger in the file.
        """
        voices = list(voices)
        if not voices:
            return 0
        marks = ",".join("?" * len(voices))
        self._conn.execute("PRAGMA secure_delete = ON")
        with self._write() as c:
            changed = c.execute(f"UPDATE utterances SET voice = NULL WHERE voice IN ({marks})", voices).rowcount
            if state is not None:
                self._put_state(c, key, state)
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return changed

    def set_utterance_voices(self, voices: Sequence[tuple[int, str | None]]) -> int:
        """Set the voice of utterances by id, in one transaction (the diariser's end-of-stream
        relabelling); returns how many rows changed."""
        if not voices:
            return 0
        with self._write() as c:
            return sum(c.execute("UPDATE utterances SET voice = ? WHERE id = ?", (voice, int(uid))).rowcount
                       for uid, voice in voices)

    def state(self, key: str) -> bytes | None:
        """A per-memory state blob (e.g. ``"voices"``), None when never written."""
        row = self._conn.execute("SELECT value FROM memory_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def utterances(self, stream: str | None = None, event_id: int | None = None,
                   voice: str | None = None) -> list[Utterance]:
        """Utterances ordered by stream and time, optionally of one stream, event or voice."""
        where, params = _equal_to(stream=stream, event_id=event_id, voice=voice)
        rows = self._conn.execute(
            'SELECT id, event_id, stream, start, "end", text, voice, origin, language, words, confidence, model '
            f"FROM utterances WHERE {where} ORDER BY stream, start, id", params).fetchall()
        return [Utterance(stream=r[2], start=r[3], end=r[4], text=r[5], voice=r[6], origin=r[7], language=r[8],
                          words=[tuple(w) for w in json.loads(r[9])], confidence=r[10], model=r[11],
                          event_id=r[1], id=r[0]) for r in rows]

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

    def delete_events(self, ids: Iterable[int]) -> int:
        """Forget events (with their vectors and keyframes); returns how many were deleted."""
        ids = sorted({int(i) for i in ids})
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self._write() as c:
            per_space = c.execute(f"SELECT space, COUNT(*) FROM vectors WHERE event_id IN ({marks}) GROUP BY space",
                                  ids).fetchall()
            deleted = c.execute(f"DELETE FROM events WHERE id IN ({marks})", ids).rowcount
            c.executemany("UPDATE spaces SET generation = generation + 1, epoch = epoch + 1, count = count - ? "
                          "WHERE name = ?", [(n, space) for space, n in per_space])
        for i in ids:
            for thumb in (self.directory / "thumbs").glob(f"{i}_*.jpg"):
                thumb.unlink(missing_ok=True)
        return deleted

    def events(self, stream: str | None = None, start: float | None = None, end: float | None = None,
               with_vectors: bool = False, with_jpeg: bool = False, thumbnails: bool = True) -> list[Event]:
        """Events (of a stream) overlapping [start, end), ordered by (stream, start).

        With ``thumbnails``, keyframe paths point at thumbnail files (written when missing:
        the first listing of a large memory writes them all; pass False to skip). JPEG bytes
        and vectors are loaded only when asked for.
        """
        where, params = _span_filter(stream, start, end)
        return self._load_events(where, params, with_vectors, with_jpeg, thumbnails)

    def event_ids(self, stream: str | None = None, start: float | None = None, end: float | None = None) -> list[int]:
        """Ids of the events (of a stream) overlapping [start, end), by id: what ``events`` lists, without
        loading them."""
        where, params = _span_filter(stream, start, end)
        with self._read() as c:
            return [int(r[0]) for r in c.execute(f"SELECT e.id FROM events e WHERE {where} ORDER BY e.id", params)]

    def event(self, event_id: int) -> Event:
        """One event with its vectors and keyframe JPEG bytes."""
        found = self._load_events("e.id = ?", [int(event_id)], with_vectors=True, with_jpeg=True, thumbnails=True)
        if not found:
            raise KeyError(f"no event {event_id} in memory {self.directory}")
        return found[0]

    def _load_events(self, where: str, params: list[object], with_vectors: bool, with_jpeg: bool,
                     thumbnails: bool) -> list[Event]:
        with self._read() as c:
            rows = c.execute(f'SELECT e.id, e.stream, e.start, e."end", e.text, e.surprise FROM events e '
                             f"WHERE {where} ORDER BY e.stream, e.start, e.id", params).fetchall()
            jpeg = "k.jpeg" if with_jpeg else "NULL"
            keyframes = c.execute(f"SELECT k.event_id, k.ordinal, k.time, k.jpeg IS NOT NULL, {jpeg} "
                                  f"FROM keyframes k JOIN events e ON e.id = k.event_id WHERE {where} "
                                  f"ORDER BY k.event_id, k.ordinal", params).fetchall()
            vectors = c.execute(f"SELECT v.event_id, v.space, v.data FROM vectors v JOIN events e "
                                f"ON e.id = v.event_id WHERE {where}", params).fetchall() if with_vectors else []
        events = {r[0]: Event(stream=r[1], start=r[2], end=r[3], text=r[4], surprise=r[5], id=r[0]) for r in rows}
        for event_id, ordinal, t, has_jpeg, data in keyframes:
            path = self._thumbnail(event_id, ordinal, data) if has_jpeg and thumbnails else None
            events[event_id].keyframes.append(Keyframe(time=t, jpeg=None if data is None else bytes(data),
                                                        path=None if path is None else str(path)))
        for event_id, space, data in vectors:
            events[event_id].vectors[space] = _decode_vector(data)
        return list(events.values())

    def count_events(self, stream: str | None = None) -> int:
        if stream is None:
            return int(self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        return int(self._conn.execute("SELECT COUNT(*) FROM events WHERE stream = ?", (stream,)).fetchone()[0])

    # ------------------------------------------------------------ keyframes
    def keyframe_path(self, event_id: int, ordinal: int = 0) -> Path:
        """The thumbnail file of a keyframe, written from the database when missing."""
        path = self._thumb_file(event_id, ordinal)
        if path.exists():
            return path
        row = self._conn.execute("SELECT jpeg FROM keyframes WHERE event_id = ? AND ordinal = ?",
                                 (int(event_id), int(ordinal))).fetchone()
        if row is None or row[0] is None:
            raise KeyError(f"event {event_id} has no keyframe image {ordinal} in memory {self.directory}")
        atomic_write(path, bytes(row[0]))
        return path

    def _thumb_file(self, event_id: int, ordinal: int) -> Path:
        return self.directory / "thumbs" / f"{int(event_id)}_{int(ordinal)}.jpg"

    def _thumbnail(self, event_id: int, ordinal: int, data: bytes | None) -> Path | None:
        path = self._thumb_file(event_id, ordinal)
        if path.exists():
            return path
        try:
            if data is None:
                return self.keyframe_path(event_id, ordinal)
            atomic_write(path, bytes(data))
        except OSError as exc:
            logger.warning("cannot write thumbnail %s: %s", path, exc)
            return None
        return path

    # ------------------------------------------------------------ vectors and search
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


def _span_filter(stream: str | None, start: float | None, end: float | None) -> tuple[str, list[object]]:
    """SQL condition (on events aliased ``e``) and parameters for events of a stream overlapping [start, end)."""
    where = ["1"]
    params: list[object] = []
    if stream is not None:
        where.append("e.stream = ?")
        params.append(stream)
    if start is not None:
        where.append('e."end" > ?')
        params.append(float(start))
    if end is not None:
        where.append("e.start < ?")
        params.append(float(end))
    return " AND ".join(where), params


def _equal_to(**columns: object) -> tuple[str, list]:
    """A WHERE clause (and its parameters) asking each column given a value to equal it."""
    given = {column: value for column, value in columns.items() if value is not None}
    return " AND ".join([f"{column} = ?" for column in given] or ["1"]), list(given.values())
