"""The hierarchy in time: events -> episodes -> sessions, each level with a pooled vector and a summary.

Episodes are cut online over a stream's events: an event opens a new episode when it is unlike
the episode so far (cosine to the episode's mean vector below ``similarity``, once the episode
is ``min_seconds`` long), when the episode would grow past ``max_seconds``, or after a gap in
media time. Sessions group a stream's episodes by day (wall-clock day when the stream has a
wall-clock anchor, else by 24 h of media time).

Everything is derived from the events in SQLite, one transaction per update, in event order, with
the episode's running vector sums kept exactly (float64): updating after every event, after a
crash, or once at the end gives the same episodes with the same ids.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from memory.index import FLOAT16

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

DAY = 86400.0
_SUM = np.dtype("<f8")

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        day INTEGER NOT NULL,                     -- wall-clock day (UTC) or 24 h block of media time
        start REAL NOT NULL,                      -- media time, seconds
        "end" REAL NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        UNIQUE (stream, day)
    )""",
    """CREATE TABLE IF NOT EXISTS episodes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        start REAL NOT NULL,                      -- media time of its first event's start
        "end" REAL NOT NULL,                      -- media time of its last event's end
        events INTEGER NOT NULL DEFAULT 0,        -- how many events joined it
        summary TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS episodes_stream_start ON episodes(stream, start)",
    """CREATE TABLE IF NOT EXISTS episode_events (
        event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE
    )""",
    "CREATE INDEX IF NOT EXISTS episode_events_episode ON episode_events(episode_id, event_id)",
    """CREATE TABLE IF NOT EXISTS episode_vectors (
        episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
        space TEXT NOT NULL,
        count INTEGER NOT NULL,                   -- member vectors summed
        sum BLOB NOT NULL,                        -- float64 sum of the members' vectors (exact, order-fixed)
        PRIMARY KEY (episode_id, space)
    ) WITHOUT ROWID""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the hierarchy tables if they are missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


@dataclass(frozen=True)
class EpisodeConfig:
    """How events are grouped into episodes."""

    similarity: float = 0.9  # an event below this cosine to the episode's mean opens a new episode
    min_seconds: float = 30.0  # an episode shorter than this never ends on dissimilarity alone
    max_seconds: float = 900.0  # an episode never grows longer than this
    max_gap: float = 60.0  # a gap in media time longer than this opens a new episode

    def __post_init__(self) -> None:
        if not -1.0 <= self.similarity <= 1.0:
            raise ValueError(f"EpisodeConfig.similarity must be within [-1, 1], got {self.similarity!r}")
        for name in ("min_seconds", "max_seconds", "max_gap"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value >= 0 and math.isfinite(value)):
                raise ValueError(f"EpisodeConfig.{name} must be a finite number >= 0, got {value!r}")
        if self.max_seconds < self.min_seconds:
            raise ValueError(f"EpisodeConfig.max_seconds ({self.max_seconds}) must be >= min_seconds "
                             f"({self.min_seconds})")


@dataclass
class Episode:
    """A run of similar events of one stream."""

    id: int
    stream: str
    session: int
    start: float
    end: float
    events: int
    summary: str
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # space -> unit mean vector

    def to_dict(self) -> dict:
        return {"id": self.id, "ref": f"episode:{self.id}", "stream": self.stream, "session": self.session,
                "start": self.start, "end": self.end, "events": self.events, "summary": self.summary}


@dataclass
class Session:
    """A stream's episodes of one day."""

    id: int
    stream: str
    day: int
    start: float
    end: float
    summary: str
    episodes: int = 0

    def to_dict(self) -> dict:
        return {"id": self.id, "ref": f"session:{self.id}", "stream": self.stream, "day": self.day,
                "start": self.start, "end": self.end, "summary": self.summary, "episodes": self.episodes}


def has_tables(conn: sqlite3.Connection, *tables: str) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return all(t in names for t in tables)


def wall_clocks(conn: sqlite3.Connection) -> dict[str, float | None]:
    """Each stream's wall-clock anchor (UNIX time of media time 0), None when unknown."""
    return {sid: json.loads(info).get("wall_clock") for sid, info in conn.execute("SELECT id, info FROM streams")}


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def _primary_space(spaces: dict[str, np.ndarray]) -> str | None:
    """The space episodes are cut on: the frame (or audio) space, else any."""
    for prefix in ("image/", "audio/"):
        for space in sorted(spaces):
            if space.startswith(prefix):
                return space
    return min(spaces) if spaces else None


class _Open:
    """The stream's last episode while an update runs."""

    def __init__(self, episode_id: int, start: float, end: float, sums: dict[str, tuple[int, np.ndarray]]):
        self.id, self.start, self.end, self.sums = episode_id, start, end, sums
        self.dirty = False

    def cosine(self, space: str, vector: np.ndarray) -> float | None:
        if space not in self.sums:
            return None
        return float(_unit(self.sums[space][1]) @ vector)

    def add(self, vectors: dict[str, np.ndarray]) -> None:
        for space, v in vectors.items():
            count, total = self.sums.get(space, (0, np.zeros(v.shape, dtype=np.float64)))
            self.sums[space] = (count + 1, total + v.astype(np.float64))
        self.dirty = True


def update(store: "MemoryStore", config: EpisodeConfig | None = None, stream: str | None = None) -> int:
    """Put every event not yet in an episode into one (all streams, or one); returns how many joined."""
    config = config or EpisodeConfig()
    conn = store._conn
    streams = [stream] if stream is not None else [r[0] for r in conn.execute(
        "SELECT DISTINCT e.stream FROM events e LEFT JOIN episode_events m ON m.event_id = e.id "
        "WHERE m.event_id IS NULL ORDER BY e.stream")]
    joined = 0
    for sid in streams:
        with store._write() as c:
            joined += _update_stream(c, sid, config)
    return joined


def _update_stream(c: sqlite3.Connection, stream: str, config: EpisodeConfig) -> int:
    rows = c.execute('SELECT e.id, e.start, e."end" FROM events e LEFT JOIN episode_events m ON m.event_id = e.id '
                     "WHERE e.stream = ? AND m.event_id IS NULL ORDER BY e.start, e.id", (stream,)).fetchall()
    if not rows:
        return 0
    anchor = wall_clocks(c).get(stream)
    current = _load_open(c, stream)
    touched_sessions: set[int] = set()
    for event_id, start, end in rows:
        vectors = _event_vectors(c, event_id)
        if current is None or _breaks(current, start, end, vectors, config):
            if current is not None:
                _save(c, current)
            session = _session_for(c, stream, start, anchor)
            cur = c.execute('INSERT INTO episodes(stream, session_id, start, "end") VALUES (?, ?, ?, ?)',
                            (stream, session, start, end))
            current = _Open(int(cur.lastrowid), start, end, {})
            touched_sessions.add(session)
        current.add(vectors)
        current.end = max(current.end, end)
        c.execute("INSERT INTO episode_events(event_id, episode_id) VALUES (?, ?)", (event_id, current.id))
        c.execute('UPDATE episodes SET events = events + 1, "end" = ? WHERE id = ?', (current.end, current.id))
    _save(c, current)
    touched_sessions.add(c.execute("SELECT session_id FROM episodes WHERE id = ?", (current.id,)).fetchone()[0])
    for session in sorted(touched_sessions):
        _refresh_session_span(c, session)
    return len(rows)


def _breaks(ep: _Open, start: float, end: float, vectors: dict[str, np.ndarray], config: EpisodeConfig) -> bool:
    if start - ep.end > config.max_gap or end - ep.start > config.max_seconds:
        return True
    space = _primary_space(vectors)
    if space is None or ep.end - ep.start < config.min_seconds:
        return False
    cosine = ep.cosine(space, vectors[space])
    return cosine is not None and cosine < config.similarity


def _event_vectors(c: sqlite3.Connection, event_id: int) -> dict[str, np.ndarray]:
    rows = c.execute("SELECT space, data FROM vectors WHERE event_id = ? ORDER BY space", (event_id,)).fetchall()
    return {space: np.frombuffer(data, dtype=FLOAT16).astype(np.float32) for space, data in rows}


def _load_open(c: sqlite3.Connection, stream: str) -> _Open | None:
    row = c.execute('SELECT id, start, "end" FROM episodes WHERE stream = ? ORDER BY start DESC, id DESC LIMIT 1',
                    (stream,)).fetchone()
    if row is None:
        return None
    sums = {space: (count, np.frombuffer(blob, dtype=_SUM).copy())
            for space, count, blob in c.execute("SELECT space, count, sum FROM episode_vectors WHERE episode_id = ?",
                                                (row[0],))}
    return _Open(row[0], row[1], row[2], sums)


def _save(c: sqlite3.Connection, ep: _Open) -> None:
    if not ep.dirty:
        return
    c.executemany("INSERT INTO episode_vectors(episode_id, space, count, sum) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT(episode_id, space) DO UPDATE SET count = excluded.count, sum = excluded.sum",
                  [(ep.id, space, count, total.astype(_SUM).tobytes()) for space, (count, total) in
                   sorted(ep.sums.items())])
    ep.dirty = False


def _session_for(c: sqlite3.Connection, stream: str, start: float, anchor: float | None) -> int:
    day = int(math.floor(((anchor or 0.0) + start) / DAY))
    c.execute('INSERT INTO sessions(stream, day, start, "end") VALUES (?, ?, ?, ?) ON CONFLICT(stream, day) '
              "DO NOTHING", (stream, day, start, start))
    return int(c.execute("SELECT id FROM sessions WHERE stream = ? AND day = ?", (stream, day)).fetchone()[0])


def _refresh_session_span(c: sqlite3.Connection, session: int) -> None:
    c.execute('UPDATE sessions SET start = (SELECT MIN(start) FROM episodes WHERE session_id = :s), '
              '"end" = (SELECT MAX("end") FROM episodes WHERE session_id = :s) WHERE id = :s', {"s": session})


# ---------------------------------------------------------------------------------------------- summaries
def refresh_summaries(store: "MemoryStore", stream: str | None = None, max_chars: int = 600) -> None:
    """Rewrite episode and session summaries (and event counts) from their children: speech, entities,
    places (one transaction)."""
    with store._write() as c:
        where, params = ("WHERE stream = ?", [stream]) if stream is not None else ("", [])
        c.execute(f"UPDATE episodes SET events = (SELECT COUNT(*) FROM episode_events m WHERE m.episode_id = "
                  f"episodes.id) {where}", params)  # events deleted since (forgetting) leave the episode
        for (episode_id,) in c.execute(f"SELECT id FROM episodes {where} ORDER BY id", params).fetchall():
            c.execute("UPDATE episodes SET summary = ? WHERE id = ?", (_episode_summary(c, episode_id, max_chars),
                                                                      episode_id))
        for (session_id,) in c.execute(f"SELECT id FROM sessions {where} ORDER BY id", params).fetchall():
            c.execute("UPDATE sessions SET summary = ? WHERE id = ?", (_session_summary(c, session_id, max_chars),
                                                                      session_id))


def _episode_summary(c: sqlite3.Connection, episode_id: int, max_chars: int) -> str:
    stream, start, end, n = c.execute('SELECT stream, start, "end", events FROM episodes WHERE id = ?',
                                      (episode_id,)).fetchone()
    parts = [f"{stream} {_clock(start)}-{_clock(end)}, {n} event{'s' if n != 1 else ''}"]
    names = _entity_names(c, episode_id)
    if names:
        parts.append("who/what: " + ", ".join(names))
    places = _place_names(c, episode_id)
    if places:
        parts.append("where: " + ", ".join(places))
    texts = [t for (t,) in c.execute("SELECT e.text FROM events e JOIN episode_events m ON m.event_id = e.id "
                                     "WHERE m.episode_id = ? AND e.text != '' ORDER BY e.start, e.id", (episode_id,))]
    if texts:
        parts.append("said: " + " / ".join(" ".join(t.split()) for t in texts))
    return _clip("; ".join(parts), max_chars)


def _entity_names(c: sqlite3.Connection, episode_id: int) -> list[str]:
    if not has_tables(c, "entity_appearances", "entities"):
        return []
    rows = c.execute("SELECT a.entity_id, en.kind, en.name, COUNT(*) FROM entity_appearances a "
                     "JOIN episode_events m ON m.event_id = a.event_id JOIN entities en ON en.id = a.entity_id "
                     "WHERE m.episode_id = ? AND en.forgotten IS NULL GROUP BY a.entity_id "
                     "ORDER BY COUNT(*) DESC, a.entity_id LIMIT 8", (episode_id,)).fetchall()
    return [name or f"{kind} entity:{eid}" for eid, kind, name, _ in rows]


def _place_names(c: sqlite3.Connection, episode_id: int) -> list[str]:
    if not has_tables(c, "event_places", "places"):
        return []
    rows = c.execute("SELECT p.id, COALESCE(p.name, a.name) FROM event_places ep JOIN episode_events m "
                     "ON m.event_id = ep.event_id JOIN places p ON p.id = ep.place_id LEFT JOIN areas a "
                     "ON a.id = p.area_id WHERE m.episode_id = ? GROUP BY p.id ORDER BY COUNT(*) DESC, p.id LIMIT 4",
                     (episode_id,)).fetchall()
    return [name or f"place:{pid}" for pid, name in rows]


def _session_summary(c: sqlite3.Connection, session_id: int, max_chars: int) -> str:
    stream, day, start, end = c.execute('SELECT stream, day, start, "end" FROM sessions WHERE id = ?',
                                        (session_id,)).fetchone()
    rows = c.execute("SELECT id, summary FROM episodes WHERE session_id = ? ORDER BY start, id", (session_id,)).fetchall()
    head = f"{stream} day {day} {_clock(start)}-{_clock(end)}, {len(rows)} episodes"
    body = " | ".join(s.split("; ", 1)[1] if "; " in s else "" for _, s in rows)
    return _clip(f"{head}; {body}" if body.strip(" |") else head, max_chars)


def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 3].rstrip() + "..."


def _clock(seconds: float) -> str:
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


# ---------------------------------------------------------------------------------------------- reading
def episodes(store: "MemoryStore", stream: str | None = None, with_vectors: bool = False) -> list[Episode]:
    """Episodes ordered by stream and time."""
    with store._read() as c:
        if not has_tables(c, "episodes"):
            return []
        where, params = ("WHERE stream = ?", [stream]) if stream is not None else ("", [])
        rows = c.execute(f'SELECT id, stream, session_id, start, "end", events, summary FROM episodes {where} '
                         "ORDER BY stream, start, id", params).fetchall()
        found = [Episode(*r) for r in rows]
        if with_vectors:
            by_id = {e.id: e for e in found}
            for episode_id, space, blob in c.execute("SELECT episode_id, space, sum FROM episode_vectors"):
                if episode_id in by_id:
                    by_id[episode_id].vectors[space] = _unit(np.frombuffer(blob, dtype=_SUM))
    return found


def episode(store: "MemoryStore", episode_id: int) -> Episode:
    """One episode with its vectors; KeyError when there is none."""
    with store._read() as c:
        row = c.execute('SELECT id, stream, session_id, start, "end", events, summary FROM episodes WHERE id = ?',
                        (int(episode_id),)).fetchone() if has_tables(c, "episodes") else None
        if row is None:
            raise KeyError(f"no episode {episode_id} in memory {store.directory}")
        found = Episode(*row)
        for space, blob in c.execute("SELECT space, sum FROM episode_vectors WHERE episode_id = ?", (row[0],)):
            found.vectors[space] = _unit(np.frombuffer(blob, dtype=_SUM))
    return found


def episode_of(store: "MemoryStore", event_id: int) -> int | None:
    """The episode an event belongs to (None before consolidation has seen it)."""
    with store._read() as c:
        if not has_tables(c, "episode_events"):
            return None
        row = c.execute("SELECT episode_id FROM episode_events WHERE event_id = ?", (int(event_id),)).fetchone()
    return None if row is None else int(row[0])


def events_of(store: "MemoryStore", episode_id: int) -> list[int]:
    """The event ids of an episode, in time order."""
    with store._read() as c:
        if not has_tables(c, "episode_events"):
            return []
        return [r[0] for r in c.execute("SELECT e.id FROM events e JOIN episode_events m ON m.event_id = e.id "
                                        "WHERE m.episode_id = ? ORDER BY e.start, e.id", (int(episode_id),))]


def sessions(store: "MemoryStore", stream: str | None = None) -> list[Session]:
    """Sessions ordered by stream and day."""
    with store._read() as c:
        if not has_tables(c, "sessions"):
            return []
        where, params = ("WHERE s.stream = ?", [stream]) if stream is not None else ("", [])
        rows = c.execute(f'SELECT s.id, s.stream, s.day, s.start, s."end", s.summary, '
                         f"(SELECT COUNT(*) FROM episodes e WHERE e.session_id = s.id) FROM sessions s {where} "
                         "ORDER BY s.stream, s.day", params).fetchall()
    return [Session(*r) for r in rows]


def search_episodes(store: "MemoryStore", space: str, query: np.ndarray, k: int = 5,
                    stream: str | None = None) -> list[tuple[int, float]]:
    """Top-k (episode id, cosine) by the episodes' pooled vectors in a space (brute force: episodes are few)."""
    q = _unit(np.asarray(query, dtype=np.float64).ravel())
    with store._read() as c:
        if not has_tables(c, "episode_vectors"):
            return []
        where, params = ("AND e.stream = ?", [space, stream]) if stream is not None else ("", [space])
        rows = c.execute(f"SELECT v.episode_id, v.sum FROM episode_vectors v JOIN episodes e ON e.id = v.episode_id "
                         f"WHERE v.space = ? {where} ORDER BY v.episode_id", params).fetchall()
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    matrix = np.stack([np.frombuffer(r[1], dtype=_SUM) for r in rows])
    if matrix.shape[1] != q.shape[0]:
        raise ValueError(f"search_episodes: space {space!r} has dim {matrix.shape[1]}, query has {q.shape[0]}")
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    scores = matrix @ q
    order = np.lexsort((ids, -scores))[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]
