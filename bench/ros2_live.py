"""Lag of the live ROS 2 node: `mnemo ros2` fed over DDS, in real time, with a robot's bag played by this process.

    python bench/ros2_live.py [--seconds 30] [--rate 10] [--encoding rgb8|jpeg] [--profile lite]
                              [--transport dds|rclpy] [--out out/bench/ros2_live.json]

Writes the bag of bench/ros.py as MCAP (640x480 images at ``--rate`` Hz, /odom at 50 Hz, /tf), starts the node
in a random ROS domain on loopback, plays the bag's CDR bytes on DDS at the pace of its record times (camera
best-effort, the rest reliable, as a ROS 2 robot publishes), then stops the node with SIGINT and prints its
ending line: lag p50/p99/max (the live edge's media time when a frame's analysis ended minus the frame's own),
frames dropped to keep up (and of those, stale ones skipped), events committed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _kill(process: subprocess.Popen, sig=signal.SIGINT) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def play(dds, bag: Path) -> float:
    """Publish the bag's messages at the pace of their record times; returns the seconds it took."""
    from rosbags.highlevel import AnyReader

    from ros_bridge.topics import IMAGE_TYPES

    with AnyReader([bag]) as reader:
        writers = {c.topic: dds.writer(c.topic, c.msgtype, reliable=c.msgtype not in IMAGE_TYPES,
                                       depth=5 if c.msgtype in IMAGE_TYPES else 100,
                                       latched=c.topic == "/tf_static")
                   for c in reader.connections}
        camera = next(w for w in writers.values() if w.msgtype in IMAGE_TYPES)
        deadline = time.monotonic() + 60
        while camera.matched() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        start, first = time.monotonic(), None
        for connection, record, data in reader.messages():
            first = record if first is None else first
            wait = start + (record - first) / 1e9 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            writers[connection.topic].publish_cdr(bytes(data))
        return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--encoding", default="rgb8", choices=("rgb8", "jpeg"))
    parser.add_argument("--profile", default="lite")
    parser.add_argument("--transport", default="dds", choices=("dds", "rclpy"), help="the node's (the robot plays over DDS)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mnemo-ros2-bench-"))
    bag = work / "run"
    _sibling("ros").write_bag(bag, args.seconds, args.rate, "mcap", args.encoding)
    os.environ.update(ROS_DOMAIN_ID=str(random.randrange(1, 200)), ROS_LOCALHOST_ONLY="1")
    if args.transport == "rclpy":  # Fast DDS joining after Cyclone's loopback-only participant is not matched by it
        os.environ.pop("ROS_LOCALHOST_ONLY")  # (docs/ros.md): discovery by multicast, in a random domain
    os.environ.pop("CYCLONEDDS_URI", None)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    from ros_bridge.dds import Dds

    node = subprocess.Popen([sys.executable, "-m", "mnemo", "ros2", "--memory", str(work / "mem"), "--profile",
                             args.profile, "--node-name", "mnemo", "--transport", args.transport], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        with Dds() as dds:
            played = play(dds, bag)
            time.sleep(1.0)
            _kill(node)
        output = node.stdout.read()
    finally:
        _kill(node, signal.SIGKILL)
    _sibling("ros1_live").report(output, node.returncode, args, played, transport=args.transport)


def _sibling(name: str):
    """A bench script beside this one, as a module (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    main()
