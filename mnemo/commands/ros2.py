"""``mnemo ros2``: a live ROS 2 node (through rclpy where it is importable, else over DDS with no ROS install:
cyclonedds, messages by rosbags) that writes a memory from a robot's topics and answers questions over it, as
``mnemo ros1`` does (docs/ros.md)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional

import typer

from mnemo.commands.app import MemoryOpt, app
from mnemo.commands.rosnode import (MaxLagOpt, NodeNameOpt, ProfileOpt, QuietOpt, TopicOpt, Transport, WaitOpt,
                                     run_node)
from mnemo.errors import UserError

logger = logging.getLogger(__name__)


@app.command("ros2")
def ros2(
    memory: Path = MemoryOpt,
    profile: Optional[str] = ProfileOpt,
    topic: List[str] = TopicOpt,
    node_name: str = NodeNameOpt,
    max_lag: float = MaxLagOpt,
    wait: float = WaitOpt,
    quiet: bool = QuietOpt,
    transport: str = typer.Option("auto", "--transport", help="How to reach the ROS 2 graph: rclpy (a robot's ROS 2, "
                                  "sourced), dds (Cyclone DDS with rosbags' messages, no ROS install) or auto (rclpy "
                                  "when importable, else dds)."),
) -> None:
    """Run a ROS 2 node (domain ROS_DOMAIN_ID): remember the robot's camera, poses and text topics live;
    publish each committed event on /NAME/events; answer JSON questions from /NAME/ask on /NAME/answer.
    Ctrl-C or SIGTERM commit what was seen and stop."""
    run_node(_transport(node_name, transport), memory, profile, topic, node_name, max_lag, wait, quiet)


def _transport(node_name: str, transport: str = "auto") -> Transport:
    from ros_bridge import ros2 as bridge
    from ros_bridge.dds import DdsUnavailable
    from ros_bridge.rclpy_graph import RclpyUnavailable

    def join(name: str, stop) -> None:
        try:
            bridge.check_node_name(name)
        except ValueError as error:
            raise UserError(f"--node-name: {error}") from error
        try:
            chosen = bridge.use(transport, name)
        except ValueError as error:
            raise UserError(f"--transport: {error}") from error
        try:
            bridge.participant()
        except (DdsUnavailable, RclpyUnavailable, ValueError) as error:
            raise UserError(str(error)) from error
        logger.info("ros2: joined the graph through %s", chosen)

    def interface(answer, events, prepare=None, finish=None):
        try:
            return bridge.Ros2Interface(answer, events, prepare=prepare, finish=finish, node_name=node_name)
        except ValueError as error:
            raise UserError(f"--node-name: {error}") from error

    return Transport("ros2", bridge.SCHEME, join, interface, bridge.find_topics, lambda: "/" + node_name,
                     bridge.shutdown)
