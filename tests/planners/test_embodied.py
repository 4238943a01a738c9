"""Planning over a memory store (planners/goals.py, planners/embodied.py): goals from sightings with their
ages and habits, frontier rooms when memory holds nothing, the place graph's path, plans as JSON."""

from __future__ import annotations

import json
import math

import pytest

from memory.perceived import Area, Sighting, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from planners.embodied import SCAN_YAWS, STANDOFF_M, area_path, make_plan, standoff
from planners.goals import RECENCY_S, memory_candidates

ROOMS = [Area("kitchen", 0.0, 0.0, 4.0, 4.0), Area("living room", 4.0, 0.0, 8.0, 4.0),
         Area("bedroom", 4.0, 4.0, 8.0, 8.0)]
USUAL = (1.0, 1.0)  # where the red mug stood most of the time
LAST = (6.5, 2.0)  # where it was seen last


@pytest.fixture()
def store(tmp_path):
    s = MemoryStore(tmp_path / "m", create=True)
    s.add_stream("cam", "cam")
    set_areas(s, ROOMS)
    s.add_poses([Pose("cam", float(t), 2.0 + t / 100, 2.0, 0.0) for t in range(0, 121)])
    rows = [Sighting("cam", float(t), 1, "object", "mug", 0.9, USUAL[0] + 0.05 * (t % 3), USUAL[1], "red")
            for t in range(10, 40)]
    rows += [Sighting("cam", float(t), 2, "object", "mug", 0.9, *LAST, "red") for t in (100, 101)]
    rows += [Sighting("cam", 50.0, 3, "furniture", "fridge", 0.9, 0.5, 3.5, "white", state="closed")]
    add_sightings(s, rows)
    yield s
    s.close()


def test_the_last_known_place_leads_and_fades_into_the_usual_one(store):
    soon = memory_candidates(store, "mug", "red", now=110.0)
    assert (soon[0].x, soon[0].y) == pytest.approx(LAST) and soon[0].age_s == pytest.approx(9.0)
    assert soon[1].x == pytest.approx(USUAL[0], abs=0.1) and soon[1].sightings == 30
    later = memory_candidates(store, "mug", "red", now=110.0 + 5 * RECENCY_S)
    assert later[0].x == pytest.approx(USUAL[0], abs=0.1)  # long unseen: habit outweighs the last sighting
    last_then = next(c for c in later if c.sightings == 2)
    assert last_then.confidence < soon[0].confidence  # confidence falls with time since seen
    assert sum(c.confidence for c in soon) <= 0.8 + 1e-9  # memory never claims certainty


def test_a_colour_asked_for_weighs_the_places(store):
    red = memory_candidates(store, "mug", "red", now=110.0)
    blue = memory_candidates(store, "mug", "blue", now=110.0)
    assert blue[0].confidence < red[0].confidence


def test_plan_recalls_from_memory_with_evidence(store):
    plan = make_plan(store, "Please find the red mug", at=110.0)
    assert plan.mode == "recall" and plan.instruction.label == "mug"
    assert plan.goals[0].source == "memory" and plan.goals[0].evidence
    assert plan.path == area_path(ROOMS, plan.start[:2], plan.goal_poses[0])
    assert [s.action for s in plan.steps] == ["move_to", "look", "stop"]
    move = plan.steps[0]
    assert math.dist((move.x, move.y), plan.goal_poses[0]) == pytest.approx(STANDOFF_M)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["goals"][0]["source"] == "memory" and data["steps"][0]["action"] == "move_to"
    # every room stays a goal to explore, with the belief memory leaves
    explore = [g for g in plan.goals if g.source == "explore"]
    assert {g.room for g in explore} == {a.name for a in ROOMS}


def test_plan_explores_when_memory_never_saw_it(store):
    plan = make_plan(store, "Find the green umbrella", at=110.0)
    assert plan.mode == "explore" and all(g.source == "explore" for g in plan.goals)
    assert plan.steps[0].action == "move_to" and sum(s.action == "look" for s in plan.steps) == SCAN_YAWS


def test_plan_bring_and_last_seen(store):
    bring = make_plan(store, "Bring the red mug to the bedroom", at=110.0)
    assert [s.action for s in bring.steps] == ["move_to", "look", "pick", "move_to", "stop"]
    assert (bring.steps[3].x, bring.steps[3].y) == (6.0, 6.0)
    last = make_plan(store, "Go to where you last saw the mug", at=110.0)
    assert len(last.goals) == 1 and (last.steps[0].x, last.steps[0].y) == pytest.approx(LAST)


def test_area_path_crosses_shared_walls():
    assert area_path(ROOMS, (1.0, 1.0), (6.0, 6.0)) == ["kitchen", "living room", "bedroom"]
    x, y, yaw = standoff(ROOMS, None, 7.5, 2.0, 1.0)
    assert math.dist((x, y), (7.5, 2.0)) == pytest.approx(1.0)
    assert math.atan2(2.0 - y, 7.5 - x) == pytest.approx(yaw)


def test_an_unplaced_sighting_still_tells_where_the_camera_looked(store):
    add_sightings(store, [Sighting("cam", 60.0, 4, "object", "keys", 0.8, colour="pink")])
    found = memory_candidates(store, "keys", "", now=110.0)
    x, y = 2.0 + 60 / 100, 2.0  # the pose log at 60 s, looking along +x
    assert len(found) == 1 and (found[0].x, found[0].y) == pytest.approx((x + 1.5, y))
    assert found[0].last_seen == 60.0


def test_last_seen_counts_the_latest_sighting_placed_or_not(store):
    add_sightings(store, [Sighting("cam", 105.0, 5, "object", "mug", 0.8, colour="red")])
    plan = make_plan(store, "Go to where you last saw the red mug", at=110.0)
    x, y = 2.0 + 105 / 100 + 1.5, 2.0  # 1.5 m ahead of the camera at 105 s, later than the placed ones
    assert plan.goals[0].last_seen == 105.0 and (plan.steps[0].x, plan.steps[0].y) == pytest.approx((x, y))
