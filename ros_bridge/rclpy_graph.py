"""The ROS 2 graph through rclpy (a robot's ROS 2: its middleware, its message packages), behind the same
interface as the DDS backend (:class:`ros_bridge.graph.Ros2Graph`).

One rclpy node (named as ``mnemo ros2 --node-name``, so it shows in ``ros2 node list``) in a context of its own,
spun by a multi-threaded executor in a daemon thread; each subscription has a callback group of its own, so a
slow callback holds up its own topic only (as the DDS backend's reader threads). Messages arrive as rclpy's
classes (``sensor_msgs.msg.Image``, ...), whose field names are ROS's: ros_bridge/live.py's callbacks read them
as they read rosbags' (rclpy spells ``uint8[]`` as ``array.array``, fixed arrays as numpy arrays; both are
read). rclpy's own signal handlers are not installed: Ctrl-C and SIGTERM stay ``mnemo ros2``'s.

A message type whose Python package is not installed (``vision_msgs``, ``audio_common_msgs`` and ``tf2_msgs``
are separate packages) cannot be subscribed to: its topic is not read, with a warning naming the package.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Callable, Iterator, Mapping

from ros_bridge.dds import domain_id

logger = logging.getLogger(__name__)

INSTALL = "source your ROS 2's setup.bash (rclpy comes with every ROS 2 install)"


class RclpyUnavailable(RuntimeError):
    """rclpy is not importable; the message says what to do."""


class MessageUnavailable(KeyError):
    """A message type whose Python package rclpy cannot import."""

    def __str__(self) -> str:
        return str(self.args[0])


class RclpyMessages(Mapping):
    """``"sensor_msgs/msg/Image"`` -> ``sensor_msgs.msg.Image`` (imported when first asked)."""

    def __init__(self):
        self._classes: dict[str, type] = {}

    def __getitem__(self, msgtype: str) -> type:
        if msgtype not in self._classes:
            package, _, name = msgtype.rpartition("/msg/")
            if not package or not name:
                raise MessageUnavailable(f"message type {msgtype!r}: expected pkg/msg/Type")
            try:
                self._classes[msgtype] = getattr(importlib.import_module(f"{package}.msg"), name)
            except (ImportError, AttributeError) as error:
                raise MessageUnavailable(f"rclpy has no Python class of {msgtype} ({error}): install its package "
                                         f"(ros-$ROS_DISTRO-{package.replace('_', '-')})") from error
        return self._classes[msgtype]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)


def qos_profile(reliable: bool, depth: int, latched: bool):
    """rclpy's QoS of a topic: best-effort (sensors: matches best-effort and reliable publishers) or reliable,
    keep-last ``depth``, transient local when latched."""
    from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth,
                      reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE)


class _Subscription:
    """A reader's handle: ``set()`` destroys the subscription."""

    def __init__(self, graph: "RclpyGraph", subscription):
        self._graph, self._subscription = graph, subscription

    def set(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None and self._graph.node is not None:
            self._graph.node.destroy_subscription(subscription)


class _Unread:
    """The handle of a topic that could not be subscribed to."""

    def set(self) -> None:
        pass


class RclpyWriter:
    """Publishes rclpy messages of one type on one topic."""

    def __init__(self, topic: str, msgtype: str, publisher):
        self.topic, self.msgtype, self._publisher = topic, msgtype, publisher

    def publish(self, message) -> None:
        self._publisher.publish(message)

    def matched(self) -> int:
        """Subscriptions matched now."""
        return self._publisher.get_subscription_count()


class RclpyGraph:
    """One rclpy node in the ROS 2 domain ``ROS_DOMAIN_ID``; see :class:`ros_bridge.graph.Ros2Graph`."""

    def __init__(self, node_name: str = "mnemo", threads: int = 16):
        try:
            import rclpy
            from rclpy.context import Context
            from rclpy.executors import MultiThreadedExecutor
        except ImportError as error:
            raise RclpyUnavailable(f"rclpy is not importable ({error}): {INSTALL}, or use --transport dds") from error
        self.messages = RclpyMessages()
        self.context = Context()
        try:
            from rclpy.signals import SignalHandlerOptions

            rclpy.init(context=self.context, domain_id=domain_id(), signal_handler_options=SignalHandlerOptions.NO)
        except ImportError:  # before Humble: no options (rclpy's handler then chains to the one installed later)
            rclpy.init(context=self.context, domain_id=domain_id())
        self.node = rclpy.create_node(node_name, context=self.context)
        self.executor = MultiThreadedExecutor(num_threads=threads, context=self.context)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self._spin, name="rclpy executor", daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 - the context shut down under it (close), or rclpy failed: logged
            if self.context.ok():
                logger.exception("the rclpy executor stopped")

    def reader(self, topic: str, msgtype: str, callback: Callable[[object], None], reliable: bool = False,
               depth: int = 10, latched: bool = False):
        """Calls ``callback`` with each message of ``topic`` (an rclpy message) in the executor's threads, one at
        a time per topic. A type whose package is not installed: the topic is not read (a warning)."""
        from rclpy.callback_groups import MutuallyExclusiveCallbackGroup

        try:
            cls = self.messages[msgtype]
        except MessageUnavailable as error:
            logger.warning("%s is not read: %s; --transport dds reads it", topic, error)
            return _Unread()

        def guarded(message) -> None:
            try:
                callback(message)
            except Exception:  # noqa: BLE001 - as rospy: a callback's error is logged, the topic goes on
                logger.exception("%s: the callback failed", topic)

        subscription = self.node.create_subscription(cls, topic, guarded, qos_profile(reliable, depth, latched),
                                                     callback_group=MutuallyExclusiveCallbackGroup())
        return _Subscription(self, subscription)

    def writer(self, topic: str, msgtype: str, reliable: bool = True, depth: int = 10,
               latched: bool = False) -> RclpyWriter:
        """A publisher on ``topic`` (reliable by default; ``latched``: transient local)."""
        publisher = self.node.create_publisher(self.messages[msgtype], topic, qos_profile(reliable, depth, latched))
        return RclpyWriter(topic, msgtype, publisher)

    def published(self) -> dict[str, str]:
        """The topics of the graph now: name -> type (``pkg/msg/Type``), as rclpy discovered them."""
        return {name: types[0] for name, types in self.node.get_topic_names_and_types() if types}

    def close(self) -> None:
        """Stop the executor, destroy the node and shut the context down."""
        node, self.node = self.node, None
        if node is None:
            return
        self.executor.shutdown(timeout_sec=2)
        node.destroy_node()
        self.context.try_shutdown()
        self._thread.join(timeout=2)

    def __enter__(self) -> "RclpyGraph":
        return self

    def __exit__(self, *_) -> None:
        self.close()
