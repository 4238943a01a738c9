"""State facts with valid time and record time: "entity:7 at place:3 from t1 to t2, as learned at r".

A state fact holds for a subject and relation over a valid interval [valid_from, valid_to) (valid_to
NULL: still holds). Rows are never changed except to retract them: asserting a new object for the
same subject and relation at time t retracts the row holding at t and records its closed version
[valid_from, t) together with the new fact [t, ...), all at record time r. So the memory can say
both what held at time T and what it believed about T at record time R (bitemporal), and a later
sighting closes an earlier fact instead of contradicting it.

Times are on the memory's timeline: a stream's wall clock plus media time when the stream has a
wall-clock anchor, else media time. Record times of facts distilled from a stream are the stream
time at which the evidence was complete (the event's end), so a re-run records the same history;
facts asserted by a user default to the wall clock.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memory.hierarchy import has_tables

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS states (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subject TEXT NOT NULL,                    -- a typed node id: entity:7
        relation TEXT NOT NULL,                   -- at, in, on
        object TEXT NOT NULL,                     -- place:3, area:2, entity:9 (a surface)
        valid_from REAL NOT NULL,                 -- timeline seconds
        valid_to REAL,                            -- NULL: holds until further notice
        recorded REAL NOT NULL,                   -- record time: when memory learned this row
        retracted REAL,                           -- record time when a later assertion replaced this row
        source TEXT                               -- evidence, e.g. event:42
    )""",
    "CREATE INDEX IF NOT EXISTS states_subject ON states(subject, relation, valid_from)",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the state-fact table if it is missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


@dataclass(frozen=True)
class StateFact:
    id: int
    subject: str
    relation: str
    object: str
    valid_from: float
    valid_to: float | None
    recorded: float
    retracted: float | None
    source: str | None

    def holds_at(self, t: float) -> bool:
        return self.valid_from <= t and (self.valid_to is None or t < self.valid_to)

    def to_dict(self) -> dict:
        return {"id": self.id, "subject": self.subject, "relation": self.relation, "object": self.object,
                "valid_from": self.valid_from, "valid_to": self.valid_to, "recorded": self.recorded,
                "retracted": self.retracted, "source": self.source}


_COLUMNS = "id, subject, relation, object, valid_from, valid_to, recorded, retracted, source"


def assert_state(store: "MemoryStore", subject: str, relation: str, object: str, valid_from: float,
                 record_time: float | None = None, source: str | None = None) -> int:
    """Record that ``subject relation object`` holds from ``valid_from``; one transaction.

    The fact of the same subject and relation holding at ``valid_from`` is closed there (a
    retraction plus its closed copy, not an edit). Asserting what already holds changes nothing.
    Returns the id of the row that now says so.
    """
    with store._write() as c:
        return assert_in(c, subject, relation, object, valid_from, record_time, source)


def assert_in(c: sqlite3.Connection, subject: str, relation: str, object: str, valid_from: float,
              record_time: float | None = None, source: str | None = None) -> int:
    """``assert_state`` inside the caller's transaction."""
    for name, value in (("subject", subject), ("relation", relation), ("object", object)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"assert_state: {name} must be a non-empty string, got {value!r}")
    if not math.isfinite(valid_from):
        raise ValueError(f"assert_state: valid_from must be finite, got {valid_from!r}")
    recorded = time.time() if record_time is None else float(record_time)
    current = [StateFact(*r) for r in c.execute(
        f"SELECT {_COLUMNS} FROM states WHERE subject = ? AND relation = ? AND retracted IS NULL "
        "ORDER BY valid_from, id", (subject, relation))]
    holding = next((f for f in current if f.holds_at(valid_from)), None)
    if holding is not None and holding.object == object:
        return holding.id
    if holding is not None:
        until = holding.valid_to
        c.execute("UPDATE states SET retracted = ? WHERE id = ?", (recorded, holding.id))
        if holding.valid_from < valid_from:
            _insert(c, holding.subject, holding.relation, holding.object, holding.valid_from, valid_from,
                    recorded, holding.source)
    else:
        later = [f.valid_from for f in current if f.valid_from > valid_from]
        until = min(later) if later else None
    return _insert(c, subject, relation, object, valid_from, until, recorded, source)


def _insert(c: sqlite3.Connection, subject: str, relation: str, object: str, valid_from: float,
            valid_to: float | None, recorded: float, source: str | None) -> int:
    cur = c.execute("INSERT INTO states(subject, relation, object, valid_from, valid_to, recorded, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", (subject, relation, object, float(valid_from),
                                                     None if valid_to is None else float(valid_to), recorded, source))
    return int(cur.lastrowid)


def states(store: "MemoryStore", subject: str | None = None, relation: str | None = None,
           at: float | None = None, known_at: float | None = None, history: bool = False) -> list[StateFact]:
    """State facts: valid at timeline time ``at`` (all times when None), as known at record time
    ``known_at`` (now when None). ``history`` returns every row, retracted ones included."""
    where, params = ["1"], []
    for column, value in (("subject", subject), ("relation", relation)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if not history:
        if known_at is None:
            where.append("retracted IS NULL")
        else:
            where.append("recorded <= ? AND (retracted IS NULL OR retracted > ?)")
            params += [float(known_at), float(known_at)]
    if at is not None:
        where.append("valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)")
        params += [float(at), float(at)]
    with store._read() as c:
        if not has_tables(c, "states"):
            return []
        rows = c.execute(f"SELECT {_COLUMNS} FROM states WHERE {' AND '.join(where)} "
                         "ORDER BY subject, relation, valid_from, id", params).fetchall()
    return [StateFact(*r) for r in rows]


def where_is(store: "MemoryStore", subject: str, at: float | None = None, relation: str = "at") -> StateFact | None:
    """The fact placing a subject at time ``at`` (the latest known when None)."""
    found = states(store, subject=subject, relation=relation, at=at)
    if at is None:
        found = [f for f in found if f.valid_to is None] or found
    return found[-1] if found else None
