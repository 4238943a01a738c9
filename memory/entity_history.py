"""When each merge and name of the entity registry was made, and the registry as it was at a media time.

The registry's own tables hold entities as they are now: a merge re-points the dropped entity at the
survivor, a name replaces the one before. A question asked at media time t must see the entities as
memory held them at t (issue #26: an answer at t uses only what was perceived up to t), so every merge
and every name given is also written here, in the order made, with its time:

    entity_history  id, what ('merge' or 'name'), entity (the survivor, or the entity named), other (the
                    entity dropped by a merge), name, source, time, stream, position

``time`` is media seconds: for what ingest did, the end of the event whose tracks or lines it came from
(a name heard: the end of the line that gave it); for what a user did (``mnemo merge``, ``mnemo name``),
the memory's end then. ``position`` is the id of the last event stored when it was made (the ingest
position). Merges and names made before this table existed have no time (NULL): they count as made
before everything. :func:`registry_at` replays the history up to t: a union-find over the merges made by
t (the survivor's root stays the root, as the registry's merge keeps it) and the names given by t under
the registry's rules (a stronger source replaces a weaker one; a merge keeps the stronger name). With
no time it reads the registry's tables as they are now.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from memory.schema import register_schema

if TYPE_CHECKING:  # pragma: no cover
    from memory.store import MemoryStore

NAME_SOURCES = ("sim", "subtitle", "transcript", "user")  # where a name came from, weakest first


def source_rank(source: str | None) -> int:
    """How strong a name's source is (-1: unknown); a name from a stronger one replaces a weaker one's."""
    return NAME_SOURCES.index(source) if source in NAME_SOURCES else -1


SCHEMA = [
    """CREATE TABLE IF NOT EXISTS entity_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,     -- the order things were done in
        what TEXT NOT NULL CHECK (what IN ('merge', 'name')),
        entity INTEGER NOT NULL,                  -- merge: the survivor (a root then); name: the entity named
        other INTEGER,                            -- merge: the entity merged into it (a root then)
        name TEXT,                                -- name: the name given
        source TEXT,                              -- name: sim, subtitle, transcript, user
        time REAL,                                -- media seconds it was made at; NULL: unknown, before everything
        stream TEXT,                              -- the stream whose ingest made it; NULL: a user's, or unknown
        position INTEGER                          -- the id of the last event stored then (the ingest position)
    )""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the history table; when it is new in a memory that already has entities, write their merges
    and names as made at an unknown time (before everything), so that the history replays to the registry
    as it is (inside the caller's transaction)."""
    known = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for statement in SCHEMA:
        conn.execute(statement)
    if "entity_history" not in known and "entities" in known:
        conn.executemany("INSERT INTO entity_history(what, entity, other) VALUES ('merge', ?, ?)",
                         conn.execute("SELECT merged_into, id FROM entities WHERE merged_into IS NOT NULL "
                                      "ORDER BY id").fetchall())
        conn.executemany("INSERT INTO entity_history(what, entity, name, source) VALUES ('name', ?, ?, ?)",
                         conn.execute("SELECT id, name, name_source FROM entities WHERE name IS NOT NULL "
                                      "AND merged_into IS NULL ORDER BY id").fetchall())


register_schema("entity_history", ensure_schema, order=11)


def record_merge(c: sqlite3.Connection, keep: int, drop: int, time: float | None, stream: str | None) -> None:
    """Write that ``drop`` was merged into ``keep`` at media ``time`` (None: the memory's end now)."""
    c.execute("INSERT INTO entity_history(what, entity, other, time, stream, position) VALUES ('merge', ?, ?, ?, ?, ?)",
              (int(keep), int(drop), _when(c, time), stream, _position(c)))


def record_name(c: sqlite3.Connection, entity: int, name: str, source: str, time: float | None,
                stream: str | None) -> None:
    """Write that ``entity`` was given ``name`` by ``source`` at media ``time`` (None: the memory's end now)."""
    c.execute("INSERT INTO entity_history(what, entity, name, source, time, stream, position) "
              "VALUES ('name', ?, ?, ?, ?, ?, ?)", (int(entity), name, source, _when(c, time), stream, _position(c)))


def forget_names(c: sqlite3.Connection, ids: tuple[int, ...]) -> None:
    """Delete every name ever given to these entities from the history (forgetting leaves no name behind)."""
    c.execute("DELETE FROM entity_history WHERE what = 'name' AND entity IN (%s)" % ",".join("?" * len(ids)), ids)


def memory_end(c: sqlite3.Connection) -> float | None:
    """The memory's end in media seconds (the last event's end, or the last sighting), None when empty."""
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    ends = [c.execute('SELECT MAX("end") FROM events').fetchone()[0] if "events" in tables else None,
            c.execute("SELECT MAX(time) FROM sightings").fetchone()[0] if "sightings" in tables else None]
    ends = [float(e) for e in ends if e is not None]
    return max(ends) if ends else None


def _when(c: sqlite3.Connection, time: float | None) -> float | None:
    if time is None:
        return memory_end(c)
    time = float(time)
    if not math.isfinite(time):
        raise ValueError(f"entity history time {time!r}: expected finite media seconds")
    return time


def _position(c: sqlite3.Connection) -> int | None:
    row = c.execute("SELECT MAX(id) FROM events").fetchone() if _has(c, "events") else None
    return None if row is None or row[0] is None else int(row[0])


def _has(c: sqlite3.Connection, table: str) -> bool:
    return c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


@dataclass
class RegistryAt:
    """The registry's grouping and names at one media time: ``root`` of any entity id (itself when never
    merged by then, or unknown), ``name`` of any entity (its root's), None when it had none then."""

    parent: dict[int, int] = field(default_factory=dict)
    names: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # root -> (name, source)
    last: float = -math.inf  # the latest time of a merge or name replayed (-inf: none with a time)

    def root(self, entity: int) -> int:
        entity = int(entity)
        path = []
        while entity in self.parent and self.parent[entity] != entity:
            path.append(entity)
            entity = self.parent[entity]
        for e in path:  # path compression
            self.parent[e] = entity
        return entity

    def name(self, entity: int) -> str | None:
        named = self.names.get(self.root(entity))
        return named[0] if named else None

    def merge(self, keep: int, drop: int) -> None:
        """``drop``'s group joins ``keep``'s, whose root stays the root; the stronger name stays (the
        survivor's when equal), as EntityRegistry.merge does."""
        keep, drop = self.root(keep), self.root(drop)
        if keep == drop:
            return
        kept, dropped = self.names.pop(keep, None), self.names.pop(drop, None)
        if dropped is not None and (kept is None or source_rank(dropped[1]) > source_rank(kept[1])):
            kept = dropped
        if kept is not None:
            self.names[keep] = kept
        self.parent[drop] = keep

    def give(self, entity: int, name: str, source: str | None) -> None:
        """A name given: it replaces the entity's name unless that came from a stronger source."""
        root = self.root(entity)
        old = self.names.get(root)
        if old is None or source_rank(source) >= source_rank(old[1]):
            self.names[root] = (name, source)


def replay(rows: list[tuple], until: float | None = None) -> RegistryAt:
    """The registry at ``until`` from history rows (what, entity, other, name, source, time), in the order made:
    those with no time or a time <= ``until`` (all when None)."""
    at = RegistryAt()
    cut = math.inf if until is None else float(until)
    for what, entity, other, name, source, time in rows:
        if time is not None and time > cut:
            continue
        if time is not None:
            at.last = max(at.last, float(time))
        if what == "merge":
            at.merge(int(entity), int(other))
        elif what == "name" and name:
            at.give(int(entity), name, source)
    return at


def registry_at(c: sqlite3.Connection, until: float | None = None) -> RegistryAt:
    """The registry's grouping and names at media time ``until``: the history replayed up to it; as the
    registry's tables hold them now when None (or when the memory predates the history: then every merge
    and name counts as made before everything); nothing merged or named in a memory without entities."""
    if not _has(c, "entities"):
        return RegistryAt()
    if until is not None and _has(c, "entity_history"):
        rows = c.execute("SELECT what, entity, other, name, source, time FROM entity_history ORDER BY id").fetchall()
        return replay(rows, until)
    at = RegistryAt()
    for entity, merged, name, source in c.execute("SELECT id, merged_into, name, name_source FROM entities"):
        if merged is not None:
            at.parent[int(entity)] = int(merged)
        elif name is not None:
            at.names[int(entity)] = (name, source)
    if _has(c, "entity_history"):
        row = c.execute("SELECT MAX(time) FROM entity_history").fetchone()
        at.last = -math.inf if row[0] is None else float(row[0])
    return at


def entities_at(store: "MemoryStore", until: float | None = None) -> RegistryAt:
    """The memory's entities as grouped and named at media time ``until`` (now when None): registry_at."""
    with store._read() as c:
        return registry_at(c, until)
