"""``mnemo ros1``: a live ROS 1 node (rospy) that writes a memory from a robot's topics and answers questions
over it (``~events``, ``~ask`` -> ``~answer``, ``~goal``; see docs/ros.md). The node itself is
mnemo/commands/rosnode.py's, shared with ``mnemo ros2``."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from mnemo.commands.app import MemoryOpt, app
from mnemo.commands.rosnode import (MaxLagOpt, NodeNameOpt, ProfileOpt, QuietOpt, TopicOpt, Transport, WaitOpt,
                                     run_node)
from mnemo.errors import UserError



@app.command("ros1")
def ros1(
    memory: Path = MemoryOpt,
    profile: Optional[str] = ProfileOpt,
    topic: List[str] = TopicOpt,
    node_name: str = NodeNameOpt,
    max_lag: float = MaxLagOpt,
    wait: float = WaitOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Run a ROS 1 node: remember the robot's camera, poses and text topics live; publish each committed
    event on ~events; answer JSON questions from ~ask on ~answer. Ctrl-C, SIGTERM or `rosnode kill`
    commit what was seen and stop."""
    run_node(_transport(), memory, profile, topic, node_name, max_lag, wait, quiet)


def _transport() -> Transport:
    from ros_bridge import ros1 as bridge

    def join(name: str, stop) -> None:
        try:
            bridge.init_node(name)
        except bridge.RosUnavailable as error:
            raise UserError(str(error)) from error
        bridge.rospy().on_shutdown(lambda: stop("ROS shutdown (rosnode kill or the master's request)"))

    def leave() -> None:
        ros = bridge.rospy()
        if not ros.is_shutdown():
            ros.signal_shutdown("mnemo ros1 stopped")

    return Transport("ros1", bridge.SCHEME, join, bridge.Ros1Interface, bridge.find_topics,
                     lambda: bridge.rospy().get_name(), leave)
