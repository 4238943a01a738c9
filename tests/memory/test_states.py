"""Bitemporal state facts: a later sighting closes the earlier fact; intervals never overlap; time travel."""

from __future__ import annotations

import random

import pytest

from memory.states import assert_state, states, where_is
from memory.store import MemoryStore


def current_intervals(store, subject, relation="at"):
    return [(f.object, f.valid_from, f.valid_to) for f in states(store, subject=subject, relation=relation)]


def test_a_later_sighting_closes_the_open_fact(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        assert_state(store, "entity:1", "at", "place:1", 10.0, record_time=11.0)
        assert_state(store, "entity:1", "at", "place:1", 20.0, record_time=21.0)  # still there: nothing new
        assert_state(store, "entity:1", "at", "place:2", 30.0, record_time=31.0)
        assert current_intervals(store, "entity:1") == [("place:1", 10.0, 30.0), ("place:2", 30.0, None)]
        assert where_is(store, "entity:1").object == "place:2"
        assert where_is(store, "entity:1", at=29.9).object == "place:1"
        assert where_is(store, "entity:1", at=5.0) is None
        # as known at record time 25, entity:1 was (still) at place:1 with no end in sight
        known = states(store, subject="entity:1", known_at=25.0)
        assert [(f.object, f.valid_from, f.valid_to) for f in known] == [("place:1", 10.0, None)]
        assert len(states(store, subject="entity:1", history=True)) == 3  # the open row, its closed copy, the new


def test_a_late_report_of_an_earlier_sighting_fits_between(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        assert_state(store, "entity:1", "at", "place:1", 10.0, record_time=11.0)
        assert_state(store, "entity:1", "at", "place:3", 50.0, record_time=51.0)
        assert_state(store, "entity:1", "at", "place:2", 30.0, record_time=60.0)  # learned late
        assert_state(store, "entity:1", "at", "place:0", 0.0, record_time=61.0)  # before everything
        assert current_intervals(store, "entity:1") == [("place:0", 0.0, 10.0), ("place:1", 10.0, 30.0),
                                                         ("place:2", 30.0, 50.0), ("place:3", 50.0, None)]


def test_random_sightings_never_overlap_and_match_a_replay(tmp_path):
    rng = random.Random(7)
    sightings = sorted((rng.uniform(0, 1000), f"place:{rng.randrange(4)}") for _ in range(300))
    with MemoryStore(tmp_path / "m") as store:
        for t, place in sightings:
            assert_state(store, "entity:9", "at", place, t, record_time=t)
            assert_state(store, "entity:8", "on", place, t, record_time=t)
        for subject, relation in (("entity:9", "at"), ("entity:8", "on")):
            rows = current_intervals(store, subject, relation)
            for (_, a0, a1), (_, b0, _) in zip(rows, rows[1:]):
                assert a1 == b0 and a0 < a1  # contiguous, ordered, no overlap
            assert rows[-1][2] is None
            assert all(a != b for (a, _, _), (b, _, _) in zip(rows, rows[1:]))  # changes only
            # the oracle: at any time the object is the one of the latest sighting before it
            for t in [rng.uniform(sightings[0][0], 1000) for _ in range(200)]:
                latest = [p for s, p in sightings if s <= t][-1]
                assert where_is(store, subject, at=t, relation=relation).object == latest
        # what the memory believed at record time R is what a replay of the sightings up to R gives
        cutoff = sightings[150][0]
        with MemoryStore(tmp_path / "replay") as replay:
            for t, place in sightings[:151]:
                assert_state(replay, "entity:9", "at", place, t, record_time=t)
            assert current_intervals(replay, "entity:9") == [
                (f.object, f.valid_from, f.valid_to) for f in states(store, subject="entity:9", known_at=cutoff)]


def test_bad_input_is_named(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        with pytest.raises(ValueError, match="subject"):
            assert_state(store, "", "at", "place:1", 0.0)
        with pytest.raises(ValueError, match="valid_from"):
            assert_state(store, "entity:1", "at", "place:1", float("nan"))


def test_consolidation_asserts_appearances_linked_late(synthetic, tmp_path):
    from memory.consolidation import consolidate
    from memory.entities import EntityRegistry
    from memory.places import place_of

    with MemoryStore(tmp_path / "m") as store:
        ids = synthetic.add_events(store, "cam", [(0, 10.0), (1, 10.0), (2, 10.0)])
        registry = EntityRegistry(store)
        mug = registry.add_entity("object", name="mug")
        registry.add_appearance(mug, "cam", 1.0, 2.0, event_id=ids[0])
        consolidate(store)
        registry.add_appearance(mug, "cam", 21.0, 22.0)  # a track that closed after its event was consolidated
        assert registry.link_events("cam", ids[2], 20.0, 30.0) == 1
        consolidate(store)
        assert consolidate(store).states == 0  # once
        assert [(f.object, f.valid_from, f.valid_to, f.source) for f in states(store, subject=f"entity:{mug}")] == [
            (f"place:{place_of(store, ids[0])}", 0.0, 20.0, f"event:{ids[0]}"),
            (f"place:{place_of(store, ids[2])}", 20.0, None, f"event:{ids[2]}")]
