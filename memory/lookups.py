"""Read-only look-ups over a memory store for its readers (planners/): events by time, their spans and
neighbours, the hierarchy's episode vectors, the scene graph's shared entities and places, the pose
log and the map's areas. Readers call these instead of writing SQL on the store's connection, so the
schema stays memory's to change. A table that a memory does not have yet (no hierarchy, no sightings,
no map) reads as empty.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from memory.store_base import StoreBase


class EventRow(NamedTuple):
    """An event's identity, span and text, as the readers' evidence needs them."""

    id: int
    stream: str
    start: float
    end: float
    text: str


def _rows(store: StoreBase, sql: str, params: tuple | list = ()) -> list[tuple]:
    """The rows of a query; none when a table it reads does not exist in this memory."""
    try:
        return store._conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):
            return []
        raise


def last_event_end(store: StoreBase) -> float | None:
    """The end of the event stored last; None when there is none."""
    rows = _rows(store, 'SELECT "end" FROM events ORDER BY id DESC LIMIT 1')
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


def event_holding(store: StoreBase, t: float, stream: str | None = None) -> EventRow | None:
    """The event whose span holds media time ``t`` (of ``stream`` when given: the latest to start by t,
    through the (stream, start) index); None when no event holds it."""
    if stream is not None:
        rows = _rows(store, 'SELECT id, stream, start, "end", text FROM events WHERE stream = ? AND start <= ? '
                            "ORDER BY start DESC LIMIT 1", (stream, t))
    else:
        rows = _rows(store, 'SELECT id, stream, start, "end", text FROM events WHERE start <= ? AND "end" > ? '
                            "ORDER BY start DESC LIMIT 1", (t, t))
    if not rows or rows[0][3] < t:
        return None
    i, s, start, end, text = rows[0]
    return EventRow(int(i), s, float(start), float(end), text or "")


def event_at(store: StoreBase, stream: str, t: float) -> tuple[int, float] | None:
    """(id, start) of the event of ``stream`` running at media time ``t`` (start <= t < end); None when none."""
    rows = _rows(store, 'SELECT id, start FROM events WHERE stream = ? AND start <= ? AND "end" > ? LIMIT 1',
                 (stream, t, t))
    return (int(rows[0][0]), float(rows[0][1])) if rows else None


def event_texts_after(store: StoreBase, event: int) -> list[tuple[int, str]]:
    """(id, text) of the events with an id above ``event``, oldest first."""
    return [(int(i), text or "") for i, text in _rows(store, "SELECT id, text FROM events WHERE id > ? ORDER BY id",
                                                      (event,))]


def has_keyframe(store: StoreBase, event: int) -> bool:
    """Whether the event has at least one stored keyframe."""
    return bool(_rows(store, "SELECT 1 FROM keyframes WHERE event_id = ? LIMIT 1", (event,)))


def event_spans(store: StoreBase, ids: list[int]) -> dict[int, tuple[float, float]]:
    """(start, end) of each of the events ``ids`` that exists."""
    out: dict[int, tuple[float, float]] = {}
    for lo in range(0, len(ids), 500):  # well under SQLite's limit on bound parameters
        chunk = list(ids[lo:lo + 500])
        marks = ",".join("?" * len(chunk))
        for i, start, end in _rows(store, f'SELECT id, start, "end" FROM events WHERE id IN ({marks})', chunk):
            out[int(i)] = (float(start), float(end))
    return out


def neighbours(store: StoreBase, event: int, n: int) -> list[int]:
    """Up to ``n`` events of the same stream just before ``event`` (nearest first), then up to ``n`` after."""
    rows = _rows(store, "SELECT stream, start FROM events WHERE id = ?", (event,))
    if not rows:
        return []
    stream, start = rows[0]
    before = _rows(store, "SELECT id FROM events WHERE stream = ? AND start < ? ORDER BY start DESC LIMIT ?",
                   (stream, start, n))
    after = _rows(store, "SELECT id FROM events WHERE stream = ? AND start > ? ORDER BY start LIMIT ?",
                  (stream, start, n))
    return [int(r[0]) for r in before + after]


def episode_sums(store: StoreBase, space: str) -> list[tuple[int, int, bytes]]:
    """(episode id, events pooled, the float64 sum of their vectors as bytes) of every episode in ``space``."""
    return [(int(e), int(c), blob) for e, c, blob in
            _rows(store, "SELECT episode_id, count, sum FROM episode_vectors WHERE space = ?", (space,))]


def episode_event_ids(store: StoreBase, episode: int) -> list[int]:
    """The events of an episode, by id."""
    return [int(r[0]) for r in _rows(store, "SELECT event_id FROM episode_events WHERE episode_id = ? "
                                            "ORDER BY event_id", (episode,))]


def events_with_sightings(store: StoreBase, label: str, colour: str | None = None, start: float | None = None,
                          end: float | None = None) -> list[tuple[int, int]]:
    """(event id, sightings) of the events in which a thing of ``label`` (and ``colour``) was seen within
    [start, end), most sightings first."""
    where, params = ["s.label = ?"], [label]
    for clause, value in (("s.colour = ?", colour), ("s.time >= ?", start), ("s.time < ?", end)):
        if value is not None:
            where.append(clause)
            params.append(value)
    sql = ("SELECT e.id, COUNT(*) FROM sightings s JOIN events e ON e.stream = s.stream AND s.time >= e.start "
           f"AND s.time < e.\"end\" WHERE {' AND '.join(where)} GROUP BY e.id ORDER BY COUNT(*) DESC")
    return [(int(e), int(n)) for e, n in _rows(store, sql, params)]


def placed_times(store: StoreBase) -> list[tuple[str, float, float, float]]:
    """(stream, time, x, y) of every pose of the camera and every sighting placed in the map."""
    return ([tuple(r) for r in _rows(store, "SELECT stream, time, x, y FROM poses")]
            + [tuple(r) for r in _rows(store, "SELECT stream, time, x, y FROM sightings WHERE x IS NOT NULL")])


def shared_entity_events(store: StoreBase, event: int, limit: int) -> list[int]:
    """Events in which an entity of ``event`` also appeared, nearest in time first (the scene graph's
    event-entity edges)."""
    return [int(r[0]) for r in _rows(
        store, "SELECT DISTINCT b.event_id, ABS(b.start - a.start) AS d FROM entity_appearances a "
               "JOIN entity_appearances b ON a.entity_id = b.entity_id WHERE a.event_id = ? "
               "AND b.event_id IS NOT NULL AND b.event_id != a.event_id ORDER BY d LIMIT ?", (event, limit))]


def shared_place_events(store: StoreBase, event: int, limit: int) -> list[int]:
    """Events at a place of ``event``, nearest by id first (the scene graph's event-place edges)."""
    return [int(r[0]) for r in _rows(
        store, "SELECT b.event_id, ABS(b.event_id - a.event_id) AS d FROM event_places a JOIN event_places b "
               "ON a.place_id = b.place_id WHERE a.event_id = ? AND a.place_id IS NOT NULL "
               "AND b.event_id != a.event_id ORDER BY d LIMIT ?", (event, limit))]


def area_box(store: StoreBase, name: str) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) of the map area of that name; None when the map has none."""
    rows = _rows(store, "SELECT x0, y0, x1, y1 FROM map_areas WHERE name = ?", (name,))
    return tuple(map(float, rows[0])) if rows else None  # type: ignore[return-value]


def poses_in_box(store: StoreBase, box: tuple[float, float, float, float]) -> list[tuple[str, float]]:
    """(stream, time) of the camera's poses inside the box [x0, x1) x [y0, y1)."""
    x0, y0, x1, y1 = box
    return [(s, float(t)) for s, t in _rows(store, "SELECT stream, time FROM poses WHERE x >= ? AND x < ? "
                                                   "AND y >= ? AND y < ?", (x0, x1, y0, y1))]


def stamp(store: StoreBase) -> tuple:
    """A cheap fingerprint of what memory holds, which changes whenever something is added: the newest
    ids of events, sightings and heard lines and the vector spaces' counters (O(1) look-ups: a COUNT(*)
    would scan a million events)."""
    parts: list = [_rows(store, "SELECT MAX(id) FROM events"),
                   tuple(_rows(store, "SELECT name, generation, epoch FROM spaces ORDER BY name"))]
    for table in ("sightings", "heard"):
        parts.append(tuple(_rows(store, f"SELECT MAX(id) FROM {table}")))
    return tuple(map(tuple, parts))


def last_pose(store: StoreBase) -> tuple[str, float, float, float, float] | None:
    """(stream, time, x, y, yaw) of the latest pose in the pose log; None when there is none."""
    rows = _rows(store, "SELECT stream, time, x, y, yaw FROM poses ORDER BY time DESC LIMIT 1")
    return (rows[0][0], *map(float, rows[0][1:])) if rows else None  # type: ignore[return-value]


def sighting_labels(store: StoreBase) -> list[str]:
    """Every label a stored sighting carries, sorted."""
    return sorted(r[0] for r in _rows(store, "SELECT DISTINCT label FROM sightings") if r[0])


def has_sighting_label(store: StoreBase, label: str) -> bool:
    """Whether some stored sighting carries ``label`` (case aside); stops at the first."""
    return bool(_rows(store, "SELECT 1 FROM sightings WHERE lower(label) = ? LIMIT 1", (label.strip().lower(),)))


def pose_near(store: StoreBase, stream: str, t: float, within: float = 5.0) -> tuple[float, float, float] | None:
    """(x, y, yaw) of the stream's pose nearest media time ``t`` (within ``within`` seconds); None when none."""
    rows = _rows(store, "SELECT x, y, yaw FROM poses WHERE stream = ? AND time BETWEEN ? AND ? "
                        "ORDER BY ABS(time - ?) LIMIT 1", (stream, t - within, t + within, t))
    return tuple(map(float, rows[0])) if rows else None  # type: ignore[return-value]
