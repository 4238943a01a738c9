"""A live ROS 1 node (rospy): camera, pose, tf and text topics into a :class:`ros_bridge.live.TopicFeed`,
and the node's own interface: ``~events`` (each committed event as JSON), ``~ask`` -> ``~answer``
(questions and answers as JSON, std_msgs/String) and ``~goal`` (geometry_msgs/PoseStamped).

rospy is Debian's (``apt-get install ros-core python3-rospy ...``, see docs/ros.md); it lives in the
system's ``dist-packages``, which is appended (never prepended: the environment's numpy and friends win)
to ``sys.path`` when it is not importable otherwise.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from ros_bridge.live import FeedOptions, TopicFeed
from ros_bridge.topics import DETECTION_TYPES, IMAGE_TYPES, POSE_TYPES, TEXT_TYPE
from streams.errors import SourceError
from streams.identity import stream_id
from streams.sampling import SamplingPolicy

logger = logging.getLogger(__name__)

SCHEME = "ros1"
DIST_PACKAGES = "/usr/lib/python3/dist-packages"
INSTALL = ("apt-get install ros-core python3-rospy python3-sensor-msgs python3-nav-msgs python3-std-msgs "
           "python3-geometry-msgs python3-tf2-msgs")
# ROS 1 spells types pkg/Type; the bag picker's tables spell them pkg/msg/Type
_ROS1 = {name.replace("/msg/", "/"): name for name in (*IMAGE_TYPES, *POSE_TYPES, TEXT_TYPE, *DETECTION_TYPES)}


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


@dataclass(frozen=True)
class Topics:
    """The topics one live stream reads."""

    camera: str  # sensor_msgs/Image or CompressedImage
    camera_type: str  # its ROS 1 type
    pose: str | None = None  # a pose topic (logged when tf cannot place the camera, or always when named)
    pose_type: str | None = None
    pose_named: bool = False
    texts: tuple[str, ...] = ()  # std_msgs/String topics, text cues

    def uri(self) -> str:
        """``ros1:///camera/image_raw?pose=/odom&text=/speech``: the stream's URI (its id is the camera's)."""
        from urllib.parse import urlencode

        query = [("pose", self.pose)] if self.pose else []
        query += [("pose_named", "1")] if self.pose and self.pose_named else []
        query += [("text", t) for t in self.texts]
        return f"{SCHEME}://{self.camera}" + (f"?{urlencode(query, safe='/')}" if query else "")


def published(ros=None) -> dict[str, str]:
    """The topics published now: name -> ROS 1 type."""
    ros = ros or rospy()
    return dict(ros.get_published_topics())


def find_topics(overrides: Mapping[str, Sequence[str]], wait: float, own: Sequence[str] = (),
                stopping: Callable[[], bool] = lambda: False) -> Topics:
    """The topics to read, picked by type among those published (as for bags), with the overrides;
    waits up to ``wait`` s for a camera topic to be published (a robot's nodes start in any order)."""
    ros = rospy()
    deadline = time.monotonic() + wait
    while True:
        topics = {k: v for k, v in published(ros).items() if k not in own}
        cameras = list(overrides.get("image", [])) or sorted(t for t, kind in topics.items() if _ROS1.get(kind) in IMAGE_TYPES)
        if cameras and (cameras[0] in topics or overrides.get("image")):
            break
        if time.monotonic() > deadline or stopping():
            raise SourceError(f"{SCHEME}://", f"no camera topic (sensor_msgs/Image or CompressedImage) was published "
                                              f"within {wait:.0f} s; topics: {', '.join(sorted(topics)) or 'none'} "
                                              "(name one with --topic image=/camera/image_raw)")
        time.sleep(0.5)
    camera = cameras[0]
    if len(cameras) > 1:
        logger.warning("%d camera topics; reading %s (name another with --topic image=/...)", len(cameras), camera)
    camera_type = topics.get(camera) or ("sensor_msgs/CompressedImage" if camera.endswith("compressed")
                                         else "sensor_msgs/Image")
    named = [p for p in overrides.get("pose", []) if p != "none"]
    poses = sorted((t for t, kind in topics.items() if _ROS1.get(kind) in POSE_TYPES),
                   key=lambda t: (POSE_TYPES.index(_ROS1[topics[t]]), t))
    pose = named[0] if named else (None if "pose" in overrides else (poses[0] if poses else None))
    pose_type = topics.get(pose) if pose else None
    if pose and pose_type is None:
        pose_type = "nav_msgs/Odometry"
        logger.warning("pose topic %s is not published yet; subscribing as %s", pose, pose_type)
    texts = tuple(t for t in overrides.get("text", []) if t != "none") if "text" in overrides else \
        tuple(sorted(t for t, kind in topics.items() if kind == "std_msgs/String"))
    return Topics(camera, camera_type, pose, pose_type, bool(named), texts)


def _message_class(ros_type: str):
    package, name = ros_type.split("/")
    module = __import__(f"{package}.msg", fromlist=[name])
    return getattr(module, name)


class Ros1Source(TopicFeed):
    """``ros1:///camera/image_raw?pose=/odom&text=/speech``: the node's subscriptions as a live stream.

    Joins the master as node ``mnemo`` when the process has not joined yet (``mnemo ros1`` has).
    """

    def __init__(self, uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True,
                 options: FeedOptions | None = None):
        from urllib.parse import parse_qsl

        rest = uri[len(f"{SCHEME}://"):]
        camera, _, query = rest.partition("?")
        if not camera.startswith("/"):
            raise SourceError(uri, "expected ros1:///camera/topic[?pose=/topic&text=/topic]")
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(query):
            params.setdefault(key, []).append(value)
        init_node()
        ros = rospy()
        types = published(ros)
        pose = (params.get("pose") or [None])[0]
        topics = Topics(camera, types.get(camera) or ("sensor_msgs/CompressedImage" if camera.endswith("compressed")
                                                      else "sensor_msgs/Image"),
                        pose, types.get(pose, "nav_msgs/Odometry") if pose else None, bool(params.get("pose_named")),
                        tuple(params.get("text", [])))
        super().__init__(uri, stream or stream_id(f"{SCHEME}://{camera}"), policy, camera, pose,
                         topics.pose_named, options)
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
        logger.info("ros1: reading %s (%s), tf, pose %s, text %s", topics.camera, topics.camera_type,
                    topics.pose or "none", ", ".join(topics.texts) or "none")

    def close(self) -> None:
        super().close()
        for subscriber in self._subscribers:
            subscriber.unregister()
        self._subscribers.clear()


class Ros1Interface:
    """The node's own topics: ``~events`` out, ``~ask`` in, ``~answer`` and ``~goal`` out.

    ``answer`` (called in one worker thread, never in a rospy callback) turns a question's JSON into the
    answer's JSON; ``events`` (called there every ``poll`` s) returns the events committed since the last
    call, as JSON-ready dicts. A question with ``"goal": true`` whose answer carries a pose also gets a
    PoseStamped on ``~goal`` in the pose's frame.
    """

    def __init__(self, answer: Callable[[dict], dict], events: Callable[[], list[dict]], poll: float = 0.5,
                 prepare: Callable[[], None] | None = None, finish: Callable[[], None] | None = None):
        ros = rospy()
        from geometry_msgs.msg import PoseStamped
        from std_msgs.msg import String

        self._ros, self._String, self._PoseStamped = ros, String, PoseStamped
        self._answer, self._events, self._poll = answer, events, poll
        self._prepare, self._finish = prepare, finish  # called in the worker thread, first and last
        self._questions: queue.Queue = queue.Queue(maxsize=100)
        self._stop = threading.Event()
        self.events_pub = ros.Publisher("~events", String, queue_size=100, latch=False)
        self.answer_pub = ros.Publisher("~answer", String, queue_size=100)
        self.goal_pub = ros.Publisher("~goal", PoseStamped, queue_size=10, latch=True)
        self.ask_sub = ros.Subscriber("~ask", String, self._asked, queue_size=100)
        self.published = 0  # events published
        self._thread = threading.Thread(target=self._work, name="mnemo-ros1-answers", daemon=True)
        self._thread.start()

    @property
    def names(self) -> list[str]:
        """The resolved names of the node's own topics (left out of the text topics picked by type)."""
        return [self.events_pub.resolved_name, self.answer_pub.resolved_name, self.ask_sub.resolved_name,
                self.goal_pub.resolved_name]

    def _asked(self, message) -> None:
        try:
            self._questions.put_nowait(message.data)
        except queue.Full:
            logger.warning("~ask: 100 questions waiting; this one is dropped: %.80s", message.data)

    def _work(self) -> None:
        if self._prepare is not None:
            self._prepare()
        try:
            while not self._stop.is_set():
                try:
                    text = self._questions.get(timeout=self._poll)
                except queue.Empty:
                    text = None
                self._publish_events()
                if text is not None:
                    self._reply(text)
            self._publish_events()  # the events committed while stopping
        finally:
            if self._finish is not None:
                self._finish()

    def _publish_events(self) -> None:
        try:
            events = self._events()
        except Exception:  # noqa: BLE001 - a busy or locked store: try again at the next poll
            logger.warning("~events: reading new events failed; retrying", exc_info=True)
            return
        for event in events:
            self.events_pub.publish(self._String(data=json.dumps(event, default=str)))
            self.published += 1

    def _reply(self, text: str) -> None:
        reply, request = _request(text)
        if reply is None:
            try:
                reply = self._answer(request)
            except Exception as error:  # noqa: BLE001 - a bad question gets an error reply, the node goes on
                logger.warning("~ask: %s", error, exc_info=True)
                reply = {"error": f"{type(error).__name__}: {error}"}
        reply = {**reply, "id": request.get("id") if isinstance(request, dict) else None}
        self.answer_pub.publish(self._String(data=json.dumps(reply, default=str)))
        if isinstance(request, dict) and request.get("goal") and "error" not in reply:
            self._goal(reply)

    def _goal(self, reply: dict) -> None:
        pose = next((e.get("pose") for e in reply.get("evidence", []) if e.get("pose")), None)
        if pose is None:
            logger.info("~goal: the answer to question %s carries no pose; no goal sent", reply.get("id"))
            return
        goal = self._PoseStamped()
        goal.header.stamp = self._ros.Time.now()
        goal.header.frame_id = pose.get("frame") or "map"
        goal.pose.position.x, goal.pose.position.y = float(pose["x"]), float(pose["y"])
        yaw = float(pose.get("yaw") or 0.0)
        goal.pose.orientation.z, goal.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
        self.goal_pub.publish(goal)

    def close(self) -> None:
        """Stop answering once the events committed until now are published."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self.ask_sub.unregister()
        time.sleep(_FLUSH_S)  # rospy sends from its own threads: let the last messages leave


def _request(text: str) -> tuple[dict | None, dict]:
    """(an error reply or None, the request): ``{"id", "question", "at"?, "goal"?}``; a bare string is a question."""
    try:
        request = json.loads(text)
    except ValueError:
        request = {"question": text}
    if isinstance(request, str):
        request = {"question": request}
    if not isinstance(request, dict) or not isinstance(request.get("question"), str) or not request["question"].strip():
        return {"error": 'expected JSON {"id": ..., "question": "...", "at": seconds or null}'}, \
            request if isinstance(request, dict) else {}
    at = request.get("at")
    if at is not None and not (isinstance(at, (int, float)) and not isinstance(at, bool) and math.isfinite(at)):
        return {"error": f"\"at\" = {at!r}: expected media seconds or null"}, request
    return None, request
