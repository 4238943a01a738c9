"""The perceived world's entries and moves on seeded synthetic tracks whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from memory.perceived import Area, Sighting, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from planners.builtin import BuiltinAnswerer
from planners.world import World

STREAM = "s1"
ROOMS = [Area("kitchen", 0, 0, 5, 5), Area("office", 5, 0, 10, 5), Area("bedroom", 0, 5, 5, 10),
         Area("bathroom", 5, 5, 10, 10)]
FACE = np.eye(8, dtype=np.float16)[0].tobytes()


def _store(tmp_path, person_path, objects=()):
    """A memory holding one person walking ``person_path`` [(t, x, y)] (noisy by 0.1 m) and object
    sightings [(t, x, y)] of a red mug; the camera stands still in the kitchen."""
    rng = np.random.default_rng(0)
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream(STREAM, "test://world")
    store.add_poses([Pose(STREAM, float(t), 2.5, 2.5) for t in np.arange(0.0, 200.0, 0.5)])
    set_areas(store, ROOMS)
    rows = [Sighting(STREAM, t, 1, "person", "person", 0.9, x + rng.normal(0, 0.1), y + rng.normal(0, 0.1),
                     appearance=FACE) for t, x, y in person_path]
    rows += [Sighting(STREAM, t, 2, "object", "mug", 0.9, x + rng.normal(0, 0.05), y + rng.normal(0, 0.05), "red")
             for t, x, y in objects]
    add_sightings(store, rows)
    return store


def _walk(t0, a, b, speed=1.0, rate=5.0):
    (x0, y0), (x1, y1) = a, b
    n = int(np.hypot(x1 - x0, y1 - y0) / speed * rate)
    return [(t0 + i / rate, x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n + 1)]


def _entries(store):
    return [(round(a.time, 1), a.target) for a in World(store).actions if a.kind == "enter"]


def test_standing_by_a_wall_is_no_entry(tmp_path):
    """Thirty seconds at the kitchen/office wall, position noise flipping the room: nobody entered."""
    path = _walk(0.0, (2.0, 2.5), (4.9, 2.5), speed=0.5) + [(6.0 + i / 5, 4.95, 2.5) for i in range(150)]
    store = _store(tmp_path, path)
    assert _entries(store) == []
    store.close()


def test_crossing_is_one_entry_at_the_crossing(tmp_path):
    path = _walk(0.0, (2.0, 2.5), (8.0, 2.5))  # crosses x = 5 at t = 3 s
    store = _store(tmp_path, path)
    entries = _entries(store)
    assert [room for _, room in entries] == ["office"]
    assert entries[0][0] == pytest.approx(3.0, abs=0.6)
    store.close()


def test_lost_from_view_just_past_the_door_is_an_entry(tmp_path):
    path = _walk(0.0, (3.0, 2.5), (5.2, 2.5))  # crosses, then is never seen again
    store = _store(tmp_path, path)
    assert [room for _, room in _entries(store)] == ["office"]
    store.close()


def test_cutting_a_corner_enters_only_the_room_reached(tmp_path):
    """From the kitchen to the bathroom through the corner the four rooms share: no office or bedroom."""
    path = _walk(0.0, (2.0, 2.0), (4.7, 4.7)) + _walk(3.9, (4.7, 4.7), (5.3, 5.3)) + _walk(4.8, (5.3, 5.3), (8.0, 8.0))
    store = _store(tmp_path, path)
    assert [room for _, room in _entries(store)] == ["bathroom"]
    store.close()


def test_pauses_while_carried_are_no_picks_or_puts(tmp_path):
    """The mug rests in the kitchen (0-30 s), is carried to the office with two short pauses and rests
    there from 50 s: one pick, put down at 50 s."""
    rest1 = [(t, 2.0, 2.0) for t in np.arange(0.0, 30.0, 0.2)]
    carry = [(30.0 + k, 2.0 + 0.6 * k, 2.0) for k in range(11)]
    pauses = [(t, 4.0, 2.0) for t in np.arange(34.0, 35.0, 0.2)] + [(t, 6.0, 2.0) for t in np.arange(42.0, 43.0, 0.2)]
    rest2 = [(t, 8.0, 2.0) for t in np.arange(50.0, 90.0, 0.2)]
    store = _store(tmp_path, _walk(25.0, (2.0, 2.5), (8.0, 2.5), speed=0.25), sorted(rest1 + carry + pauses + rest2))
    answerer = BuiltinAnswerer(store)
    assert answerer.answer("How many times did you see someone pick up the red mug?", 100.0).value == 1
    first_put = answerer.answer("When did you first see someone put down the red mug?", 100.0).value
    assert first_put == pytest.approx(50.0, abs=1.0)
    assert answerer.answer("Where is the red mug now?", 100.0).value == "office"
    store.close()


def test_walk_carried_on_past_the_edges_of_view(tmp_path):
    """Last seen walking at the office wall 0.5 m away (unseen after): went in, about 0.5 s later.
    First seen (after long unseen) walking out of the wall 0.8 m into the kitchen: just came in."""
    path = _walk(0.0, (2.0, 2.5), (4.5, 2.5)) + _walk(60.0, (4.2, 2.5), (1.0, 2.5))
    store = _store(tmp_path, path)
    entries = _entries(store)
    assert [room for _, room in entries] == ["office", "kitchen"]
    assert entries[0][0] == pytest.approx(3.0, abs=0.5)
    assert entries[1][0] == pytest.approx(59.2, abs=0.5)
    store.close()


def test_standing_at_the_edges_of_view_is_no_entry(tmp_path):
    path = [(t, 4.0, 2.5) for t in np.arange(0.0, 5.0, 0.2)]  # stands 1 m from the office wall, then unseen
    store = _store(tmp_path, path)
    assert _entries(store) == []
    store.close()


def test_a_crossing_not_seen_is_no_entry(tmp_path):
    """Seen standing in the kitchen, unseen for ten seconds, then standing deep in the office: the
    person went through the door out of view; no entry was seen. Walking in from the wall is one."""
    path = [(t, 2.0, 2.5) for t in np.arange(0.0, 5.0, 0.2)] + [(t, 8.0, 2.5) for t in np.arange(15.0, 20.0, 0.2)]
    store = _store(tmp_path, path)
    assert _entries(store) == []
    store.close()
    path = [(t, 2.0, 2.5) for t in np.arange(0.0, 5.0, 0.2)] + _walk(15.0, (5.6, 2.5), (8.0, 2.5))
    store = _store(tmp_path / "walk", path)
    assert [room for _, room in _entries(store)] == ["office"]
    store.close()
