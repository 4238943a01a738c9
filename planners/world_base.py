"""The perceived world's records (Stay, Action, Thing), its tunables, and its look-ups: rooms of places and
of the camera, the camera's poses, the person or furniture near a place, where a thing rested at a time.
The world's state is set up here, empty; planners/world_build.py fills it (planners/world.py: World)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from memory import perceived
from memory.perceived import Area
from planners.drift import Drift
from planners.entries import Rooms
from planners.opens import OpenSpan

HANDOVER = re.compile(r"\bhere\b", re.IGNORECASE)  # "Bob, here is the mug, on the desk": a thing just put down for Bob

STAY_RADIUS = 0.6  # metres: sightings this close belong to one resting place
STAY_SIGHTINGS = 3  # sightings that make a resting place
STAY_SECONDS = 0.5  # seconds a resting place must span
RESTING_SECONDS = 2.0  # a stay this long (or a thing's first or last) is a resting place, others pauses in a carry
MOVE_DISTANCE = 0.8  # metres between resting places for a move
NEAR_PERSON = 1.6  # metres: a person this near to a thing acts on it
VISIT_RADIUS = 1.3  # metres from a piece of furniture to be at it
VISIT_GAP = 6.0  # seconds without a sighting that end a visit
VISIT_SECONDS = 1.0  # seconds lingering at a piece of furniture that make a visit
FRAGMENT = 5  # sightings in all under which a person cluster is a scrap of track, credited with nothing
DEED_WINDOW = 60.0  # seconds between a deed seen and a line telling of it
DEED_WEIGHT = 2.0  # log-likelihood ratio a told deed adds to a voice being that person
SPOKEN_OF_WEIGHT = 0.5  # share of it when the line is not in the first person (nor to someone): maybe another's deed
FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'll|me|my|mine)\b", re.IGNORECASE)  # a line about the speaker's doing
MIN_SIGHTINGS = 3  # sightings of a thing never seen at rest before it counts as seen
WALL_MARGIN = 0.6  # metres: closer than this to a wall, furniture's room is the one the camera saw it from
GONE_VIEWS = 10  # whole seconds with views of the furniture a thing rested on, without the thing: it was taken away
GONE_AFTER = 5.0  # seconds after its last sighting before views of its place count as views without it
WITNESS_GAP = 3.0  # seconds after (before) a resting place within which its pick (put), if seen, was seen
UNSEEN_GAP = 2.0  # seconds out of sight after which a thing turning up carried was picked up unseen
CARRY_SECONDS = 4.0  # seconds after turning up within which a thing carried off moves MOVE_DISTANCE
CARRIED_GAP = 10.0  # seconds: seen elsewhere this shortly before it first rests, it was carried there
WATCHED_SECONDS = 5.0  # seconds before a thing turns up carried in which its carrier ...
WATCHED = 5  # ... seen this many times was watched picking it up
ON_FURNITURE = 1.5  # metres: a thing resting this near a piece of furniture rests on it
CARRIED_BEFORE_PUT = 300.0  # seconds: last seen carried this shortly before found at rest, it was put then
CARRIED_AFTER_PICK = 30.0  # seconds: first seen carried this shortly after last at rest, it was taken then
WALKING_SPEED = 1.2  # metres per second, people indoors
HIDDEN_GAP = 10.0  # seconds out of sight after a carried thing's last sighting by an opening container: put inside
OPENED_AFTER = 2.0  # seconds after that sighting within which the container's opening may begin
CLOSED = ("fridge", "freezer", "cabinet", "cupboard", "wardrobe", "closet", "sideboard", "drawer", "dresser",
          "chest", "washing machine", "dishwasher", "oven")  # what rests in these is out of sight when closed


@dataclass
class Stay:
    """An object resting at one place."""

    start: float  # first sighting there
    end: float  # last sighting there
    x: float
    y: float
    room: str
    count: int


@dataclass
class Action:
    kind: str  # put, pick, open, enter, visit, handover
    time: float
    end: float
    actor: str  # person name, "" when unseen
    target: str  # object / room / furniture name
    furniture: str = ""  # put: the furniture it was put on
    resting: bool = True  # put/pick: to or from a resting place (not a pause while carried)
    known: float = float("-inf")  # when perception had shown it (a pick seen as a thing gone: later views)
    witnessed: bool = True  # pick/put: seen as it happened, not only inferred from where the thing was seen after
    opened_seen: bool = True  # open: the opening itself was seen (not open already when it came into view)
    closed_seen: bool = True  # open: its closing was seen
    to: str = ""  # handover: the person the thing went to
    confidence: float = 0.5  # 0-1: how surely it happened so, from what was seen, raised or lowered by what was heard


@dataclass
class Thing:
    name: str  # "orange box", "fridge", "Alice"
    kind: str  # object, furniture, person
    times: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    stays: list[Stay] = field(default_factory=list)
    room: str = ""  # furniture: its room
    opens: list[OpenSpan] | None = None  # containers whose state perception read: when they were open

    def seen_before(self, t: float) -> np.ndarray:
        return self.times[self.times < t]


class WorldBase:
    """The state of a world perceived in a memory, cut at ``until`` (media seconds) when given, and its
    look-ups; empty until built (planners/world_build.py)."""

    def __init__(self, store, until: float | None = None, drift: Drift | None = None) -> None:
        self.store = store
        self.until = None if until is None else float(until)  # media time of the cut; None: all of memory
        self._fitted = drift  # the drift fitted over this memory to a later time (cut at until), or None
        self.last = float("-inf")  # the latest media time of what was read (a sighting, a line's end, a pose)
        self.areas: list[Area] = perceived.areas(store)
        self.rooms = Rooms(self.areas)
        self.things: dict[str, Thing] = {}
        self.people: dict[str, Thing] = {}
        self.furniture: list[Thing] = []
        self.actions: list[Action] = []
        self.heard: list[tuple[float, float, str, str]] = []  # (start, end, text, speaker)
        self.person_tracks: dict[int, str] = {}  # tracker id -> person name
        self._clusters: list = []  # per person ("person N", N - 1): sightings and distances (planners/naming.py Seen)
        self._person_entities: list[int | None] = []  # per person: ingest's entity (None: a track without one)
        self.stream: str | None = None
        self.drift = Drift()  # odometry drift, taken out of every position (planners/drift.py)

    # ------------------------------------------------------------------------------- look-ups
    def room_at(self, x: float, y: float) -> str:
        return self.rooms.room_at(x, y)

    def seen_from(self, x: float, y: float, times: np.ndarray) -> str:
        """The room of a thing at (x, y) seen at ``times``: where its position falls, unless that is
        near a wall and the camera saw it from the other side (walls hide; the camera's room wins). Only
        a room within WALL_MARGIN of the position is the other side: a camera in a room farther away saw
        the thing through a doorway, and an outer wall has no other side."""
        room = self.room_at(x, y)
        inside = [a for a in self.areas if a.name == room]
        margin = min(x - inside[0].x0, inside[0].x1 - x, y - inside[0].y0, inside[0].y1 - y) if inside else 0.0
        if margin > WALL_MARGIN or self._camera is None:
            return room
        t, rooms = self._camera
        idx = np.clip(np.searchsorted(t, np.asarray(times, float)), 0, len(t) - 1)
        # seen through a doorway from afar says little: the nearer the camera, the more its room counts
        cx, cy = self._camera_xy
        far = np.maximum(np.hypot(cx[idx] - x, cy[idx] - y), 0.5)
        behind = {a.name for a in self.areas if a.distance(x, y) <= WALL_MARGIN}
        votes: Counter = Counter()
        for i, d in zip(idx, far):
            if rooms[i] in behind:
                votes[rooms[i]] += 1.0 / d ** 2
        return votes.most_common(1)[0][0] if votes else room

    @property
    def _camera_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys) of the pose log, alongside _camera's times."""
        if not hasattr(self, "_camera_pos"):
            track = self.poses()
            self._camera_pos = (np.asarray(track.xs, float), np.asarray(track.ys, float))
        return self._camera_pos

    @property
    def _camera(self) -> tuple[np.ndarray, list[str]] | None:
        """(times, room of the camera) of the pose log, computed once."""
        if not hasattr(self, "_camera_rooms"):
            self._camera_rooms = None
            if self.stream is not None:
                track = self.poses()
                if len(track):
                    self._camera_rooms = (track.times, [self.room_at(float(a), float(b))
                                                        for a, b in zip(track.xs, track.ys)])
        return self._camera_rooms

    def poses(self, start: float | None = None, end: float | None = None):
        """The camera's poses (memory.poses.PoseTrack) up to the world's cut, drift taken out like the sightings'."""
        if self.until is not None:
            end = self.until if end is None else min(end, self.until)
        track = self.store.poses(self.stream, start, end)
        dxs, dys = self.drift.at(track.times)
        return replace(track, xs=track.xs + dxs, ys=track.ys + dys)

    def agent_room(self, t: float) -> str:
        if self.stream is None:
            return ""
        pose = self.poses(t - 1.0, t + 1.0)
        return self.room_at(float(pose.xs[0]), float(pose.ys[0])) if len(pose) else ""

    def agent_rooms(self, end: float) -> list[tuple[float, float, str]]:
        """(start, end, room) spans of the camera before ``end``."""
        if self.stream is None:
            return []
        track = self.poses(None, end)
        spans: list[list] = []
        for t, x, y in zip(track.times, track.xs, track.ys):
            room = self.room_at(float(x), float(y))
            if spans and spans[-1][2] == room:
                spans[-1][1] = float(t)
            else:
                spans.append([float(t), float(t), room])
        return [tuple(s) for s in spans]

    def person_near(self, x: float, y: float, start: float, end: float) -> str:
        """The person seen nearest to (x, y) between start and end, within NEAR_PERSON metres; else "".
        A person seen fewer than FRAGMENT times in all is a scrap of someone's track (a swap, a
        false detection) that joined nobody, not someone to credit with a deed."""
        best, name = NEAR_PERSON, ""
        for who, p in self.people.items():
            m = (p.times >= start) & (p.times <= end)
            if m.any() and len(p.times) >= FRAGMENT:
                d = float(np.min(np.hypot(p.xs[m] - x, p.ys[m] - y)))
                if d < best:
                    best, name = d, who
        return name

    def furniture_near(self, x: float, y: float) -> str:
        f = self._nearest_furniture(x, y)
        return self.furniture_name(f) if f is not None else ""

    def _nearest_furniture(self, x: float, y: float, within: float = np.inf) -> Thing | None:
        """The piece of furniture nearest to (x, y), if it stands within ``within`` metres."""
        if not self.furniture:
            return None
        f = min(self.furniture, key=lambda f: np.hypot(f.xs[0] - x, f.ys[0] - y))
        return f if np.hypot(f.xs[0] - x, f.ys[0] - y) <= within else None

    def furniture_name(self, f: Thing) -> str:
        """"fridge", or "kitchen cabinet" when another piece of the same label stands elsewhere."""
        twins = [g for g in self.furniture if g.name == f.name and g is not f]
        return f"{f.room} {f.name}" if twins and f.room else f.name

    def stay_at(self, thing: Thing, t: float) -> Stay | None:
        """The resting place the thing was last seen at by time t (its last sightings when it was never
        seen resting long enough to make one)."""
        stays = [s for s in thing.stays if s.start < t]
        if stays:
            return stays[-1]
        seen = np.flatnonzero(thing.times < t)
        if len(seen) < MIN_SIGHTINGS:
            return None  # a misread colour or label now and then is not a thing
        last = seen[-3:]
        x, y = float(np.median(thing.xs[last])), float(np.median(thing.ys[last]))
        return Stay(float(thing.times[last[0]]), float(thing.times[last[-1]]), x, y, self.room_at(x, y), len(last))
