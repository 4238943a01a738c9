"""Doors learnt from the tracks that went through them, and walls crossed only at doors."""

from __future__ import annotations

import numpy as np
import pytest

from memory.perceived import Area
from planners.entries import (CROSS_DEPTH, HURRY, SURE_WINDOW, WALL_ERROR, Door, Rooms, crossings, doors, entries,
                              entry_spans, seen_side, way)

KITCHEN, OFFICE = Area("kitchen", 0, 0, 5, 5), Area("office", 5, 0, 10, 5)
ROOMS = Rooms([KITCHEN, OFFICE])


def _track(points, rate=5.0, speed=1.0):
    """(times, xs, ys) walking through ``points`` at ``speed`` m/s, sampled ``rate`` times a second."""
    ts, xs, ys, t = [], [], [], 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(int(np.hypot(x1 - x0, y1 - y0) / speed * rate), 1)
        for i in range(n):
            ts.append(t)
            xs.append(x0 + (x1 - x0) * i / n)
            ys.append(y0 + (y1 - y0) * i / n)
            t += 1.0 / rate
    return np.array(ts), np.array(xs), np.array(ys)


def test_a_door_is_where_the_camera_went_through():
    """Through the door at (5, 1) and back: two crossings there, one door."""
    times, xs, ys = _track([(2.5, 1.0), (7.5, 1.0), (2.5, 1.0)])
    found = crossings(times, xs, ys, ROOMS)
    assert len(found) == 2 and all(pair == {"kitchen", "office"} for _, _, pair in found)
    (door,) = doors(found)
    assert (door.x, door.y) == (pytest.approx(5.0, abs=0.15), pytest.approx(1.0, abs=0.05))


def test_two_doors_in_one_wall_stay_two():
    times, xs, ys = _track([(2.5, 1.0), (7.5, 1.0), (7.5, 4.0), (2.5, 4.0)])
    assert sorted(round(d.y) for d in doors(crossings(times, xs, ys, ROOMS))) == [1, 4]


def test_noise_along_a_wall_places_no_door():
    """Standing at the wall, position noise flipping the room: no crossing deep enough on both sides."""
    rng = np.random.default_rng(0)
    times = np.arange(0.0, 30.0, 0.2)
    xs, ys = 5.0 + rng.normal(0, 0.08, len(times)), np.full(len(times), 2.5)
    assert len(crossings(times, xs, ys, ROOMS)) > 10  # the room flips back and forth ...
    assert crossings(times, xs, ys, ROOMS, CROSS_DEPTH) == []  # ... but never by 0.2 m either side


def test_a_door_seen_once_is_kept_only_when_once_is_enough():
    found = [(5.0, 3.0, frozenset({"kitchen", "office"}))]
    assert doors(found, least=2) == []
    assert doors(found * 2, least=2) == [Door(5.0, 3.0, frozenset({"kitchen", "office"}))]
    assert doors(found * 2, least=2, known=[Door(5.1, 3.2, frozenset({"kitchen", "office"}))]) == []


def test_walls_are_passable_only_at_their_doors():
    door = Door(5.0, 1.0, frozenset({"kitchen", "office"}))
    assert ROOMS.passable("kitchen", "office", 5.0, 4.0)  # no door known: anywhere
    rooms = Rooms([KITCHEN, OFFICE], [door])
    assert rooms.passable("kitchen", "office", 5.0, 1.5)
    assert not rooms.passable("kitchen", "office", 5.0, 4.0)
    assert rooms.at_shared_wall("office", 5.2, 1.2) and not rooms.at_shared_wall("office", 5.2, 4.0)


@pytest.mark.parametrize("y, entered", [(1.2, ["office"]), (4.0, [])])
def test_a_walk_out_of_view_goes_through_a_door_or_nowhere(y, entered):
    """Last seen walking at the office wall 0.4 m away: through the door (at y = 1) it went in; into
    the wall 3 m from the door it did not (it turned, out of view)."""
    rooms = Rooms([KITCHEN, OFFICE], [Door(5.0, 1.0, frozenset({"kitchen", "office"}))])
    times, xs, ys = _track([(2.0, y), (4.6, y)])
    assert [room for _, room in entries(times, xs, ys, rooms)] == entered
    assert [room for _, room in entries(times, xs, ys, ROOMS)] == ["office"]  # doors unknown: any wall


@pytest.mark.parametrize("unseen, seen", [(3.0, True), (6.0, False)])
def test_found_in_the_next_room_soon_after_it_went_through_the_door(unseen, seen):
    """Walking to the door (5, 1), out of view from 3 m before it, found standing 1.5 m beyond it: lost
    for 3 s, the crossing was seen (timed by the share of the way to the door); lost for 6 s, it went
    unseen and is inferred, its window the 6 s out of view."""
    rooms = Rooms([KITCHEN, OFFICE], [Door(5.0, 1.0, frozenset({"kitchen", "office"}))])
    times, xs, ys = _track([(0.5, 1.0), (2.0, 1.0)])
    lost, there = times[-1], 5.0 - xs[-1]  # the last sighting, and how far it was from the door
    after = lost + unseen + np.arange(0.0, 3.0, 0.2)
    times = np.concatenate([times, after])
    xs, ys = np.concatenate([xs, np.full(len(after), 6.5)]), np.concatenate([ys, np.full(len(after), 1.0)])
    found = entry_spans(times, xs, ys, rooms)
    assert [e.room for e in found] == ["office"] and found[0].inferred is not seen
    if seen:  # the share of the walk to the door of the whole walk, the door to 1.5 m beyond it
        assert found[0].time == pytest.approx(lost + unseen * there / (there + 1.5), abs=0.01)
    else:
        assert (found[0].earliest, found[0].latest) == (pytest.approx(lost), pytest.approx(lost + unseen))


def test_found_in_a_room_no_door_joins_is_no_entry_seen():
    """Lost for 3 s and found in a room whose wall with the last one has no door: crossed unseen."""
    far = Area("store", 0, 5, 5, 10)
    rooms = Rooms([KITCHEN, OFFICE, far], [Door(5.0, 1.0, frozenset({"kitchen", "office"}))])
    times = np.concatenate([np.arange(0.0, 2.0, 0.2), np.arange(5.0, 7.0, 0.2)])
    xs = np.full(len(times), 2.5)
    ys = np.where(times < 3.0, 3.5, 6.5)
    assert entries(times, xs, ys, rooms) == []


STORE = Area("store", 0, 5, 5, 10)  # north of the kitchen, west of nothing: reached through the office
ROUND = Rooms([KITCHEN, OFFICE, STORE, Area("hall", 5, 5, 10, 10)],
              [Door(5.0, 1.0, frozenset(("kitchen", "office"))), Door(7.5, 5.0, frozenset(("office", "hall"))),
               Door(5.0, 9.0, frozenset(("hall", "store")))])


def _standing(spans):
    """(times, xs, ys) of someone standing at (x, y) from t0 to t1, twice a second, for each (t0, t1, x, y)."""
    rows = [(t, x, y) for t0, t1, x, y in spans for t in np.arange(t0, t1, 0.5)]
    return tuple(np.array(v, dtype=float) for v in zip(*rows))


def test_a_way_goes_through_the_doors():
    """Kitchen (2, 2) to office (8, 2) through the door at (5, 1); kitchen to store only round through
    office and hall; with no doors known, straight across."""
    length, last = way(ROUND, "kitchen", (2.0, 2.0), "office", (8.0, 2.0))
    assert (length, last) == (pytest.approx(2 * np.hypot(3.0, 1.0)), pytest.approx(np.hypot(3.0, 1.0)))
    length, last = way(ROUND, "kitchen", (2.0, 4.0), "store", (2.0, 6.0))
    legs = [np.hypot(3.0, 3.0), np.hypot(2.5, 4.0), np.hypot(2.5, 4.0), np.hypot(3.0, 3.0)]
    assert (length, last) == (pytest.approx(sum(legs)), pytest.approx(legs[-1]))
    assert way(ROOMS, "kitchen", (2.0, 2.0), "office", (8.0, 2.0)) == (pytest.approx(6.0), pytest.approx(3.0))
    assert way(Rooms([KITCHEN, OFFICE, STORE], [Door(5.0, 1.0, frozenset(("kitchen", "office")))]),
               "kitchen", (2.0, 4.0), "store", (2.0, 6.0)) is None  # no door into the store


def test_seen_in_one_room_then_in_another_entered_it_unseen_in_between():
    """Standing in the kitchen until 10 s, unseen, standing in the office from 20 s: they went in between,
    the window the 10 s unseen, the time the middle of when a walk (at HURRY, places off by WALL_ERROR) could
    have crossed the door: from 10 s + (way to the door - 0.5) / 2 to 20 s - (way on - 0.5) / 2."""
    times, xs, ys = _standing([(0.0, 10.0, 2.0, 2.0), (20.0, 25.0, 8.0, 2.0)])
    (entry,) = entry_spans(times, xs, ys, DOOR)
    leg = np.hypot(3.0, 1.0)
    earliest, latest = 9.5 + (leg - WALL_ERROR) / HURRY, 20.0 - (leg - WALL_ERROR) / HURRY
    assert (entry.room, entry.earliest, entry.latest) == ("office", 9.5, 20.0) and entry.inferred
    assert entry.time == pytest.approx((earliest + latest) / 2)
    assert entry.confidence == pytest.approx(SURE_WINDOW / 10.5)
    assert entries(times, xs, ys, DOOR) == [(entry.time, "office")]


def test_one_sighting_elsewhere_is_no_entry():
    """A single sighting deep in the office between two stretches in the kitchen is a misread place (or
    someone else): no entry either way; two in a row are a stay there."""
    times, xs, ys = _standing([(0.0, 10.0, 2.0, 2.0), (14.0, 14.5, 8.0, 2.0), (18.0, 25.0, 2.0, 2.0)])
    assert entries(times, xs, ys, DOOR) == []
    times, xs, ys = _standing([(0.0, 10.0, 2.0, 2.0), (14.0, 15.0, 8.0, 2.0), (18.0, 25.0, 2.0, 2.0)])
    assert [room for _, room in entries(times, xs, ys, DOOR)] == ["office", "kitchen"]
    # seen there once, then again 3 s on: there after all (when they went in, one sighting does not say), so
    # back in the kitchen 5 s after that they went back in
    times, xs, ys = _standing([(0.0, 10.0, 2.0, 2.0), (14.0, 14.5, 8.0, 2.0), (17.0, 20.0, 8.0, 2.0),
                               (25.0, 30.0, 2.0, 2.0)])
    (entry,) = entry_spans(times, xs, ys, DOOR)
    assert (entry.room, entry.earliest, entry.latest) == ("kitchen", 19.5, 25.0)


@pytest.mark.parametrize("unseen, entered", [(3.0, False), (10.0, True)])
def test_an_unseen_entry_needs_a_way_through_the_doors_walked_in_time(unseen, entered):
    """Kitchen to store 2 m away across a doorless wall: 3 s unseen is too short for the 15 m round through
    office and hall (a misplaced sighting, or two people); 10 s is enough."""
    times, xs, ys = _standing([(0.0, 5.0, 2.0, 4.0), (4.5 + unseen, 10.0 + unseen, 2.0, 6.0)])
    assert [room for _, room in entries(times, xs, ys, ROUND)] == (["store"] if entered else [])


@pytest.mark.parametrize("start, end, entered", [
    ((6.3, 1.0), (9.0, 1.0), True),  # walking away from the door, 1.3 m past it
    ((7.0, 1.0), (9.0, 1.0), False),  # 2 m past it: may have been in the office a while
    ((6.3, 1.0), (6.3, 4.5), False),  # 1.3 m from it, walking along the wall: not from the door
])
def test_first_seen_walking_away_from_a_door_just_came_through_it(start, end, entered):
    """A slow walk (0.7 m/s) first seen in the office: carried back 1.5 s it stays inside, yet it leads
    away from the door 1.3 m behind it; it came in then, timed by its speed."""
    rooms = Rooms([KITCHEN, OFFICE], [Door(5.0, 1.0, frozenset({"kitchen", "office"}))])
    times, xs, ys = _track([start, end], speed=0.7)
    found = entries(times, xs, ys, rooms)
    assert found == ([(pytest.approx(-1.3 / 0.7, abs=0.15), "office")] if entered else [])


@pytest.mark.parametrize("start, end, entered", [
    ((1.0, 1.0), (3.7, 1.0), True),  # lost walking to the door, 1.3 m from it
    ((1.0, 1.0), (3.0, 1.0), False),  # lost 2 m from it
    ((3.7, 4.5), (3.7, 1.0), False),  # lost 1.3 m from it, walking along the wall
])
def test_last_seen_walking_to_a_door_went_through_it(start, end, entered):
    """Lost from view for good at 0.7 m/s: 1.5 s on, the walk is still in the kitchen, yet it leads to
    the door 1.3 m ahead; it went into the office when it would have reached the door."""
    rooms = Rooms([KITCHEN, OFFICE], [Door(5.0, 1.0, frozenset({"kitchen", "office"}))])
    times, xs, ys = _track([start, end], speed=0.7)
    found = entries(times, xs, ys, rooms)
    assert found == ([(pytest.approx(times[-1] + (5.0 - xs[-1]) / 0.7, abs=0.15), "office")] if entered else [])


@pytest.mark.parametrize("second, entered", [((6.3, 1.0), True), ((5.7, 1.0), False)])
def test_two_sightings_half_a_second_apart_measure_a_walk_from_the_door(second, entered):
    """At a 2 Hz detector someone is seen just inside the office, by the door at (5, 1), twice (0.5 s apart)
    after being out of view: walking away from the door (0.6 m in half a second) they just came in, at about
    the door; standing there (0.1 m) they came in some time while out of view."""
    rooms = Rooms([KITCHEN, OFFICE], [Door(5.0, 1.0, frozenset({"kitchen", "office"}))])
    times, xs, ys = np.array([0.0, 0.5, 20.0, 20.5]), np.array([2.0, 2.0, 5.6, second[0]]), np.array([1.0] * 4)
    found = entry_spans(times, xs, ys, rooms)
    assert [e.room for e in found] == ["office"]  # in the kitchen, then in the office: they went in
    if entered:
        assert 19.0 <= found[0].time <= 20.0 and not found[0].inferred
    else:  # when, only the stretch out of view says
        assert found[0].inferred and (found[0].earliest, found[0].latest) == (0.5, 20.0)


DOOR = Rooms([KITCHEN, OFFICE], [Door(5.0, 1.0, frozenset(("kitchen", "office")))])


def _seen_from(camera, points):
    """seen_side's places of ``points`` (one a second) seen from a camera standing at ``camera``."""
    times = np.arange(len(points), dtype=float)
    cam = (np.array([0.0, 100.0]), np.full(2, camera[0]), np.full(2, camera[1]))
    xs, ys = (np.array(v, dtype=float) for v in zip(*points))
    return seen_side(times, xs, ys, cam, DOOR)


def test_a_sighting_just_behind_a_doorless_wall_was_on_the_cameras_side():
    """Seen from the kitchen through the wall 1.5 m from its door, 0.3 m into the office: in the kitchen,
    just inside the wall, on the line of sight."""
    xs, ys = _seen_from((2.5, 2.5), [(5.3, 2.5)])
    assert DOOR.room_at(xs[0], ys[0]) == "kitchen"
    assert (xs[0], ys[0]) == (pytest.approx(4.9, abs=0.06), pytest.approx(2.5))


@pytest.mark.parametrize("camera, point", [((2.5, 1.0), (5.3, 1.0)),  # seen through the door
                                           ((4.0, 2.5), (8.0, 2.5)),  # 3 m behind the wall: beyond its error
                                           ((2.5, 2.5), (4.0, 2.0))])  # in the camera's room already
def test_sightings_seen_through_a_door_far_behind_a_wall_or_in_the_room_stay(camera, point):
    xs, ys = _seen_from(camera, [point])
    assert (xs[0], ys[0]) == point


def test_the_error_allowed_grows_with_range():
    """1 m behind the wall is within a sighting's error at 6 m (1.2 m), not at 3 m (0.6 m)."""
    near, _ = _seen_from((3.0, 3.0), [(6.0, 3.0)])
    far, _ = _seen_from((0.0, 3.0), [(6.0, 3.0)])
    assert near[0] == 6.0 and far[0] < 5.0


def test_no_doors_known_no_wall_is_solid():
    times, xs, ys = np.array([0.0]), np.array([5.3]), np.array([2.5])
    cam = (np.array([0.0, 1.0]), np.full(2, 2.5), np.full(2, 2.5))
    assert seen_side(times, xs, ys, cam, ROOMS)[0][0] == 5.3


def test_a_walk_along_the_wall_placed_across_it_enters_no_room():
    """Someone walking along the kitchen's wall to the office, seen from the kitchen, whose positions noise
    carries 0.5 m through the wall for two seconds: an office entry on the raw places, none on seen_side's."""
    times, xs, ys = _track([(4.6, 4.5), (4.6, 2.0)], rate=2.0, speed=1.0)
    xs = xs.copy()
    xs[(times >= 1.0) & (times <= 3.0)] = 5.5
    cam = (np.array([0.0, 10.0]), np.full(2, 1.0), np.full(2, 3.0))
    assert "office" in {room for _, room in entries(times, xs, ys, DOOR)}
    placed = seen_side(times, xs, ys, cam, DOOR)
    assert entries(times, *placed, DOOR) == []
