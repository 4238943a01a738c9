"""The perceived world's parts, each alone (without World): the base (state and look-ups), the moves of
things over a state given them, the building pipeline; World is the pipeline run on construction."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from planners.world import World
from planners.world_base import Stay, Thing, WorldBase
from planners.world_build import WorldBuild
from planners.world_moves import WorldMoves


def _state(world: WorldBase) -> tuple:
    return (world.last, world.stream, repr(world.actions), repr(world.heard), world.person_tracks,
            [(t.name, t.times.tolist(), t.xs.tolist(), repr(t.stays)) for t in world.things.values()],
            [(p.name, p.times.tolist()) for p in world.people.values()],
            [(f.name, f.room, f.xs.tolist(), repr(f.opens)) for f in world.furniture])


def test_the_base_alone_is_an_empty_world_with_its_look_ups(world_store):
    base = WorldBase(world_store)
    assert (base.things, base.people, base.furniture, base.actions, base.stream) == ({}, {}, [], [], None)
    assert [a.name for a in base.areas] == ["kitchen", "office"]
    assert (base.room_at(1.0, 1.0), base.room_at(8.0, 2.0)) == ("kitchen", "office")
    assert base.agent_room(50.0) == "" and base.person_near(1.0, 1.0, 0.0, 100.0) == ""  # no stream, nobody
    times = np.arange(10.0, 20.0, 1.0)
    mug = Thing("red mug", "object", times, np.full(len(times), 8.0), np.full(len(times), 2.0),
                stays=[Stay(12.0, 19.0, 8.0, 2.0, "office", 8)])
    assert base.stay_at(mug, 15.0).room == "office" and base.stay_at(mug, 12.0) is None  # its stay not begun
    unrested = Thing("red mug", "object", times, np.full(len(times), 1.0), np.full(len(times), 1.0))
    assert base.stay_at(unrested, 15.0).room == "kitchen"  # never at rest: where it was last seen
    assert base.stay_at(unrested, 11.5) is None  # seen twice only: not yet a thing


def test_the_moves_part_alone_finds_the_worlds_puts_and_picks_from_its_state(world_store):
    world = World(world_store)
    moves = WorldMoves(world_store)
    for attr in ("things", "people", "furniture", "rooms", "stream", "drift"):
        setattr(moves, attr, getattr(world, attr))
    found = sorted(moves._moves(), key=lambda a: a.time)
    # the same acts; how sure each is the world sets after (what was seen, raised or lowered by what was heard)
    assert found == [replace(a, confidence=0.5) for a in world.actions if a.kind in ("put", "pick")]
    puts = [a for a in found if a.kind == "put" and a.resting]
    assert [(a.target, a.actor, round(a.time)) for a in puts] == [("red mug", "Alice", 60)]


def test_the_build_part_alone_builds_what_world_holds(world_store):
    built = WorldBuild(world_store)
    assert built.things == {}  # nothing read until built
    built._build()
    assert _state(built) == _state(World(world_store))
    cut = WorldBuild(world_store, until=50.0)
    cut._build()
    assert _state(cut) == _state(World(world_store, until=50.0)) and cut.last <= 50.0
