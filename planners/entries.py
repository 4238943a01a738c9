"""Room entries from a person's track over the map's rooms.

A person enters a room when their track crosses into it and gets ENTER_DEPTH metres inside, or is lost
from view walking just after crossing (hysteresis: position noise along a wall is no entry; the time is
the crossing's). At the edges of what the camera saw, the walk is extrapolated: someone last seen
walking at a wall went through it, someone first seen walking away from a wall just came through it (or
stood at it: DOORWAY), a slower walk last (first) seen within FROM_DOOR of a door, leading to (away
from) it, went (came) through it when it would have reached it, and someone seen again after REENTER_GAP
walking in from a wall of the room they were last seen in went out unseen and came back; someone lost
from view at a door and found beyond it soon after went through it as they were lost; someone lost for
at most SHORT_GAP seconds and found in a room a door joins to the last went through that door out of
view, close enough in time to what the camera saw either side to count as seen; someone seen again in
another room otherwise, deep inside and not walking from a wall, crossed unseen: that is no entry seen.
A room left again within CORNER seconds was a corner cut, not entered.

Walls are crossed at doors only. Where the doors are is learnt from the tracks that went through them
(the camera's own path first: its poses are dense): once known, a walk carried out of view (or back
into it), or someone first seen by a wall, crossed it only near a door between the two rooms. The camera sees into another room only through a door:
a sighting placed just behind a doorless wall, within its position error, stood on the camera's side of it
(seen_side).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from memory.perceived import Area

ENTER_GAP = 20.0  # seconds unseen after which where a person was no longer says where they are
ENTER_DEPTH = 0.4  # metres inside a room before a crossing into it counts (hysteresis against noise)
LOST_GAP = 2.0  # seconds unseen right after crossing into a room that also make the crossing count
DOORWAY = 0.4  # metres from a shared wall within which someone first seen has just come in
CORNER = 1.5  # seconds in a room between two entries that make it a corner cut, not an entry
EXTRAPOLATE = 1.5  # seconds a walk is carried on past the first or last sighting (seen entering: within this of the door)
WALKING = 0.6  # metres per second from which a track is walking, not standing
DOOR_GAP = 5.0  # seconds: lost at a door and found beyond it this soon, the person went through it then
STOPPED = 1.0  # metres: seen again this close to where a walk out of view began, it never went out
REENTER_GAP = 8.0  # seconds unseen after which someone walking in from a wall of their room had gone out
VELOCITY_SPAN = 1.0  # seconds of sightings the walking velocity is measured over
WALK_SIGHTINGS = 2  # sightings within VELOCITY_SPAN that measure a walk (a 2 Hz detector: two or three)
DOOR_STEP = 1.0  # seconds at most between the two sightings either side of a crossing that place a door
CROSS_DEPTH = 0.2  # metres inside both rooms a person's sightings either side of a crossing must be
DOOR_MERGE = 1.0  # metres: crossings between two rooms this close together went through one door
DOOR_NEAR = 1.0  # metres from a door a wall is crossed (doors are 0.9 m wide; positions are noisy)
SHORT_GAP = 4.0  # seconds unseen, at most, across which someone found in the next room through a door went in seen
FROM_DOOR = 1.5  # metres from a door within which a walk first (last) seen leading away from (to) it went through it
AWAY = 0.3  # cosine between a walk and the way from (to) the door above which it leads away from (to) it
RANGE_ERROR = 0.2  # a sighting's position error, as a share of its range from the camera (at least WALL_ERROR)
WALL_ERROR = 0.5  # metres: the least position error of a sighting
HURRY = 2.0  # metres per second: the fastest walk indoors (a way longer than it covers in the time was not walked)
SURE_WINDOW = 6.0  # seconds: an unseen crossing's window this narrow places it as surely as a sighting


class Entry(NamedTuple):
    """An entry into a room: its best time, and the window [earliest, latest] its crossing lies in (one point
    when the crossing was seen, or a walk carried to a door; wider when it went unseen)."""

    time: float
    room: str
    earliest: float
    latest: float

    @property
    def inferred(self) -> bool:
        """Whether the crossing itself went unseen (only the rooms either side of it were seen)."""
        return self.latest > self.earliest

    @property
    def confidence(self) -> float:
        """How surely the entry took place at ``time``, give or take SURE_WINDOW / 2 (1 when seen)."""
        return min(1.0, SURE_WINDOW / max(self.latest - self.earliest, 1e-9))


@dataclass(frozen=True)
class Door:
    x: float
    y: float
    rooms: frozenset[str]  # the two rooms it joins


class Rooms:
    """The map's rooms, as a point's room, its depth inside, and whether it is by a shared wall."""

    def __init__(self, areas: list[Area], doors: list[Door] | None = None) -> None:
        self.areas = areas
        self.doors = doors or []  # none known: every shared wall may be crossed anywhere

    def room_at(self, x: float, y: float) -> str:
        if not self.areas:
            return ""
        inside = [a for a in self.areas if a.contains(x, y)]
        return (inside[0] if inside else min(self.areas, key=lambda a: a.distance(x, y))).name

    def depth(self, x: float, y: float) -> tuple[str, float]:
        """The room at (x, y) and how far inside it the point is (0 outside every room)."""
        for a in self.areas:
            if a.contains(x, y):
                return a.name, min(x - a.x0, a.x1 - x, y - a.y0, a.y1 - y)
        return self.room_at(x, y), 0.0

    def at_shared_wall(self, room: str, x: float, y: float) -> bool:
        """Within DOORWAY metres of a wall of ``room`` that another room lies behind (and by a door in it,
        when the doors are known)."""
        area = next((a for a in self.areas if a.name == room), None)
        if area is None or area.distance(x, y) > 0.0:
            return False
        walls = [o.name for o in self.areas if o.name != room and o.distance(x, y) < DOORWAY]
        return any(self.passable(room, other, x, y) for other in walls)

    def passable(self, room: str, other: str, x: float, y: float) -> bool:
        """Whether the wall between ``room`` and ``other`` can be crossed at (x, y): by a door there."""
        return not self.doors or any({room, other} == door.rooms and np.hypot(door.x - x, door.y - y) < DOOR_NEAR
                                     for door in self.doors)


def crossings(times: np.ndarray, xs: np.ndarray, ys: np.ndarray, rooms: Rooms,
              depth: float = 0.0) -> list[tuple[float, float, frozenset[str]]]:
    """(x, y, the two rooms) where a track went from one room into another between two sightings at
    most DOOR_STEP apart, each at least ``depth`` inside its room (against noise along a wall)."""
    out = []
    for i in range(1, len(times)):
        if times[i] - times[i - 1] > DOOR_STEP:
            continue
        (a, da), (b, db) = rooms.depth(float(xs[i - 1]), float(ys[i - 1])), rooms.depth(float(xs[i]), float(ys[i]))
        if a != b and min(da, db) >= depth:
            out.append((float(xs[i - 1] + xs[i]) / 2, float(ys[i - 1] + ys[i]) / 2, frozenset((a, b))))
    return out


def doors(found: Iterable[tuple[float, float, frozenset[str]]], least: int = 1,
          known: Iterable[Door] = ()) -> list[Door]:
    """The doors crossings went through: those between the same two rooms within DOOR_MERGE of each
    other are one door, kept when ``least`` crossings went through it and it is not one ``known``."""
    groups: list[tuple[frozenset[str], list[tuple[float, float]]]] = []
    for x, y, pair in found:
        group = next((pts for p, pts in groups if p == pair
                      and np.hypot(*(np.mean(pts, axis=0) - (x, y))) < DOOR_MERGE), None)
        if group is None:
            group = []
            groups.append((pair, group))
        group.append((x, y))
    known = list(known)
    out = []
    for pair, pts in groups:
        x, y = (float(v) for v in np.mean(pts, axis=0))
        if len(pts) >= least and not any(d.rooms == pair and np.hypot(d.x - x, d.y - y) < DOOR_MERGE for d in known):
            out.append(Door(x, y, pair))
    return out


def entries(times: np.ndarray, xs: np.ndarray, ys: np.ndarray, rooms: Rooms) -> list[tuple[float, str]]:
    """(time, room) of every entry seen, or inferred (``entry_spans``), on one person's track (sorted by time)."""
    return [(e.time, e.room) for e in entry_spans(times, xs, ys, rooms)]


def entry_spans(times: np.ndarray, xs: np.ndarray, ys: np.ndarray, rooms: Rooms) -> list[Entry]:
    """Every entry on one person's track (sorted by time), with the window its crossing lies in: a point
    for a crossing seen (or a walk carried to a door), the unseen stretch between the last sighting in one
    room and the first deep in another for one inferred (``_unseen_entry``)."""
    out: list[Entry] = []
    add = lambda found: out.append(Entry(found[0], found[1], found[0], found[0]))  # noqa: E731
    current, crossing = None, None
    left: tuple[str, int] | None = None  # (room, sighting) last seen in before the track was found elsewhere
    lone = False  # the room now is known from one sighting only after ``left``
    n = len(times)
    for i in range(n + 1):
        t = float(times[i]) if i < n else np.inf
        gap = t - float(times[i - 1]) if i else np.inf
        if i and gap > LOST_GAP:  # the track breaks off after sighting i - 1
            if crossing is not None and _velocity(times, xs, ys, i - 1, +1) is not None:
                add(crossing)  # walked out of view just past the door
                current, crossing = crossing[1], None
            elif current is not None:
                walked_out = (_extrapolate(times, xs, ys, i - 1, +1, rooms, current)
                              or _to_door(times, xs, ys, i - 1, rooms, current))
                if walked_out is not None and not _back_soon(times, xs, ys, i, rooms, current):
                    add(walked_out)
                    current = walked_out[1]
                elif i < n and gap <= DOOR_GAP:
                    beyond = _through_door(xs, ys, i, rooms, current)
                    if beyond is not None:  # lost at a door, found soon beyond it: went through then
                        add((float(times[i - 1]), beyond))
                        current = beyond
        if i == n:
            break
        x, y = float(xs[i]), float(ys[i])
        room, depth = rooms.depth(x, y)
        if current is not None and room != current and LOST_GAP < gap <= SHORT_GAP and not lone:
            walked_through = _via_door(times, xs, ys, i, rooms, current, room)
            if walked_through is not None:  # went through the door while briefly out of view
                add(walked_through)
                current = room
        if current is not None and room != current and LOST_GAP < gap <= ENTER_GAP and not lone:
            left = (current, i - 1)  # seen next elsewhere, not long after: the crossing went unseen
        elif gap > ENTER_GAP:
            left = None
        if gap > ENTER_GAP or (gap > LOST_GAP and room != current):
            current = None  # seen again elsewhere, or after long: the crossing itself was not seen
        if current == room and gap > REENTER_GAP:  # back in the same room after a while, walking in from a wall
            walked_in = _extrapolate(times, xs, ys, i, -1, rooms, room)
            if walked_in is not None:  # went out unseen and came back in
                add((walked_in[0], room))
        if current is None:  # only a doorway or a walk from a wall says "just came in"
            lone = False
            walked_in = _extrapolate(times, xs, ys, i, -1, rooms, room)
            if walked_in is not None:
                add((walked_in[0], room))
                current = room
            elif rooms.at_shared_wall(room, x, y):
                add((t, room))
                current = room
            elif (came := _from_door(times, xs, ys, i, rooms, room)) is not None:
                add((came, room))
                current = room
            elif depth >= ENTER_DEPTH:
                # seen in one room, then (not long after) twice deep in another; seen there once, it may be a
                # misread place: the room left stays the one to infer from
                lone = left is not None and left[0] != room and not _twice(times, xs, ys, left[1], i, rooms, room)
                if left is not None and left[0] != room and not lone:
                    unseen = _unseen_entry(times, xs, ys, left[1], i, rooms, room)
                    if unseen is not None:
                        out.append(unseen)
                current = room
            if current is not None and not lone:
                left = None
        elif room != current:
            if crossing is None or crossing[1] != room:
                crossing = (t, room)
            if depth >= ENTER_DEPTH:
                add(crossing)
                current, crossing = room, None
        else:
            crossing = None
            if lone:  # seen in the room again: there after all (when they came in, one sighting does not say)
                lone, left = False, None
    return _drop_corners(out)


def _unseen_entry(times, xs, ys, last: int, i: int, rooms: Rooms, room: str) -> Entry | None:
    """The entry into ``room`` of someone last seen in another room at sighting ``last`` and next found deep
    in ``room`` at sighting i, not long after: they crossed while out of view, after the last sighting there
    and before the first here (``first``), at the latest door on their way (``way``) and no faster than
    HURRY. The best time is the middle of when they could have crossed it at that pace (the whole unseen
    stretch when they could not: their place was misread). None when no way through the doors is short
    enough to walk in the time (a misplaced sighting, or someone else)."""
    first = next(j for j in range(last + 1, i + 1) if rooms.room_at(float(xs[j]), float(ys[j])) == room)
    (x0, y0), (x1, y1) = (float(xs[last]), float(ys[last])), (float(xs[first]), float(ys[first]))
    t0, t1 = float(times[last]), float(times[first])
    found = way(rooms, rooms.room_at(x0, y0), (x0, y0), room, (x1, y1))
    slack = 2 * WALL_ERROR  # either place may be off by this
    if t1 - t0 > ENTER_GAP or found is None or found[0] > HURRY * (t1 - t0) + slack:
        return None
    length, beyond = found
    earliest = t0 + max(length - beyond - WALL_ERROR, 0.0) / HURRY  # walked to the door, from the place left
    latest = t1 - max(beyond - WALL_ERROR, 0.0) / HURRY  # and on from it to where they were found
    if earliest > latest:
        earliest, latest = t0, t1
    return Entry((earliest + latest) / 2, room, t0, t1)


def _twice(times, xs, ys, last: int, i: int, rooms: Rooms, room: str) -> bool:
    """Whether two sightings in a row place the track in ``room``: of those after ``last`` up to i, and the one
    after i (LOST_GAP at most after it). One place misread by more than a wall's depth is no move."""
    there = [j for j in range(last + 1, min(i + 2, len(times)))
             if rooms.room_at(float(xs[j]), float(ys[j])) == room and (j <= i or times[j] - times[i] <= LOST_GAP)]
    return len(there) >= 2


def way(rooms: Rooms, start_room: str, start: tuple[float, float], end_room: str,
        end: tuple[float, float]) -> tuple[float, float] | None:
    """(length, length of its last leg) of the shortest walk from ``start`` in one room to ``end`` in another
    through the known doors (straight across a shared wall when no doors are known); None when no doors join
    the two rooms, however many rooms between."""
    if not rooms.doors:
        near = [a for a in rooms.areas if a.name == end_room]
        far = float(np.hypot(end[0] - start[0], end[1] - start[1]))
        wall = near[0].distance(*start) if near else 0.0
        return far, max(far - wall, 0.0)
    best: dict[tuple[str, int], float] = {}
    frontier = [(0.0, start_room, start, -1)]
    done: tuple[float, float] | None = None
    while frontier:
        frontier.sort(key=lambda f: f[0])
        length, here, (x, y), came = frontier.pop(0)
        if here == end_room:
            last = float(np.hypot(end[0] - x, end[1] - y))
            if done is None or length + last < done[0]:
                done = (length + last, last)
            continue
        for k, door in enumerate(rooms.doors):
            if here not in door.rooms or k == came:
                continue
            step = length + float(np.hypot(door.x - x, door.y - y))
            there = next(iter(door.rooms - {here}))
            if step < best.get((there, k), np.inf):
                best[(there, k)] = step
                frontier.append((step, there, (door.x, door.y), k))
    return done


def _via_door(times, xs, ys, i: int, rooms: Rooms, room: str, other: str) -> tuple[float, str] | None:
    """(time, ``other``) of a walk from sighting i - 1 in ``room`` to sighting i in ``other`` through the
    nearest door between them, timed by the share of the way to the door; None when no door joins them."""
    pair = frozenset((room, other))
    (x0, y0), (x1, y1) = (float(xs[i - 1]), float(ys[i - 1])), (float(xs[i]), float(ys[i]))
    ways = [(np.hypot(d.x - x0, d.y - y0), np.hypot(x1 - d.x, y1 - d.y)) for d in rooms.doors if d.rooms == pair]
    if not ways:
        return None
    there, on = min(ways, key=sum)
    return float(times[i - 1]) + float(times[i] - times[i - 1]) * there / max(there + on, 1e-9), other


def _from_door(times, xs, ys, i: int, rooms: Rooms, room: str) -> float | None:
    """When sighting i (the first after a break) walks away from a door of ``room`` within FROM_DOOR of
    it, the time the walk came through that door (walked back at its speed); else None."""
    near = _door_walk(times, xs, ys, i, -1, rooms, room)
    if near is None:
        return None
    seconds, _ = near
    return max(float(times[i]) - seconds, float(times[i - 1]) if i else -np.inf)


def _to_door(times, xs, ys, i: int, rooms: Rooms, room: str) -> tuple[float, str] | None:
    """When sighting i (the last before a break) walks towards a door of ``room`` within FROM_DOOR of
    it, (the time the walk reached it, the room behind it); else None."""
    near = _door_walk(times, xs, ys, i, +1, rooms, room)
    if near is None:
        return None
    seconds, door = near
    return float(times[i]) + seconds, next(iter(door.rooms - {room}))


def _door_walk(times, xs, ys, i: int, direction: int, rooms: Rooms, room: str) -> tuple[float, Door] | None:
    """(seconds of walking, door) between sighting i and the nearest door of ``room``, when it is within
    FROM_DOOR and the walk there leads to it (direction +1) or away from it (-1); else None."""
    walk = _velocity(times, xs, ys, i, direction)
    near = [d for d in rooms.doors if room in d.rooms]
    if walk is None or not near:
        return None
    vx, vy, x, y = walk
    door = min(near, key=lambda d: np.hypot(x - d.x, y - d.y))
    far, speed = float(np.hypot(x - door.x, y - door.y)), float(np.hypot(vx, vy))
    if far > FROM_DOOR or direction * (vx * (door.x - x) + vy * (door.y - y)) < AWAY * speed * far:
        return None
    return far / speed, door


def _through_door(xs, ys, i: int, rooms: Rooms, room: str) -> str | None:
    """The room sighting i is in, when it is another than ``room`` and sighting i - 1 (the last before
    a break) stood within DOORWAY of it: at the wall between the two."""
    other = rooms.room_at(float(xs[i]), float(ys[i]))
    area = next((a for a in rooms.areas if a.name == other), None)
    if other == room or area is None or area.distance(float(xs[i - 1]), float(ys[i - 1])) >= DOORWAY:
        return None
    return other


def _back_soon(times, xs, ys, i: int, rooms: Rooms, room: str) -> bool:
    """Sighting i (the first after a break) is where the track broke off: still in ``room``, within
    STOPPED metres of the last sighting before the break, and soon: the walk stopped at the wall, nobody left."""
    if i >= len(times) or times[i] - times[i - 1] > ENTER_GAP:
        return False
    x, y = float(xs[i]), float(ys[i])
    return rooms.room_at(x, y) == room and np.hypot(x - xs[i - 1], y - ys[i - 1]) < STOPPED


def _extrapolate(times, xs, ys, i: int, direction: int, rooms: Rooms, room: str) -> tuple[float, str] | None:
    """Carry the walk at sighting i on (direction +1) or back (-1) for EXTRAPOLATE seconds; the time
    and room of the first other room it reaches, or None (standing, staying in ``room``, or walking
    into a wall where there is no door)."""
    walk = _velocity(times, xs, ys, i, direction)
    if walk is None:
        return None
    vx, vy, x0, y0 = walk
    for step in np.arange(0.1, EXTRAPOLATE + 1e-9, 0.1):
        x, y = x0 + direction * vx * step, y0 + direction * vy * step
        other = rooms.room_at(x, y)
        if other != room and any(a.contains(x, y) for a in rooms.areas):
            if not rooms.passable(room, other, x, y):
                return None
            return (float(times[i]) + direction * step, other if direction > 0 else room)
    return None


def _velocity(times, xs, ys, i: int, direction: int) -> tuple[float, float, float, float] | None:
    """(vx, vy, x, y): the walking velocity over the VELOCITY_SPAN seconds of sightings up to sighting
    i (direction +1: before it; -1: after it) and the place at the edge; None when not walking."""
    t0 = float(times[i])
    near = np.flatnonzero(np.abs(times - t0) <= VELOCITY_SPAN)
    near = near[(times[near] - t0) * direction <= 0]  # only sightings on the seen side
    if len(near) < WALK_SIGHTINGS or times[near[-1]] <= times[near[0]]:
        return None
    ts = times[near] - t0
    A = np.stack([np.ones_like(ts), ts], axis=1)
    (x0, vx), (y0, vy) = (np.linalg.lstsq(A, v[near], rcond=None)[0] for v in (xs, ys))
    if np.hypot(vx, vy) < WALKING:
        return None
    return float(vx), float(vy), float(x0), float(y0)  # the fitted walk at sighting i, the edge of what was seen


def _drop_corners(found: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Without entries into a room left for the next within CORNER seconds: the path cut the corner
    of a room (the map's rooms are rectangles; doors near corners), nobody went in."""
    out: list[tuple[float, str]] = []
    for entry in found:
        if out and entry[0] - out[-1][0] < CORNER:
            out.pop()
        out.append(entry)
    return out


def seen_side(times: np.ndarray, xs: np.ndarray, ys: np.ndarray, camera: tuple[np.ndarray, np.ndarray, np.ndarray],
              rooms: Rooms) -> tuple[np.ndarray, np.ndarray]:
    """The sightings' places, those placed behind a wall the camera cannot see through moved to its side.

    A camera sees into another room only through a door: a sighting whose line of sight from the camera
    (``camera``: its times, xs, ys) first leaves the camera's room through a wall with no door there, and
    lies within its position error (RANGE_ERROR of its range, at least WALL_ERROR) of that wall, was on the
    camera's side of it: it is moved there, just inside. Far behind the wall, or seen through a door, it stays."""
    xs, ys = xs.astype(float).copy(), ys.astype(float).copy()
    if not len(times) or not len(camera[0]):
        return xs, ys
    cxs, cys = np.interp(times, camera[0], camera[1]), np.interp(times, camera[0], camera[2])
    for i, (cx, cy, x, y) in enumerate(zip(cxs, cys, xs, ys)):
        home = rooms.room_at(cx, cy)
        if rooms.room_at(x, y) == home:
            continue
        far = float(np.hypot(x - cx, y - cy))
        steps = np.arange(0.0, far, 0.05) / max(far, 1e-9)
        for s in steps:
            px, py = cx + (x - cx) * s, cy + (y - cy) * s
            other = rooms.room_at(px, py)
            if other == home or not any(a.contains(px, py) for a in rooms.areas):
                continue
            if rooms.passable(home, other, px, py):
                break  # seen through a door (or none known)
            if far * (1.0 - s) <= max(RANGE_ERROR * far, WALL_ERROR):
                back = max(s - 0.1 / max(far, 1e-9), 0.0)  # 0.1 m inside the camera's room
                xs[i], ys[i] = cx + (x - cx) * back, cy + (y - cy) * back
            break
    return xs, ys
