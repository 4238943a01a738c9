"""Embodied planning over memory: an instruction becomes goals, a path over the map and robot steps.

``make_plan`` reads memory once and returns an inspectable ``Plan`` (goal poses with their
evidence, the rooms to pass, the steps). ``Executor`` runs an instruction on a robot ``Body`` in a
closed loop: go to the most promising goal (memory's places by confidence per metre of travel, then
the map's unexplored rooms), look, let the body's sensors go through ingest (``Body.perceive``), read
what memory now holds, and go on or stop. It stops when the goal is seen and reached, when the
expected gain of the best remaining goal falls below its cost, at its step budget, or when ``stop()``
is called from another thread.

Recall or explore: with memory's places believed, it recalls; when memory is empty or stale (its
places checked and found empty), the frontier rooms hold the remaining belief and it explores.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field, replace
from typing import Protocol, Sequence

from memory.lookups import last_pose, pose_near, sighting_labels
from memory.perceived import Area, areas, sightings
from planners.goals import (MISS_KEEP, Candidate, colour_fits, frontier_candidates, last_view, matching_sightings,
                            memory_candidates, place_of)
from planners.instruction import Instruction, parse_instruction

logger = logging.getLogger(__name__)

STANDOFF_M = 1.0  # how far from a thing the robot stands to look at it (the estimate's error adds to it; success: 1.5 m)
SEEN_NEAR_M = 2.0  # a fresh sighting this close to a place confirms the thing there
STOP_M = 1.2  # the robot stops when its latest look saw the thing and its estimate is at most this far
#               (success: in view within 1.5 m; estimates of things seen err by a median 0.3 m)
APPROACH_M = 1.0  # how far from a thing seen in this task the robot stands to look at it again (nearer, a
#                   thing on a sofa seat leaves a camera 1.2 m high with a 64 degree vertical view)
APPROACH_TRIES = 5  # looks the approach may take before the run stops where it stands
NO_CLOSER_M = 0.15  # an approach that brought the robot less than this nearer to a thing it sees ends there
METRES_PER_STEP = 4.0  # metres of travel that cost as much as one robot step (the budget counts steps, SPL metres)
GOAL_STEPS = {"memory": 2, "search": 2, "retrieval": 5, "explore": 5}  # steps a goal takes: move and look(s)
MIN_GAIN = 0.002  # a goal worth less than this (belief per step of cost) is not worth going to: stop
SCAN_YAWS = 5  # headings of a look around a room (72 degrees apart: under the camera's 80 degree view)
WALL_M = 0.35  # a standing point keeps this far from its room's walls
LOOKED_M = 1.0  # a look at a point counts against memory's places this close to it
TURNS = (0.0, 0.7, -0.7)  # radians: a second and third look at a place stand this far around it (other angles)
SEARCH_STANDOFF_M = 1.1  # how far from a piece of furniture's middle the robot stands to search it
BEYOND_WALL_M = 1.0  # a thing in view placed beyond a wall of the camera's room, this near it, is taken as in the
#                     room (the camera sees its own room; placements err along the ray, near looks by up to ~1 m)
NEAR_VIEW_M = 2.5  # an unplaced sighting made from this near a thing is of it (ingest cannot place near looks:
#                    a support's floor contact nearer than about 1.9 m is below the frame of a camera 1.2 m high)


@dataclass(frozen=True)
class PlanStep:
    """One robot command of a plan."""

    action: str  # move_to, look, pick, place, open, stop
    x: float = 0.0
    y: float = 0.0
    yaw: float = 0.0
    thing: str = ""
    answer: str = ""
    why: str = ""

    def to_dict(self) -> dict:
        keep = {"move_to": ("x", "y"), "look": ("yaw",), "pick": ("thing",), "place": ("thing",),
                "open": ("thing",), "stop": ("answer",)}[self.action]
        out = {"action": self.action}
        for k in keep:
            v = getattr(self, k)
            out[k] = round(v, 3) if isinstance(v, float) else v
        out["why"] = self.why
        return out


@dataclass
class Plan:
    """What a planner intends, and why: inspectable as JSON (``to_dict``)."""

    instruction: Instruction
    mode: str  # "recall" (goals from memory), "explore" (frontier rooms), "none" (nothing to go to)
    goals: list[Candidate]  # best first
    path: list[str]  # map areas from the robot's room to the first goal's
    steps: list[PlanStep]
    start: tuple[float, float, float] | None  # the robot's pose planned from (the pose log's latest)
    at: float  # media time the plan was made for
    notes: list[str] = field(default_factory=list)

    @property
    def goal_poses(self) -> list[tuple[float, float]]:
        return [(g.x, g.y) for g in self.goals]

    def to_dict(self) -> dict:
        return {"instruction": self.instruction.to_dict(), "mode": self.mode, "at": self.at,
                "start": None if self.start is None else [round(v, 3) for v in self.start],
                "goals": [g.to_dict() for g in self.goals], "path": self.path,
                "steps": [s.to_dict() for s in self.steps], "notes": self.notes}


class Body(Protocol):
    """A robot the executor drives (the simulator's, a ROS robot's)."""

    def act(self, step: PlanStep) -> dict:
        """Run one step; returns at least {"result": "ok" or why not, "pose": (x, y, yaw), "time": t,
        "holding": label or ""}."""

    def perceive(self) -> None:
        """Send what the sensors gave since the last call through ingest into memory."""


# -------------------------------------------------------------------------------------- planning

def read(store, text: str) -> Instruction:
    """The instruction read with memory's labels and the map's rooms."""
    return parse_instruction(text, sighting_labels(store), [a.name for a in areas(store)])


def make_plan(store, text: str, at: float | None = None, pose: tuple[float, float, float] | None = None) -> Plan:
    """A plan for ``text`` from memory as it stands (at media time ``at``: default, its latest pose)."""
    instruction = read(store, text)
    latest = last_pose(store)
    if pose is None and latest is not None:
        pose = latest[2:5]
    now = at if at is not None else (latest[1] if latest is not None else _latest_sighting(store))
    goals = ranked_goals(store, instruction, now, pose, visited=set(), looked=[])
    known = areas(store)
    if not goals:
        return Plan(instruction, "none", [], [], [PlanStep("stop", why="nothing in memory or on the map to go to")],
                    pose, now, ["no map and no sighting of the thing"])
    first = goals[0]
    path = area_path(known, pose[:2], (first.x, first.y)) if pose is not None else [first.room]
    steps = _steps_for(instruction, first, pose, known)
    mode = "recall" if first.source == "memory" else "explore"
    notes = [] if instruction.label else ["no thing could be read from the instruction"]
    return Plan(instruction, mode, goals, path, steps, pose, now, notes)


def ranked_goals(store, instruction: Instruction, now: float, pose, visited: set[str],
                 looked: Sequence[tuple[float, float]], use_memory: bool = True,
                 searched: Sequence[tuple[float, float]] = (), since: float | None = None) -> list[Candidate]:
    """Memory's places, the furniture to search and the rooms to look around, by worth per cost (``worth``).
    A look at a place that missed the thing keeps MISS_KEEP of its belief per look (``looked``: the points
    looked at in this task); rooms looked around (``visited``) and furniture searched (``searched``) are
    done. A place seen since media time ``since`` (this task) that reads another colour than the one asked
    is another thing of the same kind: dropped."""
    if instruction.intent == "last_seen":  # the latest view of it ("the brown basket": not a pink one seen later)
        view = last_view(store, instruction.label, instruction.colour, now) if use_memory else None
        return [view] if view is not None else []
    found = memory_candidates(store, instruction.label, instruction.colour, now, follow_carrier=True) \
        if use_memory else []
    if since is not None and instruction.colour:
        found = [c for c in found if not (c.colour and c.colour != instruction.colour and (c.last_seen or 0) >= since)]
    for c in found:
        c.confidence *= MISS_KEEP ** looks_at(c, looked)
    explained = sum(c.confidence for c in found)
    goals = found + frontier_candidates(store, explained, visited, searched, spots=True)
    return sorted(goals, key=lambda c: -worth(c, pose))


def looks_at(goal: Candidate, looked: Sequence[tuple[float, float]]) -> int:
    """How many looks of this task went to a point within LOOKED_M of the goal."""
    return sum(1 for x, y in looked if math.hypot(goal.x - x, goal.y - y) <= LOOKED_M)


def worth(goal: Candidate, pose) -> float:
    """Expected gain per cost: the belief that the thing is there over the goal's cost in steps (its moves
    and looks, ``GOAL_STEPS``, plus its metres of travel at METRES_PER_STEP). Visiting goals by this index
    finds a thing soonest when looks do not miss (the classic rule for searching boxes)."""
    metres = 0.0 if pose is None else math.hypot(goal.x - pose[0], goal.y - pose[1])
    return goal.confidence / (GOAL_STEPS.get(goal.source, 2) + metres / METRES_PER_STEP)


def standoff(known: list[Area], pose, x: float, y: float, distance: float = STANDOFF_M,
             turn: float = 0.0, towards_robot: bool = False) -> tuple[float, float, float]:
    """Where to stand (x, y) and which way to look (yaw) to see the point (x, y) from ``distance`` away:
    towards the room's free middle (or towards the robot when the point is the middle, or with
    ``towards_robot``), turned by ``turn`` radians around the point (another angle for another look), kept
    in the room."""
    area = next((a for a in known if a.contains(x, y)), None)
    if towards_robot and pose is not None and math.hypot(pose[0] - x, pose[1] - y) > 0.2:
        cx, cy = pose[0], pose[1]
    else:
        cx, cy = ((area.x0 + area.x1) / 2, (area.y0 + area.y1) / 2) if area else (pose[0], pose[1]) if pose else (x, y)
    dx, dy = cx - x, cy - y
    if math.hypot(dx, dy) < 0.2 and pose is not None:
        dx, dy = pose[0] - x, pose[1] - y
    d = math.hypot(dx, dy)
    if d < 1e-6:
        return x, y, 0.0
    if turn:
        dx, dy = dx * math.cos(turn) - dy * math.sin(turn), dx * math.sin(turn) + dy * math.cos(turn)
    sx, sy = x + dx * distance / d, y + dy * distance / d
    if area is not None:
        sx = min(max(sx, area.x0 + WALL_M), area.x1 - WALL_M)
        sy = min(max(sy, area.y0 + WALL_M), area.y1 - WALL_M)
    return sx, sy, math.atan2(y - sy, x - sx)


def this_side(known: list[Area], pose, where: tuple[float, float]) -> tuple[float, float]:
    """Where a thing the camera has just seen from ``pose`` is, given its estimate ``where``: an estimate
    beyond a wall of the camera's room, within BEYOND_WALL_M of it, is put just inside the room (a camera sees
    its own room, and a placement's error along the ray puts a thing by the wall behind it); else unchanged.
    An approach to the estimate as placed would cross into the room behind the wall, away from the thing."""
    if pose is None:
        return where
    room = next((a for a in known if a.contains(pose[0], pose[1])), None)
    if room is None or room.contains(*where) or room.distance(*where) > BEYOND_WALL_M:
        return where
    inset = min(WALL_M, (room.x1 - room.x0) / 2, (room.y1 - room.y0) / 2) / 2
    return (min(max(where[0], room.x0 + inset), room.x1 - inset), min(max(where[1], room.y0 + inset), room.y1 - inset))


def area_path(known: list[Area], start: tuple[float, float], goal: tuple[float, float]) -> list[str]:
    """Map areas from the one holding ``start`` to the one holding ``goal`` over areas that share a wall
    (breadth first): the place graph's route, for the plan's reader and its cost."""
    def holding(p):
        inside = [a for a in known if a.contains(*p)]
        return inside[0] if inside else (min(known, key=lambda a: a.distance(*p)) if known else None)

    a, b = holding(start), holding(goal)
    if a is None or b is None:
        return []
    previous: dict[str, str | None] = {a.name: None}
    queue = [a]
    while queue:
        here = queue.pop(0)
        if here.name == b.name:
            break
        for other in known:
            if other.name not in previous and _touch(here, other):
                previous[other.name] = here.name
                queue.append(other)
    if b.name not in previous:
        return [a.name, b.name]
    path, name = [], b.name
    while name is not None:
        path.append(name)
        name = previous[name]
    return path[::-1]


def _touch(a: Area, b: Area) -> bool:
    overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
    overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
    return (abs(overlap_x) < 0.05 and overlap_y > 1.0) or (abs(overlap_y) < 0.05 and overlap_x > 1.0)


def _steps_for(instruction: Instruction, goal: Candidate, pose, known: list[Area]) -> list[PlanStep]:
    if instruction.intent == "last_seen":
        return [PlanStep("move_to", goal.x, goal.y, why="where it was last seen"), PlanStep("stop", why="arrived")]
    if goal.source == "search":
        sx, sy, yaw = standoff(known, pose, goal.x, goal.y, SEARCH_STANDOFF_M)
        return [PlanStep("move_to", sx, sy, why=f"search the {goal.evidence[0]['label']} in the {goal.room}"),
                PlanStep("look", yaw=yaw, why="look at it")]
    if goal.source == "explore":
        steps = [PlanStep("move_to", goal.x, goal.y, why=f"explore {goal.room}")]
        steps += [PlanStep("look", yaw=k * 2 * math.pi / SCAN_YAWS, why="look around") for k in range(SCAN_YAWS)]
        return steps
    sx, sy, yaw = standoff(known, pose, goal.x, goal.y)
    steps = [PlanStep("move_to", sx, sy, why=f"{STANDOFF_M:g} m from where it was seen {goal.age_s:.0f} s ago"),
             PlanStep("look", yaw=yaw, why="look at it")]
    if instruction.intent == "bring":
        room = next((a for a in known if a.name == instruction.room), None)
        steps.append(PlanStep("pick", thing=instruction.label, why="take it"))
        if room is not None:
            steps.append(PlanStep("move_to", (room.x0 + room.x1) / 2, (room.y0 + room.y1) / 2,
                                  why=f"carry it to the {room.name}"))
    steps.append(PlanStep("stop", answer="" if instruction.intent != "is_open" else "?", why="done"))
    return steps


def seen_place(store, label: str, colour: str, since: float) -> tuple[float, float] | None:
    """Where the thing was seen since media time ``since``: the place (sightings within SEEN_NEAR_M) most
    sightings agree on, the latest on a tie, among those that fit the colour asked (``colour_fits``); its
    last seven sightings' ``place_of``. None when not seen. One stray sighting (a look-alike, a false box)
    does not pull the robot away from a place seen often."""
    rows = matching_sightings(store, label, since=since)
    places = [g for g in _places(rows) if colour_fits(g, colour)]
    if not places:
        return None
    best = max(places, key=lambda members: (len(members), max(r[2] for r in members)))[-7:]
    return place_of(best)


def in_view_since(store, label: str, colour: str, since: float) -> list[tuple]:
    """The sightings of the thing made since media time ``since``, placed or not (a thing seen from near
    has its support's floor contact below the frame: ingest cannot place it, yet it was in view), when
    they fit the colour asked (``colour_fits``); empty when none do."""
    rows = matching_sightings(store, label, since=since, placed_only=False)
    return rows if rows and colour_fits(rows, colour) else []


def state_readings(store, label: str, found: tuple[float, float], since: float) -> list[str]:
    """The open/closed states read since media time ``since`` of the thing at ``found``: its sightings placed
    within SEEN_NEAR_M of it, and its unplaced ones made from a camera within NEAR_VIEW_M of it (the pose
    log; ingest cannot place what the camera saw from near, so the looks at it are mostly unplaced)."""
    out = []
    for r in matching_sightings(store, label, since=since, placed_only=False):
        if not r[10]:
            continue
        if r[8] is not None:
            near = math.hypot(r[8] - found[0], r[9] - found[1]) <= SEEN_NEAR_M
        else:
            pose = pose_near(store, r[1], r[2], within=1.0)
            near = pose is not None and math.hypot(pose[0] - found[0], pose[1] - found[1]) <= NEAR_VIEW_M
        if near:
            out.append(r[10])
    return out


def _places(rows: list[tuple]) -> list[list[tuple]]:
    """Sightings grouped by position (greedy, SEEN_NEAR_M around each group's first), in time order."""
    groups: list[list[tuple]] = []
    for r in rows:
        for g in groups:
            if math.hypot(r[8] - g[0][8], r[9] - g[0][9]) <= SEEN_NEAR_M:
                g.append(r)
                break
        else:
            groups.append([r])
    return groups


def _latest_sighting(store) -> float:
    rows = sightings(store)
    return float(rows[-1][2]) if rows else 0.0


# ------------------------------------------------------------------------------------- executing

@dataclass
class Outcome:
    """What a run did: its steps (with results), the goals it took and why it stopped."""

    instruction: Instruction
    trace: list[dict] = field(default_factory=list)
    goals_from_memory: int = 0  # goals taken from memory's places
    goals_explored: int = 0  # frontier rooms visited
    answer: str = ""
    reason: str = ""

    @property
    def steps(self) -> int:
        return len(self.trace)

    def to_dict(self) -> dict:
        return {"instruction": self.instruction.to_dict(), "steps": self.steps, "answer": self.answer,
                "reason": self.reason, "goals_from_memory": self.goals_from_memory,
                "goals_explored": self.goals_explored, "trace": self.trace}


class _Stopped(Exception):
    pass


class Executor:
    """Runs one instruction on a body, re-planning from memory after every look (see the module doc).

    ``use_memory=False`` ignores what memory held before the run (the no-memory baseline: it explores
    and recognises what it sees now); ``fixed_goals`` replaces memory's places with given ones and
    turns exploration off (a retrieval baseline's goal)."""

    def __init__(self, store, body: Body, budget: int = 40, use_memory: bool = True,
                 fixed_goals: Sequence[Candidate] | None = None) -> None:
        if budget < 1:
            raise ValueError(f"Executor budget={budget!r}: expected at least one step")
        self.store, self.body, self.budget = store, body, int(budget)
        self.use_memory = use_memory
        self.fixed = list(fixed_goals) if fixed_goals is not None else None
        self._stop = threading.Event()
        self.pose: tuple[float, float, float] | None = None
        self.time = 0.0
        self._seen_last: tuple[float, float] | None = None  # where the last look at a point placed the thing
        self._in_view = False  # the last look at a point saw the thing, placed or not
        self._looked_at: tuple[float, float] | None = None  # the point the last look was at
        self.opened_at = 0.0  # media time the robot last opened something (older state readings are stale)
        self.holding = ""

    def stop(self) -> None:
        """Ask the run to stop before its next step (safe from another thread)."""
        self._stop.set()

    def run(self, text: str, pose: tuple[float, float, float], time: float) -> Outcome:
        """Carry out ``text`` from ``pose`` at media time ``time``; always ends with a stop step when it can."""
        self.pose, self.time, self.start, self.opened_at = pose, time, time, time
        self._seen_last, self._in_view, self._looked_at = None, False, None
        instruction = read(self.store, text)
        self._ins = instruction
        out = Outcome(instruction)
        self._out = out
        try:
            answer = self._carry_out(instruction, out)
            out.reason = out.reason or "done"
            self._do(PlanStep("stop", answer=answer, why=out.reason), final=True)
            out.answer = answer
        except _Stopped as why:
            out.reason = str(why)
            if len(out.trace) < self.budget + 1 and not self._stop.is_set():
                self._do(PlanStep("stop", why=out.reason), final=True)
        return out

    # -------------------------------------------------------------------------------- intents

    def _carry_out(self, ins: Instruction, out: Outcome) -> str:
        if not ins.label:
            out.reason = "no thing could be read from the instruction"
            return ""
        if ins.intent == "last_seen":
            goals = self.fixed if self.fixed is not None else ranked_goals(
                self.store, ins, self.time, self.pose, set(), [], self.use_memory)
            if not goals:
                out.reason = "never seen: nowhere to go"
                return ""
            out.goals_from_memory += 1
            self._do(PlanStep("move_to", goals[0].x, goals[0].y, why="where it was last seen"))
            return ""
        found = self._locate(ins, out)
        if found is None:
            out.reason = out.reason or "not found"
            return "no" if ins.intent == "is_open" else ""
        if ins.intent == "is_open":
            return self._read_state(ins, found)
        if ins.intent == "bring":
            self._bring(ins, found)
        return ""

    def _bring(self, ins: Instruction, found: tuple[float, float]) -> None:
        result = self._do(PlanStep("pick", thing=ins.label, why="take it"))
        if result != "ok":
            self._do(PlanStep("move_to", *found, why="closer to take it"))
            result = self._do(PlanStep("pick", thing=ins.label, why="take it again"))
        if result != "ok":
            self._out.reason = f"could not take it: {result}"
            return
        room = next((a for a in areas(self.store) if a.name == ins.room), None)
        if room is None:
            self._out.reason = f"no room {ins.room!r} on the map"
            return
        self._do(PlanStep("move_to", (room.x0 + room.x1) / 2, (room.y0 + room.y1) / 2, why=f"to the {room.name}"))

    def _read_state(self, ins: Instruction, found: tuple[float, float]) -> str:
        # only the robot changes things in a task: every reading since it last opened something counts
        states = state_readings(self.store, ins.label, found, max(self.start, self.opened_at))
        if not states:
            return "no"
        return "yes" if states.count("open") > len(states) / 2 else "no"

    # ------------------------------------------------------------------------------ locating

    def _locate(self, ins: Instruction, out: Outcome) -> tuple[float, float] | None:
        """Go to goals until the thing is seen in this task and reached; its position, or None."""
        visited: set[str] = set()
        looked: list[tuple[float, float]] = []
        searched: list[tuple[float, float]] = []
        opened: set[tuple[float, float]] = set()
        while True:
            fresh = self._fresh(ins)
            read_here = self._state_read(ins, fresh)
            if read_here is not None:
                return read_here
            if fresh is not None:
                return self._approach(ins, fresh)
            if self._in_view and self._looked_at is not None:  # seen from near, not placed: where it looked
                return self._approach(ins, self._looked_at)
            goals = self._goals(ins, visited, looked, searched)
            if not goals or worth(goals[0], self.pose) < MIN_GAIN:
                other = seen_place(self.store, ins.label, "", self.start) if ins.colour else None
                if other is not None:  # colour readings err: the thing of this kind seen, rather than nothing
                    out.reason = "seen only in another colour"
                    self._ins = replace(ins, colour="")
                    return self._approach(self._ins, other)
                out.reason = "nothing left worth looking at"
                return None
            goal = goals[0]
            if goal.source in ("memory", "retrieval"):
                out.goals_from_memory += 1
            else:
                out.goals_explored += 1
            if goal.source == "retrieval":  # a camera pose from memory: look around there
                self._scan(goal)
                looked.append((goal.x, goal.y))
            elif goal.source == "memory":
                turn = TURNS[looks_at(goal, looked) % len(TURNS)]
                self._look_at(goal.x, goal.y, f"where memory saw it {goal.age_s:.0f} s ago", turn=turn)
                if not self._in_view and self._open_near(goal, opened):
                    continue
                looked.append((goal.x, goal.y))
            elif goal.source == "search":
                self._look_at(goal.x, goal.y, f"things rest on the {goal.evidence[0]['label']}", SEARCH_STANDOFF_M)
                searched.append((goal.x, goal.y))
            else:
                self._scan(goal)
                visited.add(goal.room)

    def _state_read(self, ins: Instruction, fresh: tuple[float, float] | None) -> tuple[float, float] | None:
        """For "is it open": where the thing is once the latest look saw it and read its state (its state is
        what is asked, and the look saw it: no nearer approach is needed); else None."""
        if ins.intent != "is_open" or not self._in_view:
            return None
        where = fresh or self._seen_last or self._looked_at
        if where is None or not state_readings(self.store, ins.label, where, max(self.start, self.opened_at)):
            return None
        return where

    def _goals(self, ins: Instruction, visited: set[str], looked, searched) -> list[Candidate]:
        if self.fixed is not None:
            return [g for g in self.fixed if all(math.hypot(g.x - x, g.y - y) > LOOKED_M for x, y in looked)]
        return ranked_goals(self.store, ins, self.time, self.pose, visited, looked, self.use_memory, searched,
                            since=self.start)

    def _fresh(self, ins: Instruction, since: float | None = None) -> tuple[float, float] | None:
        """Where the thing was seen in this task (or since ``since``): ``seen_place``."""
        return seen_place(self.store, ins.label, ins.colour, self.start if since is None else since)

    def _approach(self, ins: Instruction, where: tuple[float, float]) -> tuple[float, float]:
        """Get the thing in view within STOP_M: the run may stop once the latest look saw it (placed or not)
        and the best estimate of where it is lies that near (the look itself is the evidence that it is in view
        from here; an estimate alone is not: things near a low camera leave the view). The estimate is where
        the latest look placed it, else the one before (a thing seen from near is not placed: its support's
        floor contact is below the frame). Seen farther: stand APPROACH_M from it on the side it was seen from
        and look; a thing seen again after a move that brought the robot no nearer (furniture in the way: the
        route ends at its front) ends the approach. A look from near that missed it looks again from
        APPROACH_M on the robot's side (detections of small things come and go; too near, a thing leaves
        the view), then from other sides (``TURNS``). Gives up after APPROACH_TRIES looks."""
        misses, before = 0, math.inf
        for _ in range(APPROACH_TRIES):
            if self._seen_last is not None:
                where = self._seen_last
            if self._in_view:
                where = this_side(areas(self.store), self.pose, where)
            d = math.hypot(where[0] - self.pose[0], where[1] - self.pose[1])
            if self._in_view:
                if d <= STOP_M or d > before - NO_CLOSER_M:  # near, or the map lets it come no nearer
                    return where
                before = d
                self._look_at(where[0], where[1], "seen just now", APPROACH_M, side=True)
                continue
            before = math.inf
            if d <= STOP_M:
                misses += 1
                turn = TURNS[misses % len(TURNS)] if misses > 1 else 0.0
                spot = standoff(areas(self.store), self.pose, where[0], where[1], APPROACH_M, turn,
                                towards_robot=misses <= 1)
                moved = math.hypot(spot[0] - self.pose[0], spot[1] - self.pose[1]) > 0.25
                self._look_at(where[0], where[1], "look again", APPROACH_M, move=moved, turn=turn,
                              side=misses <= 1)
            else:
                self._look_at(where[0], where[1], "seen just now", APPROACH_M, side=True)
        return self._seen_last or where

    def _look_at(self, x: float, y: float, why: str, distance: float = STANDOFF_M,
                 move: bool = True, turn: float = 0.0, side: bool = False) -> tuple[float, float] | None:
        """Stand ``distance`` from (x, y) (unless ``move`` is False; ``turn``: around it, see ``standoff``;
        ``side``: on the robot's side of it, where it was seen from), look at it and perceive; where the
        thing was seen during this look, None when it was not."""
        if move:
            sx, sy, _ = standoff(areas(self.store), self.pose, x, y, distance, turn, towards_robot=side)
            self._do(PlanStep("move_to", sx, sy, why=why))
        since = self.time
        self._do(PlanStep("look", yaw=math.atan2(y - self.pose[1], x - self.pose[0]), why="look at it"))
        self.body.perceive()
        self._seen_last = self._fresh(self._ins, since)
        self._in_view = bool(in_view_since(self.store, self._ins.label, self._ins.colour, since))
        self._looked_at = (x, y)
        return self._seen_last

    def _scan(self, goal: Candidate) -> None:
        self._do(PlanStep("move_to", goal.x, goal.y, why=f"explore the {goal.room or 'place'}"))
        self._seen_last, self._in_view, self._looked_at = None, False, None  # a look around sees from afar
        heading = self.pose[2]
        for k in range(1, SCAN_YAWS):  # arriving shows the first heading
            self._do(PlanStep("look", yaw=heading + k * 2 * math.pi / SCAN_YAWS, why="look around"))
        self.body.perceive()

    def _open_near(self, goal: Candidate, opened: set) -> bool:
        """Open a container memory saw at the goal (closed things hide what is inside); True when opened."""
        key = (round(goal.x, 1), round(goal.y, 1))
        if key in opened:
            return False
        rows = [r for r in sightings(self.store) if r[10] in ("open", "closed")
                and math.hypot(r[8] - goal.x, r[9] - goal.y) <= 1.5]
        if not rows:
            return False
        opened.add(key)
        label = rows[-1][5]
        if self._do(PlanStep("open", thing=label, why="it may be inside")) != "ok":
            return False
        self.opened_at = self.time
        self._do(PlanStep("look", yaw=self.pose[2], why="look inside"))
        self.body.perceive()
        return True

    # ---------------------------------------------------------------------------------- steps

    def _do(self, step: PlanStep, final: bool = False) -> str:
        if self._stop.is_set():
            raise _Stopped("stopped on request")
        if not final and len(self._out.trace) >= self.budget - 1:
            raise _Stopped("step budget spent")
        feedback = self.body.act(step)
        self.pose, self.time = tuple(feedback["pose"]), float(feedback["time"])
        self.holding = feedback.get("holding", "")
        self._out.trace.append({**step.to_dict(), "result": feedback["result"], "t": round(self.time, 2),
                                "pose": [round(v, 2) for v in self.pose]})
        return feedback["result"]
