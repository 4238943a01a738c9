"""The detection record and the detector interface every backend implements.

A detector turns frames into :class:`Detection` records: a box in pixels of the frame it was
given, a score, the kind of thing found (person, face, object), a label when the backend knows
one, and an appearance vector for re-identification (a crop embedding from any frame encoder:
CLIP in the ``full`` profile, the built-in descriptor in ``lite``).
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Sequence

import cv2
import numpy as np

from perception.encoders.base import FrameEncoder
from perception.encoders.frames import as_rgb_frame

logger = logging.getLogger(__name__)

#: the kinds of thing a detector finds (voices come from speech, not from detectors)
KINDS = ("person", "face", "object")

Box = tuple[float, float, float, float]


@dataclass(frozen=True, eq=False)
class Detection:
    """One thing found in one frame."""

    time: float  # media time of the frame, seconds
    box: Box  # x0, y0, x1, y1 in pixels of the frame given to the detector (x1, y1 exclusive)
    score: float  # detector confidence in [0, 1]
    kind: str  # "person", "face" or "object"
    label: str | None = None  # category when the backend names one ("mug"), else None
    appearance: np.ndarray | None = None  # (dim,) float32 unit vector for re-identification
    space: str | None = None  # vector space of ``appearance`` (vectors of different spaces never meet)
    crop: np.ndarray | None = None  # small RGB uint8 crop of the box (biometric for faces)
    state: str = ""  # "open"/"closed" of a container when the backend reads it from the crop, else ""
    truth: str | None = None  # the true entity, set only by synthetic tests to score a tracker; no detector sets it
    position: tuple[float, float] | None = None  # x, y in metres in the stream's pose frame where the detector
    # measured it (a robot's 3-D detector, placed through tf); None: estimated later, if at all

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Detection.kind={self.kind!r}: expected one of {', '.join(KINDS)}")
        x0, y0, x1, y1 = (float(v) for v in self.box)
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
            raise ValueError(f"Detection.box={self.box!r}: expected finite x0 < x1, y0 < y1")
        object.__setattr__(self, "box", (x0, y0, x1, y1))
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValueError(f"Detection.score={self.score!r}: expected a confidence in [0, 1]")
        if self.appearance is not None and self.space is None:
            raise ValueError("Detection.appearance is given without its space: name the vector space")

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return (x1 - x0) * (y1 - y0)


class Detector(ABC):
    """Finds things in RGB frames; one registered backend per way of finding them."""

    #: the kind of the detections (a backend finding several kinds says so per detection)
    kind: str

    @abstractmethod
    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        """Detections of each H x W x 3 uint8 RGB frame (one list per frame, in frame order)."""


class FrameDetector(Detector):
    """A detector that looks at one frame at a time; it adds crops and appearance vectors.

    Subclasses implement :meth:`find`. Appearance vectors of all boxes of a batch are encoded in
    one call of ``encoder`` (a crop embedding: CLIP in ``full``, the descriptor in ``lite``).
    """

    def __init__(self, encoder: FrameEncoder | None = None, crop_size: int = 128, crop_pad: float = 0.1) -> None:
        if crop_size < 8:
            raise ValueError(f"crop_size={crop_size}: expected at least 8 pixels")
        if not 0.0 <= crop_pad <= 1.0:
            raise ValueError(f"crop_pad={crop_pad}: expected a share of the box in [0, 1]")
        self.encoder = encoder  # crop encoder for appearance vectors; None: no vectors
        self.crop_size = crop_size  # longer side of the kept crops, pixels
        self.crop_pad = crop_pad  # crops reach this share of the box size beyond it on each side

    @abstractmethod
    def find(self, frame: np.ndarray) -> list[tuple[Box, float, str | None]]:
        """(box, score, label) of everything found in one RGB frame."""

    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        if len(frames) != len(times):
            raise ValueError(f"detect: {len(frames)} frames but {len(times)} times")
        found: list[list[Detection]] = []
        for index, (frame, time) in enumerate(zip(frames, times)):
            if frame is None:
                raise ValueError(f"frame {index}: {type(self).__name__} needs pixels, got None")
            frame = as_rgb_frame(index, frame)
            found.append([Detection(float(time), box, float(score), self.kind, label,
                                    crop=crop_box(frame, box, self.crop_pad, self.crop_size))
                          for box, score, label in self.find(frame)])
        return with_appearance(found, self.encoder) if self.encoder is not None else found


def with_appearance(per_frame: list[list[Detection]], encoder: FrameEncoder) -> list[list[Detection]]:
    """The detections with appearance vectors of their crops, encoded in one batch."""
    flat = [d for frame in per_frame for d in frame if d.crop is not None]
    if not flat:
        return per_frame
    vectors = iter(encoder.encode_frames([d.crop for d in flat]))
    return [[replace(d, appearance=next(vectors), space=encoder.space) if d.crop is not None else d
             for d in frame] for frame in per_frame]


def appearance(frame: np.ndarray, boxes: Sequence[Box], encoder: FrameEncoder, pad: float = 0.1) -> np.ndarray:
    """(n, dim) unit appearance vectors of ``boxes`` in ``frame``: crops encoded by any frame encoder."""
    frame = as_rgb_frame(0, frame)
    if len(boxes) == 0:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return encoder.encode_frames([crop_box(frame, box, pad) for box in boxes])


def crop_box(frame: np.ndarray, box: Box, pad: float = 0.0, max_side: int | None = None) -> np.ndarray:
    """The pixels of ``box`` grown by ``pad`` of its size on each side, clipped to the frame,
    shrunk so that the longer side is at most ``max_side``."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = box
    dx, dy = pad * (x1 - x0), pad * (y1 - y0)
    left, top = max(0, int(math.floor(x0 - dx))), max(0, int(math.floor(y0 - dy)))
    right, bottom = min(w, int(math.ceil(x1 + dx))), min(h, int(math.ceil(y1 + dy)))
    if right <= left or bottom <= top:  # a box outside the frame: its nearest pixel
        left, top = min(max(0, int(x0)), w - 1), min(max(0, int(y0)), h - 1)
        right, bottom = left + 1, top + 1
    crop = frame[top:bottom, left:right]
    scale = 1.0 if max_side is None else max_side / max(crop.shape[:2])
    if scale < 1.0:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) intersection over union of boxes ``a`` (n, 4) and ``b`` (m, 4), x0 y0 x1 y1."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 2], b[None, :, 2])
    bottom = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    keep: list[int] = []
    while order.size:
        best, order = int(order[0]), order[1:]
        keep.append(best)
        if order.size:
            order = order[iou(boxes[best], boxes[order])[0] <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def resized(frame: np.ndarray, factor: float) -> tuple[np.ndarray, float]:
    """``frame`` scaled by ``factor``, with the factor that maps its pixels back to the original's."""
    if abs(factor - 1.0) < 1e-6:
        return frame, 1.0
    h, w = frame.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    out = cv2.resize(frame, size, interpolation=interpolation)
    return out, w / out.shape[1]
