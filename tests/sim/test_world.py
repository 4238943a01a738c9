"""The home: deterministic by seed, connected, furniture clear of doors and room centres."""

from __future__ import annotations

import math
from collections import deque

import pytest

from sim.world import APPROACH, CLEAR_RADIUS, WorldConfig, build_world, segment_clear


def test_same_seed_same_world_and_different_seed_different_world():
    assert build_world(4) == build_world(4)
    assert build_world(4) != build_world(5)


@pytest.mark.parametrize("seed", range(6))
def test_rooms_are_connected_and_named(seed):
    world = build_world(seed, WorldConfig(n_rooms=7, n_objects=12))
    names = [r.name for r in world.rooms]
    assert len(set(names)) == 7 and {"kitchen", "living room", "bedroom"} <= set(names)
    reached, queue = {world.rooms[0].id}, deque([world.rooms[0].id])
    while queue:
        room = queue.popleft()
        for door in world.doors_of(room):
            if door.other(room) not in reached:
                reached.add(door.other(room))
                queue.append(door.other(room))
    assert reached == {r.id for r in world.rooms}


@pytest.mark.parametrize("seed", range(6))
def test_furniture_keeps_doors_and_centres_clear(seed):
    world = build_world(seed)
    for room in world.rooms:
        for f in world.furniture_in(room.id):
            x0, y0, x1, y1 = f.footprint
            assert room.contains(x0, y0) and room.contains(x1, y1)
            cx, cy = room.centre
            nearest = (min(max(cx, x0), x1), min(max(cy, y0), y1))
            assert math.dist(nearest, room.centre) >= CLEAR_RADIUS - 1e-9
            assert segment_clear(world, f.approach, room.centre, margin=0.1)  # a walk to it crosses nothing
        for door in world.doors_of(room.id):
            assert segment_clear(world, door.approach(room), room.centre, margin=0.1)
    assert len({f.name for f in world.furniture}) == len(world.furniture)


def test_objects_have_unique_names_and_lookalikes_start_in_different_rooms():
    world = build_world(2, WorldConfig(n_objects=20, lookalike_pairs=3, twin_pairs=0))
    assert len({o.name for o in world.objects}) == 20
    rooms = {p.object: world.get(p.furniture).room for p in world.initial}
    for k in range(3):
        a, b = world.objects[2 * k], world.objects[2 * k + 1]
        assert a.colour == b.colour and a.category != b.category
        assert rooms[a.id] != rooms[b.id]
    slots = [(p.furniture, p.slot) for p in world.initial]
    assert len(set(slots)) == len(slots)


@pytest.mark.parametrize("seed", range(4))
def test_twins_share_label_and_colour_in_different_rooms_and_change_nothing_else(seed):
    world = build_world(seed, WorldConfig(twin_pairs=2))
    plain = build_world(seed, WorldConfig(twin_pairs=0))
    assert world.objects[:len(plain.objects)] == plain.objects and world.initial[:len(plain.initial)] == plain.initial
    assert (world.people, world.furniture) == (plain.people, plain.furniture)
    twins = world.objects[len(plain.objects):]
    rooms = {p.object: world.get(p.furniture).room for p in world.initial}
    assert len(twins) == 2
    for twin in twins:
        original = next(o for o in plain.objects if o.name == twin.name)
        assert (original.category, original.colour) == (twin.category, twin.colour) and original.index >= 4
        assert rooms[original.id] != rooms[twin.id]
    assert world.ambiguous == {o.id for o in world.objects if o.name in {t.name for t in twins}}
    assert len(world.ambiguous) == 4 and plain.ambiguous == frozenset()
    slots = [(p.furniture, p.slot) for p in world.initial]
    assert len(set(slots)) == len(slots)


def test_people_have_voices_and_two_dress_alike():
    world = build_world(1, WorldConfig(n_people=4))
    assert [p.name for p in world.people] == ["Alice", "Bob", "Carol", "David"]
    assert len({p.voice for p in world.people}) == 4
    alice, carol = world.people[0], world.people[2]
    assert max(abs(a - b) for a, b in zip(alice.shirt, carol.shirt)) <= 18


@pytest.mark.parametrize("kwargs, field", [
    ({"n_rooms": 0}, "n_rooms"), ({"n_rooms": 13}, "n_rooms"), ({"n_people": -1}, "n_people"),
    ({"n_objects": 2, "lookalike_pairs": 2}, "lookalike_pairs"), ({"n_objects": 1.5}, "n_objects"),
    ({"n_objects": 4, "lookalike_pairs": 2, "twin_pairs": 1}, "twin_pairs"), ({"twin_pairs": -1}, "twin_pairs"),
])
def test_bad_world_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"WorldConfig.{field}="):
        WorldConfig(**kwargs)


def test_approach_points_lie_in_front_of_furniture():
    world = build_world(0)
    for f in world.furniture:
        ax, ay = f.approach
        x0, y0, x1, y1 = f.footprint
        assert not (x0 <= ax <= x1 and y0 <= ay <= y1)
        gap = max(x0 - ax, ax - x1, y0 - ay, ay - y1)
        assert gap == pytest.approx(APPROACH, abs=1e-6)
