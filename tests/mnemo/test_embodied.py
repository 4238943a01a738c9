"""The simulated robot's frames through ingest into the memory a planner reads (mnemo/evaluation/robot_body.py),
one task run and scored by the embodied suite (mnemo/evaluation/embodied.py), and `mnemo plan` on the result.
Positions and success are checked against the simulator's truth, which memory never sees."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

import mnemo
from memory.perceived import Area, seen, set_areas, sightings
from mnemo.cli import app
from mnemo.evaluation.embodied import EmbodiedSettings, run_task
from mnemo.evaluation.robot_body import SimBody
from planners.embodied import Executor
from sim import NoiseConfig
from sim.episode import RenderConfig, simulate
from sim.robot import Action, RobotConfig, RobotSim
from sim.tasks import make_tasks, optimal_length, succeeded

SEED = 4
MINUTES = 0.5


@pytest.fixture(scope="module")
def looked(tmp_path_factory):
    """(memory, robot, truth, tasks, clip times): the robot looked around its first room; one clip ingested."""
    root = tmp_path_factory.mktemp("embodied")
    profile = _frames_only_profile(root)
    truth = simulate(SEED, MINUTES, render=RenderConfig(160, 120, fps=1.0, observation_rate=1.0), speech="tones").truth
    robot = RobotSim(RobotConfig(minutes=MINUTES, width=160, height=120))
    world, scenario = robot.lived(SEED)
    tasks = make_tasks(world, scenario, truth, SEED)
    memory = mnemo.open(root / "memory", profile=profile, create=True)
    memory.store.add_stream("map", "map")
    set_areas(memory.store, [Area(r.name, *r.bounds) for r in truth.rooms])
    body = SimBody(memory, robot, truth, profile, root / "clips", NoiseConfig(), SEED)
    pose, now = body.begin(robot.reset(SEED, tasks[0]))
    for k in range(1, 4):
        body.act(_look(pose[2] + k * math.pi / 2))
    start, end = now, robot._scene.time
    body.perceive()
    yield memory, robot, truth, tasks, (start, end), root, profile
    memory.close()


def _frames_only_profile(root):
    """lite without its text model: the robot's clips have no words, and loading MiniLM is most of the cost."""
    import yaml

    from mnemo.config import CONFIG_DIR

    data = yaml.safe_load((CONFIG_DIR / "lite.yaml").read_text())
    data["text_embedder"] = {"name": None}
    path = root / "frames-only.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _look(yaw):
    from planners.embodied import PlanStep

    return PlanStep("look", yaw=yaw)


def test_what_the_robot_saw_is_stored_by_ingest_where_it_stands(looked):
    memory, robot, truth, _, (start, end), _, _ = looked
    rows = sightings(memory.store)
    assert rows, "nothing placed from the robot's look around"
    assert all(start <= r[2] <= end + 1e-6 for r in rows)  # the clip's own media times
    world = robot.world
    errors = []
    for r in rows:
        if r[4] != "furniture":
            continue
        same = [f for f in world.furniture if f.category == r[5]]
        if same:  # the nearest piece of that label: position error of ingest's ground-contact placing
            errors.append(min(math.dist(f.centre, (r[8], r[9])) for f in same))
    assert errors and sorted(errors)[len(errors) // 2] < 1.5
    assert {s.entity for s in seen(memory.store)} - {None}  # re-identified into entities


def test_a_task_run_is_scored_against_the_truth(looked, tmp_path):
    memory, robot, truth, tasks, _, _, profile = looked
    task = next(t for t in tasks if t.kind == "last_seen")
    settings = EmbodiedSettings(minutes=MINUTES, profile=profile, budget=6, methods=("no_memory",))
    record = run_task(SEED, task, "no_memory", robot, truth, tmp_path / "unused", tmp_path / "run", settings)
    assert record["steps"] <= 6 and record["trace"][-1]["action"] == "stop"
    assert record["success"] == succeeded(task, robot)
    robot.reset(SEED, task)
    assert record["shortest_m"] == pytest.approx(optimal_length(task, robot), abs=0.01)
    assert 0.0 <= record["spl"] <= 1.0 and (record["spl"] > 0) == record["success"]
    assert record["goals_from_memory"] == 0  # nothing in memory to recall from


def test_the_executor_stops_on_request_and_within_its_budget(looked):
    memory, robot, truth, tasks, _, root, profile = looked
    body = SimBody(memory, robot, truth, profile, root / "stopped", NoiseConfig(), SEED)
    pose, now = body.begin(robot.reset(SEED, tasks[0]))
    executor = Executor(memory.store, body, budget=5)
    executor.stop()
    outcome = executor.run(tasks[0].instruction, pose, now)
    assert outcome.steps == 0 and outcome.reason == "stopped on request"
    pose, now = body.begin(robot.reset(SEED, tasks[0]))
    outcome = Executor(memory.store, body, budget=3).run("find the green umbrella", pose, now)
    assert outcome.steps <= 3 and outcome.trace[-1]["action"] == "stop"
    with pytest.raises(ValueError, match="budget"):
        Executor(memory.store, body, budget=0)


def test_mnemo_plan_prints_an_inspectable_plan(looked):
    memory, robot, _, _, _, root, _ = looked
    label = sightings(memory.store)[-1][5]
    result = CliRunner().invoke(app, ["plan", f"find the {label}", "--memory", str(root / "memory"), "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["instruction"]["label"] == label and plan["mode"] == "recall"
    assert plan["goals"][0]["evidence"] and plan["steps"][0]["action"] == "move_to"


def test_a_ros_node_answers_a_plan_request_with_the_plan_and_sends_its_goal(looked):
    """The live ROS nodes' interface (ros_bridge/node.py) over the real read-only view they open: a ``plan``
    request on ~ask gets the plan on ~answer and its best goal on ~goal, in the map frame."""
    from mnemo.commands.rosnode import Answers
    from ros_bridge.node import NodeInterface

    memory, _, _, _, _, root, profile = looked
    sent: dict[str, list] = {"answers": [], "goals": []}

    class Captured(NodeInterface):  # a transport that keeps what it would publish
        def send_answer(self, text):
            sent["answers"].append(json.loads(text))

        def send_goal(self, frame, x, y, yaw):
            sent["goals"].append((frame, x, y, yaw))

        def send_event(self, text):
            pass

    answers = Answers(root / "memory", profile, memory.encoders)
    answers.open()
    try:
        node = Captured(answers.answer, lambda: [])
        label = sightings(memory.store)[-1][5]
        node._reply(json.dumps({"id": 7, "plan": f"find the {label}"}))
        node._reply(json.dumps({"id": 8, "plan": " "}))
    finally:
        answers.close()
    plan, bad = sent["answers"]
    assert plan["id"] == 7 and plan["mode"] == "recall" and plan["instruction"]["label"] == label
    assert sent["goals"] == [("map", plan["goals"][0]["x"], plan["goals"][0]["y"], 0.0)]  # only the plan's
    assert bad["id"] == 8 and '"plan"' in bad["error"]


_ONE_TASK = """
import json, sys
from pathlib import Path
import mnemo
from memory.perceived import sightings
from mnemo.evaluation.embodied import EmbodiedSettings, run_task
from sim.episode import RenderConfig, simulate
from sim.robot import RobotConfig, RobotSim
from sim.tasks import make_tasks
root, profile = Path(sys.argv[1]), sys.argv[2]
truth = simulate(4, 0.5, render=RenderConfig(160, 120, fps=1.0, observation_rate=1.0), speech="tones").truth
robot = RobotSim(RobotConfig(minutes=0.5, width=160, height=120))
task = next(t for t in make_tasks(*robot.lived(4), truth, 4) if t.kind == "find")
settings = EmbodiedSettings(minutes=0.5, profile=profile, budget=10, methods=("no_memory",))
record = run_task(4, task, "no_memory", robot, truth, root / "unused", root / "run", settings)
with mnemo.open(root / "run" / "memory", profile=profile) as memory:
    stored = [list(r[1:]) for r in sightings(memory.store)]
print(json.dumps({"trace": record["trace"], "sightings": stored, "success": record["success"]}))
"""


@pytest.mark.slow
def test_a_task_run_twice_takes_the_same_steps_and_stores_the_same_sightings(tmp_path):
    # two processes (each with its own string hash: PYTHONHASHSEED) run one short task of the suite from the same
    # start: the step logs and what ingest stored must be identical, else the suite's figures flip between runs
    import os
    import subprocess
    import sys

    profile = _frames_only_profile(tmp_path)
    runs = [subprocess.Popen([sys.executable, "-c", _ONE_TASK, str(tmp_path / f"run-{k}"), profile],
                             env={**os.environ, "PYTHONHASHSEED": str(k)}, stdout=subprocess.PIPE, text=True)
            for k in (1, 2)]
    first, second = (json.loads(p.communicate()[0]) for p in runs)
    assert all(p.returncode == 0 for p in runs)
    assert first["trace"] and first["sightings"] and len(first["trace"]) <= 10
    assert first["trace"] == second["trace"]
    assert first["sightings"] == second["sightings"]
