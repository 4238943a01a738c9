"""Embodied tasks for the simulated robot, drawn per seed, with their success rules and oracles.

The robot first lives through a recorded episode (its memory is built by ingest); then, ``gap_s``
later, some things were moved and some containers opened or closed while it was not looking
(``scene_after``), and it gets tasks (``make_tasks``):

- ``find``: "find X" succeeds when X is in view within 1.5 m when the robot stops;
- ``last_seen``: "go to where you last saw P" succeeds when the robot stops within 1.5 m of where
  P was when the camera last had it in view (for a second or more) in the recorded episode;
- ``bring``: "bring X to room R" succeeds when X (held or put down) is in R when the robot stops;
- ``is_open``: "is the C open?" succeeds when the answer is right and C was in view during the task.

Oracles: ``optimal_length`` is the shortest route over the navigation graph to the goal (the route
``sim.navigation.route`` takes, as the robot's own moves do), for SPL. Instructions are drawn from
several phrasings each (``PHRASINGS``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.navigation import route
from sim.scenario import PersonPose, Scenario
from sim.truth import Truth
from sim.world import World

TASK_KINDS = ("find", "last_seen", "bring", "is_open")
SUCCESS_RADIUS = 1.5  # metres
MOVED_SHARE = 0.3  # share of objects moved unseen between the episode and the tasks
TOGGLED_SHARE = 0.3  # share of containers opened or closed unseen

PHRASINGS = {
    "find": ("Find the {thing}.", "Where is the {thing}? Go and look at it.", "Look for the {thing}."),
    "last_seen": ("Go to where you last saw {thing}.", "Take me to the spot where {thing} was last seen."),
    "bring": ("Bring the {thing} to the {room}.", "Take the {thing} into the {room}, please."),
    "is_open": ("Is the {thing} open?", "Check whether the {thing} is open."),
}


@dataclass(frozen=True)
class Task:
    index: int  # position in the seed's task list
    kind: str  # one of TASK_KINDS
    instruction: str
    target: str  # the entity id the task is about (scoring only)
    room: str = ""  # bring: the room id to bring it to
    goal: tuple[float, float] | None = None  # last_seen: where the target was last in view
    moved: bool = False  # the target was moved unseen after the episode

    def to_dict(self) -> dict:
        return {"index": self.index, "kind": self.kind, "instruction": self.instruction, "target": self.target,
                "room": self.room, "moved": self.moved}


def scene_after(world: World, scenario: Scenario, seed: int):
    """(object places {id: (furniture, slot)}, open containers, people, robot pose) after the unseen changes."""
    rng = np.random.default_rng([int(seed), 41])
    end = scenario.duration
    places: dict[str, tuple[str, int]] = {}
    held = []
    for obj in world.objects:
        span = scenario.object_span(obj.id, end)
        if span.holder or not span.furniture:
            held.append(obj.id)
        else:
            places[obj.id] = (span.furniture, span.slot)
    movers = held + [o for o in sorted(places) if rng.random() < MOVED_SHARE]
    for oid in movers:
        places.pop(oid, None)
        free = _free_slots(world, places)
        places[oid] = free[int(rng.integers(len(free)))]
    state = scenario.state_at(end)
    opened = set(state.open)
    for f in world.furniture:
        if f.container and rng.random() < TOGGLED_SHARE:
            opened ^= {f.id}
    people = tuple(PersonPose(p.id, p.x, p.y, p.stride, False, None) for p in state.people)
    return places, frozenset(opened), people, state.agent


def moved_objects(world: World, scenario: Scenario, seed: int) -> set[str]:
    """The objects that stand elsewhere than the episode left them (scoring and reports)."""
    places = scene_after(world, scenario, seed)[0]
    out = set()
    for oid, place in places.items():
        span = scenario.object_span(oid, scenario.duration)
        if (span.furniture, span.slot) != place:
            out.add(oid)
    return out


def _free_slots(world: World, places: dict[str, tuple[str, int]]) -> list[tuple[str, int]]:
    used = set(places.values())
    return [(f.id, i) for f in world.furniture if f.holds_objects for i in range(len(f.slots)) if (f.id, i) not in used]


SEEN_FOR_S = 1.0  # a thing counts as seen when in view in frames at least this far apart (not a glimpse)


def last_in_view(truth: Truth, entity: str | None = None, kind: str = "") -> tuple[str, float, tuple[float, float]] | None:
    """(entity, time, position) of the last frame of the episode showing ``entity`` (or any entity of
    ``kind``) that ends a view of at least SEEN_FOR_S (every frame between showing it)."""
    first: dict[str, float] = {}
    found = None
    for obs in truth.observations:
        here = {s.entity: s for s in obs.entities if s.entity == entity or (kind and s.entity.startswith(kind + ":"))}
        first = {e: first.get(e, obs.time) for e in here}
        for e, seen in here.items():
            if obs.time - first[e] >= SEEN_FOR_S - 1e-9:
                found = (e, obs.time, seen.position)
    return found


def make_tasks(world: World, scenario: Scenario, truth: Truth, seed: int) -> list[Task]:
    """The seed's tasks: three finds, two go-to-last-seen, one bring and one open-state question."""
    rng = np.random.default_rng([int(seed), 43])
    seen = {s.entity for obs in truth.observations for s in obs.entities}
    moved = moved_objects(world, scenario, seed)
    objects = [o for o in world.objects if o.id in seen]
    unique = _unique_names(world)
    objects = [o for o in objects if o.name in unique]
    tasks: list[Task] = []

    def add(kind: str, target: str, thing: str, **extra) -> None:
        phrasing = PHRASINGS[kind][int(rng.integers(len(PHRASINGS[kind])))]
        text = phrasing.format(thing=thing, room=extra.pop("room_name", ""))
        tasks.append(Task(len(tasks), kind, text, target, moved=target in moved, **extra))

    order = [objects[i] for i in rng.permutation(len(objects))]
    for obj in order[:3]:
        add("find", obj.id, obj.name)
    person = last_in_view(truth, kind="person")
    if person is not None:
        add("last_seen", person[0], "a person", goal=person[2])
    for obj in [o for o in order[3:] if last_in_view(truth, o.id) is not None][:1]:
        add("last_seen", obj.id, f"the {obj.name}", goal=last_in_view(truth, obj.id)[2])
    for obj in [o for o in order[3:] if o.id not in {t.target for t in tasks}][:1]:
        here = scenario.object_span(obj.id, scenario.duration).room
        rooms = [r for r in world.rooms if r.id != here]
        room = rooms[int(rng.integers(len(rooms)))]
        add("bring", obj.id, obj.name, room=room.id, room_name=room.name)
    categories = [f.category for f in world.furniture]
    containers = [f for f in world.furniture if f.container and f.id in seen and categories.count(f.category) == 1]
    if containers:
        c = containers[int(rng.integers(len(containers)))]
        add("is_open", c.id, c.category)
    return tasks


def _unique_names(world: World) -> set[str]:
    names = [o.name for o in world.objects]
    return {n for n in names if names.count(n) == 1}


# ------------------------------------------------------------------------------------ scoring

def succeeded(task: Task, robot) -> bool:
    """Whether the robot (sim.robot.RobotSim, stopped) achieved the task."""
    if task.kind == "find":
        return robot.truth_in_view(task.target, SUCCESS_RADIUS)
    if task.kind == "last_seen":
        x, y, _ = robot.pose
        return math.hypot(x - task.goal[0], y - task.goal[1]) <= SUCCESS_RADIUS
    if task.kind == "bring":
        room = robot.world.room_at(*robot.truth_position(task.target))
        return room is not None and room.id == task.room
    expected = "yes" if robot.truth_open(task.target) else "no"
    return robot.answer.strip().lower() == expected and task.target in robot.seen


def optimal_length(task: Task, robot) -> float:
    """Metres of the shortest route over the navigation graph from the robot's pose at reset to the goal."""
    world = robot.world
    start = robot.pose[:2]
    if task.kind == "last_seen":
        goal, room = robot._reachable(*task.goal)
        return _route_length(world, start, goal, room)
    where = robot.truth_position(task.target)
    if task.kind in ("find", "is_open"):
        goal, room = robot._reachable(*where)
        return _route_length(world, start, goal, room)
    goal, room = robot._reachable(*where)
    first = _route_length(world, start, goal, room)
    points = [goal] + route(world, goal, room, world.get(task.room).centre, task.room)
    length = 0.0
    for a, b in zip(points, points[1:]):
        if world.get(task.room).contains(*a, margin=0.05):
            break
        length += math.dist(a, b)
    return first + length


def _route_length(world: World, start, goal, goal_room: str) -> float:
    here = world.room_at(*start)
    points = [tuple(start)] + route(world, tuple(start), here.id, tuple(goal), goal_room)
    return float(sum(math.dist(a, b) for a, b in zip(points, points[1:])))
