"""memory.lookups: the readers' look-ups against brute force over the same rows; missing tables read empty."""

from __future__ import annotations

import numpy as np
import pytest

from memory import lookups
from memory.event import Checkpoint, Event
from memory.perceived import Area, Sighting, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore

SPANS = {"a": [(0.0, 2.0), (2.0, 5.0), (5.0, 6.5), (6.5, 9.0)], "b": [(1.0, 4.0), (4.0, 8.0)]}


@pytest.fixture()
def store(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    for stream, spans in SPANS.items():
        store.add_stream(stream, f"test://{stream}")
        for start, end in spans:
            store.add_event(Event(stream, start, end, {"v": np.ones(4, np.float32) / 2}, text=f"{stream}@{start:g}"),
                            Checkpoint(stream, end))
    yield store
    store.close()


def _events(store) -> list[Event]:
    return sorted(store.events(), key=lambda e: e.id)


def test_events_by_time_against_brute_force(store):
    events = _events(store)
    for t in np.arange(-0.5, 9.5, 0.25):
        for stream in ("a", "b"):
            running = [e for e in events if e.stream == stream and e.start <= t < e.end]
            got = lookups.event_at(store, stream, float(t))
            assert got == ((running[0].id, running[0].start) if running else None), (stream, t)
            held = lookups.event_holding(store, float(t), stream)
            started = [e for e in events if e.stream == stream and e.start <= t]
            latest = max(started, key=lambda e: e.start) if started else None
            expected = latest if latest is not None and latest.end >= t else None
            assert (held.id if held else None) == (expected.id if expected else None), (stream, t)
        held = lookups.event_holding(store, float(t))
        holding = [e for e in events if e.start <= t < e.end]
        assert (held is None) == (not holding)
        if held is not None:
            assert held.id == max(holding, key=lambda e: e.start).id and held.text == f"{held.stream}@{held.start:g}"


def test_spans_neighbours_and_last_end(store):
    events = _events(store)
    ids = [e.id for e in events]
    assert lookups.event_spans(store, ids + [999]) == {e.id: (e.start, e.end) for e in events}
    assert lookups.last_event_end(store) == events[-1].end
    a = [e.id for e in events if e.stream == "a"]
    assert lookups.neighbours(store, a[1], 1) == [a[0], a[2]]
    assert lookups.neighbours(store, a[0], 2) == [a[1], a[2]]
    assert lookups.neighbours(store, 999, 2) == []
    assert not lookups.has_keyframe(store, a[0])


def test_sightings_poses_and_areas(store):
    add_sightings(store, [Sighting("a", 2.5, 1, "object", "mug", 0.9, 1.0, 1.0, "red"),
                          Sighting("a", 3.0, 1, "object", "mug", 0.9, 1.0, 1.0, "red"),
                          Sighting("a", 5.5, 2, "object", "mug", 0.9, None, None, "blue"),  # not placed
                          Sighting("b", 1.5, 3, "object", "mug", 0.9, 4.0, 4.0, "red")])
    store.add_poses([Pose("a", 0.5, 0.0, 0.0, 0.0), Pose("a", 6.0, 2.0, 0.5, 0.0)])
    set_areas(store, [Area("kitchen", 0.0, 0.0, 3.0, 3.0)])
    at = {e.start: e.id for e in _events(store) if e.stream == "a"}
    b_first = min(e.id for e in _events(store) if e.stream == "b")
    assert lookups.events_with_sightings(store, "mug", "red") == [(at[2.0], 2), (b_first, 1)]
    assert lookups.events_with_sightings(store, "mug", start=5.0) == [(at[5.0], 1)]
    assert lookups.events_with_sightings(store, "kettle") == []
    assert sorted(lookups.placed_times(store)) == [("a", 0.5, 0.0, 0.0), ("a", 2.5, 1.0, 1.0), ("a", 3.0, 1.0, 1.0),
                                                   ("a", 6.0, 2.0, 0.5), ("b", 1.5, 4.0, 4.0)]
    assert lookups.area_box(store, "kitchen") == (0.0, 0.0, 3.0, 3.0) and lookups.area_box(store, "attic") is None
    assert lookups.poses_in_box(store, (0.0, 0.0, 3.0, 3.0)) == [("a", 0.5), ("a", 6.0)]
    for label in ("mug", "Mug ", "kettle", "mu"):  # against the list of every label
        assert lookups.has_sighting_label(store, label) == (label.strip().lower() in lookups.sighting_labels(store))


def test_a_memory_without_perception_or_hierarchy_reads_empty(store):
    assert lookups.episode_sums(store, "v") == [] and lookups.episode_event_ids(store, 1) == []
    assert lookups.shared_entity_events(store, 1, 5) == [] and lookups.shared_place_events(store, 1, 5) == []
    assert lookups.area_box(store, "kitchen") is None and not lookups.has_sighting_label(store, "mug")


def test_stamp_changes_with_every_addition(store):
    before = lookups.stamp(store)
    assert lookups.stamp(store) == before
    add_sightings(store, [Sighting("a", 1.0, 1, "object", "mug", 0.9)])
    after_sighting = lookups.stamp(store)
    assert after_sighting != before
    store.add_event(Event("a", 9.0, 10.0, {"v": np.ones(4, np.float32) / 2}), Checkpoint("a", 10.0))
    assert lookups.stamp(store) != after_sighting
