"""A live ROS 2 node: camera, pose, tf and text topics into a :class:`ros_bridge.live.TopicFeed`, and the node's
own interface, as ``mnemo ros1``'s: ``~/events``, ``~/ask`` -> ``~/answer`` (std_msgs/String, JSON) and ``~/goal``
(geometry_msgs/PoseStamped). The graph is reached through rclpy where it is importable (a robot's ROS 2), else
over pure DDS (ros_bridge/dds.py: Cyclone DDS, messages by rosbags, no ROS install); see ros_bridge/graph.py.

Quality of service as ROS 2 robots publish: sensors (camera, tf, poses, audio, detections) are read
best-effort (which matches best-effort and reliable publishers), text topics and questions reliably,
``/tf_static`` reliably and transient-local (its latched transforms arrive when the node joins); the node
publishes reliably, ``~/goal`` transient-local (latched).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Callable, Mapping, Sequence

from ros_bridge.dds import DdsUnavailable
from ros_bridge.graph import Ros2Graph, open_graph, resolve
from ros_bridge.live import FeedOptions, TopicFeed
from ros_bridge.node import NodeInterface, Topics, pick_topics
from ros_bridge.rclpy_graph import RclpyUnavailable
from ros_bridge.topics import AUDIO_INFO_TYPE, CAMERA_INFO_TYPE
from streams.errors import SourceError
from streams.identity import stream_id
from streams.sampling import SamplingPolicy

logger = logging.getLogger(__name__)

SCHEME = "ros2"
STRING, POSE_STAMPED, TF = "std_msgs/msg/String", "geometry_msgs/msg/PoseStamped", "tf2_msgs/msg/TFMessage"

_lock = threading.Lock()
_participant: Ros2Graph | None = None
_choice = {"transport": "auto", "node": "mnemo"}


def use(transport: str = "auto", node_name: str = "mnemo") -> str:
    """Choose how the process joins the graph (before it joins): ``auto`` (rclpy when importable, else DDS),
    ``rclpy`` or ``dds``, and the rclpy node's name; returns the transport chosen. ValueError for an unknown one."""
    chosen = resolve(transport)
    with _lock:
        _choice.update(transport=chosen, node=node_name)
    return chosen


def participant() -> Ros2Graph:
    """The process's one participant in the ROS 2 domain (``ROS_DOMAIN_ID``), made when first asked, through the
    transport chosen with :func:`use` (auto by default)."""
    global _participant
    with _lock:
        if _participant is None:
            _participant = open_graph(_choice["transport"], _choice["node"])
        return _participant


def shutdown() -> None:
    """Leave the domain (the readers stop)."""
    global _participant
    with _lock:
        dds, _participant = _participant, None
    if dds is not None:
        dds.close()


def check_node_name(name: str) -> None:
    """A ROS 2 node name: letters, digits and _, not starting with a digit (ValueError otherwise)."""
    if not name or not all(c.isalnum() or c == "_" for c in name) or name[0].isdigit():
        raise ValueError(f"node name {name!r}: expected letters, digits and _, not starting with a digit")


def find_topics(overrides: Mapping[str, Sequence[str]], wait: float, own: Sequence[str] = (),
                stopping: Callable[[], bool] = lambda: False) -> Topics:
    """The topics to read, picked by type among those the domain publishes (as for bags), with the
    overrides; waits up to ``wait`` s for a camera topic (a robot's nodes start in any order)."""
    dds = participant()
    deadline = time.monotonic() + wait
    while True:
        topics = {k: v for k, v in dds.published().items() if k not in own}
        found = pick_topics(topics, overrides)
        if found is not None:
            return found
        if time.monotonic() > deadline or stopping():
            raise SourceError(f"{SCHEME}://", f"no camera topic (sensor_msgs/Image or CompressedImage) was published "
                                              f"within {wait:.0f} s in ROS domain {_domain()}; topics: "
                                              f"{', '.join(sorted(topics)) or 'none'} "
                                              "(name one with --topic image=/camera/image_raw)")
        time.sleep(0.25)


def _domain() -> str:
    import os

    return os.environ.get("ROS_DOMAIN_ID", "0")


class Ros2Source(TopicFeed):
    """``ros2:///camera/image_raw?pose=/odom&text=/speech``: live ROS 2 topics as a stream (the process's
    participant reads them: rclpy's node, or DDS)."""

    def __init__(self, uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True,
                 options: FeedOptions | None = None):
        try:
            Topics.parse(uri, SCHEME, {})
            dds = participant()
        except ValueError as error:
            raise SourceError(uri, str(error)) from error
        except (DdsUnavailable, RclpyUnavailable) as error:
            raise SourceError(uri, str(error)) from error
        topics = Topics.parse(uri, SCHEME, dds.published())
        super().__init__(uri, stream or stream_id(f"{SCHEME}://{topics.camera}"), policy, topics.camera, topics.pose,
                         topics.pose_named, options, audio_topic=topics.audio, detection_topic=topics.detections,
                         camera_info=topics.camera_info)
        self.topics = topics
        self._readers: list = []  # their stop events
        self._subscribe(dds, topics)

    def _subscribe(self, dds: Ros2Graph, topics: Topics) -> None:
        read = self._readers.append
        read(dds.reader(topics.camera, topics.camera_type, self.image, depth=1))  # the newest frame only
        read(dds.reader("/tf", TF, lambda m: self.tf(m, False), depth=100))
        read(dds.reader("/tf_static", TF, lambda m: self.tf(m, True), reliable=True, depth=100, latched=True))
        if topics.pose:
            read(dds.reader(topics.pose, topics.pose_type, self.pose, depth=50))
        for topic in topics.texts:
            read(dds.reader(topic, STRING, lambda m: self.text(m.data), reliable=True, depth=50))
        if self.audio_topic:
            read(dds.reader(self.audio_topic, topics.audio_type, self.audio, depth=100))
            if topics.audio_info:  # latched (transient local) or not: a reader for each
                read(dds.reader(topics.audio_info, AUDIO_INFO_TYPE, self.audio_info, depth=1))
                read(dds.reader(topics.audio_info, AUDIO_INFO_TYPE, self.audio_info, reliable=True, depth=1, latched=True))
        if topics.detections:
            read(dds.reader(topics.detections, topics.detections_type, self.detections, depth=50))
        if topics.camera_info:
            read(dds.reader(topics.camera_info, CAMERA_INFO_TYPE, self.camera_info, depth=1))
        logger.info("ros2: reading %s (%s), tf, pose %s, text %s, audio %s, detections %s", topics.camera,
                    topics.camera_type, topics.pose or "none", ", ".join(topics.texts) or "none",
                    self.audio_topic or "none", topics.detections or "none")

    def close(self) -> None:
        super().close()
        for stop in self._readers:
            stop.set()


class Ros2Interface(NodeInterface):
    """The node's own topics on ROS 2 (``/NAME/events``, ``/NAME/ask``, ``/NAME/answer``, ``/NAME/goal``);
    see :class:`ros_bridge.node.NodeInterface`."""

    def __init__(self, answer: Callable[[dict], dict], events: Callable[[], list[dict]], poll: float = 0.5,
                 prepare: Callable[[], None] | None = None, finish: Callable[[], None] | None = None,
                 node_name: str = "mnemo"):
        super().__init__(answer, events, poll, prepare, finish)
        check_node_name(node_name)
        dds = participant()
        self.node = "/" + node_name
        self._dds, self._types = dds, dds.messages
        self._events_out = dds.writer(f"{self.node}/events", STRING, depth=100)
        self._answers_out = dds.writer(f"{self.node}/answer", STRING, depth=100)
        self._goals_out = dds.writer(f"{self.node}/goal", POSE_STAMPED, depth=1, latched=True)
        self._ask = dds.reader(f"{self.node}/ask", STRING, lambda m: self.asked(m.data), reliable=True, depth=100)
        self.start()

    def unsubscribe(self) -> None:
        self._ask.set()

    @property
    def names(self) -> list[str]:
        """The node's own topics (left out of the text topics picked by type)."""
        return [f"{self.node}/{name}" for name in ("events", "answer", "ask", "goal")]

    def _string(self, text: str):
        return self._types[STRING](data=text)

    def send_event(self, text: str) -> None:
        self._events_out.publish(self._string(text))

    def send_answer(self, text: str) -> None:
        self._answers_out.publish(self._string(text))

    def send_goal(self, frame: str, x: float, y: float, yaw: float) -> None:
        T = self._types
        now = time.time()
        header = T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=int(now), nanosec=int(now % 1 * 1e9)),
                                          frame_id=frame)
        pose = T["geometry_msgs/msg/Pose"](position=T["geometry_msgs/msg/Point"](x=x, y=y, z=0.0),
                                           orientation=T["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=math.sin(yaw / 2),
                                                                                         w=math.cos(yaw / 2)))
        self._goals_out.publish(T[POSE_STAMPED](header=header, pose=pose))
