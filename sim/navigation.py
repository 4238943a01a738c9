"""Getting about the home: routes through doors and the rooms a path passes through.

Routes go hub to hub: from a point to its room's centre, through the doors on the shortest chain
of rooms (centre to door to the next centre), then to the goal. The world keeps every straight
leg of such a route clear of furniture (see ``sim.world``).
"""

from __future__ import annotations

import math
from collections import deque

from sim.trajectory import Point, Trajectory
from sim.world import Door, World


def room_chain(world: World, start: str, goal: str) -> list[Door]:
    """The doors on a shortest chain of rooms from ``start`` to ``goal`` (breadth first, by door id)."""
    if start == goal:
        return []
    previous: dict[str, tuple[str, Door] | None] = {start: None}
    queue = deque([start])
    while queue:
        room = queue.popleft()
        for door in world.doors_of(room):
            other = door.other(room)
            if other not in previous:
                previous[other] = (room, door)
                if other == goal:
                    queue.clear()
                    break
                queue.append(other)
    if goal not in previous:
        raise ValueError(f"no way from {start} to {goal}: the rooms are not connected")
    doors = []
    room = goal
    while previous[room] is not None:
        room, door = previous[room]
        doors.append(door)
    return doors[::-1]


def route(world: World, start: Point, start_room: str, goal: Point, goal_room: str) -> list[Point]:
    """Waypoints from ``start`` (in ``start_room``) to ``goal`` (in ``goal_room``), start excluded."""
    points: list[Point] = [world.get(start_room).centre]
    room = start_room
    for door in room_chain(world, start_room, goal_room):
        nxt = door.other(room)
        points += [door.approach(world.get(room)), door.approach(world.get(nxt)), world.get(nxt).centre]
        room = nxt
    points.append(goal)
    cleaned: list[Point] = []
    last = start
    for p in points:
        if math.hypot(p[0] - last[0], p[1] - last[1]) > 1e-3:
            cleaned.append(p)
            last = p
    return cleaned


def room_spans(world: World, path: Trajectory, end: float) -> list[tuple[float, float, str]]:
    """(start, end, room id) for the rooms a path is in from time 0 to ``end``, in order."""
    spans: list[tuple[float, float, str]] = []
    current = _room_id(world, path.xs[0], path.ys[0])
    since = 0.0
    for i in range(len(path.times) - 1):
        t0, t1 = float(path.times[i]), float(path.times[i + 1])
        if t0 >= end:
            break
        later = _room_id(world, path.xs[i + 1], path.ys[i + 1])
        if later == current:
            continue
        crossing = _crossing(world, path, t0, t1, current)
        if crossing >= end:
            break
        if crossing > since:
            spans.append((since, crossing, current))
        current, since = later, crossing
    spans.append((since, end, current))
    return spans


def _crossing(world: World, path: Trajectory, t0: float, t1: float, room: str) -> float:
    """The time between t0 and t1 at which the path leaves ``room`` (bisection, to a microsecond)."""
    lo, hi = t0, t1
    while hi - lo > 1e-6:
        mid = (lo + hi) / 2
        if _room_id(world, *path.position(mid)) == room:
            lo = mid
        else:
            hi = mid
    return round(hi, 6)


def _room_id(world: World, x: float, y: float) -> str:
    room = world.room_at(float(x), float(y))
    if room is None:
        raise ValueError(f"point ({x:.2f}, {y:.2f}) is outside every room")
    return room.id
