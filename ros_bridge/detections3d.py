"""A robot's 3-D detector: ``vision_msgs/Detection3DArray`` boxes become detections of the one perception path
with a 2-D box (the 3-D box's corners projected into the camera image through its ``sensor_msgs/CameraInfo``)
and a measured position (the box's centre in the fixed frame above the camera in tf: ``map`` where there is
one), so their sightings are placed where the robot measured them, not estimated from a single view.

A box is in its header's frame; tf gives that frame in the camera's (directly when they are the same frame).
A camera frame named ``*optical*`` looks along +z (x right, y down), any other along +x (y left, z up), as
ROS's conventions (REP 103) have it. Boxes partly behind the camera, or wholly outside the image, are left out.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from ros_bridge.tf import TfTree

logger = logging.getLogger(__name__)

DETECTION3D_TYPE = "vision_msgs/msg/Detection3DArray"
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"
NEAR = 0.05  # metres in front of the camera a corner must be to be projected
# the optical frame's axes in a body frame's (x forward, y left, z up): x_opt = -y, y_opt = -z, z_opt = x
_BODY_TO_OPTICAL = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


@dataclass(frozen=True)
class Intrinsics:
    """A pinhole camera from a CameraInfo message (its ``K`` matrix and image size)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def __post_init__(self) -> None:
        if not (self.fx > 0 and self.fy > 0 and self.width > 0 and self.height > 0):
            raise ValueError(f"CameraInfo fx={self.fx}, fy={self.fy}, size {self.width}x{self.height}: "
                             "expected a calibrated camera (fx, fy and size > 0)")

    @classmethod
    def of(cls, message) -> "Intrinsics":
        """From a CameraInfo as ROS 2 (``k``) or ROS 1 (``K``) spells it."""
        k = getattr(message, "k", None)
        k = getattr(message, "K", None) if k is None else k
        k = np.asarray(k, np.float64).reshape(-1)
        return cls(float(k[0]), float(k[4]), float(k[2]), float(k[5]), int(message.width), int(message.height))


def _rotation(q) -> np.ndarray:
    x, y, z, w = float(q.x), float(q.y), float(q.z), float(q.w)
    n = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def best_hypothesis(results) -> tuple[float, str]:
    """(score, label) of the best of a detection's hypotheses (ROS 1: ``id`` int; ROS 2: ``class_id``)."""
    best, label = 0.0, ""
    for result in results:
        hypothesis = getattr(result, "hypothesis", result)
        score = float(hypothesis.score)
        if score >= best:
            best, label = score, str(getattr(hypothesis, "class_id", getattr(hypothesis, "id", "")))
    return min(max(best, 0.0), 1.0), label or "object"


def corners(center: np.ndarray, rotation: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(8, 3) corners of a box of ``size`` at ``center`` turned by ``rotation``."""
    signs = np.array([[sx, sy, sz] for sx in (-0.5, 0.5) for sy in (-0.5, 0.5) for sz in (-0.5, 0.5)])
    return center + (signs * size) @ rotation.T


def project(points: np.ndarray, camera: Intrinsics, optical: bool) -> tuple[float, float, float, float] | None:
    """The image box (x0, y0, x1, y1, clipped to the image) of points in the camera frame; None when a point is
    not in front of the camera or the box misses the image."""
    p = points if optical else points @ _BODY_TO_OPTICAL.T
    if (p[:, 2] < NEAR).any():
        return None
    u = camera.fx * p[:, 0] / p[:, 2] + camera.cx
    v = camera.fy * p[:, 1] / p[:, 2] + camera.cy
    x0, y0 = max(float(u.min()), 0.0), max(float(v.min()), 0.0)
    x1, y1 = min(float(u.max()), float(camera.width)), min(float(v.max()), float(camera.height))
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def place(message, time: float, tree: TfTree, camera_frame: str, camera: Intrinsics) -> list[tuple]:
    """(box in the camera image's pixels, score, label, (x, y) in the tf root above the camera or None) of each
    detection of a Detection3DArray at media time ``time`` that the camera sees."""
    camera_frame = camera_frame.lstrip("/")
    root = tree.root_of(camera_frame) if camera_frame else None
    camera_pose = tree.lookup(camera_frame, root, time) if root is not None else None
    found = []
    for detection in message.detections:
        frame = ((getattr(detection, "header", None) and detection.header.frame_id) or message.header.frame_id or
                 camera_frame).lstrip("/")
        box = detection.bbox
        center = np.array([box.center.position.x, box.center.position.y, box.center.position.z], np.float64)
        size = np.abs(np.array([box.size.x, box.size.y, box.size.z], np.float64))
        points = corners(center, _rotation(box.center.orientation), size)
        in_root = tree.lookup(frame, root, time) if root is not None else None
        if frame == camera_frame:
            in_camera = points
        elif in_root is not None and camera_pose is not None:
            relative = np.linalg.inv(camera_pose) @ in_root
            in_camera = points @ relative[:3, :3].T + relative[:3, 3]
        else:
            continue  # tf cannot put the box in the camera's frame
        image_box = project(in_camera, camera, optical="optical" in camera_frame)
        if image_box is None:
            continue
        position = None
        if in_root is not None:
            x, y, _ = in_root[:3, :3] @ center + in_root[:3, 3]
            position = (float(x), float(y))
        score, label = best_hypothesis(detection.results)
        found.append((image_box, score, label, position))
    return found
