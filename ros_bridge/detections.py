"""A robot's own detector as mnemo's: ``vision_msgs/Detection2DArray`` messages of a bag become
detections of the frames the entity stage looks at, so they go through the one perception path
(tracker, re-identification, entities, sightings with colour and appearance), as any detector's.

The detector ``ros-topic`` is registered when ``ros_bridge`` is imported; a bag source with a
detection topic names it in its stream info (``extra["detectors"]``) and ingest adds it to the
profile's detectors for that stream. Boxes are scaled from the camera's image size to the frame's.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time as _time
from typing import Sequence

import numpy as np

from perception.detection import Detection, Detector, register_detector
from perception.detection.base import crop_box, with_appearance
from ros_bridge.bag import Bag, stamp_of
from ros_bridge.detections3d import DETECTION3D_TYPE, Intrinsics, place
from ros_bridge.topics import parse_uri

logger = logging.getLogger(__name__)

PEOPLE = ("person", "people", "pedestrian", "human")  # labels that make a detection a person's


def boxes_of(message) -> list[tuple[tuple[float, float, float, float], float, str]]:
    """(box x0 y0 x1 y1 in the image's pixels, score, label) of each detection of a Detection2DArray.

    Reads vision_msgs as ROS 1 (``results[].id`` int, ``score``; center ``x``, ``y``) and ROS 2 spell it
    (``results[].hypothesis.class_id``, ``score``; center ``position.x``, ``position.y``)."""
    found = []
    for detection in message.detections:
        box = detection.bbox
        center = box.center
        cx, cy = (center.position.x, center.position.y) if hasattr(center, "position") else (center.x, center.y)
        w, h = float(box.size_x), float(box.size_y)
        if w <= 0 or h <= 0:
            continue
        best, label = 0.0, ""
        for result in detection.results:
            hypothesis = getattr(result, "hypothesis", result)
            score = float(hypothesis.score)
            if score >= best:
                best, label = score, str(getattr(hypothesis, "class_id", getattr(hypothesis, "id", "")))
        found.append(((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), min(max(best, 0.0), 1.0), label or "object"))
    return found


class _TopicBoxes(Detector):
    """Detections of the frames asked about: the boxes of the detection message nearest in time (within
    ``tolerance`` s), scaled from the camera's image size to the frame's, through the one perception path."""

    kind = "object"  # labels in PEOPLE come out as kind "person"

    def __init__(self, encoder=None, tolerance: float = 0.1, crop_size: int = 128, crop_pad: float = 0.1) -> None:
        self.encoder = encoder  # crop encoder for appearance vectors (the profile's frame encoder)
        self.tolerance = float(tolerance)  # seconds between a frame and the detections it gets, at most
        self.crop_size, self.crop_pad = int(crop_size), float(crop_pad)

    def _boxes_at(self, time: float) -> tuple[list, tuple[int, int] | None]:
        """(boxes of the nearest message, the camera's image size (width, height))."""
        raise NotImplementedError

    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        found = []
        for frame, time in zip(frames, times):
            boxes, size = self._boxes_at(float(time))
            detections = []
            if boxes and size is not None:
                h, w = frame.shape[:2]
                sx, sy = w / size[0], h / size[1]
                for (x0, y0, x1, y1), score, label, *position in boxes:
                    box = (max(0.0, x0 * sx), max(0.0, y0 * sy), min(float(w), x1 * sx), min(float(h), y1 * sy))
                    if box[2] <= box[0] or box[3] <= box[1]:
                        continue
                    kind = "person" if label.lower() in PEOPLE else "object"
                    detections.append(Detection(float(time), box, score, kind, label,
                                                crop=crop_box(frame, box, self.crop_pad, self.crop_size),
                                                position=position[0] if position else None))
            found.append(detections)
        return with_appearance(found, self.encoder) if self.encoder is not None else found


def _nearest(times: list[float], items: list, time: float, tolerance: float):
    i = bisect.bisect_left(times, time)
    best = min((j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - time), default=None)
    return items[best] if best is not None and abs(times[best] - time) <= tolerance else []


@register_detector("ros-topic")
class TopicDetector(_TopicBoxes):
    """The boxes a bag's detection topic reported for the frames asked about (nearest message in time)."""

    def __init__(self, uri: str, topic: str, origin: int, image_size: Sequence[int], encoder=None,
                 tolerance: float = 0.1, crop_size: int = 128, crop_pad: float = 0.1, camera_info: str | None = None,
                 camera_frame: str = "", tf: Sequence[str] = ()) -> None:
        super().__init__(encoder, tolerance, crop_size, crop_pad)
        self.width, self.height = int(image_size[0]), int(image_size[1])  # the camera's own image size
        path, _ = parse_uri(uri)
        self.times: list[float] = []
        self.boxes: list[list] = []
        with Bag(path) as bag:
            three_d = any(t.name == topic and t.msgtype == DETECTION3D_TYPE for t in bag.topics)
            boxes = self._placer(bag, origin, camera_info, camera_frame, tf) if three_d else None
            for _, record, message in bag.messages([topic]):
                stamp = stamp_of(message)
                time = ((stamp if stamp is not None else record) - int(origin)) / 1e9
                self.times.append(time)
                self.boxes.append(boxes(message, time) if boxes is not None else boxes_of(message))
        order = np.argsort(self.times, kind="stable")
        self.times = [self.times[i] for i in order]
        self.boxes = [self.boxes[i] for i in order]
        logger.info("%s: %d detection messages on %s", path, len(self.times), topic)

    def _boxes_at(self, time: float) -> tuple[list, tuple[int, int] | None]:
        return _nearest(self.times, self.boxes, time, self.tolerance), (self.width, self.height)

    def _placer(self, bag: Bag, origin: int, camera_info: str | None, camera_frame: str, tf: Sequence[str]):
        """(message, time) -> boxes of a Detection3DArray: projected with the camera's CameraInfo, placed by tf."""
        from ros_bridge.poses import add_transforms
        from ros_bridge.tf import TfTree

        first = bag.first(camera_info) if camera_info else None
        if first is None:
            raise ValueError(f"{bag.name}: 3-D detections need the camera's sensor_msgs/CameraInfo to be seen in its "
                             "images, and the bag has none beside the camera (leave them out: --topic detections=none)")
        camera = Intrinsics.of(first[1])
        tree = TfTree()
        for name, _, message in bag.messages(list(tf)):
            add_transforms(tree, message, "static" in name, lambda s: (s - int(origin)) / 1e9)
        return lambda message, time: place(message, time, tree, camera_frame, camera)


class LiveDetections:
    """A live node's detection messages on media time, kept ``keep`` s (a feed's callbacks add, the
    entity stage's detector reads; one process: the inline runtime)."""

    def __init__(self, keep: float = 30.0):
        self.keep = float(keep)
        self.times: list[float] = []
        self.boxes: list[list] = []
        self.image_size: tuple[int, int] | None = None  # the camera's (width, height): the boxes' pixels
        self.received_at: float | None = None  # monotonic time of the newest message
        self._cond = threading.Condition()

    def add(self, time: float, boxes: list) -> None:
        with self._cond:
            i = bisect.bisect_right(self.times, time)
            self.times.insert(i, time)
            self.boxes.insert(i, boxes)
            drop = bisect.bisect_left(self.times, self.times[-1] - self.keep)
            del self.times[:drop], self.boxes[:drop]
            self.received_at = _time.monotonic()
            self._cond.notify_all()

    def at(self, time: float, tolerance: float, wait: float) -> list:
        """The boxes of the message nearest ``time``; waits up to ``wait`` s for a message at or after it
        while the topic is speaking (a detector answers a little after its camera)."""
        deadline = _time.monotonic() + wait
        with self._cond:
            while (not self.times or self.times[-1] < time) and self.received_at is not None \
                    and _time.monotonic() - self.received_at < 2.0 and _time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - _time.monotonic()))
            return _nearest(self.times, self.boxes, time, tolerance)


_LIVE: dict[str, LiveDetections] = {}


def live_detections(key: str) -> LiveDetections:
    """The detection buffer of the live feed ``key`` (made when first asked)."""
    return _LIVE.setdefault(key, LiveDetections())


@register_detector("ros-live")
class LiveTopicDetector(_TopicBoxes):
    """The boxes a live node's detection topic reported for the frames asked about."""

    def __init__(self, feed: str, encoder=None, tolerance: float = 0.1, wait: float = 0.5, crop_size: int = 128,
                 crop_pad: float = 0.1) -> None:
        super().__init__(encoder, tolerance, crop_size, crop_pad)
        self.buffer = live_detections(feed)
        self.wait = float(wait)  # seconds a frame waits for its detections to arrive, at most

    def _boxes_at(self, time: float) -> tuple[list, tuple[int, int] | None]:
        return self.buffer.at(time, self.tolerance, self.wait), self.buffer.image_size
