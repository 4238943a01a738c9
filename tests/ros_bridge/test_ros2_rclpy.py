"""The rclpy transport of `mnemo ros2` (ros_bridge/rclpy_graph.py) on a real ROS 2 graph: this process's rclpy node
reads a robot that publishes over Cyclone DDS (ros_bridge/dds.py) in a random domain on loopback, so the messages
cross two middlewares (rclpy's own, Fast DDS with the PyPI wheels, and Cyclone) as between a robot and mnemo.

The camera (best-effort), odometry and a text topic (reliable) become the packets the same messages give the live
feed directly (the DDS path's objects are the oracle); a question on ~/ask is answered on ~/answer with its id, its
goal sent on ~/goal, and an event published on ~/events. ``make test`` runs this file in a pytest process of its own
through scripts/rclpy_env.sh, with the PyPI ``ros-rclpy`` wheels that ``make setup`` installs into .venv/rclpy
(rclpy's libraries must be on LD_LIBRARY_PATH before Python starts); skipped, with the reason, where rclpy is not
importable (set-up could not install it, or another process; see docs/ros.md).
"""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time

import numpy as np
import pytest

pytestmark = pytest.mark.ros

NODE = "mnemo_rclpy_test"
RATE, SECONDS, WIDTH, HEIGHT = 5.0, 2.0, 160, 120


@pytest.fixture(scope="module")
def rclpy_graph():
    """The process's ROS 2 participant through rclpy, in a random domain on loopback."""
    try:
        import rclpy  # noqa: F401
        import geometry_msgs.msg  # noqa: F401
        import nav_msgs.msg  # noqa: F401
        import sensor_msgs.msg  # noqa: F401
        import std_msgs.msg  # noqa: F401
    except ImportError as error:
        pytest.skip(f"rclpy (or a message package) is not importable ({error}): `make setup` installs PyPI's ros-rclpy "
                    "wheels into .venv/rclpy (where it could not, it warned) and `make test` runs these tests through "
                    "scripts/rclpy_env.sh (or `make test-rclpy`); or source a ROS 2 install's setup.bash")
    pytest.importorskip("cyclonedds", reason="cyclonedds is not installed: pip install cyclonedds (scripts/setup.sh)")
    from ros_bridge import ros2

    saved = {k: os.environ.get(k) for k in ("ROS_DOMAIN_ID", "ROS_LOCALHOST_ONLY", "CYCLONEDDS_URI")}
    os.environ.update(ROS_DOMAIN_ID=str(random.randrange(1, 200)), ROS_LOCALHOST_ONLY="1")
    os.environ.pop("CYCLONEDDS_URI", None)
    ros2.shutdown()
    assert ros2.use("rclpy", NODE) == "rclpy"
    try:
        yield ros2.participant()
    finally:
        ros2.shutdown()
        ros2.use("auto")
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.05)


def _stamped(packets: list, wall_clock: float) -> dict:
    """Packets by kind and UNIX time (media time + the stream's wall clock), to compare across origins."""
    found: dict = {}
    for p in packets:
        found[(type(p).__name__, round(wall_clock + p.time, 3))] = p
    return found


def test_topics_arrive_through_rclpy_as_the_feed_makes_them(rclpy_graph, bags):
    from ros_bridge.dds import Dds
    from ros_bridge.live import TopicFeed
    from ros_bridge.rclpy_graph import RclpyGraph
    from ros_bridge.ros2 import Ros2Source
    from streams.sampling import SamplingPolicy

    assert isinstance(rclpy_graph, RclpyGraph)
    policy = SamplingPolicy(fps=RATE, frame_size=64)
    uri = "ros2:///camera/image?pose=/odom&pose_named=1&text=/speech"
    with Dds() as robot:
        m = bags.Messages(robot.store)
        camera = robot.writer("/camera/image", "sensor_msgs/msg/Image", reliable=False, depth=5)
        odom = robot.writer("/odom", "nav_msgs/msg/Odometry", depth=10)
        speech = robot.writer("/speech", "std_msgs/msg/String")
        source = Ros2Source(uri, policy)
        _until(lambda: camera.matched() and odom.matched() and speech.matched(), 20,
               "the rclpy node did not subscribe the camera, /odom and /speech")
        reference = TopicFeed(uri, "reference", policy, "/camera/image", "/odom", pose_named=True)
        start = time.monotonic()
        for tick in range(int(SECONDS * RATE)):
            t = tick / RATE
            data, step = bags.rgb_bytes(bags.scene_image(t * 3, WIDTH, HEIGHT), "rgb8")  # a new scene each 1.3 s
            sent = [(odom, reference.pose, m.odometry(t, bags.SPEED * t, 0.0, 0.0)),
                    (camera, reference.image, m.image(t, "camera_link", "rgb8", HEIGHT, WIDTH, step, data))]
            for writer, feed, message in sent:
                writer.publish(message)
                feed(message)  # the oracle: the same message, straight into the feed
            if tick == 5:
                speech.publish(m.string("the red mug is on the table"))
                reference.text("the red mug is on the table")
            time.sleep(max(0.0, start + (tick + 1) / RATE - time.monotonic()))
        time.sleep(0.5)
        source.stop()
        reference.stop()
        ours, theirs = list(source.packets()), list(reference.packets())
        source.close()
    assert source.clock.wall_clock is not None and reference.clock.wall_clock is not None
    got, expected = _stamped(ours, source.clock.wall_clock), _stamped(theirs, reference.clock.wall_clock)
    frames = [k for k in got if k[0] == "VideoFrame"]
    assert len(frames) >= 0.8 * SECONDS * RATE  # best-effort on loopback: nearly every frame
    for key, packet in got.items():
        if key[0] == "TextCue":
            [cue] = [p for k, p in expected.items() if k[0] == "TextCue"]
            assert packet.text == cue.text
            continue
        other = expected[key]
        if key[0] == "VideoFrame":
            assert np.array_equal(packet.image, other.image)
        else:
            assert (packet.x, packet.y, packet.yaw, packet.frame) == (other.x, other.y, other.yaw, other.frame)
    assert sum(k[0] == "PoseReading" for k in got) >= 0.8 * SECONDS * RATE


def test_questions_answers_events_and_goals_through_rclpy(rclpy_graph, bags):
    from ros_bridge.dds import Dds
    from ros_bridge.ros2 import Ros2Interface

    where = {"time": 1.0, "x": 1.5, "y": -2.0, "yaw": 0.5, "frame": "map"}
    events: list[list[dict]] = []  # what the node's events callback returns next

    def answer(request: dict) -> dict:  # the node's answerer (a memory's ask in mnemo ros2)
        return {"answer": f"seen: {request['question']}", "evidence": [{"pose": where}]}

    got: dict[str, list] = {"events": [], "answers": [], "goals": []}
    lock = threading.Lock()

    def keep(kind: str, value) -> None:
        with lock:
            got[kind].append(value)

    with Dds() as robot:
        m = bags.Messages(robot.store)
        robot.reader(f"/{NODE}/events", "std_msgs/msg/String", lambda s: keep("events", json.loads(s.data)),
                     reliable=True, depth=10)
        robot.reader(f"/{NODE}/answer", "std_msgs/msg/String", lambda s: keep("answers", json.loads(s.data)),
                     reliable=True, depth=10)
        robot.reader(f"/{NODE}/goal", "geometry_msgs/msg/PoseStamped", lambda g: keep("goals", g), reliable=True,
                     depth=1, latched=True)
        ask = robot.writer(f"/{NODE}/ask", "std_msgs/msg/String")
        interface = Ros2Interface(answer, lambda: events.pop() if events else [], poll=0.1, node_name=NODE)
        try:
            # both ways (a volatile topic loses what is sent before its reader is matched)
            _until(lambda: ask.matched() and all(w.matched() for w in (interface._events_out, interface._answers_out,
                                                                        interface._goals_out)),
                   20, "the rclpy node and the robot did not match ~/ask, ~/events, ~/answer and ~/goal")
            time.sleep(0.5)
            events.append([{"id": 1, "stream": "s", "start": 0.0, "end": 2.0, "text": "a mug", "pose": where}])
            ask.publish(m.string(json.dumps({"id": "q-1", "question": "where is the mug?", "goal": True})))
            _until(lambda: got["answers"] and got["goals"] and got["events"], 20, f"no answer, goal and event: {got}")
        finally:
            interface.close()
    [reply] = got["answers"]
    assert reply["id"] == "q-1" and reply["answer"] == "seen: where is the mug?"
    assert got["events"][0]["id"] == 1 and got["events"][0]["pose"] == where
    goal = got["goals"][-1]
    assert goal.header.frame_id == "map"
    assert (goal.pose.position.x, goal.pose.position.y) == pytest.approx((1.5, -2.0))
    assert goal.pose.orientation.z == pytest.approx(math.sin(0.25)) and goal.pose.orientation.w == pytest.approx(
        math.cos(0.25))
