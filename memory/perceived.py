"""What perception reported beyond events: sightings of labelled things, heard lines, and the map.

A sighting is one detection: a label (and colour, when perception names one) with a score, a
tracker id and an estimated position in the stream's odometry/map frame, at a media time. A heard
line is what a speech recogniser and diariser gave (noisy text, the voice's name). The map holds
named areas (rooms) as axis-aligned rectangles, what a robot with a map knows. The reasoner builds
its picture of the world from these; events stay the unit of evidence.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from memory.store import MemoryStore

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sightings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        time REAL NOT NULL,                       -- media time, seconds
        track INTEGER NOT NULL,                   -- the tracker's identity
        kind TEXT NOT NULL,                       -- person, object, furniture
        label TEXT NOT NULL,                      -- category as the detector names it
        colour TEXT NOT NULL DEFAULT '',          -- colour name read from the pixels, '' when unknown
        score REAL NOT NULL,
        x REAL NOT NULL,                          -- metres, in the stream's odometry/map frame
        y REAL NOT NULL,
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
    """Create the tables if they are missing, and the columns added since (inside the caller's
    transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)
    if not _has_state(conn):  # memories made before sightings had a state
        conn.execute("ALTER TABLE sightings ADD COLUMN state TEXT NOT NULL DEFAULT ''")


def _has_state(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "state" for row in conn.execute("PRAGMA table_info(sightings)"))


@dataclass(frozen=True)
class Sighting:
    stream: str
    time: float
    track: int
    kind: str  # person, object, furniture
    label: str
    score: float
    x: float
    y: float
    colour: str = ""
    appearance: bytes | None = None  # float16 bytes
    state: str = ""  # containers: "open" or "closed" as perception read it; "" when not read


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
    rows = [(s.stream, float(s.time), int(s.track), s.kind, s.label, s.colour, float(s.score), float(s.x),
             float(s.y), s.appearance, s.state) for s in sightings]
    with store._write() as c:
        c.executemany("INSERT INTO sightings(stream, time, track, kind, label, colour, score, x, y, appearance, state) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def add_heard(store: "MemoryStore", lines: Iterable[Heard]) -> int:
    rows = [(h.stream, float(h.start), float(h.end), h.text, h.speaker) for h in lines]
    with store._write() as c:
        c.executemany('INSERT INTO heard(stream, start, "end", text, speaker) VALUES (?, ?, ?, ?, ?)', rows)
    return len(rows)


def set_areas(store: "MemoryStore", areas: Sequence[Area]) -> None:
    with store._write() as c:
        c.executemany("INSERT OR REPLACE INTO map_areas(name, x0, y0, x1, y1) VALUES (?, ?, ?, ?, ?)",
                      [(a.name, a.x0, a.y0, a.x1, a.y1) for a in areas])


def sightings(store: "MemoryStore", after_id: int = 0, until: float | None = None) -> list[tuple]:
    """Rows (id, stream, time, track, kind, label, colour, score, x, y, state) with id > after_id (and time <=
    until, when given), by time (state '' throughout in a memory opened read-only that predates states)."""
    with store._read() as c:
        state = "state" if _has_state(c) else "''"
        return c.execute(f"SELECT id, stream, time, track, kind, label, colour, score, x, y, {state} FROM sightings "
                         "WHERE id > ? AND time <= ? ORDER BY time, id", (int(after_id), _until(until))).fetchall()


def appearances(store: "MemoryStore", kind: str, until: float | None = None) -> list[tuple[int, bytes]]:
    """(track, appearance bytes) of every sighting of a kind that has one (seen by ``until``, when given)."""
    with store._read() as c:
        return c.execute("SELECT track, appearance FROM sightings WHERE kind = ? AND appearance IS NOT NULL "
                         "AND time <= ?", (kind, _until(until))).fetchall()


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
