"""The segmenter's entity channel: things and people arriving in view and leaving it.

The entity stage reports each analysed frame's detections (``EntityStage.on_detections``);
:class:`EntitySignal` turns them into a reading per observation: for each label, the mean count
over the analysed frames in the next ``window_s`` seconds against the mean over the previous
``window_s`` seconds, summed over labels (a person entering: ~1; one leaving while a cup is
picked up: ~2). ``labels`` restricts the count to some labels (people only: a person coming into
view, not the things a turning camera sweeps past) and ``arrivals`` to rises (coming into view, not
going out of it). Averaging over a window keeps one missed or spurious detection from reading as
an arrival. A reading needs the detections up to ``window_s`` past its instant, so the ingest
holds observations until they are in (:meth:`ready`), as it does for the speech channel.

Resume: readings are a pure function of the analysed frames within ``window_s`` of their
instant; :meth:`state` keeps those before a boundary with the event that ends there, and a
resumed ingest starts from it, so it reads exactly what the uninterrupted one read.

The entries channel (:class:`RoomEntrySignal`) reads the same detections as a change of room relation:
people coming to the threshold of the map area the camera is in, their boxes placed from the stored pose
log; the pose channel (:class:`PoseSignal`) reads the pose log itself. :class:`PeopleSignal` reads how many
people were in view just before each instant: the condition of the segmenter's still-view rescue.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, deque
from typing import Sequence

import numpy as np

from memory.segmenter import CROSSING_READING, MOVING_READING, PEOPLE_READING, TURN_READING
from perception.geometry import place_box

logger = logging.getLogger(__name__)

ENTITIES_CHANNEL = "entities"  # the channel's name in SegmenterConfig.channels
STATE_KEY = "segment.entities"  # the store state holding the frames before the last checkpoint
_SLACK = 1e-6
_KEEP_S = 120.0  # seconds of analysed frames kept behind the latest reading: a boundary's state needs them


class EntitySignal:
    """Readings of entity arrivals and departures from the analysed frames' detections."""

    def __init__(self, window_s: float, frame_s: float, state: bytes | None = None, labels: Sequence[str] = (),
                 arrivals: bool = False, against_most: bool = False):
        if not window_s > 0:
            raise ValueError(f"entity channel window_s={window_s!r}: expected seconds > 0")
        self.window_s = window_s
        self.frame_s = frame_s  # seconds between analysed frames: how long a missing frame is waited for
        self.labels = frozenset(labels)  # labels counted; empty: every label
        self.arrivals = arrivals  # count only rises of a label's mean count (something coming into view)
        # the mean count after an instant is compared with the most seen in one frame before it, not the mean:
        # a detection missed for a frame or two and found again is not an arrival
        self.against_most = against_most
        self._frames: deque[tuple[float, Counter]] = deque()
        self._seen_until = -math.inf
        if state:
            self._load(state)

    def add(self, time: float, detections: Sequence) -> None:
        """One analysed frame and what was detected in it (objects with a ``label`` or ``kind``)."""
        counts = Counter(str(getattr(d, "label", None) or getattr(d, "kind", "thing")) for d in detections)
        if time <= self._seen_until:
            return  # a frame seen before a resume
        self._frames.append((float(time), counts))
        self._seen_until = float(time)

    def ready(self, when: float, latest: float) -> bool:
        """Whether the reading at ``when`` can be taken, with pictures up to ``latest`` seen."""
        return self._seen_until >= when + self.window_s - _SLACK or \
            latest - when > self.window_s + 2 * self.frame_s

    def count_within(self, lo: float, hi: float, label: str) -> float:
        """How many ``label`` were counted over the analysed frames in [lo, hi] (NaN: no frame there)."""
        inside = [c for t, c in self._frames if lo - _SLACK <= t <= hi + _SLACK]
        return float(sum(c.get(label, 0) for c in inside)) if inside else math.nan

    def seen_through(self, when: float) -> bool:
        """Whether the analysed frames up to ``when`` are in."""
        return self._seen_until >= when - _SLACK

    def mean_before(self, when: float, label: str) -> float:
        """The mean count of ``label`` over the analysed frames of the ``window_s`` before ``when`` (NaN: none)."""
        before = self._before(when)
        self._forget(when)
        return _mean(before, label) if before else math.nan

    def _before(self, when: float) -> list[Counter]:
        return [c for t, c in self._frames if when - self.window_s - _SLACK <= t < when - _SLACK]

    def _forget(self, when: float) -> None:
        while self._frames and self._frames[0][0] < when - self.window_s - _KEEP_S:
            self._frames.popleft()

    def read(self, when: float) -> dict[str, float]:
        """The reading at ``when`` ({"entities": value}; NaN without analysed frames on both sides)."""
        before = self._before(when)
        after = [c for t, c in self._frames if when - _SLACK <= t < when + self.window_s - _SLACK]
        self._forget(when)
        if not before or not after:
            return {ENTITIES_CHANNEL: math.nan}
        labels = set().union(*before, *after)
        if self.labels:
            labels &= self.labels
        past = _most if self.against_most else _mean
        deltas = (_mean(after, label) - past(before, label) for label in labels)
        change = sum(max(d, 0.0) if self.arrivals else abs(d) for d in deltas)
        return {ENTITIES_CHANNEL: float(change)}

    def state(self, before: float) -> bytes:
        """The analysed frames a reader resuming at ``before`` needs (JSON bytes)."""
        kept = [[t, dict(c)] for t, c in self._frames if before - self.window_s - 1.0 <= t < before - _SLACK]
        return json.dumps({"frames": kept}).encode()

    def _load(self, state: bytes) -> None:
        try:
            frames = json.loads(state.decode())["frames"]
            for t, counts in frames:
                self._frames.append((float(t), Counter({str(k): int(v) for k, v in counts.items()})))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"entity channel state is not readable ({len(state)} bytes): {exc}") from exc
        if self._frames:
            self._seen_until = self._frames[-1][0]


PEOPLE_STATE_KEY = "segment.people"  # the store state holding the people reading's frames before the last checkpoint


class PeopleSignal:
    """The ``people`` reading at t: the mean number of person boxes in the analysed frames of the ``window_s``
    seconds before t (NaN without such frames). Not a fused channel: the segmenter's still-view rescue
    (``still_spread``) keeps a cut where a still view with someone in it starts to change. It reads only frames
    before its instant, so an observation waits at most for its own frame's detections; resume as for
    ``EntitySignal`` (:meth:`state` keeps the frames before a boundary)."""

    def __init__(self, window_s: float, frame_s: float, state: bytes | None = None,
                 labels: Sequence[str] = ("person",)):
        self.labels = frozenset(labels)
        self.counts = EntitySignal(window_s, frame_s, state, labels=tuple(self.labels))

    @property
    def window_s(self) -> float:
        return self.counts.window_s

    def add(self, time: float, detections: Sequence) -> None:
        """One analysed frame and what was detected in it (people: a ``label`` or ``kind`` in ``labels``)."""
        self.counts.add(time, [_Token(PEOPLE_READING)] * sum(
            str(getattr(d, "label", None) or getattr(d, "kind", "")) in self.labels for d in detections))

    def ready(self, when: float, latest: float) -> bool:
        return self.counts.seen_through(when) or latest - when > 2 * self.counts.frame_s

    def read(self, when: float) -> dict[str, float]:
        """{"people": mean person boxes a frame over the ``window_s`` before ``when``} (NaN: no frames there)."""
        return {PEOPLE_READING: self.counts.mean_before(when, PEOPLE_READING)}

    def state(self, before: float) -> bytes:
        return self.counts.state(before)


def _mean(frames: list[Counter], label: str) -> float:
    return sum(c.get(label, 0) for c in frames) / len(frames)


def _most(frames: list[Counter], label: str) -> float:
    return float(max(c.get(label, 0) for c in frames))


POSE_CHANNEL = "pose"  # the place channel from the pose log: a reading of 1 where the camera enters another area


class PoseSignal:
    """Readings of area changes and of the camera turning in place, from a stream's pose log and the map's
    areas (stored before the ingest).

    ``pose`` at t is 1.0 when the area holding the pose at t differs from the one holding it ``step_s``
    earlier (outside every area counts as an area of its own), 0.0 otherwise, NaN where the log has no pose.
    ``turn`` at t is how far the camera turned (degrees: the range of its yaw) within ``turn_window_s``
    of t while it moved less than ``still_m`` metres: a view that changes because the camera turns in place,
    not because the scene does (0.0 while it walks, NaN without poses). ``crossing`` at t is the seconds
    from t to the nearest instant the logged pose passes into another area (inf: none in the log). Pure
    functions of the log, which is stored before the ingest: a resumed ingest reads the same values.
    """

    def __init__(self, track, areas: Sequence, step_s: float = 0.5, turn_window_s: float = 1.0,
                 still_m: float = 0.5):
        self.track = track  # memory.poses.PoseTrack
        self.areas = list(areas)  # memory.perceived.Area
        self.step_s = step_s
        self.turn_window_s = turn_window_s  # seconds either side of an instant over which the turn is read
        self.still_m = still_m  # metres the camera may move and still count as turning in place
        self._yaws = np.unwrap(np.asarray(track.yaws, dtype=np.float64)) if len(track) else np.zeros(0)
        self._crossings = self._crossing_times()

    def ready(self, when: float, latest: float) -> bool:
        return True

    def read(self, when: float) -> dict[str, float]:
        now, before = self.track.at(when), self.track.at(when - self.step_s)
        pose = math.nan if now is None or before is None else float(self._area(now) != self._area(before))
        return {POSE_CHANNEL: pose, TURN_READING: self._turn(when), CROSSING_READING: self._to_crossing(when)}

    def _crossing_times(self) -> np.ndarray:
        """Media times where the logged pose passes into another area (midway between the two log samples)."""
        times = np.asarray(self.track.times, dtype=np.float64)
        areas = [self._area((float(x), float(y), 0.0)) for x, y in zip(self.track.xs, self.track.ys)]
        changed = [i for i in range(1, len(areas)) if areas[i] != areas[i - 1]]
        return np.asarray([(times[i - 1] + times[i]) / 2 for i in changed], dtype=np.float64)

    def _to_crossing(self, when: float) -> float:
        if self.track.at(when) is None:
            return math.nan
        if not len(self._crossings):
            return math.inf
        return float(np.min(np.abs(self._crossings - when)))

    def _turn(self, when: float) -> float:
        """Degrees turned in place within ``turn_window_s`` of ``when`` (0 when the camera moved on)."""
        lo, hi = when - self.turn_window_s, when + self.turn_window_s
        first, last = self.track.at(lo), self.track.at(hi)
        if first is None or last is None:
            return math.nan
        if math.hypot(last[0] - first[0], last[1] - first[1]) >= self.still_m:
            return 0.0
        times = np.asarray(self.track.times, dtype=np.float64)
        inside = (times > lo) & (times < hi)
        t = np.concatenate([[lo], times[inside], [hi]])
        yaw = np.interp(t, times, self._yaws)
        return float(np.degrees(yaw.max() - yaw.min()))

    def _area(self, pose: tuple[float, float, float]) -> str | None:
        return next((a.name for a in self.areas if a.contains(pose[0], pose[1])), None)


ENTRIES_CHANNEL = "entries"  # people coming to the camera's room: a change of room relation, read from placed boxes
ENTRIES_STATE_KEY = "segment.entries"  # the store state holding its frames before the last checkpoint
THRESHOLD = "threshold"  # the relation token counted: a person placed at the edge of the camera's area
MOVED = "moved"  # the token of a person whose box grew or shrank by half at one bearing in the map (the moving reading)
_EDGE_SHARE = 0.01  # a box this close (share of the width) to the frame's left or right edge is cut off: its column
#                     moves as it comes into view, so it gives no bearing


class RoomEntrySignal:
    """Readings of people coming to the camera's room, from the analysed frames' person boxes placed on the map.

    A person walking into the room the camera is in is a change of where they are, not of the picture: they
    are often in view through the doorway before they cross it, and a camera turning inside a room sweeps
    people into view as often as they arrive. So each person box of an analysed frame is placed on the map
    (its ground contact under a level pinhole camera at the pose logged at that frame,
    ``perception.geometry.place_box``), and counted when it lies within ``margin_m`` of the boundary of the
    map area the camera is in, on either side: at the room's threshold. The reading at t is the rise of that
    count's mean over the analysed frames in the next ``window_s`` seconds against the most counted in one
    frame of the previous ``window_s`` (``EntitySignal``'s arrivals over one label, ``against_most``): a person
    coming up to or through a doorway of the camera's room reads ~1, one standing there and missed by the
    detector for a frame reads nothing; people deep inside the room (swept into view by a turn) or far beyond
    it read nothing.

    A detection that carries its own ``position`` (a 3-D detector's, in the pose log's frame) is counted there.
    Needs a pose log, map areas and a camera model; boxes that cannot be placed (cut off by the frame's
    bottom, above the horizon) and frames without a pose or outside every area count nothing. Resume as for
    ``EntitySignal``: the readings are a pure function of the frames within ``window_s`` and of the stored
    log, and :meth:`state` keeps those frames before a boundary.

    It also reads ``moving`` (the segmenter's ``turn_movers``): the number of person boxes, over the analysed
    frames within ``moving_window_s`` of t, whose height changed by at least ``growth`` of the larger of the two
    since the previous analysed frame at the same bearing in the map (the box's column through the camera model
    plus the logged yaw, nearest within ``match_deg``; boxes cut off by the frame's left or right edge give no
    bearing). A camera turning in place moves every box across the picture but keeps a still person at one
    bearing and one size; a box that doubles or halves there is someone coming out from behind a door frame or
    furniture, or walking up close: the scene changes, not only the view, so the turn gate does not hold there.
    The previous frame's boxes are kept in :meth:`state`, so a resumed reader reads the same.

    People stepping **out** of the camera's area come to its threshold too (someone walking out through the
    doorway): with ``leaving_m`` set, a person at the threshold placed more than ``leaving_m`` metres further out of
    the camera's area (signed: inside positive) than the nearest person placed in the previous analysed frame
    (within ``match_m``) is not counted; one with nobody placed near in the previous frame is. The previous frame's
    placed people are kept in :meth:`state` too.
    """

    def __init__(self, track, areas: Sequence, camera, window_s: float, frame_s: float, margin_m: float = 1.0,
                 labels: Sequence[str] = ("person",), state: bytes | None = None, against_most: bool = True,
                 growth: float = 0.5, match_deg: float = 30.0, moving_window_s: float = 1.0,
                 leaving_m: float | None = None, match_m: float = 1.5):
        if not margin_m > 0:
            raise ValueError(f"entries channel margin_m={margin_m!r}: expected metres > 0")
        if not 0 < growth < 1:
            raise ValueError(f"entries channel growth={growth!r}: expected a share in (0, 1)")
        if not 0 <= moving_window_s <= window_s:
            raise ValueError(f"entries channel moving_window_s={moving_window_s!r}: expected seconds in [0, window_s]")
        if leaving_m is not None and not 0 <= leaving_m < math.inf:
            raise ValueError(f"entries channel leaving_m={leaving_m!r}: expected metres >= 0 or None")
        if not match_m > 0:
            raise ValueError(f"entries channel match_m={match_m!r}: expected metres > 0")
        self.leaving_m = leaving_m  # metres further out than the previous frame's nearest person: stepping out
        self.match_m = match_m  # metres: a person is compared with the previous frame's nearest placed person
        # recent analysed frames' people placed on the map, (x, y); the last one before a boundary goes into its state
        self._placed: deque[tuple[float, list[tuple[float, float]]]] = deque()
        self.growth = growth  # share of a box's height it must gain or lose between two frames to read as moving
        self.match_deg = match_deg  # degrees: a box is compared with the previous frame's nearest in map bearing
        self.moving_window_s = moving_window_s  # seconds either side of an instant the moving reading counts over
        # recent analysed frames' people as (bearing in the map, degrees; box height, pixels); the last one before
        # a boundary goes into its state
        self._people: deque[tuple[float, list[tuple[float, float]]]] = deque()
        self.track = track  # memory.poses.PoseTrack
        self.areas = list(areas)  # memory.perceived.Area
        self.camera = camera  # perception.geometry.LevelCamera
        self.margin_m = margin_m
        self.labels = frozenset(labels)
        self.counts = EntitySignal(window_s, frame_s, state, labels=(THRESHOLD,), arrivals=True,
                                   against_most=against_most)
        if state:
            self._load_people(state)

    @property
    def window_s(self) -> float:
        return self.counts.window_s

    def add(self, time: float, detections: Sequence, size: tuple[int, int] | None) -> None:
        """One analysed frame (``size``: its (width, height), the boxes' pixels) and what was detected in it."""
        if self.counts.seen_through(time):
            return  # a frame seen before a resume
        people = self.bearings(time, detections, size)
        moved = _moved(self._people[-1][1], people, self.growth, self.match_deg) if self._people else 0
        self._people.append((float(time), people))
        while self._people and self._people[0][0] < time - _KEEP_S:
            self._people.popleft()
        arriving = self.at_threshold(time, detections, size)
        while self._placed and self._placed[0][0] < time - _KEEP_S:
            self._placed.popleft()
        self.counts.add(time, [_Token(THRESHOLD)] * arriving + [_Token(MOVED)] * moved)

    def bearings(self, time: float, detections: Sequence, size: tuple[int, int] | None) -> list[tuple[float, float]]:
        """The frame's people as (bearing in the map, degrees counter-clockwise; box height, pixels), boxes cut off
        by the frame's left or right edge left out (none without a pose)."""
        pose = self.track.at(time) if size is not None else None
        if pose is None:
            return []
        width, edge = size[0], _EDGE_SHARE * size[0]
        focal, out = self.camera.focal(width), []
        for d in detections:
            if str(getattr(d, "label", None) or getattr(d, "kind", "")) not in self.labels:
                continue
            x0, y0, x1, y1 = (float(v) for v in d.box)
            if x0 <= edge or x1 >= width - edge:
                continue
            column = math.atan2(-((x0 + x1) / 2.0 - width / 2.0), focal)
            out.append((math.degrees(pose[2] + column), y1 - y0))
        return out

    def at_threshold(self, time: float, detections: Sequence, size: tuple[int, int] | None) -> int:
        """How many of the frame's people are placed within ``margin_m`` of the camera's area's boundary (with
        ``leaving_m``: less those stepping out of it); the frame's placed people are kept for the next frame's."""
        pose = self.track.at(time) if size is not None else None
        here = None if pose is None else next((a for a in self.areas if a.contains(pose[0], pose[1])), None)
        placed = []
        for d in detections if pose is not None else ():
            if str(getattr(d, "label", None) or getattr(d, "kind", "")) not in self.labels:
                continue
            at = getattr(d, "position", None)  # where a 3-D detector measured it, else from its box
            at = place_box(self.camera, size, pose, tuple(d.box)) if at is None else at
            if at is not None:
                placed.append((float(at[0]), float(at[1])))
        before = self._placed[-1][1] if self._placed else []
        self._placed.append((float(time), placed))
        if here is None:
            return 0
        return sum(_to_edge(here, x, y) <= self.margin_m and not self._leaving(here, (x, y), before)
                   for x, y in placed)

    def _leaving(self, here, at: tuple[float, float], before: list[tuple[float, float]]) -> bool:
        """Whether a person placed ``at`` lies more than ``leaving_m`` further out of ``here`` than the nearest person
        placed in the previous analysed frame (within ``match_m``; nobody near: not leaving)."""
        if self.leaving_m is None or not before:
            return False
        near = min(before, key=lambda q: math.hypot(q[0] - at[0], q[1] - at[1]))
        if math.hypot(near[0] - at[0], near[1] - at[1]) > self.match_m:
            return False
        return _depth(here, *at) < _depth(here, *near) - self.leaving_m

    def ready(self, when: float, latest: float) -> bool:
        return self.counts.ready(when, latest)

    def read(self, when: float) -> dict[str, float]:
        """The readings at ``when``: {"entries": value (NaN without analysed frames on both sides), "moving": people
        whose box grew or shrank at one bearing within ``moving_window_s`` (NaN without analysed frames there)}."""
        lo, hi = when - self.moving_window_s, when + self.moving_window_s
        moving = self.counts.count_within(lo, hi, MOVED)
        return {ENTRIES_CHANNEL: self.counts.read(when)[ENTITIES_CHANNEL], MOVING_READING: moving}

    def state(self, before: float) -> bytes:
        """The analysed frames a reader resuming at ``before`` needs, and the people of the last one (JSON bytes)."""
        kept = json.loads(self.counts.state(before).decode())
        last = [(t, people) for t, people in self._people if t < before - _SLACK]
        if last:
            kept["people"] = [last[-1][0], [list(p) for p in last[-1][1]]]
        placed = [(t, people) for t, people in self._placed if t < before - _SLACK]
        if placed:
            kept["placed"] = [placed[-1][0], [list(p) for p in placed[-1][1]]]
        return json.dumps(kept).encode()

    def _load_people(self, state: bytes) -> None:
        try:
            loaded = json.loads(state.decode())
            people, placed = loaded.get("people"), loaded.get("placed")
            if people:
                self._people.append((float(people[0]), [(float(b), float(h)) for b, h in people[1]]))
            if placed:
                self._placed.append((float(placed[0]), [(float(x), float(y)) for x, y in placed[1]]))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"entries channel state is not readable ({len(state)} bytes): {exc}") from exc


def _moved(before: list[tuple[float, float]], now: list[tuple[float, float]], growth: float, match_deg: float) -> int:
    """How many of ``now``'s people changed height by at least ``growth`` of the larger of the two since the one
    of ``before`` nearest in bearing (within ``match_deg``)."""
    moved = 0
    for bearing, height in now:
        near = [(abs((bearing - b + 180.0) % 360.0 - 180.0), h) for b, h in before]
        near = [(gap, h) for gap, h in near if gap <= match_deg]
        if near:
            previous = min(near)[1]
            moved += abs(height - previous) >= growth * max(height, previous, 1e-9)
    return moved


class _Token:
    """A counted relation, as ``EntitySignal`` counts labels."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label


def _depth(area, x: float, y: float) -> float:
    """Metres from (x, y) to the boundary of ``area``, positive inside it, negative outside."""
    return _to_edge(area, x, y) if area.contains(x, y) else -area.distance(x, y)


def _to_edge(area, x: float, y: float) -> float:
    """Metres from (x, y) to the boundary of ``area``, inside or outside it."""
    if area.contains(x, y):
        return min(x - area.x0, area.x1 - x, y - area.y0, area.y1 - y)
    return area.distance(x, y)
