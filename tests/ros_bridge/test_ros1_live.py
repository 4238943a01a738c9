"""`mnemo ros1` against Debian's real ROS 1: a roscore on a free loopback port, the node as a subprocess,
fed by `rosbag play --clock` of a bag written by the tests' rosbags writer (bags.py); this test process
is a rospy client that reads ~events, asks on ~ask and reads ~answer and ~goal.

One run covers: events published as they are committed; a question answered with its id, its evidence
carrying the camera's pose from tf (checked against the bag's geometry); a goal sent for it; a text
topic that never speaks and a camera that goes silent between two plays; the clock jumping back (the
bag played again, then looped); a bad question; SIGINT leaving an intact memory.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros

DIST = "/usr/lib/python3/dist-packages"
REPO = Path(__file__).resolve().parents[2]
BAG_SECONDS = 8.0


def _rospy():
    if DIST not in sys.path:
        sys.path.append(DIST)
    try:
        import rospy
        from geometry_msgs.msg import PoseStamped  # noqa: F401
        from std_msgs.msg import String  # noqa: F401
    except ImportError as error:
        pytest.skip(f"rospy is not installed ({error}): apt-get install ros-core python3-rospy ... (scripts/setup.sh)")
    return rospy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen, sig=signal.SIGINT, wait: float = 10.0) -> None:
    """End a process group we started: ``sig``, then SIGKILL after ``wait`` s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    """A roscore on a free loopback port; ROS_MASTER_URI and ROS_IP set for this process and its children."""
    if shutil.which("roscore") is None or shutil.which("rosbag") is None:
        pytest.skip("roscore/rosbag are not installed: apt-get install ros-core python3-rosbag (scripts/setup.sh)")
    _rospy()
    home = tmp_path_factory.mktemp("ros_home")
    port = _free_port()
    uri = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("ROS_MASTER_URI", "ROS_IP", "ROS_HOME", "ROS_LOG_DIR")}
    os.environ.update(ROS_MASTER_URI=uri, ROS_IP="127.0.0.1", ROS_HOME=str(home), ROS_LOG_DIR=str(home / "log"))
    core = subprocess.Popen(["roscore", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                xmlrpc.client.ServerProxy(uri).getPid("/test")
                break
            except OSError:
                if time.monotonic() > deadline or core.poll() is not None:
                    pytest.fail("roscore did not come up in 30 s")
                time.sleep(0.2)
        yield uri
    finally:
        _stop(core)  # roscore's group: rosmaster and rosout with it
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Client:
    """This process as a rospy node: what the mnemo node publishes, gathered; questions published."""

    def __init__(self, node: str):
        rospy = _rospy()
        from geometry_msgs.msg import PoseStamped
        from std_msgs.msg import String

        if not rospy.core.is_initialized():
            rospy.init_node("mnemo_test_client", anonymous=True, disable_signals=True)
        self.String = String
        self.events, self.answers, self.goals = [], [], []
        self.lock = threading.Lock()
        self.subs = [rospy.Subscriber(f"/{node}/events", String, lambda m: self._add(self.events, json.loads(m.data))),
                     rospy.Subscriber(f"/{node}/answer", String, lambda m: self._add(self.answers, json.loads(m.data))),
                     rospy.Subscriber(f"/{node}/goal", PoseStamped, lambda m: self._add(self.goals, m))]
        self.ask_pub = rospy.Publisher(f"/{node}/ask", String, queue_size=10)
        self.silent = rospy.Publisher("/silent", String, queue_size=1)  # a text topic that never speaks

    def _add(self, items: list, item) -> None:
        with self.lock:
            items.append(item)

    def ask(self, payload, key: str | None = None, timeout: float = 30.0) -> dict:
        """Publish a question (JSON-able, or a raw string) and wait for the answer with its id."""
        key = payload.get("id") if isinstance(payload, dict) else key
        deadline = time.monotonic() + timeout
        while self.ask_pub.get_num_connections() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.ask_pub.publish(self.String(data=payload if isinstance(payload, str) else json.dumps(payload)))
        while time.monotonic() < deadline:
            with self.lock:
                found = [a for a in self.answers if a.get("id") == key]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no answer to {payload!r} within {timeout} s")

    def close(self) -> None:
        for sub in self.subs:
            sub.unregister()
        self.ask_pub.unregister()
        self.silent.unregister()


def _subscribed(master: str, topic: str, node: str, timeout: float) -> None:
    """Wait until ``node`` subscribes ``topic`` at the master."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, (_, subscribers, _) = xmlrpc.client.ServerProxy(master).getSystemState("/test")
        if any(name == topic and node in nodes for name, nodes in subscribers):
            return
        time.sleep(0.2)
    raise AssertionError(f"{node} did not subscribe {topic} within {timeout} s")


def _play(bag: Path, *extra: str, timeout: float = 30.0) -> None:
    subprocess.run(["rosbag", "play", "--clock", "-q", "-d", "1", *extra, str(bag)], check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _events_until(client: Client, count: int, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with client.lock:
            if len(client.events) >= count:
                return list(client.events)
        time.sleep(0.2)
    with client.lock:
        return list(client.events)


@pytest.mark.slow
def test_node_remembers_answers_and_survives_jumps(master, bags, tmp_path):
    bag = bags.write_robot_bag(tmp_path / "run.bag", "ros1", seconds=BAG_SECONDS, rate=5.0, detections="41")
    memory = tmp_path / "mem"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    node = subprocess.Popen([sys.executable, "-m", "mnemo", "ros1", "--memory", str(memory), "--profile", "test",
                             "--node-name", "mnemo_test", "--topic", "image=/camera/image", "--topic", "text=/speech",
                             "--topic", "text=/silent", "--topic", "detections=/detections"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    client = None
    try:
        client = Client("mnemo_test")
        _subscribed(master, "/camera/image", "/mnemo_test", timeout=60)
        _subscribed(master, "/speech", "/mnemo_test", timeout=10)

        _play(bag)  # the first run: 0 .. 8 s of media time
        first = _events_until(client, 1, timeout=15)
        assert first, "no event was published on ~events"
        assert all({"id", "stream", "start", "end", "text", "pose"} <= set(e) for e in first)

        answer = client.ask({"id": "q-1", "question": "where was the red mug mentioned?", "goal": True})
        assert answer["id"] == "q-1" and "answer" in answer and answer["evidence"], answer
        posed = [e["pose"] for e in answer["evidence"] if e.get("pose")]
        assert posed, f"no evidence carries a pose: {answer['evidence']}"
        # media time 0 is the first stamp the node received (the stream's wall clock: the stamps are UNIX time)
        with sqlite3.connect(f"file:{memory / 'memory.db'}?mode=ro", uri=True) as db:
            origin = json.loads(db.execute("SELECT info FROM streams").fetchone()[0])["wall_clock"] - bags.START
        assert 0 <= origin < 1.0
        for pose in posed:  # the camera's pose from tf (map -> odom -> base_link -> camera_link) on the bag's path
            assert pose["frame"] == "map"
            expected = bags.camera_in_map(pose["time"] + origin)
            assert math.isclose(pose["x"], expected[0], abs_tol=0.01) and math.isclose(pose["y"], expected[1], abs_tol=0.05)
            assert math.isclose(pose["yaw"], expected[2], abs_tol=0.01)
        deadline = time.monotonic() + 10
        while not client.goals and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.goals, "no goal on ~goal for a question asking for one"
        goal = client.goals[-1]
        assert goal.header.frame_id == "map"
        assert math.isclose(goal.pose.position.x, posed[0]["x"], abs_tol=1e-3)
        assert math.isclose(goal.pose.position.y, posed[0]["y"], abs_tol=1e-3)

        bad = client.ask('{"id": "q-2", "question": 7}', key="q-2")
        assert bad["id"] == "q-2" and "error" in bad

        time.sleep(1.0)  # the camera is silent a while; the clock then jumps back (the bag from its start) ...
        _play(bag)
        _play(bag, "-u", str(BAG_SECONDS * 0.6))  # ... and again, part-way, as a looped bag would
        assert node.poll() is None, node.stdout.read() if node.poll() is not None else ""
        again = client.ask({"id": "q-3", "question": "what happened?", "at": None})
        assert again["id"] == "q-3" and "error" not in again
    finally:
        _stop(node, signal.SIGINT, wait=30)  # the node publishes the events it commits while stopping ...
        time.sleep(0.5)
        if client is not None:
            client.close()  # ... which this client reads until here
    output = node.stdout.read()
    assert node.returncode == 130, output
    assert "stopped (interrupted (Ctrl-C))" in output, output

    with sqlite3.connect(memory / "memory.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        events = db.execute('SELECT id, start, "end" FROM events ORDER BY start').fetchall()
        info = json.loads(db.execute("SELECT info FROM streams").fetchone()[0])
        labels = {row[0] for row in db.execute("SELECT label FROM sightings")}
    assert labels == {"41"}  # the bag's vision_msgs (no Python classes in Debian: rospy's bytes, rosbags decodes)
    assert len(events) >= 3
    for (_, _, end), (_, start, _) in zip(events, events[1:]):  # one timeline: nothing repeated after the jumps
        assert start >= end - 1e-6, events
    gaps = info["extra"].get("gaps", [])
    jumps = [g for g in gaps if "jumped back" in g[2]]
    assert len(jumps) == 2, gaps
    assert events[-1][2] > 2 * BAG_SECONDS  # the looped runs are remembered after the first, not over it
    published = {e["id"] for e in client.events}
    assert published == {e[0] for e in events}, (published, events)  # every committed event, once
    assert len(client.events) == len(published)


def test_no_master_is_one_clear_line(tmp_path):
    _rospy()
    port = _free_port()  # nothing listens there
    env = {**os.environ, "ROS_MASTER_URI": f"http://127.0.0.1:{port}", "ROS_IP": "127.0.0.1",
           "ROS_HOME": str(tmp_path / "ros"), "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-m", "mnemo", "ros1", "--memory", str(tmp_path / "mem"), "--profile", "test"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"no ROS master at http://127.0.0.1:{port}" in done.stderr and "start roscore" in done.stderr
    assert not (tmp_path / "mem").exists()  # nothing was created


def test_a_late_slow_analysis_keeps_the_lag_bounded(master, bags, tmp_path):
    """Real rospy subscribers fed by `rosbag play` at 10 Hz, read by the live reader for an analysis that starts
    after 2 s of frames (models loading) and then takes 0.4 s a frame (sampled at 5 per second: twice what it can take):
    the backlog is skipped as stale, and every frame analysed ends within max_lag (+ one frame's analysis) of
    the live edge; nothing is analysed twice and every frame is analysed or counted."""
    from mnemo.runtime.reader import LiveReadStage
    from ros_bridge.ros1 import Ros1Source
    from streams.sampling import SamplingPolicy

    bag = bags.write_robot_bag(tmp_path / "lag.bag", "ros1", seconds=4.5, rate=10.0, tf=False, odometry=False,
                               texts=())
    source = Ros1Source("ros1:///camera/image", SamplingPolicy(fps=5.0, frame_size=64))
    _subscribed(master, "/camera/image", _rospy().get_name(), timeout=30)  # this process's node (any test's)
    max_lag, per_frame = 1.0, 0.4
    player = threading.Thread(target=lambda: (_play(bag), time.sleep(0.5), source.stop()))
    try:
        with LiveReadStage(source, 0.0, batch_size=32, max_lag=max_lag) as reader:
            player.start()
            deadline = time.monotonic() + 30
            while source.sampled < 10 and time.monotonic() < deadline:  # 2 s of frames wait for the analysis
                time.sleep(0.05)
            analysed = bags.slow_analysis(reader, per_frame)
    finally:
        player.join(timeout=30)
        source.close()
    assert analysed == sorted(set(analysed)) and len(analysed) >= 3
    assert reader.stale >= 5  # the 2 s backlog, less the frames within max_lag / 2 of the edge
    assert len(analysed) + reader.dropped == source.sampled
    assert max(reader.lags) <= max_lag + per_frame + 0.3, reader.lags
    print(f"analysed {len(analysed)}, stale {reader.stale}, dropped {reader.dropped}, max lag {max(reader.lags):.2f}")
