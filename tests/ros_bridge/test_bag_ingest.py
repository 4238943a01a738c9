"""`mnemo ingest` and `mnemo job` with bags: places in the bag's map frame, evidence with the camera's
pose, several cameras as several streams, and bad bags (truncated, unknown types only, no camera, a
wrong encoding): one clear line each, naming the bag and the problem, and nothing stored lost."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from mnemo.cli import app

runner = CliRunner()


def mnemo(*args: str) -> SimpleNamespace:
    """The CLI in this process (models load once for the module), as a finished command."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def rows(memory: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(memory / "memory.db") as db:
        return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def bad_bags(bags, tmp_path_factory) -> dict[str, Path]:
    """One bag for each way a bag can be bad."""
    from rosbags.typesys import get_types_from_msg

    root = tmp_path_factory.mktemp("bad")
    whole = bags.write_robot_bag(root / "whole.bag", seconds=3.0).read_bytes()
    (root / "truncated.bag").write_bytes(whole[: len(whole) // 2])
    with bags.BagWriter(root / "unknown_types", "sqlite3") as bag:  # a custom message type, nothing else
        bag.ts.register(get_types_from_msg("string label\nfloat64 score", "acme_msgs/msg/Thing"))
        bag.write("/things", "acme_msgs/msg/Thing", bag.T["acme_msgs/msg/Thing"](label="mug", score=0.9), 0.0)
    nocamera = bags.write_robot_bag(root / "no_camera.bag", seconds=2.0, cameras=())
    with bags.BagWriter(root / "wrong_encoding.bag") as bag:
        bag.write("/camera/image", "sensor_msgs/msg/Image", bag.image(0.0, "cam", "rgb8", 120, 160, 480, bytes(1000)), 0.0)
    return {"truncated": root / "truncated.bag", "unknown": root / "unknown_types", "no_camera": nocamera,
            "encoding": root / "wrong_encoding.bag"}


@pytest.fixture(scope="module")
def ingested(robot_bags, tmp_path_factory) -> tuple[Path, SimpleNamespace]:
    memory = tmp_path_factory.mktemp("mem") / "robot"
    done = mnemo("ingest", str(robot_bags["ros1"]), "--memory", str(memory), "--profile", "lite", "-q")
    return memory, done


def test_places_are_in_the_bags_map_frame(ingested, bags):
    memory, done = ingested
    assert done.returncode == 0, done.stderr
    places = json.loads(mnemo("places", "--memory", str(memory), "--json").stdout)
    path = [bags.camera_in_map(t / 10) for t in range(120)]
    assert len(places) >= 2 and all(p["kind"] == "pose" and p["frame"] == "map" for p in places)
    for place in places:  # every place lies on the camera's path through the map (the oracle)
        assert min(math.dist((place["x"], place["y"]), p[:2]) for p in path) < 0.01
    ys = sorted(p["y"] for p in places)
    assert ys[-1] - ys[0] > 3.0  # the 5.5 m drive is spread over places


def test_evidence_carries_the_cameras_pose(ingested, bags):
    memory, _ = ingested
    answer = json.loads(mnemo("ask", "what was said about the red mug?", "--memory", str(memory), "--json").stdout)
    first = answer["evidence"][0]
    assert "red mug" in first["text"]
    pose = first["pose"]
    assert pose["frame"] == "map" and first["start"] <= pose["time"] <= first["end"]
    assert (pose["x"], pose["y"], pose["yaw"]) == pytest.approx(bags.camera_in_map(pose["time"]), abs=2e-3)


def test_bad_bags_get_one_line_each_and_the_good_one_is_ingested(robot_bags, bad_bags, tmp_path):
    memory = tmp_path / "mixed"
    done = mnemo("ingest", str(robot_bags["mcap"]), *map(str, bad_bags.values()), "--memory", str(memory),
                 "--profile", "lite", "-q")
    assert done.returncode == 1, done.stderr  # some failed, some ingested
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, done.stderr
    expected = {"truncated": "cannot be read as a ROS bag: truncated, damaged or not a bag",
                "unknown": "has no camera topic (sensor_msgs/Image or CompressedImage) to remember; its topics: "
                           "/things (acme_msgs/msg/Thing)",
                "no_camera": "has no camera topic",
                "encoding": "topic /camera/image: rgb8 image of 160x120 needs 57600 bytes (row step 480), "
                            "the message has 1000"}
    for (name, path), line in zip(bad_bags.items(), errors):
        assert line.startswith(f"error: {path}: ") and expected[name] in line, line
    assert rows(memory, "SELECT COUNT(DISTINCT stream) FROM events") == [(1,)]
    before = rows(memory, "SELECT * FROM events ORDER BY id") + rows(memory, "SELECT * FROM poses ORDER BY time")
    again = mnemo("ingest", str(bad_bags["truncated"]), "--memory", str(memory), "-q")
    assert again.returncode == 2 and again.stderr.count("error:") == 1
    after = rows(memory, "SELECT * FROM events ORDER BY id") + rows(memory, "SELECT * FROM poses ORDER BY time")
    assert after == before  # nothing stored was lost or changed


def test_topic_overrides_on_the_command_line(robot_bags, tmp_path):
    memory = tmp_path / "odom"
    wrong = mnemo("ingest", str(robot_bags["sqlite3"]), "--topic", "image=/odom", "--memory", str(memory), "-q",
                  "--profile", "lite")
    assert wrong.returncode == 2
    assert "topic /odom is nav_msgs/msg/Odometry, not a image topic" in wrong.stderr
    done = mnemo("ingest", str(robot_bags["sqlite3"]), "--topic", "pose=/odom", "--memory", str(memory), "-q",
                 "--profile", "lite")
    assert done.returncode == 0, done.stderr
    frames = rows(memory, "SELECT DISTINCT frame FROM poses")
    assert frames == [("odom",)] and rows(memory, "SELECT COUNT(*) FROM poses") == [(60,)]


def test_a_job_ingests_each_camera_of_a_bag_and_reports_a_bad_one(bags, bad_bags, tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    bags.write_robot_bag(folder / "two_cameras.bag", cameras=("/front/image", "/rear/image"), seconds=6.0)
    (folder / "truncated.bag").write_bytes(bad_bags["truncated"].read_bytes())
    memory = tmp_path / "job"
    done = mnemo("job", str(folder), "--memory", str(memory), "--profile", "lite", "-q", "--json")
    summary = json.loads(done.stdout)
    assert (summary["ingested"], summary["failed"], summary["skipped"]) == (2, 1, 0), done.stdout
    assert "truncated.bag: cannot be read as a ROS bag" in summary["failures"][0]["reason"]
    uris = sorted(r[0] for r in rows(memory, "SELECT uri FROM streams"))
    assert [u.rsplit("image=", 1)[1] for u in uris] == ["/front/image", "/rear/image"]
    again = json.loads(mnemo("job", str(folder), "--memory", str(memory), "--profile", "lite", "-q", "--json").stdout)
    assert (again["ingested"], again["already_done"]) == (0, 2)
