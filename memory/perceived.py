"""What perception reported beyond events: sightings of labelled things, heard lines, and the map.

A sighting is one detection: a label (and colour, when perception names one) with a score, the
track it belongs to (and the entity the track was re-identified as, when ingest made one), its box
in the frame, and a position in the stream's odometry/map frame only where one could be estimated
(a robot's pose and depth; NULL for a plain video). Ingest writes them for every detector a profile
runs (mnemo/entities.py), so a video and a simulated robot feed the same table. A heard line is what
a speech recogniser and diariser gave (noisy text, the voice's name). The map holds named areas
(rooms) as axis-aligned rectangles, what a robot with a map knows. The reasoner builds its picture
of the world from these; events stay the unit of evidence.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from memory.entity_history import registry_at
from memory.schema import register_schema

if TYPE_CHECKING:
    from memory.store import MemoryStore

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sightings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        time REAL NOT NULL,                       -- media time, seconds
        track INTEGER NOT NULL,                   -- the tracker's identity
        entity INTEGER,                           -- the entity ingest re-identified the track as, or NULL
        kind TEXT NOT NULL,                       -- person, face, object, furniture
        label TEXT NOT NULL,                      -- category as the detector names it
        colour TEXT NOT NULL DEFAULT '',          -- colour name read from the pixels, '' when unknown
        score REAL NOT NULL,
        x REAL,                                   -- metres, in the stream's odometry/map frame; NULL: not
        y REAL,                                   -- estimated (no pose or depth for it)
        box TEXT,                                 -- JSON [x0, y0, x1, y1], pixels of the frame; NULL: unknown
        appearance BLOB,                          -- float16 appearance vector, or NULL
        state TEXT NOT NULL DEFAULT ''            -- "open"/"closed" for containers when read, else ''
    )""",
    "CREATE INDEX IF NOT EXISTS sightings_stream_time ON sightings(stream, time)",
    """CREATE TABLE IF NOT EXISTS heard (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        start REAL NOT NULL,
        "end" REAL NOT NULL,
        text TEXT NOT NULL,                       -- what the recogniser heard
        speaker TEXT NOT NULL DEFAULT ''          -- the voice's name as diarisation gave it
    )""",
    "CREATE INDEX IF NOT EXISTS heard_stream_start ON heard(stream, start)",
    """CREATE TABLE IF NOT EXISTS map_areas (
        name TEXT PRIMARY KEY,                    -- "kitchen"
        x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL
    )""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables if they are missing, and bring older sightings tables up to date (inside the
    caller's transaction)."""
    columns = _sighting_columns(conn)
    if columns and (columns.get("x") or "entity" not in columns):  # made before positions could be unknown
        _rebuild_sightings(conn, columns)
    for statement in SCHEMA:
        conn.execute(statement)


def _sighting_columns(conn: sqlite3.Connection) -> dict[str, bool]:
    """The sightings table's columns -> whether NOT NULL; {} when there is no such table."""
    return {row[1]: bool(row[3]) for row in conn.execute("PRAGMA table_info(sightings)")}


def _rebuild_sightings(conn: sqlite3.Connection, columns: dict[str, bool]) -> None:
    """Copy an old sightings table into the current layout (SQLite cannot drop a NOT NULL in place)."""
    conn.execute("ALTER TABLE sightings RENAME TO sightings_old")
    conn.execute("DROP INDEX IF EXISTS sightings_stream_time")
    conn.execute(SCHEMA[0])
    kept = [c for c in ("id", "stream", "time", "track", "kind", "label", "colour", "score", "x", "y", "appearance",
                        "state") if c in columns]
    conn.execute(f"INSERT INTO sightings({', '.join(kept)}) SELECT {', '.join(kept)} FROM sightings_old")
    conn.execute("DROP TABLE sightings_old")


register_schema("perceived", ensure_schema, order=30)


@dataclass(frozen=True)
class Sighting:
    stream: str
    time: float
    track: int
    kind: str  # person, face, object, furniture
    label: str
    score: float
    x: float | None = None  # metres in the map frame; None: not estimated
    y: float | None = None
    colour: str = ""
    appearance: bytes | None = None  # float16 bytes
    state: str = ""  # containers: "open" or "closed" as perception read it; "" when not read
    entity: int | None = None  # the entity ingest re-identified the track as
    box: tuple[float, float, float, float] | None = None  # pixels of the frame


@dataclass(frozen=True)
class Heard:
    stream: str
    start: float
    end: float
    text: str
    speaker: str = ""


@dataclass(frozen=True)
class Area:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1

    def distance(self, x: float, y: float) -> float:
        dx = max(self.x0 - x, 0.0, x - self.x1)
        dy = max(self.y0 - y, 0.0, y - self.y1)
        return math.hypot(dx, dy)


def add_sightings(store: "MemoryStore", sightings: Iterable[Sighting]) -> int:
    rows = [(s.stream, float(s.time), int(s.track), s.entity, s.kind, s.label, s.colour, float(s.score),
             _maybe(s.x), _maybe(s.y), None if s.box is None else json.dumps([round(float(v), 1) for v in s.box]),
             s.appearance, s.state) for s in sightings]
    with store._write() as c:
        c.executemany("INSERT INTO sightings(stream, time, track, entity, kind, label, colour, score, x, y, box, "
                      "appearance, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _maybe(value: float | None) -> float | None:
    return None if value is None else float(value)


def add_heard(store: "MemoryStore", lines: Iterable[Heard]) -> int:
    rows = [(h.stream, float(h.start), float(h.end), h.text, h.speaker) for h in lines]
    with store._write() as c:
        c.executemany('INSERT INTO heard(stream, start, "end", text, speaker) VALUES (?, ?, ?, ?, ?)', rows)
    return len(rows)


def set_areas(store: "MemoryStore", areas: Sequence[Area]) -> None:
    with store._write() as c:
        c.executemany("INSERT OR REPLACE INTO map_areas(name, x0, y0, x1, y1) VALUES (?, ?, ?, ?, ?)",
                      [(a.name, a.x0, a.y0, a.x1, a.y1) for a in areas])


def sightings(store: "MemoryStore", after_id: int = 0, until: float | None = None,
              placed_only: bool = True, unplaced_kinds: Sequence[str] = ()) -> list[tuple]:
    """Rows (id, stream, time, track, kind, label, colour, score, x, y, state) with id > after_id, a position
    (any, with ``placed_only`` False; also those of ``unplaced_kinds`` without one: x and y None where none was
    estimated) and time <= until, when given, by time (state '' throughout in a memory opened read-only that
    predates states)."""
    params: list = [int(after_id), _until(until)]
    placed = ""
    if placed_only and unplaced_kinds:
        placed = f"(x IS NOT NULL OR kind IN ({', '.join('?' * len(unplaced_kinds))})) AND "
        params[1:1] = list(unplaced_kinds)
    elif placed_only:
        placed = "x IS NOT NULL AND "
    with store._read() as c:
        state = "state" if "state" in _sighting_columns(c) else "''"
        return c.execute(f"SELECT id, stream, time, track, kind, label, colour, score, x, y, {state} FROM sightings "
                         f"WHERE id > ? AND {placed}time <= ? ORDER BY time, id", params).fetchall()


def placed(store: "MemoryStore", kind: str, labels: Sequence[str]) -> list[tuple[str, float, float]]:
    """(label, x, y) of every placed sighting of ``kind`` with one of ``labels``, by id: where memory placed,
    say, the tables, read without the rest of the sightings."""
    if not labels:
        return []
    with store._read() as c:
        marks = ", ".join("?" * len(labels))
        rows = c.execute(f"SELECT label, x, y FROM sightings WHERE kind = ? AND label IN ({marks}) AND x IS NOT NULL "
                         "ORDER BY id", (kind, *labels)).fetchall()
    return [(label, float(x), float(y)) for label, x, y in rows]


@dataclass(frozen=True)
class Seen:
    """A sighting as a question about what was in view reads it."""

    stream: str
    time: float
    track: int
    entity: int | None  # the entity the track was re-identified as, through the merges made by the read's time
    kind: str
    label: str
    colour: str
    score: float
    box: tuple[float, ...] | None


def seen(store: "MemoryStore", kinds: Sequence[str] = (), labels: Sequence[str] = (), until: float | None = None,
         stream: str | None = None) -> list[Seen]:
    """Sightings of any of ``kinds`` or ``labels`` (either matches; both empty: all) up to media time
    ``until``, placed or not, by time; each with its entity as the registry grouped them at ``until`` (now
    when None): a merge made later does not join what was seen by then."""
    where, params = [], []
    wanted = [f"kind IN ({', '.join('?' * len(kinds))})"] if kinds else []
    wanted += [f"label IN ({', '.join('?' * len(labels))})"] if labels else []
    params += [*kinds, *labels]
    if wanted:
        where.append("(" + " OR ".join(wanted) + ")")
    if until is not None:
        where.append("time <= ?")
        params.append(float(until))
    if stream is not None:
        where.append("stream = ?")
        params.append(stream)
    with store._read() as c:
        columns = _sighting_columns(c)  # a read-only memory may predate entities and boxes
        entity, box = ("entity" if "entity" in columns else "NULL"), ("box" if "box" in columns else "NULL")
        sql = (f"SELECT stream, time, track, {entity}, kind, label, colour, score, {box} FROM sightings"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY time, id")
        rows = c.execute(sql, params).fetchall()
        grouped = registry_at(c, until)
    return [Seen(r[0], float(r[1]), int(r[2]), None if r[3] is None else grouped.root(r[3]), r[4], r[5], r[6],
                 float(r[7]), None if r[8] is None else tuple(json.loads(r[8]))) for r in rows]


def appearances(store: "MemoryStore", kind: str, until: float | None = None) -> list[tuple[int, bytes]]:
    """(track, appearance bytes) of every sighting of a kind that has one (seen by ``until``, when given),
    placed or not: a track's vector is on its best view, which is often too near to place (its bottom
    cut off by the frame) while the rest of the track is placed."""
    with store._read() as c:
        return c.execute("SELECT track, appearance FROM sightings WHERE kind = ? AND appearance IS NOT NULL "
                         "AND time <= ?", (kind, _until(until))).fetchall()


def states(store: "MemoryStore", kind: str, until: float | None = None) -> list[tuple]:
    """Rows (time, track, label, x, y, state) of the sightings of ``kind`` whose state perception read, placed
    or not (x and y None), up to ``until``, by time: none in a memory that predates states."""
    with store._read() as c:
        if "state" not in _sighting_columns(c):
            return []
        return c.execute("SELECT time, track, label, x, y, state FROM sightings WHERE kind = ? AND state != '' "
                         "AND time <= ? ORDER BY time, id", (kind, _until(until))).fetchall()


def track_entities(store: "MemoryStore", until: float | None = None) -> dict[int, int]:
    """track -> the entity ingest re-identified it as, for the tracks seen by ``until`` that have one (none
    in a memory that predates entities, or written by a log that knows no entities), through the merges
    made by ``until`` (all when None): a merge made later does not join what was seen by then."""
    with store._read() as c:
        if "entity" not in _sighting_columns(c):
            return {}
        rows = c.execute("SELECT DISTINCT track, entity FROM sightings WHERE entity IS NOT NULL AND time <= ?",
                         (_until(until),)).fetchall()
        grouped = registry_at(c, until)
    return {int(track): grouped.root(entity) for track, entity in rows}


def heard(store: "MemoryStore", after_id: int = 0, until: float | None = None) -> list[tuple]:
    """Rows (id, stream, start, end, text, speaker) with id > after_id (and ended by ``until``, when given:
    a recogniser gives a line once it ends), by start."""
    with store._read() as c:
        return c.execute('SELECT id, stream, start, "end", text, speaker FROM heard WHERE id > ? AND "end" <= ? '
                         "ORDER BY start, id", (int(after_id), _until(until))).fetchall()


def _until(until: float | None) -> float:
    """The latest media time a read keeps: everything when None."""
    return math.inf if until is None else float(until)


def areas(store: "MemoryStore") -> list[Area]:
    with store._read() as c:
        return [Area(*row) for row in c.execute("SELECT name, x0, y0, x1, y1 FROM map_areas ORDER BY name")]
