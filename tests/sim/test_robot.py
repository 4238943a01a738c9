"""The robot's step interface (sim/robot.py) and its tasks (sim/tasks.py), against the navigation graph's
routes and the home's truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.episode import RenderConfig, simulate
from sim.navigation import route
from sim.robot import Action, RobotConfig, RobotSim
from sim.tasks import PHRASINGS, TASK_KINDS, make_tasks, moved_objects, optimal_length, scene_after, succeeded

SEED = 4
MINUTES = 1.0


@pytest.fixture(scope="module")
def home():
    """(robot, tasks, truth): a one-minute lived episode sampled once a second at 160x120."""
    truth = simulate(SEED, MINUTES, render=RenderConfig(160, 120, fps=1.0, observation_rate=1.0), speech="tones").truth
    robot = RobotSim(RobotConfig(minutes=MINUTES, width=160, height=120))
    world, scenario = robot.lived(SEED)
    return robot, make_tasks(world, scenario, truth, SEED), truth


def _route_length(world, start, goal, goal_room):
    points = [start] + route(world, start, world.room_at(*start).id, goal, goal_room)
    return sum(math.dist(a, b) for a, b in zip(points, points[1:]))


def test_reset_starts_where_the_episode_ended_after_its_gap(home):
    robot, tasks, _ = home
    obs = robot.reset(SEED, tasks[0])
    _, scenario = robot.lived(SEED)
    assert obs.time == pytest.approx(scenario.duration + robot.config.gap_s)
    assert len(obs.frames) == 1 and obs.frames[0][1].shape == (120, 160, 3)
    assert robot.pose[:2] == pytest.approx(scenario.agent.position(scenario.duration))
    t, x, y, _ = obs.poses[0]
    assert math.hypot(x - robot.pose[0], y - robot.pose[1]) < 0.3  # localised, with a little noise


def test_move_to_drives_the_navigation_graphs_route(home):
    robot, tasks, _ = home
    robot.reset(SEED, tasks[0])
    world = robot.world
    far = max(world.rooms, key=lambda r: math.dist(r.centre, robot.pose[:2]))
    start = robot.pose[:2]
    expected = _route_length(world, start, far.centre, far.id)
    obs = robot.step(Action.move_to(*far.centre))
    assert robot.pose[:2] == pytest.approx(far.centre, abs=1e-6)
    assert obs.travelled_m == pytest.approx(expected, rel=1e-6)
    # frames at the frame rate while driving, the last at the end
    times = [t for t, _ in obs.frames]
    assert np.allclose(np.diff(times)[:-1], 1.0 / robot.config.frame_rate)
    assert times[-1] == pytest.approx(obs.time)
    assert obs.time - obs.start >= expected / world.agent.speed


def test_look_turns_in_place(home):
    robot, tasks, _ = home
    robot.reset(SEED, tasks[0])
    here = robot.pose[:2]
    robot.step(Action.look(1.0))
    assert robot.pose[:2] == pytest.approx(here)
    assert math.remainder(robot.pose[2] - 1.0, 2 * math.pi) == pytest.approx(0.0, abs=1e-9)


def test_pick_place_and_open_need_reach(home):
    robot, tasks, _ = home
    robot.reset(SEED, tasks[0])
    world = robot.world
    target = tasks[0].target
    label = world.get(target).category
    far_result = robot.step(Action.pick("no-such-thing")).result
    assert far_result.startswith("no ")
    where = robot.truth_position(target)
    robot.step(Action.move_to(*where))  # inside furniture: taken to its front
    obs = robot.step(Action.pick(label))
    assert obs.result == "ok" and obs.holding == label and robot.held == target
    assert robot.truth_position(target) == pytest.approx(robot.pose[:2])
    furniture = next(f for f in world.furniture if f.holds_objects and math.dist(f.centre, robot.pose[:2]) <= 1.5)
    assert robot.step(Action.place(furniture.category)).result == "ok"
    assert robot.held is None and world.room_at(*robot.truth_position(target)).id == furniture.room


def test_stop_ends_the_task_and_records_the_answer(home):
    robot, tasks, _ = home
    robot.reset(SEED, tasks[0])
    obs = robot.step(Action.stop("yes"))
    assert obs.done and robot.answer == "yes"
    with pytest.raises(RuntimeError):
        robot.step(Action.look(0.0))
    with pytest.raises(ValueError, match="unknown action"):
        Action("fly")


def test_clip_truth_is_the_robots_own_frames(home):
    robot, tasks, truth = home
    robot.reset(SEED, tasks[0])
    obs = robot.step(Action.look(robot.pose[2] + math.pi))
    clip = robot.take_clip(truth)
    assert [o.time for o in clip.observations][-len(obs.frames):] == [t for t, _ in obs.frames]
    agent = next(p for p in clip.paths if p.entity == "agent")
    assert agent.times[-1] == pytest.approx(obs.time)
    assert robot.take_clip(truth).observations == ()  # taken once


def test_tasks_cover_every_kind_with_known_phrasings(home):
    robot, tasks, truth = home
    assert {t.kind for t in tasks} <= set(TASK_KINDS) and {"find", "last_seen"} <= {t.kind for t in tasks}
    seen = {s.entity for o in truth.observations for s in o.entities}
    for task in tasks:
        assert task.target in seen  # the robot saw what it is asked about
        assert any(p.split("{")[0] in task.instruction for p in PHRASINGS[task.kind])
    world, scenario = robot.lived(SEED)
    assert scene_after(world, scenario, SEED)[0] == scene_after(world, scenario, SEED)[0]  # deterministic
    assert moved_objects(world, scenario, SEED)  # something moved unseen


def test_success_and_the_shortest_route_on_a_driven_oracle(home):
    robot, tasks, _ = home
    task = next(t for t in tasks if t.kind == "find")
    robot.reset(SEED, task)
    shortest = optimal_length(task, robot)
    where = robot.truth_position(task.target)
    obs = robot.step(Action.move_to(*where))
    assert obs.travelled_m == pytest.approx(shortest, rel=1e-6)  # the oracle is the route the robot drives
    robot.step(Action.look(math.atan2(where[1] - robot.pose[1], where[0] - robot.pose[0])))
    robot.step(Action.stop())
    assert succeeded(task, robot) == robot.truth_in_view(task.target, 1.5)
    last = next(t for t in tasks if t.kind == "last_seen")
    robot.reset(SEED, last)
    robot.step(Action.move_to(*last.goal))
    robot.step(Action.stop())
    assert succeeded(last, robot) == (math.dist(robot.pose[:2], last.goal) <= 1.5)
