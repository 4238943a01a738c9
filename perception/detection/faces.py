"""Faces: OpenCV's shipped Haar cascade (no weights to fetch), or its YuNet CNN given a model file.

Face crops and their vectors are biometric data: memory keeps them only in an entity's gallery,
where ``forget`` deletes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from perception.detection.base import Box, FrameDetector, nms, resized
from perception.encoders.base import FrameEncoder
from perception.errors import WeightsUnavailable
from perception.options import build_options

logger = logging.getLogger(__name__)

_OPENCV_FIX = "pip install 'opencv-python-headless>=4.9,<5' (OpenCV 5 moved Haar cascades to opencv-contrib)"


@dataclass(frozen=True)
class HaarOptions:
    # cascade file: a name in cv2.data.haarcascades or a path
    cascade: str = "haarcascade_frontalface_default.xml"
    # frames are shrunk so that their longer side is at most this many pixels before detection
    max_side: int = 640
    # frames are then enlarged by this factor (finds faces smaller than about 30 pixels; costs factor^2)
    upscale: float = 1.0
    # scale step of the image pyramid
    scale_factor: float = 1.1
    # overlapping raw hits a face needs (higher: fewer false faces, more missed ones)
    min_neighbors: int = 5
    # smallest face, pixels at the working scale
    min_size: int = 20
    # cascade level weight that maps to a score of 1 - 1/e (score = 1 - exp(-weight / level_scale))
    level_scale: float = 4.0
    # detections scoring less are dropped (0.45 ~ level weight 2.4)
    min_score: float = 0.45
    # boxes overlapping a better one by more than this IoU are dropped
    nms_iou: float = 0.3
    # equalise the grey histogram first (helps in dim light)
    equalize: bool = False

    def __post_init__(self) -> None:
        if self.max_side < 32:
            raise ValueError(f"HaarOptions.max_side={self.max_side}: expected at least 32 pixels")
        if not 0.5 <= self.upscale <= 4.0:
            raise ValueError(f"HaarOptions.upscale={self.upscale}: expected a factor in [0.5, 4]")
        if not 1.0 < self.scale_factor <= 2.0:
            raise ValueError(f"HaarOptions.scale_factor={self.scale_factor}: expected a pyramid step in (1, 2]")
        if self.min_neighbors < 0 or self.min_size < 8:
            raise ValueError(f"HaarOptions.min_neighbors={self.min_neighbors}, min_size={self.min_size}: "
                             "expected min_neighbors >= 0 and min_size >= 8 pixels")
        if self.level_scale <= 0:
            raise ValueError(f"HaarOptions.level_scale={self.level_scale}: expected > 0")
        for name in ("min_score", "nms_iou"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"HaarOptions.{name}={getattr(self, name)}: expected a value in [0, 1]")


class HaarFaceDetector(FrameDetector):
    """``"haar-faces"``: the frontal-face Haar cascade that ships with OpenCV."""

    kind = "face"

    def __init__(self, encoder: FrameEncoder | None = None, crop_size: int = 112, crop_pad: float = 0.15,
                 **options) -> None:
        super().__init__(encoder, crop_size, crop_pad)
        self.options = build_options(HaarOptions, "detector 'haar-faces'", options)
        if not hasattr(cv2, "CascadeClassifier"):
            raise ImportError(f"OpenCV {cv2.__version__} has no CascadeClassifier: {_OPENCV_FIX}")
        path = _cascade_path(self.options.cascade)
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise ValueError(f"cascade={self.options.cascade!r}: {path} is not a readable Haar cascade")

    def find(self, frame: np.ndarray) -> list[tuple[Box, float, str | None]]:
        o = self.options
        work, back = resized(frame, o.upscale * min(1.0, o.max_side / max(frame.shape[:2])))
        grey = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
        if o.equalize:
            grey = cv2.equalizeHist(grey)
        rects, _, weights = self._cascade.detectMultiScale3(
            grey, scaleFactor=o.scale_factor, minNeighbors=o.min_neighbors, minSize=(o.min_size, o.min_size),
            outputRejectLevels=True)
        if len(rects) == 0:
            return []
        scores = 1.0 - np.exp(-np.maximum(np.asarray(weights, dtype=np.float64).reshape(-1), 0.0) / o.level_scale)
        return _boxes(rects, scores, back, frame.shape, o.min_score, o.nms_iou)


@dataclass(frozen=True)
class YuNetOptions:
    # the YuNet ONNX model file (face_detection_yunet_2023mar.onnx from opencv_zoo); never downloaded
    model: str | None = None
    # frames are shrunk so that their longer side is at most this many pixels before detection
    max_side: int = 640
    # detections scoring less are dropped
    min_score: float = 0.6
    # YuNet's own non-maximum suppression IoU
    nms_iou: float = 0.3
    # most faces kept per frame
    top_k: int = 500

    def __post_init__(self) -> None:
        if self.max_side < 32:
            raise ValueError(f"YuNetOptions.max_side={self.max_side}: expected at least 32 pixels")
        for name in ("min_score", "nms_iou"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"YuNetOptions.{name}={getattr(self, name)}: expected a value in [0, 1]")
        if self.top_k < 1:
            raise ValueError(f"YuNetOptions.top_k={self.top_k}: expected >= 1")


class YuNetFaceDetector(FrameDetector):
    """``"yunet-faces"``: OpenCV's FaceDetectorYN (a small CNN) with a local model file."""

    kind = "face"

    def __init__(self, encoder: FrameEncoder | None = None, crop_size: int = 112, crop_pad: float = 0.15,
                 **options) -> None:
        super().__init__(encoder, crop_size, crop_pad)
        self.options = build_options(YuNetOptions, "detector 'yunet-faces'", options)
        model = self.options.model
        if not model or not Path(model).expanduser().is_file():
            where = "no model file was given" if not model else f"{model!r} does not exist"
            raise WeightsUnavailable(
                f"detector 'yunet-faces' needs the YuNet ONNX model and {where}. Fix: pass "
                "model='/path/to/face_detection_yunet_2023mar.onnx' (opencv_zoo), or use 'haar-faces', "
                "which needs no file")
        if not hasattr(cv2, "FaceDetectorYN"):
            raise ImportError(f"OpenCV {cv2.__version__} has no FaceDetectorYN: pip install 'opencv-python-headless>=4.9'")
        self._net = cv2.FaceDetectorYN.create(str(Path(model).expanduser()), "", (320, 320),
                                              self.options.min_score, self.options.nms_iou, self.options.top_k)

    def find(self, frame: np.ndarray) -> list[tuple[Box, float, str | None]]:
        o = self.options
        work, back = resized(frame, min(1.0, o.max_side / max(frame.shape[:2])))
        self._net.setInputSize((work.shape[1], work.shape[0]))
        _, faces = self._net.detect(cv2.cvtColor(work, cv2.COLOR_RGB2BGR))
        if faces is None or len(faces) == 0:
            return []
        faces = np.asarray(faces, dtype=np.float64)
        return _boxes(faces[:, :4], faces[:, -1], back, frame.shape, o.min_score, o.nms_iou)


def _cascade_path(cascade: str) -> Path:
    path = Path(cascade).expanduser()
    if path.is_file():
        return path
    shipped = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or ".") / cascade
    if shipped.is_file():
        return shipped
    raise FileNotFoundError(f"cascade={cascade!r}: neither a file nor one of OpenCV's shipped cascades "
                            f"(looked in {shipped.parent}); {_OPENCV_FIX}")


def _boxes(rects: np.ndarray, scores: np.ndarray, back: float, shape: tuple[int, ...], min_score: float,
           nms_iou: float) -> list[tuple[Box, float, str | None]]:
    """x, y, w, h rectangles at the working scale -> face boxes in frame pixels, best first."""
    boxes = np.asarray(rects, dtype=np.float64).reshape(-1, 4).copy()
    boxes[:, 2:] += boxes[:, :2]
    boxes = np.clip(boxes * back, 0, [shape[1], shape[0]] * 2)
    scores = np.clip(np.asarray(scores, dtype=np.float64).reshape(-1), 0.0, 1.0)
    return [(tuple(float(v) for v in boxes[i]), float(scores[i]), "face") for i in nms(boxes, scores, nms_iou)
            if scores[i] >= min_score and boxes[i, 2] > boxes[i, 0] and boxes[i, 3] > boxes[i, 1]]
