"""A small perceived world, built by hand, with known answers: rooms, a moved mug, two people."""

from __future__ import annotations

import numpy as np

from memory.event import Checkpoint, Event
from memory.perceived import Area, Heard, Sighting, add_heard, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore

STREAM = "s1"
SPACE = "text/test"
DIM = 16


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def build_world_memory(directory, seed: int = 0) -> MemoryStore:
    """Kitchen (x < 5) and office (x >= 5). The red mug rests in the kitchen (5-40 s), Alice carries it
    to the office and puts it down at 60 s; Bob lingers at the fridge 120-130 s; the camera moves to
    the office at 100 s. Alice speaks at 56 s, Bob at 125 s."""
    rng = np.random.default_rng(seed)
    store = MemoryStore(directory, create=True)
    store.add_stream(STREAM, "test://world")
    for k in range(20):
        vec = _unit(rng.standard_normal(DIM))
        store.add_event(Event(STREAM, 10.0 * k, 10.0 * (k + 1), {SPACE: vec}, text=f"event {k}"),
                        Checkpoint(STREAM, 10.0 * (k + 1)))
    # the camera stands by the office door from 100 s, 2 m from Bob at the fridge as he speaks (a speaker is
    # named by the voice heard while they alone are in view near the camera: planners/naming.py)
    store.add_poses([Pose(STREAM, float(t), 2.0 if t < 100 else 6.0, 2.5) for t in np.arange(0, 200.1, 0.5)])
    set_areas(store, [Area("kitchen", 0, 0, 5, 5), Area("office", 5, 0, 10, 5)])
    alice, bob = np.zeros(DIM, np.float16), np.zeros(DIM, np.float16)
    alice[0], bob[1] = 1, 1
    rows = []
    for t in np.arange(5.0, 40.0, 0.2):
        rows.append(Sighting(STREAM, t, 1, "object", "mug", 0.9, 1.0 + rng.normal(0, 0.05), 1.0, "red"))
    for t in np.arange(60.0, 90.0, 0.2):
        rows.append(Sighting(STREAM, t, 2, "object", "mug", 0.9, 8.0 + rng.normal(0, 0.05), 2.0, "red"))
    for t in np.arange(0.0, 200.0, 1.0):
        rows.append(Sighting(STREAM, t, 3, "furniture", "fridge", 0.9, 4.0, 4.0))
        rows.append(Sighting(STREAM, t, 4, "furniture", "desk", 0.9, 8.5, 2.0))
    for t in np.arange(50.0, 64.0, 0.2):  # Alice walks from the kitchen into the office, to the desk
        x = min(4.0 + (t - 50.0) * 0.5, 8.0)
        rows.append(Sighting(STREAM, t, 10, "person", "person", 0.9, x, 2.0, appearance=alice.tobytes()))
    for t in np.arange(120.0, 130.0, 0.2):
        rows.append(Sighting(STREAM, t, 11, "person", "person", 0.9, 4.3, 3.8, appearance=bob.tobytes()))
    add_sightings(store, rows)
    add_heard(store, [Heard(STREAM, 56.0, 58.0, "Bob, please bring the red mug to the office.", "Alice"),
                      Heard(STREAM, 125.0, 127.0, "I like the new fridge.", "Bob")])
    return store
