"""Forgetting under a size budget: old, rarely retrieved events lose their detail, never their place.

Retrieval counts (``touch``) and pins (``pin``: events an answer cited) decide what is kept. When a
memory is over its budget, the detail of the least retrieved, oldest unpinned events is dropped:
keyframes (JPEGs and thumbnail files) and frame vectors. The event keeps its row, span, text,
text vector, utterances, episode link and place, and gains a tombstone saying what was dropped;
its episode's pooled vector and summary already hold what it contributed. Only consolidated
events (in an episode) are compacted, so the episode summary has been made from them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from memory.hierarchy import has_tables

if TYPE_CHECKING:
    from memory.store import MemoryStore

logger = logging.getLogger(__name__)

PENDING = "budget-vacuum-pending"  # memory_state key: events were compacted and the space is not yet reclaimed

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS retrievals (
        event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        count INTEGER NOT NULL DEFAULT 0,         -- times a search or an answer returned it
        last REAL NOT NULL                        -- wall clock of the last retrieval
    )""",
    """CREATE TABLE IF NOT EXISTS pins (
        event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        reason TEXT NOT NULL DEFAULT '',          -- e.g. "cited by an answer"
        pinned REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS tombstones (
        event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
        dropped TEXT NOT NULL,                    -- JSON: what was dropped (keyframe images, vector spaces, bytes)
        compacted REAL NOT NULL                   -- wall clock
    )""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the retrieval, pin and tombstone tables if they are missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


@dataclass
class BudgetReport:
    """What one enforcement did."""

    budget: int  # bytes
    before: int  # bytes on disk before
    after: int  # bytes on disk after
    compacted: list[int] = field(default_factory=list)  # event ids whose detail was dropped
    freed_estimate: int = 0  # bytes of blobs dropped
    over_budget: bool = False  # still over: nothing more may be compacted

    def to_dict(self) -> dict:
        return {"budget": self.budget, "before": self.before, "after": self.after, "compacted": len(self.compacted),
                "freed_estimate": self.freed_estimate, "over_budget": self.over_budget}


def touch(store: "MemoryStore", event_ids: Iterable[int]) -> int:
    """Count one retrieval of each event (one transaction); returns how many were counted."""
    ids = sorted({int(i) for i in event_ids})
    if not ids:
        return 0
    now = time.time()
    with store._write() as c:
        known = {r[0] for r in c.execute(f"SELECT id FROM events WHERE id IN ({','.join('?' * len(ids))})", ids)}
        c.executemany("INSERT INTO retrievals(event_id, count, last) VALUES (?, 1, ?) ON CONFLICT(event_id) "
                      "DO UPDATE SET count = count + 1, last = excluded.last", [(i, now) for i in ids if i in known])
    return len(known)


def pin(store: "MemoryStore", event_ids: Iterable[int], reason: str = "cited") -> int:
    """Keep events whole whatever the budget (e.g. the evidence of an answer); returns how many are pinned."""
    ids = sorted({int(i) for i in event_ids})
    now = time.time()
    with store._write() as c:
        known = [i for i in ids if c.execute("SELECT 1 FROM events WHERE id = ?", (i,)).fetchone()]
        c.executemany("INSERT INTO pins(event_id, reason, pinned) VALUES (?, ?, ?) ON CONFLICT(event_id) "
                      "DO UPDATE SET reason = excluded.reason", [(i, reason, now) for i in known])
    return len(known)


def unpin(store: "MemoryStore", event_ids: Iterable[int]) -> int:
    ids = sorted({int(i) for i in event_ids})
    with store._write() as c:
        return sum(c.execute("DELETE FROM pins WHERE event_id = ?", (i,)).rowcount for i in ids)


def retrievals(store: "MemoryStore") -> dict[int, int]:
    """Retrieval count per event that was ever retrieved."""
    with store._read() as c:
        if not has_tables(c, "retrievals"):
            return {}
        return dict(c.execute("SELECT event_id, count FROM retrievals").fetchall())


def pinned(store: "MemoryStore") -> set[int]:
    with store._read() as c:
        if not has_tables(c, "pins"):
            return set()
        return {r[0] for r in c.execute("SELECT event_id FROM pins")}


def tombstones(store: "MemoryStore") -> dict[int, dict]:
    """What was dropped from each compacted event."""
    with store._read() as c:
        if not has_tables(c, "tombstones"):
            return {}
        return {i: json.loads(d) for i, d in c.execute("SELECT event_id, dropped FROM tombstones")}


def disk_bytes(directory: str | Path) -> int:
    """Bytes of every file in a memory directory (database, WAL, indexes, thumbnails)."""
    return sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())


def enforce(store: "MemoryStore", max_bytes: int, keep_recent: int = 0) -> BudgetReport:
    """Compact events until the memory fits in ``max_bytes`` (or nothing more may be compacted).

    ``keep_recent`` newest events of each stream stay whole. The database is vacuumed afterwards,
    which needs a moment with no other writer.
    """
    if max_bytes <= 0:
        raise ValueError(f"budget must be a positive number of bytes, got {max_bytes!r}")
    _checkpoint(store)  # the WAL's copies of pages are not what the memory holds
    _finish_cut_run(store)
    before = disk_bytes(store.directory)
    report = BudgetReport(budget=int(max_bytes), before=before, after=before)
    if before <= max_bytes:
        return report
    candidates = _candidates(store, keep_recent)
    while report.after > max_bytes and candidates:  # again when page slack or the WAL kept more than estimated
        excess, chosen, estimate = report.after - max_bytes, [], 0
        while candidates and estimate < excess * 1.05:
            event_id, size = candidates.pop(0)
            chosen.append(event_id)
            estimate += size
        report.freed_estimate += _compact(store, chosen)
        report.compacted += chosen
        _vacuum(store)
        report.after = disk_bytes(store.directory)
    report.over_budget = report.after > max_bytes
    if report.over_budget:
        logger.warning("memory %s is %d bytes, over its budget of %d, with nothing left to compact",
                       store.directory, report.after, max_bytes)
    logger.info("budget: %d -> %d bytes, %d events compacted", before, report.after, len(report.compacted))
    return report


def _candidates(store: "MemoryStore", keep_recent: int) -> list[tuple[int, int]]:
    """(event id, detail bytes incl. thumbnail files) in the order they are given up: least retrieved, then oldest."""
    with store._read() as c:
        rows = c.execute(
            "SELECT e.id, e.stream, COALESCE(r.count, 0), COALESCE(r.last, 0), "
            "(SELECT COALESCE(SUM(LENGTH(k.jpeg)), 0) FROM keyframes k WHERE k.event_id = e.id) + "
            "(SELECT COALESCE(SUM(LENGTH(v.data)), 0) FROM vectors v WHERE v.event_id = e.id "
            "AND v.space NOT LIKE 'text/%') FROM events e JOIN episode_events m ON m.event_id = e.id "
            "LEFT JOIN retrievals r ON r.event_id = e.id LEFT JOIN pins p ON p.event_id = e.id "
            "LEFT JOIN tombstones t ON t.event_id = e.id WHERE p.event_id IS NULL AND t.event_id IS NULL "
            "ORDER BY e.stream, e.start DESC, e.id DESC").fetchall()
    thumbs: dict[int, int] = {}
    for thumb in (store.directory / "thumbs").glob("*.jpg"):
        head = thumb.stem.split("_")[0]
        if head.isdigit():
            thumbs[int(head)] = thumbs.get(int(head), 0) + thumb.stat().st_size
    recent: dict[str, int] = {}
    kept = []
    for event_id, stream, count, last, size in rows:
        recent[stream] = recent.get(stream, 0) + 1
        if recent[stream] > keep_recent and size > 0:
            kept.append((count, last, event_id, size + thumbs.get(event_id, 0)))
    kept.sort()
    return [(event_id, size) for _, _, event_id, size in kept]


def _compact(store: "MemoryStore", ids: list[int]) -> int:
    freed = 0
    with store._write() as c:
        for event_id in ids:
            frames = c.execute("SELECT time, COALESCE(LENGTH(jpeg), 0) FROM keyframes WHERE event_id = ? "
                               "ORDER BY ordinal", (event_id,)).fetchall()
            spaces = c.execute("SELECT space, LENGTH(data) FROM vectors WHERE event_id = ? AND space NOT LIKE 'text/%' "
                               "ORDER BY space", (event_id,)).fetchall()
            c.execute("DELETE FROM keyframes WHERE event_id = ?", (event_id,))
            for space, _ in spaces:
                c.execute("DELETE FROM vectors WHERE event_id = ? AND space = ?", (event_id, space))
                c.execute("UPDATE spaces SET generation = generation + 1, epoch = epoch + 1, count = count - 1 "
                          "WHERE name = ?", (space,))
            jpeg_bytes = sum(n for _, n in frames)
            dropped = {"keyframe_times": [t for t, _ in frames], "jpeg_bytes": jpeg_bytes,
                       "vectors": [s for s, _ in spaces],
                       "note": "detail compacted into its episode under the memory's size budget"}
            c.execute("INSERT INTO tombstones(event_id, dropped, compacted) VALUES (?, ?, ?)",
                      (event_id, json.dumps(dropped), time.time()))
            freed += jpeg_bytes + sum(n for _, n in spaces)
        store._put_state(c, PENDING, b"1")  # cleared by _vacuum: a run cut before it is finished by the next
    for event_id in ids:
        for thumb in (store.directory / "thumbs").glob(f"{event_id}_*.jpg"):
            thumb.unlink(missing_ok=True)
    return freed


def _finish_cut_run(store: "MemoryStore") -> None:
    """What a run killed between its compaction and its vacuum left undone: thumbnails of compacted events
    and the space of their blobs, so that the next run measures what an uninterrupted one would have."""
    if store.state(PENDING) is None:
        return
    logger.info("finishing the compaction of %s that an earlier run did not finish", store.directory)
    dropped = set(tombstones(store))
    for thumb in (store.directory / "thumbs").glob("*.jpg"):
        head = thumb.stem.split("_")[0]
        if head.isdigit() and int(head) in dropped:
            thumb.unlink(missing_ok=True)
    _vacuum(store)


def _checkpoint(store: "MemoryStore") -> None:
    try:
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        logger.warning("could not checkpoint %s: %s", store.directory, exc)


def _vacuum(store: "MemoryStore") -> None:
    conn = store._conn
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        with store._write() as c:
            c.execute("DELETE FROM memory_state WHERE key = ?", (PENDING,))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:  # a reader holds the database: the space is reused, not returned
        logger.warning("could not vacuum %s (%s); freed pages will be reused", store.directory, exc)
    for index in (store.directory / "index").glob("*"):  # rebuilt without the dropped vectors on next use
        index.unlink(missing_ok=True)
    store._indexes.clear()
