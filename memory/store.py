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

Its parts, each a class of its own: memory/store_base.py (opening, schema checks and migration,
transactions; the errors), memory/store_schema.py (the core tables), memory/store_streams.py
(streams, checkpoints, poses, state), memory/store_text.py (utterances, voices, screen text),
memory/store_vectors.py (vectors, indexes, search), memory/store_keyframes.py (thumbnails); here:
events, which touch all of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

# Every name memory.store held before its split stays importable from here (noqa F401: re-exported).
from collections.abc import Iterator, Sequence  # noqa: F401
from contextlib import contextmanager  # noqa: F401
from pathlib import Path  # noqa: F401

from memory.event import Checkpoint, Event, Keyframe, ScreenText, Utterance  # noqa: F401
from memory.files import atomic_write  # noqa: F401
from memory.index import (  # noqa: F401
    DEFAULT_FACTORY, FLOAT16, SpaceState, VectorIndex, build_space_state, load_or_build, safe_name)
from memory.poses import Pose, PoseTrack, add_poses, pose_track  # noqa: F401
from memory.schema import ensure_registered  # noqa: F401
from memory.store_base import NotAMemoryError, SchemaVersionError, StoreError, logger  # noqa: F401
from memory.store_keyframes import StoreKeyframes
from memory.store_schema import (  # noqa: F401
    _MIGRATIONS, _SCHEMA, _SCHEMA_V2, _SCHEMA_V3, APPLICATION, DB_NAME, SCHEMA_VERSION)
from memory.store_text import StoreText, _equal_to  # noqa: F401
from memory.store_vectors import _VECTOR_DTYPE, StoreVectors, _decode_vector, _encode_vector  # noqa: F401
from memory.words import rank_by_words  # noqa: F401


class MemoryStore(StoreVectors, StoreText, StoreKeyframes):
    """Events, vectors, keyframes and checkpoints of one memory directory.

    Its parts: memory/store_base.py (opening, transactions), memory/store_streams.py (streams,
    checkpoints, poses, state), memory/store_text.py (utterances, screen text), memory/store_vectors.py
    (vectors, indexes, search), memory/store_keyframes.py (thumbnails); here: events.
    """

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
