"""Puts and picks read off where things rested and who stood at their place (planners/world_moves.py), on
hand-set states of seeded synthetic sightings: a thing found resting on furniture just seen without it, with
someone at it in between, was put there by them; a thing seen carried towards furniture and next found resting
there within CARRIED_TO s, the camera looking away meanwhile, was put there then, by whoever was there then; a
thing read at a second place between two stretches at its first, never seen on its way, is another thing alike,
with no move to it nor back; a thing gone from its place after someone stood at it was taken by them; neither
without a view of the place before (after), nor without anyone there, nor (a pick) when a thing of its label, its
colour read otherwise, is seen there before (after)."""

from __future__ import annotations

import numpy as np
import pytest

from planners.world_base import Stay, Thing
from planners.world_base import CARRIED_GAP
from planners.world_moves import APPEAR_SECONDS, CARRIED_TO, GONE_ATTENDED, WorldMoves, _arrival

DESK = (8.5, 2.0)


def _thing(name: str, kind: str, times, xs, ys) -> Thing:
    times = np.asarray(times, float)
    return Thing(name, kind, times, np.broadcast_to(np.asarray(xs, float), times.shape).copy(),
                 np.broadcast_to(np.asarray(ys, float), times.shape).copy())


def _moves(store, things: dict[str, Thing], people: dict[str, Thing], desk_views) -> WorldMoves:
    """WorldMoves over a state set by hand: the given things (their resting places as World finds them),
    people and a desk in the office seen at ``desk_views``."""
    world = WorldMoves(store)
    world.things, world.people = things, people
    world.furniture = [_thing("desk", "furniture", desk_views, [DESK[0]], [DESK[1]])]
    world.furniture[0].room = "office"
    for thing in things.values():
        thing.stays = _stays(thing)
    return world


def _stays(thing: Thing) -> list[Stay]:
    """Resting places: runs of three or more sightings within 0.6 m (World's rule, for these tidy tracks)."""
    stays, run = [], []
    for i in range(len(thing.times) + 1):
        end = i == len(thing.times)
        if run and (end or np.hypot(thing.xs[i] - thing.xs[run[0]], thing.ys[i] - thing.ys[run[0]]) > 0.6):
            if len(run) >= 3:
                stays.append(Stay(float(thing.times[run[0]]), float(thing.times[run[-1]]),
                                  float(np.median(thing.xs[run])), float(np.median(thing.ys[run])), "office", len(run)))
            run = []
        if i < len(thing.times):
            run.append(i)
    return stays


def _walker(rng, at: float, t0: float = 70.0, t1: float = 100.0) -> Thing:
    """Ann walks up to the desk from 3 m off, stands by it from ``at`` - 1 to ``at`` + 1 s, and walks off."""
    times = np.arange(t0, t1, 0.5)
    off = np.clip(np.abs(times - at) - 1.0, 0.0, 3.0)  # metres from the desk
    return _thing("Ann", "person", times, DESK[0] - 0.4 - off + rng.normal(0, 0.05, len(times)),
                  DESK[1] + rng.normal(0, 0.05, len(times)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_thing_found_on_furniture_just_seen_without_it_was_put_there_by_whoever_stood_at_it(world_store, seed):
    rng = np.random.default_rng(seed)
    put = float(rng.uniform(80.0, 88.0))  # the oracle: Ann puts the book on the desk then, out of the book's view
    first = put + float(rng.uniform(0.5, 3.0))  # first sighting of it there: a lone one, then it rests seen
    times = np.r_[first, np.arange(first + 4.0, 120.0, 0.5)]
    book = _thing("teal book", "object", times, DESK[0] + rng.normal(0, 0.05, len(times)), DESK[1])
    people = {"Ann": _walker(rng, put)}
    world = _moves(world_store, {"teal book": book}, people, np.arange(60.0, 120.0, 0.5))
    puts = [a for a in world._moves() if a.kind == "put"]
    assert [(a.target, a.actor, a.furniture, a.witnessed) for a in puts] == [("teal book", "Ann", "desk", False)]
    assert abs(puts[0].time - put) <= 1.5  # Ann's sighting nearest the desk before the book was found there

    unseen = _moves(world_store, {"teal book": book}, people, np.arange(first, 120.0, 0.5))  # the camera came to
    assert [a for a in unseen._moves() if a.kind == "put"] == []  # the desk with the book on it: no sign of a put
    nobody = _moves(world_store, {"teal book": book}, {"Ann": _walker(rng, 30.0)}, np.arange(60.0, 120.0, 0.5))
    assert [a for a in nobody._moves() if a.kind == "put"] == []
    twin = _thing("blue book", "object", np.arange(40.0, 50.0, 0.5), DESK[0], DESK[1])  # a book read blue there
    world = _moves(world_store, {"teal book": book, "blue book": twin}, people, np.arange(60.0, 120.0, 0.5))
    assert [a for a in world._moves() if a.kind == "put" and a.target == "teal book"] == []  # before: the same book
    seen = np.r_[first - APPEAR_SECONDS / 2, times]  # seen elsewhere shortly before: the carried-in rules' case
    carried = _thing("teal book", "object", seen, np.r_[2.0, book.xs], np.r_[2.0, book.ys])
    world = _moves(world_store, {"teal book": carried}, people, np.arange(60.0, 120.0, 0.5))
    assert world._appeared(carried, carried.stays[0]) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_thing_gone_from_where_someone_stood_after_it_was_last_seen_was_taken_by_them(world_store, seed):
    rng = np.random.default_rng(seed)
    last = float(rng.uniform(38.0, 42.0))  # the book last seen on the desk; Ann takes it (the oracle) after
    took = last + float(rng.uniform(4.0, 9.0))
    times = np.arange(10.0, last, 0.5)
    book = _thing("teal book", "object", times, DESK[0] + rng.normal(0, 0.05, len(times)), DESK[1])
    views = np.arange(10.0, took + 1.0 + GONE_ATTENDED, 0.5)  # the desk in view a few seconds after: no book
    world = _moves(world_store, {"teal book": book}, {"Ann": _walker(rng, took, 30.0, 70.0)}, views)
    picks = [a for a in world._moves() if a.kind == "pick"]
    assert [(a.target, a.actor, a.witnessed) for a in picks] == [("teal book", "Ann", False)]
    assert abs(picks[0].time - took) <= 1.5 and picks[0].known >= picks[0].time

    nobody = _moves(world_store, {"teal book": book}, {"Ann": _walker(rng, 200.0, 150.0, 250.0)}, views)
    assert [a for a in nobody._moves() if a.kind == "pick"] == []  # a few views alone: missed, maybe
    later = np.arange(took + 5.0, took + 10.0, 0.5)  # a book read blue at the same place after: the same book
    twin = _thing("blue book", "object", later, DESK[0], DESK[1])
    world = _moves(world_store, {"teal book": book, "blue book": twin}, {"Ann": _walker(rng, took, 30.0, 70.0)}, views)
    assert [a for a in world._moves() if a.kind == "pick" and a.target == "teal book"] == []


def _brought(rng, put: float, found: float, towards: bool = True, step: float = 1.0) -> Thing:
    """A pen seen twice as it is carried (the second ``step`` m on, nearer the desk when ``towards``), put on the
    desk at ``put`` out of view, and seen at rest there from ``found`` on."""
    near, far = (1.0, 1.0 + step) if towards else (1.0 + step, 1.0)
    rest = np.arange(found, found + 20.0, 0.5)
    return _thing("black pen", "object", np.r_[put - 2.0, put - 1.0, rest],
                  np.r_[DESK[0] - far, DESK[0] - near, DESK[0] + rng.normal(0, 0.05, len(rest))], DESK[1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_thing_seen_carried_towards_furniture_and_next_found_resting_there_was_put_there_then(world_store, seed):
    rng = np.random.default_rng(seed)
    put = float(rng.uniform(30.0, 40.0))  # the oracle: the pen reaches the desk then, the camera looking away
    found = put + float(rng.uniform(CARRIED_GAP + 2.0, CARRIED_TO - 2.0))  # longer than the carried-in window
    views = np.arange(found, found + 20.0, 0.5)  # the desk seen only once the pen lies on it
    world = _moves(world_store, {"black pen": _brought(rng, put, found)}, {}, views)
    puts = [a for a in world._moves() if a.kind == "put"]
    assert [(a.target, a.actor, a.furniture, a.resting) for a in puts] == [("black pen", "", "desk", True)]
    assert abs(puts[0].time - put) <= 1.0  # the last carried sighting and the walk from it
    ann = {"Ann": _walker(rng, put, put - 20.0, found + 20.0)}  # Ann at the desk as it was put: hers
    assert [a.actor for a in _moves(world_store, {"black pen": _brought(rng, put, found)}, ann, views)._moves()
            if a.kind == "put"] == ["Ann"]
    bob = {"Bob": _walker(rng, found, put - 20.0, found + 20.0)}  # Bob at the desk when the pen is found there: the
    assert [a.actor for a in _moves(world_store, {"black pen": _brought(rng, put, found)}, bob, views)._moves()
            if a.kind == "put"] == [""]  # put was done before he came, by nobody seen

    for pen in (_brought(rng, put, found, towards=False),  # carried away from the desk: found there, not brought
                _brought(rng, put, found, step=0.2),  # two sightings nearly at one spot: no sign of a carry
                _brought(rng, put, put + CARRIED_TO + 5.0)):  # the camera away too long to say it was brought
        assert [a for a in _moves(world_store, {"black pen": pen}, {}, views)._moves() if a.kind == "put"] == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_thing_read_elsewhere_between_two_stretches_at_its_place_never_left_it(world_store, seed):
    """The oracle: the book lies on the desk throughout; for a while the camera reads an alike book 5 m off
    instead (a look-alike, a detection that persists), where Ann stands as it is last read there."""
    rng = np.random.default_rng(seed)
    a, b, c = np.arange(10.0, 40.0, 0.5), np.arange(45.0, 60.0, 0.5), np.arange(70.0, 100.0, 0.5)
    off = (DESK[0] - 5.0, DESK[1] + 1.0)
    xs = np.r_[DESK[0] + rng.normal(0, 0.05, len(a)), off[0] + rng.normal(0, 0.05, len(b)), np.full(len(c), DESK[0])]
    ys = np.r_[np.full(len(a), DESK[1]), np.full(len(b), off[1]), np.full(len(c), DESK[1])]
    ann = {"Ann": _thing("Ann", "person", np.arange(55.0, 65.0, 0.5), off[0] + 0.3, off[1])}
    book = _thing("teal book", "object", np.r_[a, b, c], xs, ys)
    world = _moves(world_store, {"teal book": book}, ann, np.arange(10.0, 100.0, 0.5))
    assert [a for a in world._moves() if a.kind in ("put", "pick")] == []

    way = np.array([64.0, 65.0])  # now it is seen carried back from there: a move after all, both ways
    carried = _thing("teal book", "object", np.r_[a, b, way, c], np.r_[xs[:len(a) + len(b)], 1.0, 2.0, xs[-len(c):]],
                     np.r_[ys[:len(a) + len(b)], DESK[1], DESK[1], ys[-len(c):]])
    world = _moves(world_store, {"teal book": carried}, ann, np.arange(10.0, 100.0, 0.5))
    assert sorted(a.kind for a in world._moves() if a.kind in ("put", "pick") and a.resting) == ["pick", "put"]


@pytest.mark.parametrize("strays, arrival", [(0, 10.0), (1, 10.0), (2, 20.0)])
def test_a_resting_place_begins_at_its_first_sighting_there_over_one_stray(strays, arrival):
    """The book is seen carried (5 s), once on the desk (10 s), then ``strays`` sightings read 1 m off, then at
    rest on the desk from 20 s: it was there from 10 s unless two misreads in a row say it was elsewhere."""
    times = [5.0, 10.0] + [12.0 + k for k in range(strays)] + list(np.arange(20.0, 30.0, 0.5))
    xs = [2.0, DESK[0]] + [DESK[0] - 1.0] * strays + [DESK[0]] * 20
    book = _thing("teal book", "object", times, xs, DESK[1])
    assert _arrival(book, Stay(20.0, 29.5, DESK[0], DESK[1], "office", 20)) == arrival
