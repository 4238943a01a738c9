"""The world's people are the person entities ingest stored with each sighting (planners/world_build.py): no
clustering of its own. Checked against an oracle written from the sightings themselves, on a seeded memory
whose appearance vectors say the opposite of the entities (so a world that re-clustered would fail)."""

from __future__ import annotations

import numpy as np

from memory.perceived import Area, Sighting, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from planners.world import World

STREAM = "s"
ENTITIES = (7, 11, 23)  # ingest's person entities
LONE = 99  # a track written with no entity (a perception log's): a person of its own


def _tracks(seed: int) -> list[tuple[int, int | None, float, float]]:
    """(track, entity, start, end) of 12 seeded person tracks over 0-120 s, one of them without an entity."""
    rng = np.random.default_rng(seed)
    out = []
    for track in range(1, 13):
        start = float(rng.uniform(0.0, 100.0))
        out.append((track, int(ENTITIES[track % 3]), start, start + float(rng.uniform(3.0, 20.0))))
    start = float(rng.uniform(0.0, 100.0))
    return out + [(LONE, None, start, start + 8.0)]


def _memory(tmp_path, seed: int) -> tuple[MemoryStore, list[Sighting]]:
    """A memory of the seeded tracks, every 0.5 s at a random place in one room. Each track's vector is the
    one of its track number's parity, whatever its entity: by appearance the tracks would be two people."""
    rng = np.random.default_rng(seed + 100)
    store = MemoryStore(tmp_path / f"m{seed}", create=True)
    store.add_stream(STREAM, "test://people")
    store.add_poses([Pose(STREAM, float(t), 1.0, 1.0) for t in np.arange(0.0, 130.0, 0.5)])
    set_areas(store, [Area("hall", 0, 0, 10, 10)])
    looks = np.eye(8, dtype=np.float16)
    rows = [Sighting(STREAM, float(t), track, "person", "person", 0.9, float(rng.uniform(1, 9)),
                     float(rng.uniform(1, 9)), appearance=looks[track % 2].tobytes(), entity=entity)
            for track, entity, start, end in _tracks(seed) for t in np.arange(start, end, 0.5)]
    add_sightings(store, rows)
    return store, rows


def _oracle(rows: list[Sighting], until: float = np.inf) -> set[frozenset[int]]:
    """The people the sightings seen by ``until`` hold: the tracks of each entity; a track without one alone."""
    groups: dict[object, set[int]] = {}
    for r in rows:
        if r.time <= until:
            groups.setdefault(r.entity if r.entity is not None else ("track", r.track), set()).add(r.track)
    return {frozenset(g) for g in groups.values()}


def _people(world: World) -> set[frozenset[int]]:
    by_name: dict[str, set[int]] = {}
    for track, name in world.person_tracks.items():
        by_name.setdefault(name, set()).add(track)
    return {frozenset(g) for g in by_name.values()}


def test_the_worlds_people_are_ingests_person_entities(tmp_path):
    for seed in (1, 2):
        store, rows = _memory(tmp_path, seed)
        world = World(store)
        assert _people(world) == _oracle(rows)
        assert frozenset({LONE}) in _people(world)  # the track without an entity is someone of its own
        for name, person in world.people.items():  # each person holds all of its tracks' sightings, by time
            tracks = {t for t, n in world.person_tracks.items() if n == name}
            assert person.times.tolist() == sorted(r.time for r in rows if r.track in tracks)
        counts = [len(world.people[f"person {k + 1}"].times) for k in range(len(world.people))]
        assert counts == sorted(counts, reverse=True)  # "person 1" is the one seen most
        store.close()


def test_the_world_at_a_time_holds_the_people_seen_by_then(tmp_path):
    store, rows = _memory(tmp_path, 3)
    for until in (30.0, 70.0):
        cut = World(store, until=until)
        assert _people(cut) == _oracle(rows, until)
        for person in cut.people.values():
            assert person.times.max() <= until
    store.close()


def test_a_state_read_on_a_box_too_near_to_place_counts_for_its_tracks_piece(tmp_path):
    """A wardrobe read closed from afar (placed), then open from near on boxes cut off by the frame (its
    track's sightings, no position) while someone stands at it: it was open then. Open readings of a track
    never placed (no piece to give them to) count for no piece."""
    store = MemoryStore(tmp_path / "w", create=True)
    store.add_stream(STREAM, "test://wardrobe")
    store.add_poses([Pose(STREAM, float(t), 5.0, 2.0) for t in np.arange(0.0, 70.0, 0.5)])
    set_areas(store, [Area("bedroom", 0, 0, 10, 10)])
    closed = [t for t in np.arange(0.0, 60.0, 1.0) if not 29.0 < t < 40.0]
    rows = [Sighting(STREAM, float(t), 5, "furniture", "wardrobe", 0.9, 8.0, 2.0, state="closed") for t in closed]
    rows += [Sighting(STREAM, float(t), 5, "furniture", "wardrobe", 0.9, None, None, state="open")
             for t in np.arange(30.0, 35.0, 0.5)]
    rows += [Sighting(STREAM, float(t), 6, "furniture", "wardrobe", 0.9, 2.0, 8.0, state="closed") for t in closed]
    rows += [Sighting(STREAM, float(t), 7, "furniture", "wardrobe", 0.9, None, None, state="open")
             for t in np.arange(45.0, 50.0, 0.5)]
    rows += [Sighting(STREAM, float(t), 9, "person", "person", 0.9, 7.5, 2.3) for t in np.arange(28.0, 37.0, 0.5)]
    add_sightings(store, rows)
    world = World(store)
    spans = {(float(f.xs[0]), float(f.ys[0])): [(s.start, s.end) for s in f.opens or ()] for f in world.furniture}
    assert set(spans) == {(8.0, 2.0), (2.0, 8.0)} and spans[(2.0, 8.0)] == []
    assert len(spans[(8.0, 2.0)]) == 1 and 29.0 <= spans[(8.0, 2.0)][0][0] <= 30.5
    assert [a.kind for a in world.actions if a.kind == "open"] == ["open"]
    store.close()
