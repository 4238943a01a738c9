"""`mnemo ros2` between two processes over DDS on loopback (a random ROS_DOMAIN_ID): the node as a
subprocess, this test process as the robot (ros_bridge/dds.py's participant publishing the camera,
odometry, tf and a text topic as a ROS 2 robot does) and as the client asking on ~/ask.

One run covers: the robot's Detection2DArray topic becoming sightings; events published as they are
committed; a question answered with its id and evidence whose camera pose (from tf) matches the robot's geometry; a goal sent for it; a bad question; a text topic
that never speaks; a frame stamped out of order; SIGINT leaving an intact memory with every event published
once. Without a subprocess: the live source hearing a microphone over DDS, and a DDS round trip byte for byte.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ros

REPO = Path(__file__).resolve().parents[2]
SECONDS, RATE, WIDTH, HEIGHT = 8.0, 5.0, 160, 120
NODE = "mnemo_test"


@pytest.fixture(scope="module")
def domain():
    """A random ROS domain on loopback for this module (and the node it starts)."""
    pytest.importorskip("cyclonedds", reason="cyclonedds is not installed: pip install cyclonedds (scripts/setup.sh)")
    saved = {k: os.environ.get(k) for k in ("ROS_DOMAIN_ID", "ROS_LOCALHOST_ONLY", "CYCLONEDDS_URI")}
    os.environ.update(ROS_DOMAIN_ID=str(random.randrange(1, 200)), ROS_LOCALHOST_ONLY="1")
    os.environ.pop("CYCLONEDDS_URI", None)
    from ros_bridge import ros2

    ros2.use("dds")  # these tests are the DDS backend's (rclpy, where importable, has tests of its own)
    yield os.environ["ROS_DOMAIN_ID"]
    ros2.use("auto")
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class Robot:
    """This process on the ROS 2 graph: the robot's publishers, and a client of the node's topics."""

    def __init__(self, bags, microphone: bool = False):
        from ros_bridge.dds import Dds

        self.dds = Dds()
        self.microphone = microphone
        self.m = bags.Messages(self.dds.store)
        self.camera = self.dds.writer("/camera/image", "sensor_msgs/msg/Image", reliable=False, depth=5)
        self.odom = self.dds.writer("/odom", "nav_msgs/msg/Odometry", reliable=False, depth=10)
        self.tf = self.dds.writer("/tf", "tf2_msgs/msg/TFMessage", depth=100)
        self.tf_static = self.dds.writer("/tf_static", "tf2_msgs/msg/TFMessage", depth=10, latched=True)
        self.speech = self.dds.writer("/speech", "std_msgs/msg/String")
        self.silent = self.dds.writer("/silent", "std_msgs/msg/String")  # a text topic that never speaks
        self.detections = self.dds.writer("/detections", "vision_msgs/msg/Detection2DArray", reliable=False)
        self.audio_out = self.dds.writer("/audio/audio", "audio_common_msgs/msg/AudioDataStamped", reliable=False,
                                         depth=20)
        self.audio_info = self.dds.writer("/audio/audio_info", "audio_common_msgs/msg/AudioInfo", depth=1, latched=True)
        self.ask_out = self.dds.writer(f"/{NODE}/ask", "std_msgs/msg/String")
        self.events, self.answers, self.goals = [], [], []
        self.lock = threading.Lock()
        self.dds.reader(f"/{NODE}/events", "std_msgs/msg/String", lambda m: self._add(self.events, json.loads(m.data)),
                        reliable=True, depth=100)
        self.dds.reader(f"/{NODE}/answer", "std_msgs/msg/String", lambda m: self._add(self.answers, json.loads(m.data)),
                        reliable=True, depth=100)
        self.dds.reader(f"/{NODE}/goal", "geometry_msgs/msg/PoseStamped", lambda m: self._add(self.goals, m),
                        reliable=True, depth=1, latched=True)

    def _add(self, items: list, item) -> None:
        with self.lock:
            items.append(item)

    def publish(self, bags, t: float, stamp: float | None = None) -> None:
        """The robot at media time t: odometry, tf and a camera image (stamped ``stamp``, t by default)."""
        stamp = t if stamp is None else stamp
        self.odom.publish(self.m.odometry(stamp, bags.SPEED * stamp, 0.0, 0.0))
        self.tf.publish(self.m.tf(stamp, "odom", "base_link", bags.SPEED * stamp, 0.0, 0.0))
        self.tf.publish(self.m.tf(stamp, "map", "odom", *bags.MAP_ODOM))
        data, step = bags.rgb_bytes(bags.scene_image(stamp, WIDTH, HEIGHT), "rgb8")
        self.camera.publish(self.m.image(stamp, "camera_link", "rgb8", HEIGHT, WIDTH, step, data))
        self.detections.publish(bags.detection_array(self.m, stamp, "camera_link", [(*bags.mug_box(WIDTH, HEIGHT),
                                                                                     "mug", 0.9)]))
        if self.microphone:
            self.speak(bags, stamp, 2)

    def speak(self, bags, stamp: float, count: int) -> None:
        """``count`` AudioDataStamped messages of 0.1 s from ``stamp`` (44.1 kHz stereo: a tone from 2 s to 4 s)."""
        T = self.m.T
        for k in range(count):
            t0 = stamp + k / 10
            payload = np.frombuffer(bags.tone(t0, bags.AUDIO_RATE // 10).tobytes(), np.uint8)
            self.audio_out.publish(T["audio_common_msgs/msg/AudioDataStamped"](
                header=self.m.header(t0, "mic"), audio=T["audio_common_msgs/msg/AudioData"](data=payload)))

    def ask(self, payload, key=None, timeout: float = 30.0) -> dict:
        key = payload.get("id") if isinstance(payload, dict) else key
        self.ask_out.publish(self.m.string(payload if isinstance(payload, str) else json.dumps(payload)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [a for a in self.answers if a.get("id") == key]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no answer to {payload!r} within {timeout} s")

    def close(self) -> None:
        self.dds.close()


def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.1)


def _stop(process: subprocess.Popen, wait: float = 30.0) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.mark.slow
def test_node_remembers_and_answers_over_dds(domain, bags, tmp_path):
    memory, log = tmp_path / "mem", tmp_path / "node.log"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    robot = Robot(bags)
    robot.tf_static.publish(robot.m.tf(0.0, "base_link", "camera_link", bags.CAMERA_AHEAD, 0.0, 0.0, z=0.3))
    node = subprocess.Popen([sys.executable, "-m", "mnemo", "-v", "ros2", "--memory", str(memory), "--profile", "test",
                             "--node-name", NODE, "--topic", "text=/speech", "--topic", "text=/silent", "--wait", "60",
                             "--transport", "dds"],
                            cwd=REPO, env={**env}, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        # the node is up when it reads the camera and listens for questions
        _until(lambda: all(w.matched() > 0 for w in (robot.camera, robot.ask_out, robot.speech, robot.detections))
               or node.poll() is not None, 60, "the node did not subscribe the camera, /speech, detections and ~/ask")
        assert node.poll() is None, log.read_text()
        start = time.monotonic()
        said = False
        for tick in range(int(SECONDS * RATE)):
            t = tick / RATE
            robot.publish(bags, t)
            if tick == int(SECONDS * RATE) // 2:  # a frame stamped out of order, 0.4 s back: dropped, not a jump
                robot.publish(bags, t, stamp=t - 0.4)
            if not said and t >= 5.0:
                robot.speech.publish(robot.m.string("the red mug is on the table"))
                said = True
            time.sleep(max(0.0, start + (tick + 1) / RATE - time.monotonic()))
        _until(lambda: robot.events, 40, f"no event was published on ~/events: {log.read_text()[-3000:]}")
        assert all({"id", "stream", "start", "end", "text", "pose"} <= set(e) for e in robot.events)

        answer = robot.ask({"id": "q-1", "question": "where was the red mug mentioned?", "goal": True})
        assert answer["id"] == "q-1" and "answer" in answer and answer["evidence"], answer
        posed = [e["pose"] for e in answer["evidence"] if e.get("pose")]
        assert posed, f"no evidence carries a pose: {answer['evidence']}"
        with sqlite3.connect(f"file:{memory / 'memory.db'}?mode=ro", uri=True) as db:
            origin = json.loads(db.execute("SELECT info FROM streams").fetchone()[0])["wall_clock"] - bags.START
        assert 0 <= origin < 2.0  # media time 0: the first stamp the node received (UNIX stamps: a wall clock)
        for pose in posed:  # the camera's pose from tf (map -> odom -> base_link -> camera_link)
            expected = bags.camera_in_map(pose["time"] + origin)
            assert pose["frame"] == "map"
            assert math.isclose(pose["x"], expected[0], abs_tol=0.01) and math.isclose(pose["y"], expected[1], abs_tol=0.05)
            assert math.isclose(pose["yaw"], expected[2], abs_tol=0.01)
        _until(lambda: robot.goals, 10, "no goal on ~/goal for a question asking for one")
        goal = robot.goals[-1]
        assert goal.header.frame_id == "map"
        assert math.isclose(goal.pose.position.x, posed[0]["x"], abs_tol=1e-3)
        assert math.isclose(goal.pose.position.y, posed[0]["y"], abs_tol=1e-3)

        bad = robot.ask('{"id": "q-2", "question": 7}', key="q-2")
        assert bad["id"] == "q-2" and "error" in bad
        assert node.poll() is None
    finally:
        _stop(node)  # the node publishes the events it commits while stopping ...
        time.sleep(0.5)
        robot.close()  # ... which the robot reads until here
    output = log.read_text()
    assert node.returncode == 130, output
    assert "stopped (interrupted (Ctrl-C))" in output, output

    with sqlite3.connect(memory / "memory.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        events = db.execute('SELECT id, start, "end" FROM events ORDER BY start').fetchall()
        frames = db.execute("SELECT COUNT(*) FROM poses").fetchone()[0]
        labels = {row[0] for row in db.execute("SELECT label FROM sightings")}
    assert len(events) >= 1 and frames > 0
    assert labels == {"mug"}  # the robot's detector's boxes, through the tracker and re-identification
    for (_, _, end), (_, start, _) in zip(events, events[1:]):
        assert start >= end - 1e-6, events
    published = [e["id"] for e in robot.events]
    assert sorted(published) == [e[0] for e in sorted(events)], (published, events)  # every committed event, once


def test_dds_round_trip_is_exact(domain, bags):
    """A message published by one participant arrives equal, field for field and byte for byte."""
    from ros_bridge.dds import Dds

    with Dds() as a, Dds() as b:
        got = []
        b.reader("/img", "sensor_msgs/msg/Image", got.append, reliable=True, depth=10)
        writer = a.writer("/img", "sensor_msgs/msg/Image")
        _until(lambda: writer.matched() > 0, 10, "the reader did not match")
        m = bags.Messages(a.store)
        pixels = np.random.default_rng(0).integers(0, 256, (7, 5, 3), np.uint8)
        data, step = bags.rgb_bytes(pixels, "rgb8")
        sent = m.image(1.25, "cam", "rgb8", 7, 5, step, data)
        writer.publish(sent)
        _until(lambda: got, 10, "no image arrived")
        [received] = got
        assert bytes(a.store.serialize_cdr(received, "sensor_msgs/msg/Image")) == \
            bytes(a.store.serialize_cdr(sent, "sensor_msgs/msg/Image"))
        assert received.header.frame_id == "cam" and bytes(received.data) == data
        assert a.published().get("/img") == "sensor_msgs/msg/Image"


def test_the_source_hears_the_microphone_over_dds(domain, bags):
    """``ros2:///...?audio=`` in this process, the robot another participant: AudioDataStamped (44.1 kHz stereo
    S16LE, described by a latched AudioInfo) becomes 16 kHz mono chunks with the tone where it was recorded."""
    import ros_bridge  # noqa: F401 - registers the ros2 scheme
    from ros_bridge import ros2
    from streams.packets import AudioChunk
    from streams.sampling import SamplingPolicy
    from streams.schemes import open_source

    robot = Robot(bags)
    try:
        robot.audio_info.publish(robot.m.T["audio_common_msgs/msg/AudioInfo"](
            channels=2, sample_rate=bags.AUDIO_RATE, sample_format="S16LE", bitrate=0, coding_format="wave"))
        source = open_source("ros2:///camera/image?audio=/audio/audio&audio_info=/audio/audio_info",
                             SamplingPolicy(fps=2.0, frame_size=64, audio=True))
        assert source.info.has_audio
        _until(lambda: robot.audio_out.matched() > 0 and robot.camera.matched() > 0, 10, "the source did not subscribe")
        robot.publish(bags, 0.0)
        for k in range(50):  # 5 s of audio, faster than real time (sensors are best-effort: not all at once)
            robot.speak(bags, k / 10, 1)
            time.sleep(0.01)
        chunks: list = []
        reader = threading.Thread(target=lambda: chunks.extend(p for p in source.packets() if isinstance(p, AudioChunk)))
        reader.start()
        _until(lambda: len(chunks) >= 4, 15, "no audio chunks arrived")
        source.stop()
        reader.join(timeout=5)
        source.close()
    finally:
        robot.close()
        ros2.shutdown()
    audio = np.concatenate([c.samples for c in chunks])
    assert [c.time for c in chunks][:4] == [0.0, 1.0, 2.0, 3.0] and all(c.sample_rate == 16000 for c in chunks)
    loud = np.flatnonzero(np.abs(audio) > 0.1) / 16000
    assert loud[0] == pytest.approx(bags.TONE[0], abs=0.002)
