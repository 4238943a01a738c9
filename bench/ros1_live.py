"""Lag of the live ROS 1 node: `mnemo ros1` fed by `rosbag play` of a robot's bag in real time.

    python bench/ros1_live.py [--seconds 30] [--rate 10] [--encoding rgb8|jpeg] [--profile lite]
                              [--stop sigint|rosnode] [--out out/bench/ros1_live.json]

Writes the bag of bench/ros.py (640x480 images at ``--rate`` Hz, /odom at 50 Hz, /tf), starts Debian's
``roscore`` on a free loopback port and the node, plays the bag with ``rosbag play --clock``, then stops
the node (SIGINT, or ``rosnode kill``) and prints its ending line: lag p50/p99/max (the live edge's media time
when a frame's analysis ended minus the frame's own), frames dropped to keep up (and of those, stale ones
skipped), events committed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _bench_ros():
    spec = importlib.util.spec_from_file_location("bench_ros", REPO / "bench" / "ros.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kill(process: subprocess.Popen, sig=signal.SIGINT) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--encoding", default="rgb8", choices=("rgb8", "jpeg"))
    parser.add_argument("--profile", default="lite")
    parser.add_argument("--stop", default="sigint", choices=("sigint", "rosnode"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mnemo-ros1-bench-"))
    bag = work / "run.bag"
    _bench_ros().write_bag(bag, args.seconds, args.rate, "ros1", args.encoding)
    port = _port()
    master = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ROS_MASTER_URI": master, "ROS_IP": "127.0.0.1", "ROS_HOME": str(work / "ros"),
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    core = subprocess.Popen(["roscore", "-p", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    node = None
    try:
        while True:
            try:
                xmlrpc.client.ServerProxy(master).getPid("/bench")
                break
            except OSError:
                time.sleep(0.2)
        node = subprocess.Popen([sys.executable, "-m", "mnemo", "ros1", "--memory", str(work / "mem"), "--profile",
                                 args.profile, "--node-name", "mnemo"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        while not any(t == "/mnemo/ask" for t, _ in xmlrpc.client.ServerProxy(master).getSystemState("/b")[2][1]):
            time.sleep(0.2)  # the node is up once it subscribes its ~ask
        started = time.monotonic()
        subprocess.run(["rosbag", "play", "--clock", "-q", "-d", "1", str(bag)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        played = time.monotonic() - started
        time.sleep(1.0)
        if args.stop == "rosnode":
            subprocess.run(["rosnode", "kill", "/mnemo"], env=env, check=True, stdout=subprocess.DEVNULL)
            node.wait(timeout=60)
        else:
            _kill(node)
        output = node.stdout.read()
    finally:
        if node is not None:
            _kill(node, signal.SIGKILL)
        _kill(core)
    report(output, node.returncode, args, played, stop=args.stop)


def report(output: str, exit_status: int | None, args, played: float, **extra) -> dict:
    """Print (and write to --out) the lag the node's summary line gives; shared with bench/ros2_live.py."""
    line = next((l for l in output.splitlines() if "events committed" in l), output[-500:])
    found = re.search(r"lag p50 ([\d.]+) s, p99 ([\d.]+) s, max ([\d.]+) s; (\d+) frames dropped(?: \((\d+) stale\))?",
                      line)
    events = re.search(r"(\d+) events committed", line)
    result = {"seconds": args.seconds, "rate": args.rate, "size": "640x480", "encoding": args.encoding,
              "profile": args.profile, **extra, "played_s": round(played, 1), "exit": exit_status,
              "lag_p50": float(found.group(1)) if found else None, "lag_p99": float(found.group(2)) if found else None,
              "lag_max": float(found.group(3)) if found else None, "dropped": int(found.group(4)) if found else None,
              "stale": int(found.group(5) or 0) if found else None, "events": int(events.group(1)) if events else None,
              "line": line.strip()}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
