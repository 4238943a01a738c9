"""Sightings keep what perception read (states included); memories from before states gain the column."""

from __future__ import annotations

import sqlite3

from memory.perceived import Sighting, add_sightings, sightings
from memory.store import MemoryStore


def _old_sightings_table(db) -> None:
    """Turn the sightings table back into the one memories had before states (a state-less copy)."""
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE old (id INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, time REAL NOT NULL,
                          track INTEGER NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
                          colour TEXT NOT NULL DEFAULT '', score REAL NOT NULL, x REAL NOT NULL, y REAL NOT NULL,
                          appearance BLOB);
        INSERT INTO old SELECT id, stream, time, track, kind, label, colour, score, x, y, appearance FROM sightings;
        DROP TABLE sightings;
        ALTER TABLE old RENAME TO sightings;
    """)
    conn.commit()
    conn.close()


def test_states_round_trip(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    add_sightings(store, [Sighting("s", 1.0, 1, "furniture", "fridge", 0.9, 1.0, 2.0, state="open"),
                          Sighting("s", 1.2, 1, "furniture", "fridge", 0.9, 1.0, 2.0, state="closed"),
                          Sighting("s", 1.2, 2, "object", "mug", 0.8, 3.0, 2.0, "red")])
    rows = sightings(store)
    assert [(r[2], r[5], r[6], r[10]) for r in rows] == [(1.0, "fridge", "", "open"), (1.2, "fridge", "", "closed"),
                                                         (1.2, "mug", "red", "")]
    store.close()


def test_a_memory_from_before_states_gains_the_column(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    add_sightings(store, [Sighting("s", 1.0, 1, "object", "mug", 0.9, 1.0, 2.0, "red")])
    db = store.db_path
    store.close()
    _old_sightings_table(db)

    readonly = MemoryStore(tmp_path / "m", create=False, readonly=True)  # no upgrade read-only: states ''
    assert [(r[5], r[10]) for r in sightings(readonly)] == [("mug", "")]
    readonly.close()

    store = MemoryStore(tmp_path / "m", create=False)  # a writable open adds the column, rows kept
    add_sightings(store, [Sighting("s", 2.0, 3, "furniture", "fridge", 0.9, 1.0, 2.0, state="open")])
    assert [(r[5], r[6], r[10]) for r in sightings(store)] == [("mug", "red", ""), ("fridge", "", "open")]
    store.close()
