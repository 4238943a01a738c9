"""The simulated robot as a planner's body: steps go to ``sim.robot.RobotSim``; what its camera saw goes
through ingest into the memory the planner reads, like any stream.

``perceive`` writes the frames rendered since the last call as an image folder (with their media times
in ``timestamps.txt``), logs the robot's localised poses for that stream, and ingests the folder with
the profile's pipeline and the simulator's detector reading this clip (boxes, labels, scores: tracker,
re-identification, colours and positions are ingest's, as for the recorded episode). The planner gets
back only the step's result, the pose and the time, never truth.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import cv2

from memory.poses import Pose
from mnemo.api import Memory
from planners.embodied import PlanStep
from sim.noise import NoiseConfig
from sim.robot import Action, RobotSim, StepObservation
from sim.truth import Truth
from streams.identity import stream_id

logger = logging.getLogger(__name__)


def to_action(step: PlanStep) -> Action:
    """The simulator's command for a planner's step."""
    makers = {"move_to": lambda s: Action.move_to(s.x, s.y), "look": lambda s: Action.look(s.yaw),
              "pick": lambda s: Action.pick(s.thing), "place": lambda s: Action.place(s.thing),
              "open": lambda s: Action.open(s.thing), "stop": lambda s: Action.stop(s.answer)}
    return makers[step.action](step)


class SimBody:
    """Drives a RobotSim for an Executor and feeds its frames into ``memory`` (see the module doc)."""

    def __init__(self, memory: Memory, robot: RobotSim, lived: Truth, profile: str, folder: Path,
                 noise: NoiseConfig | None = None, seed: int = 0) -> None:
        self.memory, self.robot, self.lived = memory, robot, lived
        self.profile, self.folder = profile, Path(folder)
        self.noise, self.seed = noise or NoiseConfig(), int(seed)
        self.frames: list[tuple[float, object]] = []
        self.poses: list[tuple[float, float, float, float]] = []
        self.clips = 0
        self.last: StepObservation | None = None
        self.ingest_seconds = 0.0

    def begin(self, observation: StepObservation) -> tuple[tuple[float, float, float], float]:
        """Take the reset's observation; returns the (pose, time) to plan from."""
        self._take(observation)
        x, y, yaw = observation.poses[-1][1:]
        return (x, y, yaw), observation.time

    def act(self, step: PlanStep) -> dict:
        observation = self.robot.step(to_action(step))
        self._take(observation)
        _, x, y, yaw = observation.poses[-1]
        return {"result": observation.result, "pose": (x, y, yaw), "time": observation.time,
                "holding": observation.holding}

    def _take(self, observation: StepObservation) -> None:
        self.last = observation
        self.frames += list(observation.frames)
        self.poses += list(observation.poses)

    def perceive(self) -> None:
        """Ingest the frames since the last call (see the module doc)."""
        import time as _time

        from mnemo.evaluation.sim_suite import sim_profile

        if not self.frames:
            return
        started = _time.perf_counter()
        clip = self.folder / f"clip-{self.clips:04d}"
        clip.mkdir(parents=True, exist_ok=True)
        lines = []
        for k, (t, image) in enumerate(self.frames):
            name = f"{k:04d}.png"
            cv2.imwrite(str(clip / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            lines.append(f"{name},{t!r}")
        (clip / "timestamps.txt").write_text("\n".join(lines) + "\n")
        stream = stream_id(str(clip))
        self.memory.store.add_stream(stream, str(clip))
        self.memory.store.add_poses([Pose(stream, t, x, y, yaw, "map") for t, x, y, yaw in self.poses])
        truth = self.robot.take_clip(self.lived)
        profile = sim_profile(self.profile, truth, None, self.noise, self.seed * 1000 + self.clips)
        self.memory.use_encoders(dataclasses.replace(self.memory.encoders, profile=profile))
        self.memory.ingest(str(clip))
        self.frames, self.poses = [], []
        self.clips += 1
        self.ingest_seconds += _time.perf_counter() - started
