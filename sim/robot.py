"""The simulated robot as a step interface: ``reset(seed, task)``, then ``step(action)`` -> observation.

The robot wakes in the home after it lived through a recorded episode (``sim.episode.plan``): things
stand where the episode left them, then some were moved unseen (``sim.tasks.unseen_changes``). Each
step renders what the camera sees while the action runs (frames at ``RobotConfig.frame_rate``) and
reports the robot's localised pose; nothing else. What is in a frame is perception's to find: the
harness sends the frames through ingest with the simulator's detector, which reads this robot's own
clip truth (``clip_truth``), exactly as the recorded episode's frames went. The planner never sees
truth: ``truth_*`` methods are for scoring only.

Actions: ``move_to(x, y)`` along the navigation graph (sim/navigation.py; a goal inside furniture
is taken to that furniture's front, one outside every room to the nearest point inside one),
``look(yaw)`` (turn, then hold the view ``look_hold_s``), ``pick(label)``, ``place(label)``, ``open(label)`` (the nearest such thing in reach),
``stop(answer)``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np

from sim.episode import RenderConfig, observe, plan
from sim.navigation import route
from sim.render import Renderer
from sim.scenario import HAND_HEIGHT, ObjectPose, PersonPose, Scenario, SceneState
from sim.trajectory import PathBuilder
from sim.truth import Keyframes, Observation, OpenSpan, Truth
from sim.world import World

logger = logging.getLogger(__name__)

ACTIONS = ("move_to", "look", "pick", "place", "open", "stop")


@dataclass(frozen=True)
class RobotConfig:
    """How the robot senses and acts."""

    minutes: float = 3.0  # length of the recorded episode the robot lived through before its tasks
    gap_s: float = 300.0  # seconds between the end of that episode and the first task (things move unseen)
    frame_rate: float = 1.0  # camera frames rendered per second of action (the profile's detection rate)
    reach_m: float = 1.5  # pick, place and open work on things within this many metres
    look_hold_s: float = 2.0  # look(yaw) turns, then holds the view this long (a tracker wants a few frames)
    pose_noise_m: float = 0.05  # localisation error of the reported pose, metres (1 sigma)
    width: int = 320  # frame size, pixels
    height: int = 240

    def __post_init__(self) -> None:
        checks = {"minutes": self.minutes > 0, "gap_s": self.gap_s >= 0, "frame_rate": 0 < self.frame_rate <= 10,
                  "reach_m": self.reach_m > 0, "look_hold_s": self.look_hold_s >= 0, "pose_noise_m": self.pose_noise_m >= 0}
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"RobotConfig.{name}={getattr(self, name)!r}: expected a positive number "
                                 f"({'>= 0' if name in ('gap_s', 'pose_noise_m', 'look_hold_s') else '> 0'})")


@dataclass(frozen=True)
class Action:
    """One command to the robot; build it with the class methods."""

    kind: str  # one of ACTIONS
    x: float = 0.0  # move_to target, metres in the map frame
    y: float = 0.0
    yaw: float = 0.0  # look: heading, radians counter-clockwise from +x
    thing: str = ""  # pick/place/open: a detector label ("mug", "table", "fridge")
    answer: str = ""  # stop: the answer to a question task ("yes"/"no"), else ""

    def __post_init__(self) -> None:
        if self.kind not in ACTIONS:
            raise ValueError(f"Action.kind={self.kind!r}: unknown action; known: {', '.join(ACTIONS)}")

    @classmethod
    def move_to(cls, x: float, y: float) -> "Action":
        return cls("move_to", x=float(x), y=float(y))

    @classmethod
    def look(cls, yaw: float) -> "Action":
        return cls("look", yaw=float(yaw))

    @classmethod
    def pick(cls, thing: str) -> "Action":
        return cls("pick", thing=thing)

    @classmethod
    def place(cls, furniture: str) -> "Action":
        return cls("place", thing=furniture)

    @classmethod
    def open(cls, container: str) -> "Action":
        return cls("open", thing=container)

    @classmethod
    def stop(cls, answer: str = "") -> "Action":
        return cls("stop", answer=answer)

    def to_dict(self) -> dict:
        keep = {"move_to": ("x", "y"), "look": ("yaw",), "pick": ("thing",), "place": ("thing",),
                "open": ("thing",), "stop": ("answer",)}[self.kind]
        return {"action": self.kind, **{k: getattr(self, k) for k in keep}}


@dataclass(frozen=True, eq=False)
class StepObservation:
    """What the robot's sensors gave during one step."""

    start: float  # media time the action began
    time: float  # media time it ended
    frames: tuple[tuple[float, np.ndarray], ...]  # (time, RGB image) rendered while it ran
    poses: tuple[tuple[float, float, float, float], ...]  # (time, x, y, yaw) localised poses, map frame
    holding: str  # the label of what the gripper holds, "" when empty
    result: str  # "ok", or why the action did nothing
    done: bool  # the episode ended (stop)
    travelled_m: float  # metres driven so far in this task


@dataclass
class _Scene:
    """The mutable state of the home while the robot acts."""

    places: dict[str, tuple[str, int]]  # object id -> (furniture id, slot)
    open: set[str]
    people: tuple[PersonPose, ...]
    held: str | None = None  # object id in the gripper
    pose: tuple[float, float, float] = (0.0, 0.0, 0.0)  # true x, y, yaw
    time: float = 0.0


class RobotSim:
    """The step interface over one seed's home; ``reset`` before each task."""

    def __init__(self, config: RobotConfig | None = None) -> None:
        self.config = config or RobotConfig()
        self._plans: dict[int, tuple[World, Scenario]] = {}
        self._renderer: Renderer | None = None
        self.world: World | None = None
        self.scenario: Scenario | None = None
        self.task = None
        self._scene: _Scene | None = None
        self._clip: list[Observation] = []  # truth of the frames rendered since the last take_clip
        self._path: list[tuple[float, float, float, float]] = []  # true (t, x, y, yaw) of the whole task
        self._rng = np.random.default_rng(0)
        self.travelled = 0.0
        self.answer = ""
        self.stopped = False
        self.seen: set[str] = set()  # entities in view in any frame of this task (scoring)

    # --------------------------------------------------------------------------------- episode

    def lived(self, seed: int) -> tuple[World, Scenario]:
        """The home and the recorded episode the robot lived through for ``seed`` (no rendering)."""
        if seed not in self._plans:
            self._plans[seed] = plan(seed, self.config.minutes)
        return self._plans[seed]

    @property
    def start_time(self) -> float:
        """Media time at which tasks begin: the end of the recorded episode plus the gap."""
        assert self.scenario is not None
        return float(self.scenario.duration + self.config.gap_s)

    def reset(self, seed: int, task) -> StepObservation:
        """Start ``task`` (a sim.tasks.Task of ``seed``) with the home as it stands after the unseen changes."""
        from sim.tasks import scene_after

        world, scenario = self.lived(seed)
        if self.world is not world:
            self._renderer = Renderer(world, self.config.width, self.config.height)
        self.world, self.scenario, self.task = world, scenario, task
        places, opened, people, pose = scene_after(world, scenario, seed)
        self._scene = _Scene(dict(places), set(opened), people, None, pose, self.start_time)
        self._rng = np.random.default_rng([seed, task.index, 31])
        self._clip, self._path = [], []
        self.travelled, self.answer, self.stopped, self.seen = 0.0, "", False, set()
        return self._run(PathBuilder(self._scene.time, *pose[:2], pose[2]), "ok")

    def step(self, action: Action) -> StepObservation:
        """Run one action; frames are rendered at the frame rate while it runs."""
        if self._scene is None:
            raise RuntimeError("RobotSim.step before reset")
        if self.stopped:
            raise RuntimeError("RobotSim.step after stop: reset for the next task")
        s = self._scene
        path = PathBuilder(s.time, s.pose[0], s.pose[1], s.pose[2])
        result = "ok"
        turn = math.radians(self.world.agent.turn_rate_deg)
        if action.kind == "move_to":
            goal, goal_room = self._reachable(action.x, action.y)
            here = self.world.room_at(s.pose[0], s.pose[1])
            path.walk(route(self.world, s.pose[:2], here.id, goal, goal_room), self.world.agent.speed, turn)
        elif action.kind == "look":
            path.turn_to(action.yaw, turn)
            path.wait(self.config.look_hold_s)
        elif action.kind == "stop":
            self.answer, self.stopped = action.answer, True
            path.wait(1.0 / self.config.frame_rate)
        else:
            result = {"pick": self._pick, "place": self._place, "open": self._open}[action.kind](action.thing)
            path.wait(2.0)  # handling takes a moment; the camera keeps looking
        return self._run(path, result)

    # ---------------------------------------------------------------------------------- acting

    def _reachable(self, x: float, y: float) -> tuple[tuple[float, float], str]:
        """The goal as the navigation graph can reach it (see the module docstring)."""
        for f in self.world.furniture:
            x0, y0, x1, y1 = f.footprint
            if x0 - 0.2 <= x <= x1 + 0.2 and y0 - 0.2 <= y <= y1 + 0.2:
                return f.approach, f.room
        room = self.world.room_at(x, y)
        if room is None or not room.contains(x, y, 0.3):
            room = min(self.world.rooms, key=lambda r: _rect_distance(r.bounds, x, y))
            x0, y0, x1, y1 = room.bounds
            x, y = min(max(x, x0 + 0.4), x1 - 0.4), min(max(y, y0 + 0.4), y1 - 0.4)
        return (x, y), room.id

    def _near(self, label: str, candidates, position) -> str | None:
        x, y, _ = self._scene.pose
        best, best_d = None, self.config.reach_m
        for entity in candidates:
            if _category(self.world, entity) != label:
                continue
            px, py = position(entity)
            d = math.hypot(px - x, py - y)
            if d <= best_d:
                best, best_d = entity, d
        return best

    def _object_xy(self, oid: str) -> tuple[float, float]:
        if self._scene.held == oid:
            return self._scene.pose[:2]
        fid, slot = self._scene.places[oid]
        return self.world.get(fid).slots[slot]

    def _pick(self, label: str) -> str:
        if self._scene.held is not None:
            return "the gripper is full"
        s = self._scene
        visible = [o for o in s.places if not (self.world.get(s.places[o][0]).container and s.places[o][0] not in s.open)]
        oid = self._near(label, visible, self._object_xy)
        if oid is None:
            return f"no {label} in reach"
        del s.places[oid]
        s.held = oid
        return "ok"

    def _place(self, label: str) -> str:
        s = self._scene
        if s.held is None:
            return "the gripper is empty"
        holders = [f.id for f in self.world.furniture if f.holds_objects]
        fid = self._near(label, holders, lambda f: self.world.get(f).centre)
        if fid is None:
            return f"no {label} in reach"
        used = {slot for f, slot in s.places.values() if f == fid}
        free = [i for i in range(len(self.world.get(fid).slots)) if i not in used]
        if not free:
            return f"the {label} is full"
        s.places[s.held] = (fid, free[0])
        s.held = None
        return "ok"

    def _open(self, label: str) -> str:
        containers = [f.id for f in self.world.furniture if f.container]
        fid = self._near(label, containers, lambda f: self.world.get(f).centre)
        if fid is None:
            return f"no {label} in reach"
        self._scene.open.add(fid)
        return "ok"

    # ------------------------------------------------------------------------------- observing

    def _run(self, builder: PathBuilder, result: str) -> StepObservation:
        """Render the path just built at the frame rate and move the robot to its end."""
        s = self._scene
        path = builder.build()
        start, end = float(path.times[0]), float(path.times[-1])
        dt = 1.0 / self.config.frame_rate
        times = [float(t) for t in np.arange(start + dt, end - 1e-6, dt)] + [end]
        steps = np.hypot(np.diff(path.xs), np.diff(path.ys))
        self.travelled += float(steps.sum())
        frames, poses = [], []
        for t in times:
            x, y = path.position(t)
            yaw = path.yaw(t)
            state = self._state(t, (x, y, yaw))
            rendered = self._renderer.render(state)
            truth = observe(self._renderer, state, RenderConfig(self.config.width, self.config.height), rendered)
            self._clip.append(truth)
            self.seen.update(seen.entity for seen in truth.entities)
            self._path.append((t, x, y, yaw))
            frames.append((round(float(t), 6), rendered.image))
            noise = self._rng.normal(0.0, self.config.pose_noise_m, 2)
            poses.append((round(float(t), 6), x + noise[0], y + noise[1], yaw + self._rng.normal(0.0, 0.01)))
        s.time = end
        s.pose = (float(path.xs[-1]), float(path.ys[-1]), float(path.yaws[-1]))
        holding = _category(self.world, s.held) if s.held else ""
        return StepObservation(start, end, tuple(frames), tuple(poses), holding, result, self.stopped, self.travelled)

    def _state(self, t: float, agent: tuple[float, float, float]) -> SceneState:
        s = self._scene
        objects = []
        for oid, (fid, slot) in s.places.items():
            f = self.world.get(fid)
            if f.container and fid not in s.open:
                continue
            x, y = f.slots[slot]
            objects.append(ObjectPose(oid, x, y, f.surface if f.surface is not None else 0.3, None))
        if s.held is not None:
            c, si = math.cos(agent[2]), math.sin(agent[2])
            objects.append(ObjectPose(s.held, agent[0] + 0.35 * c, agent[1] + 0.35 * si, HAND_HEIGHT, None))
        return SceneState(t, agent, s.people, tuple(objects), frozenset(s.open))

    def take_clip(self, lived: Truth) -> Truth:
        """The truth of the frames rendered since the last call, as the simulator's detector reads it:
        the recorded episode's truth with these observations, this robot's path and container states.
        For the harness's detector only; the planner never gets it."""
        clip, self._clip = self._clip, []
        path = self._path
        keyframes = Keyframes("agent", tuple(p[0] for p in path), tuple(p[1] for p in path),
                              tuple(p[2] for p in path), tuple(p[3] for p in path))
        end = path[-1][0] + 1.0
        opened = tuple(OpenSpan(f, 0.0, end + 1.0, "") for f in sorted(self._scene.open))
        paths = tuple(p for p in lived.paths if p.entity != "agent") + (keyframes,)
        return dataclasses.replace(lived, observations=tuple(clip), paths=paths, open_spans=opened,
                                   duration=float(end), observation_rate=float(self.config.frame_rate),
                                   width=self.config.width, height=self.config.height)

    # --------------------------------------------------------------------------------- scoring

    def truth_position(self, entity: str) -> tuple[float, float]:
        """Where a thing is now (scoring only)."""
        if entity.startswith("object:"):
            return self._object_xy(entity)
        if entity.startswith("furniture:"):
            return self.world.get(entity).centre
        person = next(p for p in self._scene.people if p.id == entity)
        return (person.x, person.y)

    def truth_in_view(self, entity: str, within: float) -> bool:
        """Whether ``entity`` is in the camera's view within ``within`` metres now (scoring only)."""
        state = self._state(self._scene.time, self._scene.pose)
        truth = observe(self._renderer, state, RenderConfig(self.config.width, self.config.height))
        return any(seen.entity == entity and seen.distance <= within for seen in truth.entities)

    def truth_open(self, furniture: str) -> bool:
        return furniture in self._scene.open

    @property
    def pose(self) -> tuple[float, float, float]:
        """The true pose (scoring only)."""
        return self._scene.pose

    @property
    def held(self) -> str | None:
        return self._scene.held


def _category(world: World, entity: str) -> str:
    return world.get(entity).category


def _rect_distance(rect, x: float, y: float) -> float:
    x0, y0, x1, y1 = rect
    return math.hypot(max(x0 - x, 0.0, x - x1), max(y0 - y, 0.0, y - y1))
