"""Sightings keep what perception read (states included); memories from before states gain the column."""

from __future__ import annotations

import sqlite3

from memory.perceived import Seen, Sighting, add_sightings, placed, seen, sightings, states, track_entities
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


def test_unplaced_sightings_keep_entity_and_box_and_stay_out_of_the_map(tmp_path):
    """A plain video's detections have no position: stored with their track, entity and box, read by
    ``seen`` (what was in view) and left out of ``sightings`` (the map's rows)."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("v", "file:///v.mp4")
    add_sightings(store, [Sighting("v", 2.0, 7, "person", "person", 0.8, entity=3, box=(10, 20, 50.25, 120)),
                          Sighting("v", 3.0, 8, "face", "face", 0.7, entity=4, box=(20, 25, 40, 50)),
                          Sighting("v", 4.0, 9, "object", "mug", 0.6, 1.0, 2.0, "red")])
    assert [r[5] for r in sightings(store)] == ["mug"]
    assert seen(store, kinds=("person", "face"), until=2.5) == [
        Seen("v", 2.0, 7, 3, "person", "person", "", 0.8, (10.0, 20.0, 50.2, 120.0))]
    assert [s.label for s in seen(store, labels=("mug",))] == ["mug"]
    assert [s.time for s in seen(store, kinds=("face",), labels=("mug",))] == [3.0, 4.0]
    assert len(seen(store)) == 3 and seen(store, stream="other") == []
    store.close()


def test_placed_reads_only_the_asked_labels_placed_as_a_filter_of_all_sightings_would(tmp_path):
    """Oracle: every placed sighting read and filtered in Python."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    rows = [Sighting("s", t * 0.5, t % 4, kind, label, 0.9, x, y) for t, (kind, label, x, y) in enumerate([
        ("furniture", "table", 1.0, 2.0), ("furniture", "table", None, None), ("furniture", "sofa", 3.0, 1.0),
        ("object", "table", 5.0, 5.0), ("furniture", "table", 1.5, 2.5), ("furniture", "bed", 0.0, 0.0)])]
    add_sightings(store, rows)
    for labels in (["table"], ["table", "sofa"], ["lamp"], []):
        brute = [(r[5], r[8], r[9]) for r in sorted(sightings(store)) if r[4] == "furniture" and r[5] in labels]
        assert placed(store, "furniture", labels) == brute
    assert placed(store, "furniture", ["table"]) == [("table", 1.0, 2.0), ("table", 1.5, 2.5)]
    store.close()


def test_unplaced_rows_of_named_kinds_join_the_placed_ones_as_a_filter_of_all_rows_would(tmp_path):
    """Oracle: every row read (``placed_only`` False) and filtered in Python."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    add_sightings(store, [Sighting("s", 1.0, 1, "object", "mug", 0.9, 1.0, 2.0),
                          Sighting("s", 2.0, 2, "object", "mug", 0.9, box=(1, 2, 3, 4)),
                          Sighting("s", 3.0, 3, "person", "person", 0.9, box=(1, 2, 3, 4)),
                          Sighting("s", 4.0, 4, "person", "person", 0.9, 3.0, 1.0),
                          Sighting("s", 5.0, 5, "object", "key", 0.9, box=(1, 2, 3, 4))])
    every = sightings(store, placed_only=False)
    for kinds, until in ((("object",), None), (("object", "person"), 4.5), ((), None)):
        brute = [r for r in every if (r[8] is not None or r[4] in kinds) and (until is None or r[2] <= until)]
        assert sightings(store, until=until, unplaced_kinds=kinds) == brute
    assert [r[3] for r in sightings(store, unplaced_kinds=("object",))] == [1, 2, 4, 5]
    store.close()


def test_states_reads_the_state_read_sightings_of_a_kind_placed_or_not_as_a_filter_of_all_rows_would(tmp_path):
    """Oracle: every row read (``placed_only`` False) and filtered in Python."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    add_sightings(store, [Sighting("s", 1.0, 1, "furniture", "fridge", 0.9, 1.0, 2.0, state="closed"),
                          Sighting("s", 2.0, 1, "furniture", "fridge", 0.9, state="open", box=(1, 2, 3, 4)),
                          Sighting("s", 3.0, 2, "furniture", "table", 0.9, 4.0, 1.0),
                          Sighting("s", 4.0, 3, "object", "mug", 0.9, 3.0, 1.0, state="open"),
                          Sighting("s", 5.0, 1, "furniture", "fridge", 0.9, 1.0, 2.0, state="closed")])
    every = sightings(store, placed_only=False)
    for until in (None, 4.5, 1.0):
        brute = [(r[2], r[3], r[5], r[8], r[9], r[10]) for r in every
                 if r[4] == "furniture" and r[10] and (until is None or r[2] <= until)]
        assert states(store, "furniture", until=until) == brute
    assert [r[5] for r in states(store, "furniture")] == ["closed", "open", "closed"]
    assert states(store, "furniture")[1][3] is None  # the unplaced one, without a position
    store.close()


def test_a_memory_whose_positions_were_required_is_rebuilt_with_its_rows(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    add_sightings(store, [Sighting("s", 1.0, 1, "object", "mug", 0.9, 1.0, 2.0, "red", state="")])
    db = store.db_path
    store.close()
    _old_sightings_table(db)  # x, y NOT NULL, no entity, box or state

    readonly = MemoryStore(tmp_path / "m", create=False, readonly=True)
    assert [(s.label, s.entity, s.box) for s in seen(readonly)] == [("mug", None, None)]
    readonly.close()
    store = MemoryStore(tmp_path / "m", create=False)
    add_sightings(store, [Sighting("s", 2.0, 2, "person", "person", 0.5, entity=1, box=(0, 0, 5, 9))])
    assert [(s.label, s.colour, s.entity) for s in seen(store)] == [("mug", "red", None), ("person", "", 1)]
    columns = {r[1]: r[3] for r in store._conn.execute("PRAGMA table_info(sightings)")}
    assert columns["x"] == 0 and "entity" in columns and "box" in columns
    store.close()


def test_track_entities_maps_each_track_to_its_entity_by_a_time(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("s", "test://s")
    add_sightings(store, [Sighting("s", 1.0, 1, "object", "mug", 0.8, 1.0, 2.0, "red", entity=7),
                          Sighting("s", 2.0, 2, "object", "mug", 0.8, None, None, "red", entity=7),
                          Sighting("s", 3.0, 3, "object", "cup", 0.8, 1.0, 2.0, "blue", entity=9),
                          Sighting("s", 4.0, 4, "object", "pen", 0.8, 1.0, 2.0)])  # no entity: not mapped
    assert track_entities(store) == {1: 7, 2: 7, 3: 9}
    assert track_entities(store, until=2.5) == {1: 7, 2: 7}
    store.close()
