"""Live ROS topics as one camera stream's packets: a queue that the subscribers' callbacks fill and the
live ingest path (``mnemo.runtime.reader.LiveReadStage``) reads at its own pace.

The callbacks (one thread per topic in rospy) turn messages into packets with the bag source's
conversions (ros_bridge/images.py, poses.py, tf.py) and never wait for the analysis: a camera frame is
sampled at the profile's rate on media time before it is decoded, and one that is not newer than the
last frame kept (out-of-order stamps) is dropped. Media time comes from the header stamps through a
:class:`ros_bridge.stamps.StampClock`: a jump back of the clock (a looped bag) starts a new epoch just
after the time reached, with a :class:`streams.packets.StreamGap` between (the open event closes there),
and the tf buffer's dynamic transforms are cleared. A camera silent for ``silence`` s closes the open
event (a gap from its last frame to its next).
Messages without a header (std_msgs/String) are placed at the live edge when they arrive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from ros_bridge.audio import AudioFormat, AudioFormatError, BagAudio
from ros_bridge.detections import boxes_of, live_detections
from ros_bridge.detections3d import Intrinsics, place
from ros_bridge.images import ImageError, compressed_to_rgb, raw_to_rgb, reduction, shrink
from ros_bridge.poses import add_transforms, message_pose
from ros_bridge.source import CUE_SECONDS
from ros_bridge.stamps import Jump, StampClock, stamp_ns
from ros_bridge.tf import TfTree, planar
from streams.live import LiveStream
from streams.packets import PoseReading, StreamGap, StreamInfo, TextCue, VideoFrame
from streams.sampling import FrameClock, SamplingPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedOptions:
    """How live topics become packets."""

    jump: float = 1.0  # seconds a topic's stamps may go back before it counts as the clock jumping back
    silence: float = 5.0  # seconds without a camera frame that close the open event (a gap until frames return)
    tf_keep: float = 10.0  # seconds of dynamic transforms kept (tf2's cache length)
    tf_wait: float = 0.2  # seconds a frame waits for the transforms of its time (else the newest are used)
    info_wait: float = 2.0  # seconds the first audio message waits for an AudioInfo (else audio_capture's defaults)

    def __post_init__(self) -> None:
        for name in ("jump", "silence", "tf_keep", "tf_wait", "info_wait"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
                raise ValueError(f"FeedOptions.{name} = {value!r}: expected seconds > 0")


class TopicFeed(LiveStream):
    """One camera topic with the robot's poses (tf or a pose topic) and text topics, as live packets.

    ``image``, ``pose``, ``tf`` and ``text`` are called from the subscribers' threads with messages as
    rosbags or rospy spell them; ``packets()`` yields what they made until ``stop()``.
    """

    def __init__(self, uri: str, stream: str, policy: SamplingPolicy, camera: str, pose_topic: str | None = None,
                 pose_named: bool = False, options: FeedOptions | None = None, audio_topic: str | None = None,
                 detection_topic: str | None = None, camera_info: str | None = None):
        self.uri, self.policy, self.camera = uri, policy, camera
        self.options = options or FeedOptions()
        self.pose_topic, self.pose_named = pose_topic, pose_named
        self.audio_topic = audio_topic if policy.audio else None  # the profile's speech stages want audio
        self.detection_topic = detection_topic
        self.camera_info_topic = camera_info
        self.intrinsics: Intrinsics | None = None  # the camera's, from its CameraInfo (3-D detections need it)
        self._warned_3d = False
        extra = {"live": True, "image_topic": camera, "pose_topic": pose_topic}
        if detection_topic:  # the robot's detector, through the entity stage (ros_bridge/detections.py)
            self.detected = live_detections(f"{stream}#{id(self)}")
            extra["detectors"] = {"ros-live": {"feed": f"{stream}#{id(self)}"}}
            extra["detection_topic"] = detection_topic
        if self.audio_topic:
            extra["audio_topic"] = self.audio_topic
        self.info = StreamInfo(stream=stream, uri=uri, kind="ros", duration=None, has_video=True,
                               has_audio=bool(self.audio_topic), has_subtitles=True, extra=extra)
        self._audio: BagAudio | None = None
        self._audio_format: AudioFormat | None = None
        self._audio_known = threading.Event()
        self._audio_lock = threading.Lock()
        self.clock = StampClock(jump=self.options.jump)
        self.tree = TfTree(keep=self.options.tf_keep)
        self.gaps: list[StreamGap] = []
        self.ending: str | None = None
        self.reason: str | None = None
        self.state = f"waiting for {camera}"
        self.received = 0  # camera messages received
        self.skipped = 0  # camera messages that could not be decoded
        self.sampled = 0  # frames queued for the analysis (the sampling kept them)
        self._frames = FrameClock(policy.fps)
        self._reduce: int | None = None
        self._last_frame = float("-inf")  # media time of the last frame queued
        self._edge: tuple[float, float] | None = None  # (media time of the newest camera stamp, monotonic then)
        self._queue: deque = deque()
        self._cond = threading.Condition()
        self._tf_lock = threading.Condition(threading.RLock())  # re-entered when a tf stamp jumps back
        self._stopped = threading.Event()
        self._camera_frame = ""  # the camera's tf frame, from its first image's header
        self._silent: int | None = None  # the index in ``gaps`` of the gap opened when the camera fell silent

    # -- LiveStream ------------------------------------------------------------------------

    def edge(self) -> float | None:
        edge = self._edge
        return None if edge is None else edge[0] + (time.monotonic() - edge[1])

    def stop(self, reason: str = "stopped") -> None:
        if not self._stopped.is_set():
            self.reason = reason
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()

    def continue_after(self, wall_clock: float | None, position: float) -> None:
        self.clock.position = position
        self.clock.wall_clock = wall_clock
        self._last_frame = max(self._last_frame, position)

    def refine_clock(self) -> None:
        if self.clock.wall_clock is not None and self.info.wall_clock is None:
            self.info = self._with_wall_clock()

    def _with_wall_clock(self) -> StreamInfo:
        return replace(self.info, wall_clock=self.clock.wall_clock)

    def packets(self, start: float = 0.0) -> Iterator:
        while True:
            with self._cond:
                while not self._queue and not self._stopped.is_set():
                    self._cond.wait(0.25)
                    self._check_silence()
                taken = list(self._queue)
                self._queue.clear()
            yield from taken
            if self._stopped.is_set() and not taken:
                self.ending, self.state = "stopped", "ended"
                return

    # -- callbacks -------------------------------------------------------------------------

    def image(self, message) -> None:
        """A camera message (sensor_msgs/Image or CompressedImage): a frame when the sampling keeps it."""
        stamp = _stamp(message)
        when, jump = self.clock.media(self.camera, stamp) if stamp is not None else (self._now(), None)
        if jump is not None:
            self._jumped(jump)
        self.received += 1
        self._edge = (max(when, self._edge[0]) if self._edge and jump is None else when, time.monotonic())
        if self.info.wall_clock is None and self.clock.wall_clock is not None:
            self.info = self._with_wall_clock()
        if when <= self._last_frame or not self._frames.keep(when):
            return
        try:
            pixels = shrink(self._decode(message), self.policy.frame_size)
        except ImageError as error:
            self.skipped += 1
            logger.warning("%s at %.2f s: %s; frame skipped", self.camera, when, error)
            return
        frame_id = (getattr(message.header, "frame_id", "") or "").lstrip("/")
        self._camera_frame = frame_id or self._camera_frame
        pose = self._tf_pose(frame_id, when) if not self.pose_named else None
        with self._cond:
            if when <= self._last_frame:  # another thread moved on meanwhile
                return
            if self._silent is not None:  # the gap opened when the camera fell silent ends here
                self.gaps[self._silent] = replace(self.gaps[self._silent], end=when)
                self._silent = None
            self._last_frame = when
            if pose is not None:
                self._queue.append(pose)
            self._queue.append(VideoFrame(self.info.stream, when, pixels, keyframe=True))
            self.sampled += 1
            self._cond.notify()
        self.state = "receiving"

    def _decode(self, message) -> np.ndarray:
        data = np.frombuffer(bytes(message.data) if not isinstance(message.data, np.ndarray) else message.data,
                             dtype=np.uint8)
        if hasattr(message, "encoding"):
            if self.detection_topic and self.detected.image_size is None:
                self.detected.image_size = (int(message.width), int(message.height))
            return raw_to_rgb(message.encoding, int(message.height), int(message.width), int(message.step), data,
                              bool(message.is_bigendian))
        if self._reduce is None:
            first = compressed_to_rgb(getattr(message, "format", ""), data)
            self._reduce = reduction(first.shape[:2], self.policy.frame_size)
            if self.detection_topic:
                self.detected.image_size = (int(first.shape[1]), int(first.shape[0]))
            return first
        return compressed_to_rgb(getattr(message, "format", ""), data, self._reduce)

    def tf(self, message, static: bool) -> None:
        """A tf2_msgs/TFMessage into the tf buffer (static transforms hold at all times)."""
        with self._tf_lock:
            add_transforms(self.tree, message, static, (lambda s: 0.0) if static else self._tf_time)
            self._tf_lock.notify_all()

    def _tf_time(self, stamp: int) -> float:
        when, jump = self.clock.media("/tf", stamp)
        if jump is not None:
            self._jumped(jump)
        return when

    def pose(self, message) -> None:
        """A pose message: logged when no tf path places the camera (or the pose topic was named); before the
        first frame it is not known whether tf will, and nothing is logged."""
        if not self.pose_named and (not self._camera_frame or self._tf_root() is not None):
            return
        stamp = _stamp(message)
        when, jump = self.clock.media(self.pose_topic or "pose", stamp) if stamp is not None else (self._now(), None)
        if jump is not None:
            self._jumped(jump)
        x, y, yaw, frame = message_pose(message)
        self._put(PoseReading(self.info.stream, when, x, y, yaw, frame))

    def audio_info(self, message) -> None:
        """An audio_common_msgs/AudioInfo: the microphone's format (the first one counts)."""
        if self._audio_known.is_set():
            return
        try:
            self._audio_format = AudioFormat.of(message)
        except AudioFormatError as error:
            logger.warning("%s: %s; its audio is not read", self.audio_topic, error)
            self._audio_format = None
            self.audio_topic = None
        self._audio_known.set()

    def audio(self, message) -> None:
        """An audio_common_msgs/AudioData(Stamped): its samples into 16 kHz chunks on media time. Stamped audio
        is placed by its stamp; plain AudioData ends at the live edge when it arrives."""
        if not self.audio_topic:
            return
        with self._audio_lock:
            if self._audio is None:
                if not self._audio_known.wait(self.options.info_wait):
                    logger.warning("%s: no AudioInfo within %.0f s; taken as 16 kHz mono S16LE PCM", self.audio_topic,
                                   self.options.info_wait)
                    self._audio_format = self._audio_format or AudioFormat()
                if self._audio_format is None or not self.audio_topic:
                    return
                self._audio = BagAudio(self.info.stream, self.policy.audio_chunk, self._audio_format)
            stamp = _stamp(message)
            when, jump = self.clock.media(self.audio_topic, stamp) if stamp is not None else (self._now(), None)
            if jump is not None:
                self._jumped(jump)
            payload = message.audio.data if hasattr(message, "audio") else message.data
            chunks = list(self._audio.push(when, bytes(payload), at_end=stamp is None))
        for chunk in chunks:
            self._put(chunk)

    def camera_info(self, message) -> None:
        """A sensor_msgs/CameraInfo: the camera's intrinsics (the first calibrated one counts)."""
        if self.intrinsics is None:
            try:
                self.intrinsics = Intrinsics.of(message)
            except ValueError as error:
                logger.warning("%s: %s", self.camera_info_topic, error)

    def detections(self, message) -> None:
        """A vision_msgs/Detection2DArray or Detection3DArray: its boxes on media time, for the entity stage's
        detector (3-D boxes projected into the image with the camera's CameraInfo, placed in the map by tf)."""
        stamp = _stamp(message)
        when, jump = self.clock.media(self.detection_topic, stamp) if stamp is not None else (self._now(), None)
        if jump is not None:
            self._jumped(jump)
        if not hasattr(message.detections[0].bbox if message.detections else None, "size"):
            self.detected.add(when, boxes_of(message))
            return
        if self.intrinsics is None:
            if not self._warned_3d:
                logger.warning("%s: no CameraInfo of %s yet: 3-D detections are not seen until one arrives",
                               self.detection_topic, self.camera)
                self._warned_3d = True
            return
        if self.detected.image_size is None:
            self.detected.image_size = (self.intrinsics.width, self.intrinsics.height)
        with self._tf_lock:
            boxes = place(message, when, self.tree, self._camera_frame, self.intrinsics)
        self.detected.add(when, boxes)

    def text(self, text: str) -> None:
        """A std_msgs/String: a text cue at the live edge."""
        text = " ".join(str(text).split())
        edge = self.edge()
        if text and edge is not None:
            self._put(TextCue(self.info.stream, edge, edge + CUE_SECONDS, text, origin="subtitle"))

    # -- steps -----------------------------------------------------------------------------

    def _now(self) -> float:
        edge = self.edge()
        return edge if edge is not None else 0.0

    def _put(self, packet) -> None:
        with self._cond:
            self._queue.append(packet)
            self._cond.notify()

    def _check_silence(self) -> None:
        """A camera silent for ``silence`` s: a gap closes the open event (so it is committed and published)
        instead of leaving it open until frames come back (the caller holds the lock)."""
        edge = self._edge
        if self._silent is not None or edge is None or self._last_frame == float("-inf") \
                or time.monotonic() - edge[1] < self.options.silence:
            return
        self._silent = len(self.gaps)
        self._gap(self._last_frame, self._last_frame + 1e-3, f"{self.camera} fell silent")
        self._last_frame += 1e-3
        self.state = "camera silent"

    def _gap(self, start: float, end: float, reason: str) -> None:
        """A gap in the queue (the caller holds the lock)."""
        gap = StreamGap(self.info.stream, start, end, reason)
        self.gaps.append(gap)
        self._queue.append(gap)
        logger.warning("%s: %s at %.1f s", self.uri, reason, start)

    def _jumped(self, jump: Jump) -> None:
        with self._tf_lock:
            self.tree.clear_dynamic()
        with self._cond:
            start = max(self._last_frame, jump.time)
            if self._silent is not None:  # the camera fell silent before the jump: that gap ends at the jump
                self.gaps[self._silent] = replace(self.gaps[self._silent], end=start)
                self._silent = None
            self._gap(start, max(jump.end, start + 1e-3),
                      f"the ROS clock jumped back {jump.back:.1f} s (a looped bag or a restarted simulation)")
            self._last_frame = max(self._last_frame, jump.end - 1e-3)
            self._cond.notify()

    def _tf_root(self) -> str | None:
        frame = self._camera_frame
        if not frame:
            return None
        with self._tf_lock:
            return self.tree.root_of(frame)

    def _tf_pose(self, frame: str, when: float) -> PoseReading | None:
        if not frame:
            return None
        self._camera_frame = frame
        deadline = time.monotonic() + self.options.tf_wait
        with self._tf_lock:  # as tf2's message filter: the frame waits a little for the transforms of its time
            root = self.tree.root_of(frame)
            while root is not None and not self.tree.covers(frame, root, when) and time.monotonic() < deadline:
                self._tf_lock.wait(max(0.0, deadline - time.monotonic()))
                root = self.tree.root_of(frame)
            pose = self.tree.lookup(frame, root, when) if root is not None else None
        if pose is None:
            return None
        x, y, yaw = planar(pose, optical="optical" in frame)
        return PoseReading(self.info.stream, when, x, y, yaw, root)

    def close(self) -> None:
        self.stop(self.reason or "closed")


def _stamp(message) -> int | None:
    header = getattr(message, "header", None)
    if header is None:
        return None
    stamp = stamp_ns(header.stamp)
    return stamp if stamp > 0 else None
