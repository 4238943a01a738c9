"""People by OpenCV's built-in HOG + linear SVM pedestrian detector (Dalal & Triggs): no weights to fetch.

It finds upright people of at least 64 x 128 pixels at the working scale, standing or walking;
seated, bent or half-hidden people are often missed. Scores squash the SVM margin into (0, 1):
a ranking, not a calibrated probability.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from perception.detection.base import Box, FrameDetector, nms, resized
from perception.encoders.base import FrameEncoder
from perception.options import build_options

logger = logging.getLogger(__name__)

_OPENCV_FIX = "pip install 'opencv-python-headless>=4.9,<5' (OpenCV 5 moved HOG and Haar cascades to opencv-contrib)"


@dataclass(frozen=True)
class HogOptions:
    # frames are shrunk so that their longer side is at most this many pixels before detection
    max_side: int = 640
    # frames are enlarged by this factor first (finds people smaller than 128 pixels; costs factor^2)
    upscale: float = 1.0
    # window step, pixels at the working scale
    win_stride: int = 8
    # padding around the frame, pixels at the working scale
    padding: int = 8
    # scale step of the image pyramid
    scale: float = 1.05
    # SVM margin a window needs to count as a hit
    hit_threshold: float = 0.0
    # margin that maps to a score of 1 - 1/e (score = 1 - exp(-margin / margin_scale))
    margin_scale: float = 0.5
    # detections scoring less are dropped
    min_score: float = 0.3
    # boxes overlapping a better one by more than this IoU are dropped
    nms_iou: float = 0.4

    def __post_init__(self) -> None:
        if self.max_side < 128:
            raise ValueError(f"HogOptions.max_side={self.max_side}: expected at least 128 pixels (the HOG window)")
        if not 0.5 <= self.upscale <= 4.0:
            raise ValueError(f"HogOptions.upscale={self.upscale}: expected a factor in [0.5, 4]")
        if self.win_stride < 1 or self.padding < 0:
            raise ValueError(f"HogOptions.win_stride={self.win_stride}, padding={self.padding}: "
                             "expected a positive stride and a non-negative padding")
        if not 1.0 < self.scale <= 2.0:
            raise ValueError(f"HogOptions.scale={self.scale}: expected a pyramid step in (1, 2]")
        if self.margin_scale <= 0:
            raise ValueError(f"HogOptions.margin_scale={self.margin_scale}: expected > 0")
        for name in ("min_score", "nms_iou"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"HogOptions.{name}={getattr(self, name)}: expected a value in [0, 1]")


class HogPeopleDetector(FrameDetector):
    """``"hog-people"``: OpenCV's default people detector, run at a bounded scale, then NMS."""

    kind = "person"

    def __init__(self, encoder: FrameEncoder | None = None, crop_size: int = 128, crop_pad: float = 0.05,
                 **options) -> None:
        super().__init__(encoder, crop_size, crop_pad)
        self.options = build_options(HogOptions, "detector 'hog-people'", options)
        if not hasattr(cv2, "HOGDescriptor"):
            raise ImportError(f"OpenCV {cv2.__version__} has no HOGDescriptor: {_OPENCV_FIX}")
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def find(self, frame: np.ndarray) -> list[tuple[Box, float, str | None]]:
        o = self.options
        factor = o.upscale * min(1.0, o.max_side / max(frame.shape[:2]))
        work, back = resized(frame, factor)
        if work.shape[0] < 128 or work.shape[1] < 64:  # smaller than one HOG window
            return []
        rects, weights = self._hog.detectMultiScale(
            work, hitThreshold=o.hit_threshold, winStride=(o.win_stride, o.win_stride),
            padding=(o.padding, o.padding), scale=o.scale)
        if len(rects) == 0:
            return []
        margins = np.asarray(weights, dtype=np.float64).reshape(-1)
        scores = 1.0 - np.exp(-np.maximum(margins, 0.0) / o.margin_scale)
        boxes = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]  # x, y, w, h -> x0, y0, x1, y1
        boxes = np.clip(boxes * back, 0, [frame.shape[1], frame.shape[0]] * 2)
        found = []
        for i in nms(boxes, scores, o.nms_iou):
            if scores[i] >= o.min_score and boxes[i, 2] > boxes[i, 0] and boxes[i, 3] > boxes[i, 1]:
                found.append((tuple(float(v) for v in boxes[i]), float(scores[i]), "person"))
        return found
