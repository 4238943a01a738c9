"""A bag as a source of packets: one camera topic is one stream (``VideoFrame``s), with the camera's
poses (``PoseReading``s, from /tf + /tf_static or a pose topic) and std_msgs/String text cues.

Media time is the header stamps' clock, from the first camera header stamp of the bag (every camera
stream of one bag shares that origin, so they share a timeline); a message without a header stamp is
placed by its record time, shifted onto that clock.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

from ros_bridge.audio import AudioFormat, AudioFormatError, BagAudio
from ros_bridge.bag import Bag, stamp_of
from ros_bridge.detections3d import DETECTION3D_TYPE
from ros_bridge.images import ImageError, compressed_to_rgb, is_depth, raw_to_rgb, reduction, shrink
from ros_bridge.poses import add_transforms, message_pose
from ros_bridge.tf import TfTree, planar
from ros_bridge.topics import bag_uri, camera_info_of, choose, describe, parse_uri
from streams.errors import SourceError
from streams.identity import stream_id
from streams.packets import Packet, PoseReading, StreamInfo, TextCue, VideoFrame
from streams.sampling import FrameClock, SamplingPolicy
from streams.source import Source

logger = logging.getLogger(__name__)

CUE_SECONDS = 2.0  # how long a std_msgs/String text cue shows (it has no duration of its own)


def decode(topic: str, message, reduce: int = 1) -> np.ndarray:
    """The RGB pixels of an Image or CompressedImage message (ImageError when it has none); a compressed
    image is decoded at 1/``reduce`` of its size when that is asked (JPEG scales while decoding)."""
    if hasattr(message, "encoding"):
        return raw_to_rgb(message.encoding, int(message.height), int(message.width), int(message.step),
                          message.data, bool(message.is_bigendian))
    return compressed_to_rgb(getattr(message, "format", ""), message.data, reduce)


def _encoding(message) -> str:
    return message.encoding if hasattr(message, "encoding") else getattr(message, "format", "")


class BagSource(Source):
    """``rosbag://PATH?image=/cam&pose=/odom`` or a bag path: one camera topic of a bag as a stream."""

    def __init__(self, uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True):
        path, overrides = parse_uri(uri)
        self.policy, self.uri, self.name = policy, uri, str(path)
        self.bag = Bag(path)
        try:
            self._open(overrides, stream)
        except BaseException:
            self.bag.close()
            raise

    def _open(self, overrides: Mapping[str, Sequence[str]], stream: str | None) -> None:
        cameras = camera_topics(self.bag, overrides)
        self.topic = cameras[0]
        if len(cameras) > 1:
            logger.warning("%s: %d camera topics; reading %s (name one with --topic image=/...; `mnemo ingest` "
                           "reads each as a stream)", self.name, len(cameras), self.topic)
        self.stream = stream or bag_stream_id(self.bag.path, self.topic)
        self.choice = choose(self.bag.topics, {**overrides, "image": [self.topic]}, self.name)
        record, first = self.bag.first(self.topic)
        self.first_image = _check_image(self.name, self.topic, first)
        self.reduce = reduction(self.first_image.shape[:2], self.policy.frame_size)
        self.origin = bag_origin(self.bag, cameras if not overrides.get("image") else camera_topics(self.bag, {}))
        stamp = stamp_of(first)
        self.offset = (stamp - record) if stamp is not None else 0  # header clock minus record clock, ns
        self.camera_frame = (first.header.frame_id or "").lstrip("/")
        self.tree = TfTree() if self.choice.pose_named else self._read_tf()
        self.pose_from = self._pose_from()
        self.pose_log = self._read_pose_topic() if (self.pose_from or "").startswith("topic") else []
        self.audio_format = self._audio_format()
        self.info = self._stream_info()

    def _stream_info(self) -> StreamInfo:
        height, width = shrink(self.first_image, self.policy.frame_size).shape[:2]
        span = (self.bag.end_time + self.offset - self.origin) / 1e9
        count = self.bag.count(self.topic)
        detectors = {}
        if self.choice.detections and self.bag.msgtype(self.choice.detections) == DETECTION3D_TYPE and \
                camera_info_of(self.topic, self.choice.camera_infos) is None:
            raise SourceError(self.name, f"topic {self.choice.detections}: 3-D detections need the camera's "
                                         f"sensor_msgs/CameraInfo (beside {self.topic}) to be seen in its images; "
                                         "the bag has none (leave them out: --topic detections=none)")
        if self.choice.detections:  # the robot's detector, run through the entity stage (ros_bridge/detections.py)
            detectors["ros-topic"] = {"uri": self.uri, "topic": self.choice.detections, "origin": self.origin,
                                      "image_size": [int(self.first_image.shape[1]), int(self.first_image.shape[0])],
                                      "camera_info": camera_info_of(self.topic, self.choice.camera_infos),
                                      "camera_frame": self.camera_frame, "tf": list(self.choice.tf)}
        return StreamInfo(
            stream=self.stream, uri=self.uri, kind="bag", duration=max(span, 0.0), width=width, height=height,
            fps=round((count - 1) / span, 3) if count > 1 and span > 0 else None, has_video=True,
            has_audio=self.audio_format is not None, has_subtitles=bool(self.choice.texts),
            wall_clock=self.origin / 1e9 if self.origin > 1e18 else None,  # stamps on the UNIX clock, not sim time
            extra={"bag": self.name, "image_topic": self.topic, "camera_frame": self.camera_frame,
                   "poses": self.pose_from, "text_topics": list(self.choice.texts), "detectors": detectors})

    def _audio_format(self) -> AudioFormat | None:
        """The microphone's format from its AudioInfo (audio_capture's defaults without one); None: no audio."""
        if not self.choice.audio:
            return None
        first = self.bag.first(self.choice.audio_info) if self.choice.audio_info else None
        try:
            if first is None:
                logger.warning("%s: %s has no AudioInfo beside it; taken as 16 kHz mono S16LE PCM", self.name,
                               self.choice.audio)
                return AudioFormat()
            return AudioFormat.of(first[1])
        except AudioFormatError as error:
            raise SourceError(self.name, f"topic {self.choice.audio}: {error} (leave it out: --topic audio=none)") \
                from error

    # -- poses ---------------------------------------------------------------------------------

    def media_time(self, stamp: int | None, record: int) -> float:
        """Media time (s) of a message: its header stamp, else its record time on the header clock (ns both)."""
        return ((stamp if stamp is not None else record + self.offset) - self.origin) / 1e9

    def _read_tf(self) -> TfTree:
        """The tf tree on media time, read before the images."""
        tree = TfTree()
        for topic, _, message in self.bag.messages(self.choice.tf):
            add_transforms(tree, message, "static" in topic, lambda s: (s - self.origin) / 1e9)
        return tree

    def _read_pose_topic(self) -> list[PoseReading]:
        """The pose topic's poses on media time, in time order."""
        log = []
        for _, record, message in self.bag.messages([self.choice.pose]):
            x, y, yaw, frame = message_pose(message)
            log.append(PoseReading(self.stream, self.media_time(stamp_of(message), record), x, y, yaw, frame))
        return sorted(log, key=lambda p: p.time)

    def _pose_from(self) -> str | None:
        """Where the camera's poses come from: a named pose topic, else tf, else a pose topic, else none."""
        if self.choice.pose and self.choice.pose_named:
            return f"topic {self.choice.pose}"
        root = self.tree.root_of(self.camera_frame) if self.camera_frame else None
        if root is not None:
            return f"tf {root}"
        return f"topic {self.choice.pose}" if self.choice.pose else None

    def _tf_pose(self, time: float) -> PoseReading | None:
        root = self.pose_from[len("tf "):]
        pose = self.tree.lookup(self.camera_frame, root, time)
        if pose is None:
            return None
        x, y, yaw = planar(pose, optical="optical" in self.camera_frame)
        return PoseReading(self.stream, time, x, y, yaw, root)

    # -- packets -------------------------------------------------------------------------------

    def packets(self, start: float = 0.0) -> Iterator[Packet]:
        self._clock, self._last, self._skipped = FrameClock(self.policy.fps), float("-inf"), 0
        poses = deque(p for p in self.pose_log if p.time >= start)  # a pose topic's, placed among the frames
        audio = BagAudio(self.stream, self.policy.audio_chunk, self.audio_format) \
            if self.audio_format is not None and self.policy.audio else None
        topics = [self.topic, *self.choice.texts] + ([self.choice.audio] if audio is not None else [])
        for topic, record, message in self.bag.messages(topics):
            time = self.media_time(stamp_of(message), record)
            if topic == self.topic:
                while poses and poses[0].time <= time:
                    yield poses.popleft()
                yield from self._frame(message, time, start)
            elif audio is not None and topic == self.choice.audio:
                payload = message.audio.data if hasattr(message, "audio") else message.data
                yield from (c for c in audio.push(time, payload.tobytes(), at_end=stamp_of(message) is None)
                            if c.time >= start)
            else:
                yield from self._cue(str(message.data), time, start)
        yield from poses
        if audio is not None:
            yield from (c for c in audio.flush() if c.time >= start)
        if self._skipped:
            logger.warning("%s: %d frames of %s could not be decoded and were skipped", self.name, self._skipped,
                           self.topic)

    def _frame(self, message, time: float, start: float) -> Iterator[Packet]:
        """A sampled camera message as its VideoFrame, after the camera's pose then (from tf)."""
        if time < start or time <= self._last or not self.policy.video or not self._clock.keep(time):
            return
        try:
            image = shrink(decode(self.topic, message, self.reduce), self.policy.frame_size)
        except ImageError as error:
            self._skipped += 1
            logger.warning("%s: topic %s at %.2f s: %s; frame skipped", self.name, self.topic, time, error)
            return
        self._last = time
        if (self.pose_from or "").startswith("tf"):
            pose = self._tf_pose(time)
            if pose is not None:
                yield pose
        yield VideoFrame(self.stream, time, image, keyframe=True)

    def _cue(self, text: str, time: float, start: float) -> Iterator[TextCue]:
        text = text.strip()
        if text and time + CUE_SECONDS > start:
            yield TextCue(self.stream, time, time + CUE_SECONDS, text, origin="subtitle")

    def close(self) -> None:
        self.bag.close()

    @classmethod
    def expand(cls, uri: str, topics: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        """One ``rosbag://`` URI per camera topic of the bag (the ``topics`` overrides in each)."""
        path, overrides = parse_uri(uri)
        overrides = {**overrides, **(topics or {})}
        with Bag(path) as bag:
            choose(bag.topics, overrides, str(path))  # an override naming a wrong topic fails here
            cameras = camera_topics(bag, overrides)
            for topic in cameras:
                _check_image(str(path), topic, bag.first(topic)[1])
        return [bag_uri(path, {**overrides, "image": [topic]}) for topic in cameras]


def camera_topics(bag: Bag, overrides: Mapping[str, Sequence[str]]) -> list[str]:
    """The camera topics to read: those named, else every image topic that is not depth."""
    named = list(overrides.get("image", []))
    if named:
        choose(bag.topics, {"image": named}, bag.name)
        return named
    cameras = []
    for topic in choose(bag.topics, {}, bag.name).images:
        first = bag.first(topic)
        if first is not None and is_depth(_encoding(first[1])):
            logger.info("%s: %s holds depth images (%s); not read as a camera", bag.name, topic, _encoding(first[1]))
            continue
        cameras.append(topic)
    if not cameras:
        raise SourceError(bag.name, "has no camera topic (sensor_msgs/Image or CompressedImage) to remember; "
                                    f"its topics: {describe(bag.topics)}")
    return cameras


def bag_origin(bag: Bag, cameras: Sequence[str]) -> int:
    """Media time 0 of every stream of the bag (ns on the header clock): its cameras' earliest first stamp."""
    firsts = []
    for topic in cameras:
        first = bag.first(topic)
        if first is not None:
            stamp = stamp_of(first[1])
            firsts.append(stamp if stamp is not None else first[0])
    return min(firsts) if firsts else bag.start_time


def _check_image(bag: str, topic: str, message) -> np.ndarray:
    """The first image of a camera topic, or one clear error naming the bag, topic and problem."""
    try:
        return decode(topic, message)
    except ImageError as error:
        raise SourceError(bag, f"topic {topic}: {error}") from error


def bag_stream_id(path: Path, topic: str) -> str:
    """``s-`` + 12 hex digits for one camera topic of a bag: from the bag's content, not its name."""
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in (".db3", ".mcap")) if path.is_dir() else [path]
    content = "+".join(stream_id(str(f)) for f in files)
    return "s-" + hashlib.sha1(f"{content}#{topic}".encode(), usedforsecurity=False).hexdigest()[:12]
