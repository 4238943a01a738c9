"""The ROS 2 graph as a live node sees it, whatever carries it: rclpy where it is installed (a robot's ROS 2),
else pure DDS (ros_bridge/dds.py: Cyclone DDS, messages by rosbags).

Both backends give the same four things (:class:`Ros2Graph`): readers that call back with each message of a
topic (objects with ROS's field names: rosbags' dataclasses, or rclpy's message classes; ros_bridge/live.py
turns either into the same packets), writers, the message constructors (``messages["std_msgs/msg/String"](data=...)``)
and the topics the graph publishes. The quality of service is the caller's: best-effort or reliable, a history
depth, latched (transient local).
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping, Protocol

logger = logging.getLogger(__name__)

TRANSPORTS = ("auto", "rclpy", "dds")  # auto: rclpy when ``import rclpy`` works, else dds


class Stop(Protocol):
    """What a reader returns: ``set()`` stops it."""

    def set(self) -> None: ...


class Publisher(Protocol):
    """What a writer returns."""

    def publish(self, message) -> None: ...

    def matched(self) -> int: ...


class Ros2Graph(Protocol):
    """One participant in the ROS 2 graph (domain ``ROS_DOMAIN_ID``)."""

    messages: Mapping[str, Callable[..., object]]  # "pkg/msg/Type" -> its constructor (keyword fields)

    def reader(self, topic: str, msgtype: str, callback: Callable[[object], None], reliable: bool = False,
               depth: int = 10, latched: bool = False) -> Stop: ...

    def writer(self, topic: str, msgtype: str, reliable: bool = True, depth: int = 10,
               latched: bool = False) -> Publisher: ...

    def published(self) -> dict[str, str]: ...

    def close(self) -> None: ...


def rclpy_importable() -> bool:
    """Whether ``import rclpy`` works in this process (a sourced ROS 2, or rclpy's wheels)."""
    try:
        import rclpy  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(transport: str) -> str:
    """``auto`` -> ``rclpy`` or ``dds``; ValueError naming the known transports for another name."""
    if transport not in TRANSPORTS:
        raise ValueError(f"transport {transport!r} is not known (known: {', '.join(TRANSPORTS)})")
    if transport == "auto":
        return "rclpy" if rclpy_importable() else "dds"
    return transport


def open_graph(transport: str = "auto", node_name: str = "mnemo") -> Ros2Graph:
    """A participant through ``transport`` (``auto``, ``rclpy``, ``dds``); rclpy's node is named ``node_name``."""
    chosen = resolve(transport)
    if chosen == "rclpy":
        from ros_bridge.rclpy_graph import RclpyGraph

        graph = RclpyGraph(node_name)
    else:
        from ros_bridge.dds import Dds

        graph = Dds()
    logger.info("ros2: the graph through %s%s", chosen, " (rclpy is importable)" if transport == "auto" and
                chosen == "rclpy" else "")
    return graph
