"""A live ROS 1 node (rospy): camera, pose, tf, text, audio and detection topics into a
:class:`ros_bridge.live.TopicFeed`,
and the node's own interface: ``~events`` (each committed event as JSON), ``~ask`` -> ``~answer``
(questions and answers as JSON, std_msgs/String) and ``~goal`` (geometry_msgs/PoseStamped).

rospy is Debian's (``apt-get install ros-core python3-rospy ...``, see docs/ros.md); it lives in the
system's ``dist-packages``, which is appended (never prepended: the environment's numpy and friends win)
to ``sys.path`` when it is not importable otherwise.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from typing import Callable, Mapping, Sequence

from ros_bridge.live import FeedOptions, TopicFeed
from ros_bridge.node import NodeInterface, Topics, pick_topics
from ros_bridge.topics import AUDIO_INFO_TYPE
from streams.errors import SourceError
from streams.identity import stream_id
from streams.sampling import SamplingPolicy

logger = logging.getLogger(__name__)

SCHEME = "ros1"
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
INSTALL = ("apt-get install ros-core python3-rospy python3-sensor-msgs python3-nav-msgs python3-std-msgs "
           "python3-geometry-msgs python3-tf2-msgs")


_FLUSH_S = 0.5  # seconds the node waits at its end for its last messages to be sent


class RosUnavailable(RuntimeError):
    """rospy (or a ROS master) is not there; the message says what to do."""


def rospy():
    """The rospy module (Debian's), or RosUnavailable naming the packages to install."""
    try:
        import rospy as module
    except ImportError:
        if DIST_PACKAGES not in sys.path:
            sys.path.append(DIST_PACKAGES)
        try:
            import rospy as module
        except ImportError as error:
            raise RosUnavailable(f"rospy is not installed ({error}): {INSTALL} (Debian), or source a ROS 1 "
                                 "install's setup.bash") from error
    return module


def init_node(name: str = "mnemo") -> None:
    """Join the ROS master as node ``name`` (once per process); signals stay the caller's to handle."""
    ros = rospy()
    if ros.core.is_initialized():
        return
    master = ros.get_master()
    try:
        master.getPid()
    except OSError as error:
        import os

        raise RosUnavailable(f"no ROS master at {os.environ.get('ROS_MASTER_URI', 'http://localhost:11311')} "
                             f"({error}): start roscore, or set ROS_MASTER_URI") from error
    ros.init_node(name, anonymous=False, disable_signals=True)


def published(ros=None) -> dict[str, str]:
    """The topics published now: name -> type, spelled ``pkg/msg/Type`` (as bags and ROS 2 spell it)."""
    ros = ros or rospy()
    return {name: _ros2_spelling(kind) for name, kind in ros.get_published_topics()}


def _ros2_spelling(kind: str) -> str:
    package, _, name = kind.partition("/")
    return f"{package}/msg/{name}" if name and "/" not in name else kind


def find_topics(overrides: Mapping[str, Sequence[str]], wait: float, own: Sequence[str] = (),
                stopping: Callable[[], bool] = lambda: False) -> Topics:
    """The topics to read, picked by type among those published (as for bags), with the overrides;
    waits up to ``wait`` s for a camera topic to be published (a robot's nodes start in any order)."""
    ros = rospy()
    deadline = time.monotonic() + wait
    while True:
        topics = {k: v for k, v in published(ros).items() if k not in own}
        found = pick_topics(topics, overrides)
        if found is not None:
            return found
        if time.monotonic() > deadline or stopping():
            raise SourceError(f"{SCHEME}://", f"no camera topic (sensor_msgs/Image or CompressedImage) was published "
                                              f"within {wait:.0f} s; topics: {', '.join(sorted(topics)) or 'none'} "
                                              "(name one with --topic image=/camera/image_raw)")
        time.sleep(0.5)


def _message_class(msgtype: str):
    package, *_, name = msgtype.split("/")
    module = __import__(f"{package}.msg", fromlist=[name])
    return getattr(module, name)


_store = None


def _raw(ros, topic: str, msgtype: str, callback, queue_size: int):
    """A subscriber to messages that Debian's ROS 1 has no Python classes for (audio_common_msgs, vision_msgs):
    rospy hands the serialised bytes over (AnyMsg), rosbags decodes them."""
    global _store
    if _store is None:
        from ros_bridge.msgdefs import ros1_typestore

        _store = ros1_typestore()
    store = _store

    def decode(message) -> None:
        try:
            decoded = store.deserialize_ros1(message._buff, msgtype)
        except Exception as error:  # noqa: BLE001 - another definition of the type: the topic is skipped
            logger.warning("%s: a %s message could not be decoded (%s); skipped", topic, msgtype, error)
            return
        callback(decoded)

    return ros.Subscriber(topic, ros.AnyMsg, decode, queue_size=queue_size)


class Ros1Source(TopicFeed):
    """``ros1:///camera/image_raw?pose=/odom&text=/speech``: the node's subscriptions as a live stream.

    Joins the master as node ``mnemo`` when the process has not joined yet (``mnemo ros1`` has).
    """

    def __init__(self, uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True,
                 options: FeedOptions | None = None):
        try:
            topics = Topics.parse(uri, SCHEME, {})
        except ValueError as error:
            raise SourceError(uri, str(error)) from error
        init_node()
        ros = rospy()
        topics = Topics.parse(uri, SCHEME, published(ros))
        super().__init__(uri, stream or stream_id(f"{SCHEME}://{topics.camera}"), policy, topics.camera, topics.pose,
                         topics.pose_named, options, audio_topic=topics.audio, detection_topic=topics.detections,
                         camera_info=topics.camera_info)
        self.topics = topics
        self._subscribers = []
        self._subscribe(ros, topics)

    def _subscribe(self, ros, topics: Topics) -> None:
        from tf2_msgs.msg import TFMessage
        from std_msgs.msg import String

        sub = ros.Subscriber
        self._subscribers.append(sub(topics.camera, _message_class(topics.camera_type), self.image, queue_size=1,
                                     buff_size=1 << 25, tcp_nodelay=True))
        self._subscribers.append(sub("/tf", TFMessage, lambda m: self.tf(m, False), queue_size=100))
        self._subscribers.append(sub("/tf_static", TFMessage, lambda m: self.tf(m, True), queue_size=100))
        if topics.pose:
            self._subscribers.append(sub(topics.pose, _message_class(topics.pose_type), self.pose, queue_size=50))
        for topic in topics.texts:
            self._subscribers.append(sub(topic, String, lambda m: self.text(m.data), queue_size=50))
        if self.audio_topic:
            self._subscribers.append(_raw(ros, self.audio_topic, topics.audio_type, self.audio, 100))
            if topics.audio_info:
                self._subscribers.append(_raw(ros, topics.audio_info, AUDIO_INFO_TYPE, self.audio_info, 1))
        if topics.detections:
            self._subscribers.append(_raw(ros, topics.detections, topics.detections_type, self.detections, 50))
        if topics.camera_info:
            from sensor_msgs.msg import CameraInfo

            self._subscribers.append(sub(topics.camera_info, CameraInfo, self.camera_info, queue_size=1))
        logger.info("ros1: reading %s (%s), tf, pose %s, text %s, audio %s, detections %s", topics.camera,
                    topics.camera_type, topics.pose or "none", ", ".join(topics.texts) or "none",
                    self.audio_topic or "none", topics.detections or "none")

    def close(self) -> None:
        super().close()
        for subscriber in self._subscribers:
            subscriber.unregister()
        self._subscribers.clear()


class Ros1Interface(NodeInterface):
    """The node's own topics on ROS 1: ``~events`` out, ``~ask`` in, ``~answer`` and ``~goal``
    (geometry_msgs/PoseStamped, latched) out; see :class:`ros_bridge.node.NodeInterface`."""

    flush_s = _FLUSH_S

    def __init__(self, answer: Callable[[dict], dict], events: Callable[[], list[dict]], poll: float = 0.5,
                 prepare: Callable[[], None] | None = None, finish: Callable[[], None] | None = None):
        super().__init__(answer, events, poll, prepare, finish)
        ros = rospy()
        from geometry_msgs.msg import PoseStamped
        from std_msgs.msg import String

        self._ros, self._String, self._PoseStamped = ros, String, PoseStamped
        self.events_pub = ros.Publisher("~events", String, queue_size=100, latch=False)
        self.answer_pub = ros.Publisher("~answer", String, queue_size=100)
        self.goal_pub = ros.Publisher("~goal", PoseStamped, queue_size=10, latch=True)
        self.ask_sub = ros.Subscriber("~ask", String, lambda m: self.asked(m.data), queue_size=100)
        self.start()

    @property
    def names(self) -> list[str]:
        """The resolved names of the node's own topics (left out of the text topics picked by type)."""
        return [self.events_pub.resolved_name, self.answer_pub.resolved_name, self.ask_sub.resolved_name,
                self.goal_pub.resolved_name]

    def send_event(self, text: str) -> None:
        self.events_pub.publish(self._String(data=text))

    def send_answer(self, text: str) -> None:
        self.answer_pub.publish(self._String(data=text))

    def send_goal(self, frame: str, x: float, y: float, yaw: float) -> None:
        goal = self._PoseStamped()
        goal.header.stamp = self._ros.Time.now()
        goal.header.frame_id = frame
        goal.pose.position.x, goal.pose.position.y = x, y
        goal.pose.orientation.z, goal.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
        self.goal_pub.publish(goal)

    def unsubscribe(self) -> None:
        self.ask_sub.unregister()
