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
from typing import Sequence

import numpy as np

from perception.detection import Detection, Detector, register_detector
from perception.detection.base import crop_box, with_appearance
from ros_bridge.bag import Bag, stamp_of
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


@register_detector("ros-topic")
class TopicDetector(Detector):
    """The boxes a bag's detection topic reported for the frames asked about (nearest message in time)."""

    kind = "object"  # labels in PEOPLE come out as kind "person"

    def __init__(self, uri: str, topic: str, origin: int, image_size: Sequence[int], encoder=None,
                 tolerance: float = 0.1, crop_size: int = 128, crop_pad: float = 0.1) -> None:
        self.encoder = encoder  # crop encoder for appearance vectors (the profile's frame encoder)
        self.tolerance = float(tolerance)  # seconds between a frame and the detections it gets, at most
        self.crop_size, self.crop_pad = int(crop_size), float(crop_pad)
        self.width, self.height = int(image_size[0]), int(image_size[1])  # the camera's own image size
        path, _ = parse_uri(uri)
        self.times: list[float] = []
        self.boxes: list[list] = []
        with Bag(path) as bag:
            for _, record, message in bag.messages([topic]):
                stamp = stamp_of(message)
                self.times.append(((stamp if stamp is not None else record) - int(origin)) / 1e9)
                self.boxes.append(boxes_of(message))
        order = np.argsort(self.times, kind="stable")
        self.times = [self.times[i] for i in order]
        self.boxes = [self.boxes[i] for i in order]
        logger.info("%s: %d detection messages on %s", path, len(self.times), topic)

    def _nearest(self, time: float) -> list:
        i = bisect.bisect_left(self.times, time)
        best = min((j for j in (i - 1, i) if 0 <= j < len(self.times)), key=lambda j: abs(self.times[j] - time),
                   default=None)
        return self.boxes[best] if best is not None and abs(self.times[best] - time) <= self.tolerance else []

    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        found = []
        for frame, time in zip(frames, times):
            h, w = frame.shape[:2]
            sx, sy = w / self.width, h / self.height
            detections = []
            for (x0, y0, x1, y1), score, label in self._nearest(float(time)):
                box = (max(0.0, x0 * sx), max(0.0, y0 * sy), min(float(w), x1 * sx), min(float(h), y1 * sy))
                if box[2] <= box[0] or box[3] <= box[1]:
                    continue
                kind = "person" if label.lower() in PEOPLE else "object"
                detections.append(Detection(float(time), box, score, kind, label,
                                            crop=crop_box(frame, box, self.crop_pad, self.crop_size)))
            found.append(detections)
        return with_appearance(found, self.encoder) if self.encoder is not None else found
