"""The hierarchy in space: places along the camera's path, grouped into named areas, and a place graph.

A place is a spot the camera was at. With a pose log (memory/poses.py) places come from the path:
positions sampled every ``step`` seconds join the nearest place within ``radius`` metres or start a
new one there (leader clustering, in time order, so it is deterministic and incremental). Without
poses, places come from visual place recognition: an event joins the place whose first view is
most like its frame vector (cosine >= ``visual_similarity``) or starts one. Consecutive places on
the path are joined by traversal edges carrying the distance walked (metres; 1 hop for visual
places); the place graph (networkx) answers shortest paths.

Areas (rooms) group places. They come from a user (``name_place``) or a map (``label_areas`` with
named rectangles, e.g. the simulator's rooms); a place without either has no area.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np

from memory.hierarchy import _primary_space, has_tables
from memory.index import FLOAT16
from memory.poses import pose_track

if TYPE_CHECKING:
    import networkx as nx

    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS areas (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,                -- kitchen, "Alice's office"
        source TEXT NOT NULL DEFAULT 'user'       -- user, map, sim
    )""",
    """CREATE TABLE IF NOT EXISTS places (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('pose', 'visual')),
        frame TEXT,                               -- pose places: the frame x, y are in
        x REAL,                                   -- metres (pose places)
        y REAL,
        space TEXT,                               -- visual places: the vector space of ``vector``
        vector BLOB,                              -- visual places: float16 frame vector of its first view
        first_seen REAL NOT NULL,                 -- media time of the first visit
        stream TEXT NOT NULL,                     -- stream of the first visit
        visits INTEGER NOT NULL DEFAULT 0,        -- samples (pose) or events (visual) that joined it
        name TEXT,                                -- a user's name for the spot itself
        area_id INTEGER REFERENCES areas(id) ON DELETE SET NULL
    )""",
    """CREATE TABLE IF NOT EXISTS event_places (
        event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        place_id INTEGER REFERENCES places(id) ON DELETE CASCADE  -- NULL: the event has no place
    )""",
    "CREATE INDEX IF NOT EXISTS event_places_place ON event_places(place_id)",
    """CREATE TABLE IF NOT EXISTS place_edges (
        a INTEGER NOT NULL REFERENCES places(id) ON DELETE CASCADE,  -- a < b
        b INTEGER NOT NULL REFERENCES places(id) ON DELETE CASCADE,
        distance REAL NOT NULL,                   -- metres between the places (1 for visual places: a hop)
        traversals INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the place tables if they are missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


@dataclass(frozen=True)
class PlaceConfig:
    """How places are found."""

    radius: float = 1.5  # metres: a position within this of a place's centre joins it
    step: float = 0.5  # seconds between path samples within an event
    visual_similarity: float = 0.92  # cosine an event's frame vector needs to join a visual place

    def __post_init__(self) -> None:
        if not (self.radius > 0 and math.isfinite(self.radius)):
            raise ValueError(f"PlaceConfig.radius must be a positive number of metres, got {self.radius!r}")
        if not (self.step > 0 and math.isfinite(self.step)):
            raise ValueError(f"PlaceConfig.step must be a positive number of seconds, got {self.step!r}")
        if not -1.0 <= self.visual_similarity <= 1.0:
            raise ValueError(f"PlaceConfig.visual_similarity must be within [-1, 1], got {self.visual_similarity!r}")


@dataclass
class Place:
    id: int
    kind: str  # pose or visual
    x: float | None
    y: float | None
    frame: str | None
    first_seen: float
    stream: str
    visits: int
    name: str | None
    area: int | None
    area_name: str | None

    @property
    def label(self) -> str:
        return self.name or self.area_name or f"place:{self.id}"

    def to_dict(self) -> dict:
        return {"id": self.id, "ref": f"place:{self.id}", "kind": self.kind, "x": self.x, "y": self.y,
                "frame": self.frame, "first_seen": self.first_seen, "stream": self.stream, "visits": self.visits,
                "name": self.name, "area": self.area, "area_name": self.area_name}


class _Places:
    """The places known while one update runs (pose places in arrays for nearest look-ups)."""

    def __init__(self, c: sqlite3.Connection):
        rows = c.execute("SELECT id, frame, x, y FROM places WHERE kind = 'pose' ORDER BY id").fetchall()
        self.pose_ids = [r[0] for r in rows]
        self.pose_frames = [r[1] for r in rows]
        self.pose_xy = np.array([(r[2], r[3]) for r in rows], dtype=np.float64).reshape(-1, 2)
        rows = c.execute("SELECT id, space, vector FROM places WHERE kind = 'visual' ORDER BY id").fetchall()
        self.visual: dict[str, tuple[list[int], list[np.ndarray]]] = {}
        for pid, space, blob in rows:
            ids, vecs = self.visual.setdefault(space, ([], []))
            ids.append(pid)
            vecs.append(np.frombuffer(blob, dtype=FLOAT16).astype(np.float32))

    def pose_place(self, c: sqlite3.Connection, stream: str, t: float, x: float, y: float, frame: str,
                   radius: float) -> int:
        best, best_d = None, radius
        if len(self.pose_ids):
            d = np.hypot(self.pose_xy[:, 0] - x, self.pose_xy[:, 1] - y)
            for i in np.argsort(d, kind="stable"):
                if d[i] > radius:
                    break
                if self.pose_frames[i] == frame:
                    best, best_d = self.pose_ids[i], d[i]
                    break
        if best is None:
            cur = c.execute("INSERT INTO places(kind, frame, x, y, first_seen, stream) VALUES ('pose', ?, ?, ?, ?, ?)",
                            (frame, x, y, t, stream))
            best = int(cur.lastrowid)
            self.pose_ids.append(best)
            self.pose_frames.append(frame)
            self.pose_xy = np.vstack([self.pose_xy, [x, y]])
        c.execute("UPDATE places SET visits = visits + 1 WHERE id = ?", (best,))
        return best

    def visual_place(self, c: sqlite3.Connection, stream: str, t: float, space: str, vector: np.ndarray,
                     threshold: float) -> int:
        ids, vecs = self.visual.setdefault(space, ([], []))
        best = None
        if ids:
            scores = np.stack(vecs) @ vector
            i = int(np.argmax(scores))
            if scores[i] >= threshold:
                best = ids[i]
        if best is None:
            half = vector.astype(FLOAT16)
            cur = c.execute("INSERT INTO places(kind, space, vector, first_seen, stream) VALUES ('visual', ?, ?, ?, ?)",
                            (space, half.tobytes(), t, stream))
            best = int(cur.lastrowid)
            ids.append(best)
            vecs.append(half.astype(np.float32))
        c.execute("UPDATE places SET visits = visits + 1 WHERE id = ?", (best,))
        return best


def update(store: "MemoryStore", config: PlaceConfig | None = None) -> int:
    """Give every event not yet placed a place (from its poses, else its frame vector); one transaction
    per stream. Returns how many events were placed."""
    config = config or PlaceConfig()
    streams = [r[0] for r in store._conn.execute(
        "SELECT DISTINCT e.stream FROM events e LEFT JOIN event_places p ON p.event_id = e.id "
        "WHERE p.event_id IS NULL ORDER BY e.stream")]
    placed = 0
    for stream in streams:
        with store._write() as c:
            placed += _update_stream(c, stream, config)
    return placed


def _update_stream(c: sqlite3.Connection, stream: str, config: PlaceConfig) -> int:
    rows = c.execute('SELECT e.id, e.start, e."end" FROM events e LEFT JOIN event_places p ON p.event_id = e.id '
                     "WHERE e.stream = ? AND p.event_id IS NULL ORDER BY e.start, e.id", (stream,)).fetchall()
    known = _Places(c)
    previous = _previous_place(c, stream, rows[0][1]) if rows else None
    track = pose_track(c, stream)
    row = c.execute("SELECT frame FROM poses WHERE stream = ? ORDER BY time LIMIT 1", (stream,)).fetchone()
    frame = row[0] if row else "odom"
    for event_id, start, end in rows:
        samples = _samples(track, start, end, config.step)
        place = None
        if samples:
            visited = [known.pose_place(c, stream, t, x, y, frame, config.radius) for t, x, y in samples]
            for here in visited:
                previous = _traverse(c, previous, here)
            place = visited[len(visited) // 2]  # where the camera was mid-event
        else:
            vectors = {space: np.frombuffer(blob, dtype=FLOAT16).astype(np.float32) for space, blob in
                       c.execute("SELECT space, data FROM vectors WHERE event_id = ?", (event_id,))}
            space = _primary_space({s: v for s, v in vectors.items() if not s.startswith("text/")})
            if space is not None:
                place = known.visual_place(c, stream, start, space, vectors[space], config.visual_similarity)
                previous = _traverse(c, previous, place)
        c.execute("INSERT INTO event_places(event_id, place_id) VALUES (?, ?)", (event_id, place))
    return len(rows)


def _samples(track, start: float, end: float, step: float) -> list[tuple[float, float, float]]:
    if not len(track):
        return []
    lo, hi = max(start, float(track.times[0])), min(end, float(track.times[-1]))
    if hi < lo:
        return []
    n = max(1, int(math.floor((hi - lo) / step)) + 1)
    out = []
    for i in range(n):
        t = lo + i * step
        pose = track.at(t)
        if pose is not None:
            out.append((t, pose[0], pose[1]))
    return out


def _previous_place(c: sqlite3.Connection, stream: str, before: float) -> int | None:
    row = c.execute("SELECT p.place_id FROM event_places p JOIN events e ON e.id = p.event_id "
                    "WHERE e.stream = ? AND e.start < ? AND p.place_id IS NOT NULL ORDER BY e.start DESC, e.id DESC "
                    "LIMIT 1", (stream, before)).fetchone()
    return None if row is None else int(row[0])


def _traverse(c: sqlite3.Connection, a: int | None, b: int) -> int:
    if a is None or a == b:
        return b
    lo, hi = min(a, b), max(a, b)
    pa, pb = (c.execute("SELECT kind, x, y FROM places WHERE id = ?", (p,)).fetchone() for p in (lo, hi))
    distance = math.hypot(pa[1] - pb[1], pa[2] - pb[2]) if pa[0] == pb[0] == "pose" else 1.0
    c.execute("INSERT INTO place_edges(a, b, distance, traversals) VALUES (?, ?, ?, 1) ON CONFLICT(a, b) "
              "DO UPDATE SET traversals = traversals + 1", (lo, hi, distance))
    return b


# ---------------------------------------------------------------------------------------------- areas
def name_place(store: "MemoryStore", place: int | str, area: str, source: str = "user") -> int:
    """Put a place into the area of that name (made when new); returns the area id."""
    place_id = parse_place(place)
    name = " ".join(str(area).split())
    if not name:
        raise ValueError("an area name must not be empty")
    with store._write() as c:
        if c.execute("SELECT 1 FROM places WHERE id = ?", (place_id,)).fetchone() is None:
            raise KeyError(f"no place {place_id} in memory {store.directory}")
        area_id = _area(c, name, source)
        c.execute("UPDATE places SET area_id = ? WHERE id = ?", (area_id, place_id))
    return area_id


def label_areas(store: "MemoryStore", regions: Mapping[str, tuple[float, float, float, float]],
                source: str = "map") -> int:
    """Areas from a map: each pose place inside a named rectangle (x0, y0, x1, y1) joins that area.
    Places a user put into an area keep it. Returns how many places were labelled."""
    labelled = 0
    with store._write() as c:
        user_areas = {r[0] for r in c.execute("SELECT id FROM areas WHERE source = 'user'")}
        for pid, x, y, area in c.execute("SELECT id, x, y, area_id FROM places WHERE kind = 'pose'").fetchall():
            if area in user_areas:
                continue
            for name, (x0, y0, x1, y1) in regions.items():
                if min(x0, x1) <= x <= max(x0, x1) and min(y0, y1) <= y <= max(y0, y1):
                    c.execute("UPDATE places SET area_id = ? WHERE id = ?", (_area(c, name, source), pid))
                    labelled += 1
                    break
    return labelled


def _area(c: sqlite3.Connection, name: str, source: str) -> int:
    c.execute("INSERT INTO areas(name, source) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, source))
    return int(c.execute("SELECT id FROM areas WHERE name = ?", (name,)).fetchone()[0])


def parse_place(ref: int | str) -> int:
    """``place:5`` or ``5`` -> 5; ValueError naming the input otherwise."""
    text = str(ref).strip()
    if text.startswith("place:"):
        text = text[len("place:"):]
    if not text.isdigit():
        raise ValueError(f"place {ref!r}: expected place:N or a number")
    return int(text)


# ---------------------------------------------------------------------------------------------- reading
def places(store: "MemoryStore") -> list[Place]:
    """Every place, by id."""
    with store._read() as c:
        if not has_tables(c, "places", "areas"):
            return []
        rows = c.execute("SELECT p.id, p.kind, p.x, p.y, p.frame, p.first_seen, p.stream, p.visits, p.name, "
                         "p.area_id, a.name FROM places p LEFT JOIN areas a ON a.id = p.area_id ORDER BY p.id").fetchall()
    return [Place(*r) for r in rows]


def areas(store: "MemoryStore") -> list[dict]:
    """Every area with its places."""
    with store._read() as c:
        if not has_tables(c, "areas"):
            return []
        rows = c.execute("SELECT a.id, a.name, a.source, GROUP_CONCAT(p.id) FROM areas a LEFT JOIN places p "
                         "ON p.area_id = a.id GROUP BY a.id ORDER BY a.id").fetchall()
    return [{"id": i, "ref": f"area:{i}", "name": n, "source": s,
             "places": sorted(int(p) for p in (ps or "").split(",") if p)} for i, n, s, ps in rows]


def place_of(store: "MemoryStore", event_id: int) -> int | None:
    """The place of an event (None when it has none or consolidation has not seen it)."""
    with store._read() as c:
        if not has_tables(c, "event_places"):
            return None
        row = c.execute("SELECT place_id FROM event_places WHERE event_id = ?", (int(event_id),)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def events_at(store: "MemoryStore", place: int | str) -> list[int]:
    """Events that happened at a place, in time order."""
    with store._read() as c:
        if not has_tables(c, "event_places"):
            return []
        return [r[0] for r in c.execute("SELECT e.id FROM events e JOIN event_places p ON p.event_id = e.id "
                                        "WHERE p.place_id = ? ORDER BY e.stream, e.start", (parse_place(place),))]


def place_graph(store: "MemoryStore") -> "nx.Graph":
    """Places as nodes (``place:N`` with x, y, area) and traversal edges weighted by distance."""
    import networkx as nx

    graph = nx.Graph()
    for p in places(store):
        graph.add_node(f"place:{p.id}", **{k: v for k, v in p.to_dict().items() if k not in ("ref", "id")})
    with store._read() as c:
        edges = c.execute("SELECT a, b, distance, traversals FROM place_edges ORDER BY a, b").fetchall() \
            if has_tables(c, "place_edges") else []
    for a, b, distance, traversals in edges:
        graph.add_edge(f"place:{a}", f"place:{b}", distance=distance, traversals=traversals)
    return graph


def shortest_path(store: "MemoryStore", source: int | str, target: int | str) -> tuple[list[int], float]:
    """The shortest walk between two places: (place ids, metres or hops). ValueError when none exists."""
    import networkx as nx

    a, b = f"place:{parse_place(source)}", f"place:{parse_place(target)}"
    graph = place_graph(store)
    for node in (a, b):
        if node not in graph:
            raise KeyError(f"no {node} in memory {store.directory}")
    try:
        length, path = nx.single_source_dijkstra(graph, a, b, weight="distance")
    except nx.NetworkXNoPath as exc:
        raise ValueError(f"no known path from {a} to {b}") from exc
    return [int(n.split(":")[1]) for n in path], float(length)
