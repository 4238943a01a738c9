"""What a live mnemo node is, whatever ROS carries it (ROS 1 through rospy, ROS 2 through DDS): the topics
it reads, picked by type as for bags, and its own interface: ``~events`` (each committed event as JSON),
``~ask`` -> ``~answer`` (questions and answers as JSON strings; a ``plan`` request gets the plan) and ``~goal``
(a pose to go to: a plan's best goal, or the pose of an answer's evidence when asked with ``"goal": true``).

A transport subclasses :class:`NodeInterface` with its publishers; the question worker, the replies and
the goals are here.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence
from urllib.parse import parse_qsl, urlencode

from ros_bridge.topics import (AUDIO_INFO_TYPE, AUDIO_TYPES, CAMERA_INFO_TYPE, DETECTION_TYPES, IMAGE_TYPES, POSE_TYPES,
                               TEXT_TYPE, camera_info_of)

logger = logging.getLogger(__name__)

_LISTS = ("text",)  # URI keys that may repeat


@dataclass(frozen=True)
class Topics:
    """The topics one live stream reads (types spelled ``pkg/msg/Type``)."""

    camera: str  # sensor_msgs/Image or CompressedImage
    camera_type: str
    pose: str | None = None  # a pose topic (logged when tf cannot place the camera, or always when named)
    pose_type: str | None = None
    pose_named: bool = False
    texts: tuple[str, ...] = ()  # std_msgs/String topics, text cues
    audio: str | None = None  # audio_common_msgs/AudioData(Stamped): the microphone
    audio_type: str | None = None
    audio_info: str | None = None  # the AudioInfo topic beside it
    detections: str | None = None  # vision_msgs/Detection2DArray or Detection3DArray: the robot's detector
    detections_type: str | None = None
    camera_info: str | None = None  # sensor_msgs/CameraInfo of the camera (3-D detections are projected with it)

    def uri(self, scheme: str) -> str:
        """``ros2:///camera/image_raw?pose=/odom&text=/speech``: the stream's URI (its id is the camera's)."""
        query = [("pose", self.pose)] if self.pose else []
        query += [("pose_named", "1")] if self.pose and self.pose_named else []
        query += [("text", t) for t in self.texts]
        query += [(k, getattr(self, k)) for k in ("audio", "audio_info", "detections", "camera_info") if getattr(self, k)]
        return f"{scheme}://{self.camera}" + (f"?{urlencode(query, safe='/')}" if query else "")

    @classmethod
    def parse(cls, uri: str, scheme: str, types: Mapping[str, str]) -> "Topics":
        """The topics of a URI made by :meth:`uri`; ``types`` (published topics) give their types."""
        rest = uri[len(f"{scheme}://"):]
        camera, _, query = rest.partition("?")
        if not camera.startswith("/"):
            raise ValueError(f"{uri}: expected {scheme}:///camera/topic[?pose=/topic&text=/topic]")
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(query):
            params.setdefault(key, []).append(value)
        one = {k: (v[0] if v else None) for k, v in params.items() if k not in _LISTS}
        pose, audio, detections = one.get("pose"), one.get("audio"), one.get("detections")
        return cls(camera, types.get(camera) or _camera_type(camera), pose,
                   types.get(pose, "nav_msgs/msg/Odometry") if pose else None, bool(one.get("pose_named")),
                   tuple(params.get("text", [])), audio,
                   types.get(audio, AUDIO_TYPES[0]) if audio else None, one.get("audio_info"),
                   detections, types.get(detections, DETECTION_TYPES[0]) if detections else None,
                   one.get("camera_info"))


def _camera_type(camera: str) -> str:
    return "sensor_msgs/msg/CompressedImage" if camera.endswith("compressed") else "sensor_msgs/msg/Image"


def pick_topics(topics: Mapping[str, str], overrides: Mapping[str, Sequence[str]]) -> Topics | None:
    """The topics to read among those published (name -> ``pkg/msg/Type``), picked by type as for bags, with
    the user's overrides; None while no camera topic is there."""
    cameras = list(overrides.get("image", [])) or sorted(t for t, kind in topics.items() if kind in IMAGE_TYPES)
    if not cameras or not (cameras[0] in topics or overrides.get("image")):
        return None
    camera = cameras[0]
    if len(cameras) > 1:
        logger.warning("%d camera topics; reading %s (name another with --topic image=/...)", len(cameras), camera)
    named = [p for p in overrides.get("pose", []) if p != "none"]
    poses = sorted((t for t, kind in topics.items() if kind in POSE_TYPES), key=lambda t: (POSE_TYPES.index(topics[t]), t))
    pose = named[0] if named else (None if "pose" in overrides else (poses[0] if poses else None))
    pose_type = topics.get(pose) if pose else None
    if pose and pose_type is None:
        pose_type = "nav_msgs/msg/Odometry"
        logger.warning("pose topic %s is not published yet; subscribing as %s", pose, pose_type)
    texts = tuple(t for t in overrides.get("text", []) if t != "none") if "text" in overrides else \
        tuple(sorted(t for t, kind in topics.items() if kind == TEXT_TYPE))
    audio = _one(topics, overrides, "audio", AUDIO_TYPES)
    audio_type = topics.get(audio, AUDIO_TYPES[0]) if audio else None
    info = None
    if audio:
        infos = sorted(t for t, kind in topics.items() if kind == AUDIO_INFO_TYPE)
        base = audio.rsplit("/", 1)[0]
        info = next((t for t in infos if t.rsplit("/", 1)[0] == base), infos[0] if infos else None)
    detections = _one(topics, overrides, "detections", DETECTION_TYPES)
    infos = sorted(t for t, kind in topics.items() if kind == CAMERA_INFO_TYPE)
    return Topics(camera, topics.get(camera) or _camera_type(camera), pose, pose_type, bool(named), texts,
                  audio, audio_type, info, detections, topics.get(detections, DETECTION_TYPES[0]) if detections else None,
                  camera_info_of(camera, infos))


def _one(topics: Mapping[str, str], overrides: Mapping[str, Sequence[str]], kind: str, types: Sequence[str]) -> str | None:
    """The named topic of a kind (``none``: none), else the first published of its types."""
    named = list(overrides.get(kind, []))
    if named:
        return None if named[0] == "none" else named[0]
    found = sorted((t for t, k in topics.items() if k in types), key=lambda t: (list(types).index(topics[t]), t))
    return found[0] if found else None


def parse_request(text: str) -> tuple[dict | None, dict]:
    """(an error reply or None, the request): ``{"id", "question", "at"?, "goal"?}`` or, for a robot instruction,
    ``{"id", "plan": "find the red mug", "at"?}``; a bare string is a question."""
    try:
        request = json.loads(text)
    except ValueError:
        request = {"question": text}
    if isinstance(request, str):
        request = {"question": request}
    key = "plan" if isinstance(request, dict) and "plan" in request else "question"
    if not isinstance(request, dict) or not isinstance(request.get(key), str) or not request[key].strip():
        return {"error": 'expected JSON {"id": ..., "question": "...", "at": seconds or null} or '
                         '{"id": ..., "plan": "an instruction", "at": seconds or null}'}, \
            request if isinstance(request, dict) else {}
    at = request.get("at")
    if at is not None and not (isinstance(at, (int, float)) and not isinstance(at, bool) and math.isfinite(at)):
        return {"error": f"\"at\" = {at!r}: expected media seconds or null"}, request
    return None, request


def goal_pose(reply: dict) -> dict | None:
    """Where to go for a reply: a plan's best goal ({x, y} in the map frame), else the first pose of an answer's
    evidence ({time, x, y, yaw, frame}); None when it has neither."""
    goals = reply.get("goals")
    if goals:
        return {"x": goals[0]["x"], "y": goals[0]["y"], "yaw": 0.0, "frame": "map"}
    return next((e.get("pose") for e in reply.get("evidence", []) if e.get("pose")), None)


class NodeInterface:
    """The node's own topics, whatever carries them: questions in, answers, events and goals out.

    ``answer`` (called in one worker thread, never in a transport's callback) turns a question's JSON into the
    answer's JSON; ``events`` (called there every ``poll`` s) returns the events committed since the last
    call, as JSON-ready dicts. A question with ``"goal": true`` whose answer carries a pose also gets a goal
    in the pose's frame. Subclasses publish: :meth:`send_event`, :meth:`send_answer`, :meth:`send_goal`, and
    call :meth:`asked` with each question's text.
    """

    flush_s = 0.5  # seconds the node waits at its end for its last messages to be sent

    def __init__(self, answer: Callable[[dict], dict], events: Callable[[], list[dict]], poll: float = 0.5,
                 prepare: Callable[[], None] | None = None, finish: Callable[[], None] | None = None):
        self._answer, self._events, self._poll = answer, events, poll
        self._prepare, self._finish = prepare, finish  # called in the worker thread, first and last
        self._questions: queue.Queue = queue.Queue(maxsize=100)
        self._stop = threading.Event()
        self.published = 0  # events published
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start answering (once the transport's publishers and subscriber exist)."""
        self._thread = threading.Thread(target=self._work, name="mnemo-node-answers", daemon=True)
        self._thread.start()

    # -- what a transport provides -------------------------------------------------------------

    def send_event(self, text: str) -> None:
        raise NotImplementedError

    def send_answer(self, text: str) -> None:
        raise NotImplementedError

    def send_goal(self, frame: str, x: float, y: float, yaw: float) -> None:
        raise NotImplementedError

    def unsubscribe(self) -> None:
        """Stop receiving questions."""

    # -- the worker ----------------------------------------------------------------------------

    def asked(self, text: str) -> None:
        """A question arrived (any thread)."""
        try:
            self._questions.put_nowait(text)
        except queue.Full:
            logger.warning("~ask: 100 questions waiting; this one is dropped: %.80s", text)

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
            self.send_event(json.dumps(event, default=str))
            self.published += 1

    def _reply(self, text: str) -> None:
        reply, request = parse_request(text)
        if reply is None:
            try:
                reply = self._answer(request)
            except Exception as error:  # noqa: BLE001 - a bad question gets an error reply, the node goes on
                logger.warning("~ask: %s", error, exc_info=True)
                reply = {"error": f"{type(error).__name__}: {error}"}
        reply = {**reply, "id": request.get("id") if isinstance(request, dict) else None}
        self.send_answer(json.dumps(reply, default=str))
        wants_goal = isinstance(request, dict) and (request.get("goal") or "plan" in request)
        if wants_goal and "error" not in reply:
            pose = goal_pose(reply)
            if pose is None:
                logger.info("~goal: the answer to question %s carries no pose; no goal sent", reply.get("id"))
            else:
                self.send_goal(pose.get("frame") or "map", float(pose["x"]), float(pose["y"]),
                               float(pose.get("yaw") or 0.0))

    def close(self) -> None:
        """Stop answering once the events committed until now are published."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=30)
        self.unsubscribe()
        time.sleep(self.flush_s)  # transports send from their own threads: let the last messages leave
