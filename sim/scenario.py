"""The timeline of a simulated episode: who walks where, says what, moves which object, opens what.

``build_scenario(world, config, seed)`` runs a small discrete-event simulation. Each person, when
free, starts an activity (move an object, talk, open and close a container, wander to another room,
fetch something someone asked for); activities are planned whole, with objects, slots and
containers reserved so that plans never collide, and all speech shares one channel so that lines
never overlap. The camera agent patrols the rooms (or follows a person, or stands still). What
results is exact: every action, utterance and location has a media time in seconds from 0.
"""

from __future__ import annotations

import heapq
import logging
import math
from bisect import insort
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from sim import lines
from sim.wording import WORDINGS, Phrasebook
from sim.agent import Cue, agent_path
from sim.navigation import room_chain, room_spans, route
from sim.trajectory import PathBuilder, Point, Trajectory
from sim.world import CLEAR_RADIUS, Furniture, World, segment_clear

logger = logging.getLogger(__name__)

AGENT_MODES = ("patrol", "follow", "static")  # see sim.agent
SPEECH_GAP = 0.3  # seconds of silence kept between two lines
HAND_HEIGHT = 0.95  # where a carried object is held, metres


@dataclass(frozen=True)
class ScenarioConfig:
    """How the episode unfolds; validated on construction."""

    duration: float = 600.0  # seconds of media time, 1 s to 7 days
    activity_rate: float = 2.0  # activities a person starts per minute of standing about (mean)
    move_share: float = 0.35  # share of activities that move an object somewhere else
    talk_share: float = 0.3  # share that say something (requests, plans, appointments, questions, ...)
    open_share: float = 0.15  # share that open a container, look inside and close it; the rest wander
    hot_objects: int = 3  # objects moved six times as often as the others (objects moved many times)
    reply_probability: float = 0.7  # chance an addressee in the same room answers
    greet_probability: float = 0.5  # chance that two people meeting in a room (one walks in) greet, by name
    introduce_probability: float = 0.2  # chance that a pair's first meeting starts with "Hello, I'm <name>"
    agent_mode: str = "patrol"  # "patrol" the rooms, "follow" a person, or stay "static" and pan
    agent_route: tuple[str, ...] = ()  # room names to patrol (or stand in), in order; empty = a tour of all
    follow: str = ""  # the name of the person to follow in "follow" mode; empty = the first person
    dwell: tuple[float, float] = (5.0, 25.0)  # seconds the agent lingers in a room after looking around
    attention: float = 0.6  # chance the patrolling agent heads for where something is about to happen, not the next room
    look_around: bool = True  # the agent turns a full circle on entering each room
    start_clock: float = 8 * 3600.0  # the home's clock at media time 0, seconds after midnight (spoken times)
    words_per_second: float = 2.5  # speaking rate: a line lasts words / rate + 0.4 s
    hearing_distance: float = 5.0  # speech from a neighbouring room reaches the agent within this many metres
    silent_people: int = 1  # people who never speak (drawn from the seed): names that cannot be heard
    wording: str = "dev"  # the phrasings of people's lines (sim/wording.py): "dev" or "heldout"

    def __post_init__(self) -> None:
        _check("duration", self.duration, 1.0 <= self.duration <= 7 * 86400, "seconds in [1, 604800]")
        _check("activity_rate", self.activity_rate, 0.0 < self.activity_rate <= 60, "a rate in (0, 60] per minute")
        for name in ("move_share", "talk_share", "open_share", "reply_probability", "greet_probability",
                     "introduce_probability", "attention"):
            value = getattr(self, name)
            _check(name, value, 0.0 <= value <= 1.0, "a fraction in [0, 1]")
        total = self.move_share + self.talk_share + self.open_share
        _check("move_share + talk_share + open_share", total, total <= 1.0 + 1e-9, "a sum of at most 1")
        _check("hot_objects", self.hot_objects, isinstance(self.hot_objects, int) and self.hot_objects >= 0,
               "a non-negative integer")
        _check("agent_mode", self.agent_mode, self.agent_mode in AGENT_MODES, f"one of {AGENT_MODES}")
        _check("agent_route", self.agent_route, isinstance(self.agent_route, tuple), "a tuple of room names")
        lo, hi = self.dwell
        _check("dwell", self.dwell, 0.0 <= lo <= hi, "(low, high) seconds with 0 <= low <= high")
        _check("start_clock", self.start_clock, 0.0 <= self.start_clock < 86400, "seconds after midnight")
        _check("words_per_second", self.words_per_second, 0.5 <= self.words_per_second <= 6, "a rate in [0.5, 6]")
        _check("hearing_distance", self.hearing_distance, self.hearing_distance >= 0, "metres >= 0")
        _check("silent_people", self.silent_people, isinstance(self.silent_people, int) and self.silent_people >= 0,
               "a non-negative integer")
        _check("wording", self.wording, self.wording in WORDINGS, f"one of {WORDINGS}")


@dataclass(frozen=True)
class Action:
    """A person acting on a thing at an instant."""

    id: str  # "action:<k>"
    time: float
    kind: str  # "pick", "put", "open", "close"
    actor: str  # person id
    target: str  # the object (pick, put) or the furniture (open, close)
    furniture: str  # where it happens
    room: str
    slot: int = -1  # the furniture slot, for pick and put


@dataclass(frozen=True)
class Utterance:
    id: str  # "utterance:<k>"
    start: float
    end: float
    speaker: str  # person id
    text: str
    kind: str  # see sim.lines.Line
    keywords: tuple[str, ...]
    objects: tuple[str, ...]
    rooms: tuple[str, ...]
    people: tuple[str, ...]
    addressee: str | None = None  # person id
    clock: str | None = None
    room: str = ""  # where the speaker is at the start
    heard: bool = False  # whether the agent's microphone picks it up (same room, or near through a door)
    distance: float = 0.0  # speaker to agent, metres, at the start


@dataclass(frozen=True)
class Activity:
    id: str  # "activity:<k>"
    person: str
    kind: str  # "move_object", "talk", "open_close", "wander", "fetch"
    label: str  # "Alice moves the red mug to the kitchen"
    start: float
    end: float


@dataclass(frozen=True)
class ObjectSpan:
    """Where an object is over [start, end): on/in furniture, or carried (split by the carrier's room)."""

    object: str
    start: float
    end: float
    room: str
    furniture: str = ""  # empty while carried
    slot: int = -1
    holder: str = ""  # person id while carried


@dataclass(frozen=True)
class OpenSpan:
    furniture: str
    start: float
    end: float
    person: str


@dataclass(frozen=True)
class PersonPose:
    id: str
    x: float
    y: float
    stride: float  # metres walked so far (drives the gait)
    walking: bool
    holding: str | None


@dataclass(frozen=True)
class ObjectPose:
    id: str
    x: float
    y: float
    z: float  # height of its base
    holder: str | None  # person id when carried


@dataclass(frozen=True)
class SceneState:
    """Everything the renderer needs at one media time."""

    time: float
    agent: tuple[float, float, float]  # x, y, yaw (radians)
    people: tuple[PersonPose, ...]
    objects: tuple[ObjectPose, ...]  # objects in sight-able places (not inside containers)
    open: frozenset[str]  # furniture ids open now


@dataclass(frozen=True, eq=False)
class Scenario:
    world: World
    config: ScenarioConfig
    seed: int
    people: dict[str, Trajectory]
    agent: Trajectory
    actions: tuple[Action, ...]
    utterances: tuple[Utterance, ...]
    activities: tuple[Activity, ...]
    object_spans: tuple[ObjectSpan, ...]
    open_spans: tuple[OpenSpan, ...]
    person_rooms: dict[str, list[tuple[float, float, str]]]
    agent_rooms: list[tuple[float, float, str]]
    _index: dict = field(default_factory=dict, repr=False)

    @property
    def duration(self) -> float:
        return self.config.duration

    def __post_init__(self) -> None:
        by_object: dict[str, list[ObjectSpan]] = {}
        for span in self.object_spans:
            by_object.setdefault(span.object, []).append(span)
        self._index["objects"] = {k: (np.array([s.start for s in v]), v) for k, v in by_object.items()}
        self._index["open"] = (np.array([s.start for s in self.open_spans]), np.array([s.end for s in self.open_spans]))
        self._index["stride"] = {pid: _cumulative(path) for pid, path in self.people.items()}

    def object_span(self, object_id: str, t: float) -> ObjectSpan:
        starts, spans = self._index["objects"][object_id]
        i = int(np.searchsorted(starts, t, side="right")) - 1
        return spans[max(i, 0)]

    def state_at(self, t: float) -> SceneState:
        """Poses of the agent, people and visible objects at media time t."""
        holding: dict[str, str] = {}
        objects = []
        for oid in self._index["objects"]:
            span = self.object_span(oid, t)
            if span.holder:
                holding[span.holder] = oid
                continue
            furniture = self.world.get(span.furniture)
            if furniture.container:
                continue
            x, y = furniture.slots[span.slot]
            objects.append(ObjectPose(oid, x, y, furniture.surface, None))
        people = []
        for pid, path in self.people.items():
            x, y = path.position(t)
            stride = float(np.interp(t, path.times, self._index["stride"][pid]))
            held = holding.get(pid)
            people.append(PersonPose(pid, x, y, stride, path.speed(t) > 0.05, held))
            if held is not None:
                objects.append(ObjectPose(held, x, y, HAND_HEIGHT, pid))
        starts, ends = self._index["open"]
        open_now = frozenset(self.open_spans[i].furniture for i in np.flatnonzero((starts <= t) & (t < ends)))
        ax, ay = self.agent.position(t)
        return SceneState(t, (ax, ay, self.agent.yaw(t)), tuple(people), tuple(objects), open_now)

    def person_room(self, person: str, t: float) -> str:
        return _room_in(self.person_rooms[person], t)

    def agent_room(self, t: float) -> str:
        return _room_in(self.agent_rooms, t)


def build_scenario(world: World, config: ScenarioConfig | None = None, seed: int | None = None) -> Scenario:
    """Plan the whole episode; the same world, config and seed always give the same scenario."""
    config = config or ScenarioConfig()
    seed = world.seed if seed is None else int(seed)
    planner = _Planner(world, config, np.random.default_rng([seed, 1]), Phrasebook(config.wording, seed))
    planner.run()
    people = {pid: b.build() for pid, b in planner.paths.items()}
    agent = agent_path(world, config, np.random.default_rng([seed, 2]), people, _cues(world, planner, people))
    person_rooms = {pid: room_spans(world, path, config.duration) for pid, path in people.items()}
    agent_rooms = room_spans(world, agent, config.duration)
    end = config.duration
    actions = _renumber(sorted((a for a in planner.actions if a.time < end), key=lambda a: (a.time, a.id)), "action")
    object_spans = _object_spans(world, actions, person_rooms, end)
    open_spans = _open_spans(actions, end)
    heard = (_hearing(world, config, u, people, agent, person_rooms, agent_rooms)
             for u in planner.utterances if u.start < end)
    utterances = _renumber(sorted(heard, key=lambda u: u.start), "utterance")
    activities = _renumber(sorted((a for a in planner.activities if a.start < end),
                                  key=lambda a: (a.start, a.person)), "activity")
    logger.info("scenario %d: %.0f s, %d actions, %d utterances (%d heard), %d activities", seed, end,
                len(actions), len(utterances), sum(u.heard for u in utterances), len(activities))
    return Scenario(world, config, seed, people, agent, actions, utterances, activities, object_spans,
                    open_spans, person_rooms, agent_rooms)


# ------------------------------------------------------------------------------------ the planner

@dataclass
class _Request:
    """Someone asked this person to bring an object to a room."""

    requester: str
    object: str
    room: str


class _Planner:
    """Plans each person's activities in order of the time they become free."""

    def __init__(self, world: World, config: ScenarioConfig, rng: np.random.Generator, book: Phrasebook) -> None:
        self.world, self.config, self.rng = world, config, rng
        self.book = book  # the phrasing of each line (its own generator: the events do not depend on it)
        self.paths: dict[str, PathBuilder] = {}
        self.room_now: dict[str, str] = {}
        for person in world.people:
            room = world.rooms[int(rng.integers(len(world.rooms)))]
            x, y = self._free_point(room.id)
            self.paths[person.id] = PathBuilder(0.0, x, y)
            self.room_now[person.id] = room.id
        self.actions: list[Action] = []
        self.utterances: list[Utterance] = []
        self.activities: list[Activity] = []
        self.object_at: dict[str, tuple[str, int] | None] = {p.object: (p.furniture, p.slot) for p in world.initial}
        self.slot_owner: dict[tuple[str, int], str] = {(p.furniture, p.slot): p.object for p in world.initial}
        self.slot_free_at: dict[tuple[str, int], float] = {}
        self.object_busy: dict[str, float] = {o.id: 0.0 for o in world.objects}
        self.container_busy: dict[str, float] = {f.id: 0.0 for f in world.furniture if f.container}
        self.speech: list[tuple[float, float]] = []
        self.pending: dict[str, deque[_Request]] = {p.id: deque() for p in world.people}
        # the things that can be moved and spoken of: not a twin pair's (World.ambiguous: names not unique)
        self.things = [o for o in world.objects if o.id not in world.ambiguous]
        hot = rng.permutation(len(self.things))[: config.hot_objects]
        self.hot = {self.things[k].id for k in hot}
        # people who never speak, from their own generator (the rest of the plan draws as before)
        silent = np.random.default_rng([world.seed, 8]).permutation(len(world.people))[: config.silent_people]
        self.silent = {world.people[int(k)].id for k in silent}
        # greetings, introductions and answers to being called by name draw from a generator of their own, so
        # the rest of the plan draws as before (only times shift where a line takes the speech channel)
        self.social = np.random.default_rng([world.seed, 9])
        self.met: set[frozenset[str]] = set()  # pairs of people who have met (greeted or introduced) so far

    # -- main loop

    def run(self) -> None:
        mean_gap = 60.0 / self.config.activity_rate
        heap = [(float(self.rng.uniform(0.0, min(mean_gap, 10.0))), p.index) for p in self.world.people]
        heapq.heapify(heap)
        while heap:
            t, index = heapq.heappop(heap)
            if t >= self.config.duration:
                continue
            pid = self.world.people[index].id
            self.paths[pid].wait_until(t)
            self._activity(pid, t)
            heapq.heappush(heap, (self.paths[pid].now + float(self.rng.exponential(mean_gap)), index))
        for path in self.paths.values():
            path.wait_until(self.config.duration + 1.0)

    def _activity(self, pid: str, t: float) -> None:
        if self.pending[pid] and self._fetch(pid, t, self.pending[pid].popleft()):
            return
        c = self.config
        r = self.rng.random()
        if r < c.move_share:
            done = self._move_object(pid, t)
        elif r < c.move_share + c.talk_share:
            done = self._talk(pid, t)
        elif r < c.move_share + c.talk_share + c.open_share:
            done = self._open_close(pid, t)
        else:
            done = False
        if not done:
            self._wander(pid, t)

    # -- activities

    def _move_object(self, pid: str, t: float) -> bool:
        candidates = [o for o in self.things if self._available(o.id, t)]
        if not candidates:
            return False
        weights = np.array([6.0 if o.id in self.hot else 1.0 for o in candidates])
        obj = candidates[int(self.rng.choice(len(candidates), p=weights / weights.sum()))]
        source = self.world.get(self.object_at[obj.id][0])
        target = self._target_slot(t, exclude=source.id, room=None)
        if target is None:
            return False
        start = self.paths[pid].now
        put_furniture = self._carry(pid, obj.id, target)
        room = self.world.get(put_furniture.room)
        self._record_activity(pid, "move_object", f"{self._name(pid)} moves the {obj.name} to the {room.name}", start)
        if self.rng.random() < 0.5 and pid not in self.silent:
            self._say(pid, lines.report(obj.id, obj.name, put_furniture.name, put_furniture.preposition, room.id,
                                        room.name, book=self.book), self.paths[pid].now + 0.3)
        return True

    def _fetch(self, pid: str, t: float, request: _Request) -> bool:
        """Bring what someone asked for to the room they named."""
        if not self._available(request.object, t):
            return False
        target = self._target_slot(t, exclude=self.object_at[request.object][0], room=request.room)
        if target is None:
            return False
        start = self.paths[pid].now
        furniture = self._carry(pid, request.object, target)
        obj = self.world.get(request.object)
        self._record_activity(pid, "fetch", f"{self._name(pid)} brings the {obj.name} to the "
                                            f"{self.world.get(request.room).name}", start)
        end = self._say(pid, lines.handover(request.requester, self._name(request.requester), obj.id, obj.name,
                                            furniture.name, book=self.book), self.paths[pid].now + 0.3,
                        addressee=request.requester)
        self._answer_called(request.requester, pid, lines.thanks(pid, self._name(pid), book=self.book), end)
        return True

    def _carry(self, pid: str, object_id: str, target: tuple[str, int]) -> Furniture:
        """Walk to the object, take it, walk to the target slot and put it there."""
        source_id, source_slot = self.object_at[object_id]
        source = self.world.get(source_id)
        self._walk_to(pid, source.approach, source.room)
        pick_time = self._handle(pid, source, "pick", object_id, source_slot)
        self.slot_owner.pop((source_id, source_slot), None)
        self.slot_free_at[(source_id, source_slot)] = pick_time
        furniture = self.world.get(target[0])
        self.object_at[object_id] = target
        self.slot_owner[target] = object_id
        self._walk_to(pid, furniture.approach, furniture.room)
        put_time = self._handle(pid, furniture, "put", object_id, target[1])
        self.object_busy[object_id] = put_time
        return furniture

    def _handle(self, pid: str, furniture: Furniture, kind: str, object_id: str, slot: int) -> float:
        """Pick or put at a piece of furniture, opening and closing it when it is a container."""
        path = self.paths[pid]
        if furniture.container:
            self._act(path.now + 0.3, "open", pid, furniture.id, furniture)
            when = self._act(path.now + 1.2, kind, pid, object_id, furniture, slot)
            close = self._act(path.now + 2.0, "close", pid, furniture.id, furniture)
            self.container_busy[furniture.id] = max(self.container_busy[furniture.id], close)
            path.wait(2.4)
        else:
            when = self._act(path.now + 0.5, kind, pid, object_id, furniture, slot)
            path.wait(1.0)
        return when

    def _talk(self, pid: str, t: float) -> bool:
        if pid in self.silent:
            return False
        room = self.room_now[pid]
        others = [q for q in self.paths if q != pid and self._room_of(q, t) == room]
        addressee = others[int(self.rng.integers(len(others)))] if others else None
        kinds = ["plan", "reminder", "opinion", "question", "appointment"] + (["request", "request"] if addressee else [])
        kind = kinds[int(self.rng.integers(len(kinds)))]
        start = self.paths[pid].now
        said = getattr(self, f"_say_{kind}")(pid, t, addressee)
        if not said:
            return False
        self._record_activity(pid, "talk", f"{self._name(pid)} talks" + (
            f" to {self._name(addressee)}" if addressee else ""), start)
        return True

    def _say_plan(self, pid: str, t: float, addressee: str | None) -> bool:
        rooms = [r for r in self.world.rooms if r.id != self.room_now[pid]]
        if not rooms:
            return False
        room = rooms[int(self.rng.integers(len(rooms)))]
        self._say(pid, lines.plan(self.rng, room.id, room.name, book=self.book), t + 0.2, addressee=addressee)
        self._walk_to(pid, self._free_point(room.id), room.id)
        self.paths[pid].wait(float(self.rng.uniform(4, 15)))
        return True

    def _say_reminder(self, pid: str, t: float, addressee: str | None) -> bool:
        self._say(pid, lines.reminder(self.rng, self._future_clock(t), book=self.book), t + 0.2, addressee=addressee)
        return True

    def _say_appointment(self, pid: str, t: float, addressee: str | None) -> bool:
        room = self.world.rooms[int(self.rng.integers(len(self.world.rooms)))]
        who = (addressee, self._name(addressee)) if addressee else None
        end = self._say(pid, lines.appointment(who, room.id, room.name, self._future_clock(t), book=self.book), t + 0.2,
                        addressee=addressee)
        if self._reply(addressee, pid, lines.agree(self.rng, yes=False), end) is None:
            self._answer_called(addressee, pid, lines.agree(self.social, yes=False), end)
        return True

    def _say_opinion(self, pid: str, t: float, addressee: str | None) -> bool:
        obj = self.things[int(self.rng.integers(len(self.things)))] if self.things else None
        if obj is None:
            return False
        self._say(pid, lines.opinion(self.rng, obj.id, obj.name), t + 0.2, addressee=addressee)
        return True

    def _say_question(self, pid: str, t: float, addressee: str | None) -> bool:
        if not self.things:
            return False
        obj = self.things[int(self.rng.integers(len(self.things)))]
        end = self._say(pid, lines.question(obj.id, obj.name, book=self.book), t + 0.2, addressee=addressee)
        if addressee is None:
            return True
        placed = self.object_at.get(obj.id)
        if placed is not None and self.object_busy[obj.id] <= t:
            room = self.world.get(self.world.get(placed[0]).room)
            answer = lines.answer_location(obj.id, obj.name, room.id, room.name)
        else:
            answer = lines.answer_unknown()
        self._reply(addressee, pid, answer, end)
        return True

    def _say_request(self, pid: str, t: float, addressee: str | None) -> bool:
        room = self.world.get(self.room_now[pid])
        candidates = [o for o in self.things
                      if self._available(o.id, t) and self.world.get(self.object_at[o.id][0]).room != room.id]
        if addressee is None or not candidates:
            return False
        obj = candidates[int(self.rng.integers(len(candidates)))]
        end = self._say(pid, lines.request(addressee, self._name(addressee), obj.id, obj.name, room.id, room.name,
                                      book=self.book),
                        t + 0.2, addressee=addressee)
        if self._reply(addressee, pid, lines.agree(self.rng, yes=True), end) is not None:
            self.pending[addressee].append(_Request(pid, obj.id, room.id))
        else:
            self._answer_called(addressee, pid, lines.decline(book=self.book), end)
        return True

    def _open_close(self, pid: str, t: float) -> bool:
        free = [f for f in self.world.furniture if f.container and self.container_busy[f.id] <= t]
        if not free:
            return False
        furniture = free[int(self.rng.integers(len(free)))]
        start = self.paths[pid].now
        self._walk_to(pid, furniture.approach, furniture.room)
        path = self.paths[pid]
        self._act(path.now + 0.3, "open", pid, furniture.id, furniture)
        path.wait(float(self.rng.uniform(2.0, 6.0)))
        close = self._act(path.now + 0.2, "close", pid, furniture.id, furniture)
        path.wait(0.6)
        self.container_busy[furniture.id] = close
        self._record_activity(pid, "open_close", f"{self._name(pid)} opens and closes the {furniture.name}", start)
        return True

    def _wander(self, pid: str, t: float) -> None:
        rooms = self.world.rooms
        room = (self.world.get(self.room_now[pid]) if self.rng.random() < 0.3
                else rooms[int(self.rng.integers(len(rooms)))])
        start = self.paths[pid].now
        self._walk_to(pid, self._free_point(room.id), room.id)
        self.paths[pid].wait(float(self.rng.uniform(4.0, 20.0)))
        self._record_activity(pid, "wander", f"{self._name(pid)} walks to the {room.name}", start)

    # -- steps

    def _walk_to(self, pid: str, goal: Point, room: str) -> float:
        path = self.paths[pid]
        path.walk(route(self.world, path.here, self.room_now[pid], goal, room), self.world.get(pid).speed)
        entered, self.room_now[pid] = room != self.room_now[pid], room
        if entered:
            self._meet(pid, room)
        return path.now

    def _act(self, time: float, kind: str, pid: str, target: str, furniture: Furniture, slot: int = -1) -> float:
        time = round(time, 6)
        self.actions.append(Action(f"action:{len(self.actions)}", time, kind, pid, target, furniture.id,
                                   furniture.room, slot))
        return time

    def _say(self, pid: str, line: lines.Line, at: float, addressee: str | None = None) -> float:
        """The acting person says a line at ``at`` or as soon as the speech channel is free, standing while
        they speak; returns when the line ends."""
        start, end = self._speak(pid, line, at, addressee)
        self.paths[pid].wait_until(end)
        return end

    def _reply(self, pid: str | None, to: str, line: lines.Line, after: float) -> float | None:
        """Another person (busy with their own plan) answers, with some chance."""
        if pid is None or pid in self.silent or self.rng.random() >= self.config.reply_probability:
            return None
        return self._speak(pid, line, after + 0.3, to)[1]

    def _answer_called(self, pid: str | None, to: str, line: lines.Line, after: float) -> float | None:
        """One called by name answers when they can hear the caller (same room) and are not silent."""
        if pid is None or pid in self.silent or self._room_of(pid, after) != self._room_of(to, after):
            return None
        return self._speak(pid, line, after + 0.3, to)[1]

    def _meet(self, pid: str, room: str) -> None:
        """Arriving in a room: sometimes one of the two greets the other by name (or, meeting for the first
        time, says who they are), and the other, when not silent, answers by name."""
        now = self.paths[pid].now
        others = [q for q in self.paths if q != pid and self._room_of(q, now) == room]
        if not others or self.social.random() >= self.config.greet_probability:
            return
        other = others[int(self.social.integers(len(others)))]
        greeter, greeted = (pid, other) if self.social.random() < 0.5 else (other, pid)
        if greeter in self.silent:
            greeter, greeted = greeted, greeter
            if greeter in self.silent:
                return
        pair = frozenset((greeter, greeted))
        if pair not in self.met and self.social.random() < self.config.introduce_probability:
            line = lines.introduction(greeter, self._name(greeter), book=self.book)
        else:
            line = lines.greeting(greeted, self._name(greeted), book=self.book)
        self.met.add(pair)
        end = self._speak(greeter, line, now + 0.3, greeted)[1]  # said while settling in: nobody's path waits
        self._answer_called(greeted, greeter, lines.greeting_back(greeter, self._name(greeter), book=self.book), end)

    def _speak(self, pid: str, line: lines.Line, at: float, addressee: str | None) -> tuple[float, float]:
        duration = round(len(line.text.split()) / self.config.words_per_second + 0.4, 3)
        start = self._reserve_speech(at, duration)
        end = round(start + duration, 6)
        self.utterances.append(Utterance(
            f"utterance:{len(self.utterances)}", start, end, pid, line.text, line.kind, line.keywords,
            line.objects, line.rooms, line.people, addressee, line.clock))
        return start, end

    def _reserve_speech(self, at: float, duration: float) -> float:
        start = round(at, 6)
        for s, e in self.speech:
            if e + SPEECH_GAP <= start:
                continue
            if start + duration + SPEECH_GAP <= s:
                break
            start = round(e + SPEECH_GAP, 6)
        insort(self.speech, (start, start + duration))
        return start

    def _record_activity(self, pid: str, kind: str, label: str, start: float) -> None:
        self.activities.append(Activity(f"activity:{len(self.activities)}", pid, kind, label, round(start, 6),
                                        round(self.paths[pid].now, 6)))

    # -- look-ups

    def _available(self, object_id: str, t: float) -> bool:
        placed = self.object_at.get(object_id)
        if placed is None or self.object_busy[object_id] > t:
            return False
        furniture = self.world.get(placed[0])
        return not furniture.container or self.container_busy[furniture.id] <= t

    def _target_slot(self, t: float, exclude: str, room: str | None) -> tuple[str, int] | None:
        options = []
        for f in self.world.furniture:
            if not f.holds_objects or f.id == exclude or (room is not None and f.room != room):
                continue
            if f.container and self.container_busy[f.id] > t:
                continue
            for s in range(len(f.slots)):
                if (f.id, s) not in self.slot_owner and self.slot_free_at.get((f.id, s), 0.0) <= t:
                    options.append((f.id, s, 0.25 if f.container else 1.0))
        if not options:
            return None
        weights = np.array([w for _, _, w in options])
        f, s, _ = options[int(self.rng.choice(len(options), p=weights / weights.sum()))]
        return (f, s)

    def _room_of(self, pid: str, t: float) -> str:
        path = self.paths[pid]
        x, y = float(np.interp(t, path.times, path.xs)), float(np.interp(t, path.times, path.ys))
        room = self.world.room_at(x, y)
        return room.id if room else ""

    def _free_point(self, room_id: str) -> Point:
        room = self.world.get(room_id)
        x0, y0, x1, y1 = room.bounds
        for _ in range(100):
            p = (round(float(self.rng.uniform(x0 + 0.5, x1 - 0.5)), 3), round(float(self.rng.uniform(y0 + 0.5, y1 - 0.5)), 3))
            if math.dist(p, room.centre) < CLEAR_RADIUS:
                continue
            if segment_clear(self.world, p, room.centre, margin=0.3):
                return p
        return room.centre

    def _future_clock(self, t: float) -> str:
        ahead = float(self.rng.uniform(15 * 60, 3 * 3600))
        at = self.config.start_clock + t + ahead
        return lines.clock_text(round(at / 300) * 300)

    def _name(self, pid: str) -> str:
        return self.world.get(pid).name


# ------------------------------------------------------------------------------------- post-pass

def _object_spans(world: World, actions: tuple[Action, ...], person_rooms, end: float) -> tuple[ObjectSpan, ...]:
    spans: list[ObjectSpan] = []
    by_object: dict[str, list[Action]] = {}
    for a in actions:
        if a.kind in ("pick", "put"):
            by_object.setdefault(a.target, []).append(a)
    for placement in world.initial:
        furniture, slot, holder, since = placement.furniture, placement.slot, "", 0.0
        for a in sorted(by_object.get(placement.object, []), key=lambda a: a.time):
            spans += _spans_of(world, placement.object, since, a.time, furniture, slot, holder, person_rooms)
            since = a.time
            furniture, slot, holder = (a.furniture, a.slot, "") if a.kind == "put" else ("", -1, a.actor)
        spans += _spans_of(world, placement.object, since, end, furniture, slot, holder, person_rooms)
    return tuple(spans)


def _spans_of(world, object_id, start, end, furniture, slot, holder, person_rooms) -> list[ObjectSpan]:
    if end <= start:
        return []
    if not holder:
        return [ObjectSpan(object_id, start, end, world.get(furniture).room, furniture, slot)]
    result = []
    for s, e, room in person_rooms[holder]:
        lo, hi = max(s, start), min(e, end)
        if hi > lo:
            result.append(ObjectSpan(object_id, lo, hi, room, holder=holder))
    return result


def _open_spans(actions: tuple[Action, ...], end: float) -> tuple[OpenSpan, ...]:
    opened: dict[str, Action] = {}
    spans = []
    for a in sorted(actions, key=lambda a: (a.time, a.id)):
        if a.kind == "open":
            opened[a.furniture] = a
        elif a.kind == "close" and a.furniture in opened:
            o = opened.pop(a.furniture)
            spans.append(OpenSpan(a.furniture, o.time, a.time, o.actor))
    spans += [OpenSpan(f, o.time, end, o.actor) for f, o in opened.items()]
    return tuple(sorted(spans, key=lambda s: (s.start, s.furniture)))


def _hearing(world, config, u: Utterance, people, agent, person_rooms, agent_rooms) -> Utterance:
    room = _room_in(person_rooms[u.speaker], u.start)
    agent_room = _room_in(agent_rooms, u.start)
    distance = math.dist(people[u.speaker].position(u.start), agent.position(u.start))
    near = room == agent_room or (len(room_chain(world, room, agent_room)) == 1 and distance <= config.hearing_distance)
    return replace(u, room=room, heard=bool(near), distance=round(distance, 3))


def _cues(world: World, planner: "_Planner", people: dict[str, Trajectory]) -> list[Cue]:
    cues = [Cue(a.time, a.room, a.actor) for a in planner.actions if a.kind != "close"]
    for u in planner.utterances:
        room = world.room_at(*people[u.speaker].position(u.start))
        if room is not None:
            cues.append(Cue(u.start, room.id, u.speaker))
    return sorted(cues, key=lambda c: (c.time, c.actor))


def _renumber(records: list, kind: str) -> tuple:
    """Ids in time order: ``<kind>:0`` is the earliest."""
    return tuple(replace(r, id=f"{kind}:{k}") for k, r in enumerate(records))


def _room_in(spans: list[tuple[float, float, str]], t: float) -> str:
    for start, end, room in spans:
        if start <= t < end:
            return room
    return spans[-1][2] if t >= spans[-1][1] else spans[0][2]


def _cumulative(path: Trajectory) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(path.xs), np.diff(path.ys)))])


def _check(name: str, value, ok: bool, expected: str) -> None:
    if not ok:
        raise ValueError(f"ScenarioConfig.{name}={value!r}: expected {expected}")
