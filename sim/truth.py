"""Ground truth of an episode, and its exact JSON form (``truth.json``).

Everything an evaluation needs, written from the world's truth: the home (rooms, doors, furniture,
objects, people), what happened (events, activities, utterances), where things were (object
locations, rooms of the agent and of each person, paths), what the camera saw (per sampled frame:
entities with boxes; and visibility tracks) and the scene changes (event boundaries).
``Truth.from_json(truth.to_json()) == truth`` holds exactly: floats are written with ``repr``.
"""

from __future__ import annotations

import json
import logging
import math
import types
import typing
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

import numpy as np

from sim.catalogue import LOOKALIKES
from sim.scenario import Activity, ObjectSpan, OpenSpan, Scenario, ScenarioConfig, Utterance
from sim.world import Agent, Door, Furniture, Object, Person, Room, WorldConfig

logger = logging.getLogger(__name__)

SCHEMA = "mnemo.sim.truth/1"
SEEN_WINDOW = 1.0  # an action counts as observed when its actor is in view within this many seconds of it


@dataclass(frozen=True)
class Seen:
    """An entity in one sampled camera frame."""

    entity: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 pixels, x1 and y1 exclusive
    pixels: int  # how many pixels of the frame show it
    position: tuple[float, float]  # where it is in the home, metres
    distance: float  # from the camera, metres on the floor plane


@dataclass(frozen=True)
class Observation:
    """What the camera saw at one sampled frame."""

    time: float
    entities: tuple[Seen, ...]


@dataclass(frozen=True)
class Track:
    """An entity continuously in view (gaps of one sample bridged)."""

    entity: str
    start: float  # first sample it is seen in
    end: float  # last sample it is seen in
    samples: int
    room: str  # where the entity was when the track began


@dataclass(frozen=True)
class Event:
    """Something that happened at an instant (or over a span, for speech)."""

    id: str  # "event:<k>", in time order
    time: float
    end: float
    kind: str  # pick, put, open, close, enter, leave, agent_enter, say
    actor: str  # person id, or "agent"
    target: str  # object (pick, put), furniture (open, close), room (enter, leave, agent_enter), utterance (say)
    room: str
    furniture: str = ""
    observed: bool = False  # the actor was in view within SEEN_WINDOW (actions, moves) or the line was heard


@dataclass(frozen=True)
class Boundary:
    """A scene change as the camera experiences it."""

    time: float
    kind: str  # "room" (the agent enters a room), "person_enters" (someone enters the agent's room), "activity"
    room: str
    actor: str
    label: str


@dataclass(frozen=True)
class RoomSpan:
    entity: str  # "agent" or a person id
    start: float
    end: float
    room: str


@dataclass(frozen=True)
class Keyframes:
    """Keyframes of a straight-line path (positions hold before the first and after the last)."""

    entity: str
    times: tuple[float, ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    yaws: tuple[float, ...] | None = None  # radians, unwrapped; the agent only


@dataclass(frozen=True)
class Truth:
    schema: str
    seed: int
    duration: float  # seconds of media time
    start_clock: float  # the home's clock at media time 0, seconds after midnight
    wall_clock: float  # UNIX time given to media time 0 (bag time stamps)
    width: int  # frame size the observations were made at
    height: int
    fps: float  # video frame rate
    observation_rate: float  # sampled frames per second in ``observations``
    speech: str  # "espeak" or "tones"
    world_config: WorldConfig
    scenario_config: ScenarioConfig
    rooms: tuple[Room, ...]
    doors: tuple[Door, ...]
    furniture: tuple[Furniture, ...]
    objects: tuple[Object, ...]
    people: tuple[Person, ...]
    agent: Agent
    lookalikes: tuple[tuple[str, ...], ...]  # detector look-alike label groups
    events: tuple[Event, ...]
    activities: tuple[Activity, ...]
    utterances: tuple[Utterance, ...]
    object_locations: tuple[ObjectSpan, ...]
    open_spans: tuple[OpenSpan, ...]
    agent_rooms: tuple[RoomSpan, ...]
    person_rooms: tuple[RoomSpan, ...]
    boundaries: tuple[Boundary, ...]
    tracks: tuple[Track, ...]
    observations: tuple[Observation, ...]
    paths: tuple[Keyframes, ...]

    def to_json(self) -> dict:
        return _to_jsonable(self)

    @classmethod
    def from_json(cls, data: dict) -> "Truth":
        if data.get("schema") != SCHEMA:
            raise ValueError(f"truth schema {data.get('schema')!r}: expected {SCHEMA!r}")
        return _from_jsonable(cls, data)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":"), allow_nan=False))
        return path

    def name(self, entity: str) -> str:
        """The name of a room, furniture, object or person id (the id itself when unknown)."""
        for group in (self.rooms, self.furniture, self.objects, self.people):
            for e in group:
                if e.id == entity:
                    return e.name
        return entity


def load_truth(path: str | Path) -> Truth:
    """Read a ``truth.json`` written by ``Truth.save``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable truth.json ({err})") from err
    return Truth.from_json(data)


# ------------------------------------------------------------------------------------------- build

def build_truth(scenario: Scenario, observations: list[Observation], *, width: int, height: int, fps: float,
                observation_rate: float, speech: str, wall_clock: float) -> Truth:
    """Assemble the truth of a scenario and the observations made while rendering it."""
    world, config = scenario.world, scenario.config
    seen_times = _seen_times(observations)
    agent_rooms = tuple(RoomSpan("agent", s, e, r) for s, e, r in scenario.agent_rooms)
    person_rooms = tuple(RoomSpan(pid, s, e, r) for pid, spans in scenario.person_rooms.items() for s, e, r in spans)
    events = _events(scenario, seen_times)
    paths = tuple([Keyframes(pid, _floats(p.times), _floats(p.xs), _floats(p.ys)) for pid, p in scenario.people.items()]
                  + [Keyframes("agent", _floats(scenario.agent.times), _floats(scenario.agent.xs),
                          _floats(scenario.agent.ys), _floats(scenario.agent.yaws))])
    return Truth(
        SCHEMA, scenario.seed, float(config.duration), float(config.start_clock), float(wall_clock), int(width),
        int(height), float(fps), float(observation_rate), speech, world.config, config, world.rooms, world.doors,
        world.furniture, world.objects, world.people, world.agent, LOOKALIKES, events, scenario.activities,
        scenario.utterances, scenario.object_spans, scenario.open_spans, agent_rooms, person_rooms,
        _boundaries(scenario), _tracks(scenario, observations, observation_rate), tuple(observations), paths)


def _floats(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _seen_times(observations: list[Observation]) -> dict[str, np.ndarray]:
    times: dict[str, list[float]] = {}
    for obs in observations:
        for seen in obs.entities:
            times.setdefault(seen.entity, []).append(obs.time)
    return {k: np.asarray(v) for k, v in times.items()}


def _in_view(seen_times: dict[str, np.ndarray], entity: str, t: float, window: float) -> bool:
    times = seen_times.get(entity)
    if times is None:
        return False
    i = int(np.searchsorted(times, t - window))
    return bool(i < len(times) and times[i] <= t + window)


def _events(scenario: Scenario, seen_times) -> tuple[Event, ...]:
    rows: list[tuple] = []
    for a in scenario.actions:
        rows.append((a.time, a.time, a.kind, a.actor, a.target, a.room, a.furniture,
                     _in_view(seen_times, a.actor, a.time, SEEN_WINDOW)))
    for pid, spans in scenario.person_rooms.items():
        for (s0, e0, r0), (s1, _, r1) in zip(spans, spans[1:]):
            observed = _in_view(seen_times, pid, s1, SEEN_WINDOW + 0.5)
            rows.append((s1, s1, "leave", pid, r0, r0, "", observed))
            rows.append((s1, s1, "enter", pid, r1, r1, "", observed))
    for (_, _, r0), (s1, _, r1) in zip(scenario.agent_rooms, scenario.agent_rooms[1:]):
        rows.append((s1, s1, "agent_enter", "agent", r1, r1, "", True))
    for u in scenario.utterances:
        rows.append((u.start, u.end, "say", u.speaker, u.id, u.room, "", u.heard))
    order = {"leave": 0, "enter": 1}
    rows.sort(key=lambda r: (r[0], order.get(r[2], 2), r[2], r[3], r[4]))
    return tuple(Event(f"event:{k}", *row) for k, row in enumerate(rows))


def _boundaries(scenario: Scenario) -> tuple[Boundary, ...]:
    world = scenario.world
    result = [Boundary(0.0, "room", scenario.agent_rooms[0][2], "agent",
                       f"the agent is in the {world.get(scenario.agent_rooms[0][2]).name}")]
    for s, _, room in scenario.agent_rooms[1:]:
        result.append(Boundary(s, "room", room, "agent", f"the agent enters the {world.get(room).name}"))
    for pid, spans in scenario.person_rooms.items():
        for s, _, room in spans[1:]:
            if scenario.agent_room(s) == room:
                result.append(Boundary(s, "person_enters", room, pid,
                                       f"{world.get(pid).name} enters the {world.get(room).name}"))
    for a in scenario.activities:
        room = scenario.person_room(a.person, a.start)
        if scenario.agent_room(a.start) == room:
            result.append(Boundary(a.start, "activity", room, a.person, a.label))
    return tuple(sorted(result, key=lambda b: (b.time, b.kind, b.actor)))


def _tracks(scenario: Scenario, observations: list[Observation], rate: float) -> tuple[Track, ...]:
    gap = 2.5 / rate  # one missing sample is bridged
    open_tracks: dict[str, list] = {}
    done: list[Track] = []
    for obs in observations:
        for seen in obs.entities:
            track = open_tracks.get(seen.entity)
            if track is not None and obs.time - track[1] <= gap + 1e-9:
                track[1] = obs.time
                track[2] += 1
            else:
                if track is not None:
                    done.append(Track(seen.entity, track[0], track[1], track[2], track[3]))
                open_tracks[seen.entity] = [obs.time, obs.time, 1, _room_of(scenario, seen.entity, obs.time)]
    done += [Track(e, t[0], t[1], t[2], t[3]) for e, t in open_tracks.items()]
    return tuple(sorted(done, key=lambda t: (t.start, t.entity)))


def _room_of(scenario: Scenario, entity: str, t: float) -> str:
    kind = entity.split(":")[0]
    if kind == "person":
        return scenario.person_room(entity, t)
    if kind == "object":
        return scenario.object_span(entity, t).room
    if kind == "furniture":
        return scenario.world.get(entity).room
    return ""


# --------------------------------------------------------------------------------- JSON round trip

def _to_jsonable(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_jsonable(getattr(value, f.name)) for f in fields(value) if f.init and not f.name.startswith("_")}
    if isinstance(value, (tuple, list)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot write a non-finite number {value!r} to truth.json")
    return value


def _from_jsonable(tp, data):
    origin = typing.get_origin(tp)
    if tp is typing.Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        return _from_jsonable(next(a for a in args if a is not type(None)), data)
    if is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {f.name: _from_jsonable(hints[f.name], data[f.name]) for f in fields(tp)
                  if f.init and not f.name.startswith("_") and f.name in data}
        return tp(**kwargs)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_jsonable(args[0], v) for v in data)
        return tuple(_from_jsonable(a, v) for a, v in zip(args, data))
    if origin is dict:
        _, value_type = typing.get_args(tp)
        return {k: _from_jsonable(value_type, v) for k, v in data.items()}
    if tp is float:
        return float(data)
    if tp is int:
        return int(data)
    return data
