"""Open-vocabulary objects: region proposals scored against a label vocabulary by CLIP.

Proposals are a multi-scale sliding grid plus the bounding boxes of edge contours; each crop is
embedded by an open_clip encoder and compared with the text embeddings of "a photo of a <label>"
and of a few background prompts. A proposal whose best class is a label, with enough softmax
probability (the detection's score), is a candidate; among candidates of one label, boxes lying
inside a larger one that fits the label about as well (cosine) go, then non-maximum suppression
by fit. A detection's crop embedding is its appearance vector. Meaningful only with
real CLIP weights (the `full` profile); the tiny random model exercises the code path in tests.
Costs one image encoding per proposal: use a GPU, or few proposals, on long videos.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from perception.detection.base import Box, Detection, Detector, crop_box, nms, resized
from perception.encoders.base import FrameEncoder
from perception.encoders.frames import as_rgb_frame
from perception.options import build_options

logger = logging.getLogger(__name__)

HOUSEHOLD = (
    "mug", "cup", "bottle", "glass", "bowl", "plate", "jar", "book", "laptop", "phone", "remote control",
    "keys", "wallet", "bag", "backpack", "umbrella", "glasses", "pen", "notebook", "box", "basket", "lamp",
    "plant", "chair", "sofa", "table", "bed", "television", "clock", "picture frame", "shoe", "towel",
)
BACKGROUND = ("a wall", "the floor", "the ceiling", "a window", "a blurry background", "an empty room")


@dataclass(frozen=True)
class ClipRegionOptions:
    # the label vocabulary
    labels: tuple[str, ...] = HOUSEHOLD
    # prompts that stand for "no object here"; a proposal whose best class is one of them is dropped
    background: tuple[str, ...] = BACKGROUND
    # text template of a label
    prompt: str = "a photo of a {}"
    # grid box sides as shares of the frame's shorter side
    grid_scales: tuple[float, ...] = (0.6, 0.4, 0.25)
    # neighbouring grid boxes overlap by this share of their side
    grid_overlap: float = 0.5
    # most proposals from edge contours
    edge_boxes: int = 16
    # most proposals per frame in all (the largest grid boxes and edge boxes first)
    max_proposals: int = 64
    # frames are shrunk so that their longer side is at most this many pixels to find edge boxes
    edge_side: int = 320
    # CLIP's logit scale: softmax temperature of the similarities
    logit_scale: float = 100.0
    # detections whose label probability is lower are dropped
    min_score: float = 0.3
    # boxes overlapping a better one of the same label by more than this IoU are dropped
    nms_iou: float = 0.3
    # a box mostly inside a larger box of the same label goes when its cosine with the label is at
    # most this much higher (a crop of part of a mug looks as much like a mug as the whole mug does)
    containment_slack: float = 0.01
    # most detections per frame
    max_detections: int = 20

    def __post_init__(self) -> None:
        labels = tuple(str(label).strip() for label in self.labels)
        if not labels or not all(labels) or len(set(labels)) != len(labels):
            raise ValueError(f"ClipRegionOptions.labels={self.labels!r}: expected distinct non-empty labels")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "background", tuple(str(b) for b in self.background))
        object.__setattr__(self, "grid_scales", tuple(float(s) for s in self.grid_scales))
        if "{}" not in self.prompt:
            raise ValueError(f"ClipRegionOptions.prompt={self.prompt!r}: expected a template with '{{}}'")
        if not all(0.05 <= s <= 1.0 for s in self.grid_scales):
            raise ValueError(f"ClipRegionOptions.grid_scales={self.grid_scales!r}: expected shares in [0.05, 1]")
        if not 0.0 <= self.grid_overlap < 0.95:
            raise ValueError(f"ClipRegionOptions.grid_overlap={self.grid_overlap}: expected a share in [0, 0.95)")
        if self.edge_boxes < 0 or self.max_proposals < 1 or self.max_detections < 1 or self.edge_side < 32:
            raise ValueError("ClipRegionOptions: expected edge_boxes >= 0, max_proposals >= 1, "
                             f"max_detections >= 1, edge_side >= 32; got {self.edge_boxes}, {self.max_proposals}, "
                             f"{self.max_detections}, {self.edge_side}")
        if self.logit_scale <= 0:
            raise ValueError(f"ClipRegionOptions.logit_scale={self.logit_scale}: expected > 0")
        for name in ("min_score", "nms_iou", "containment_slack"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"ClipRegionOptions.{name}={getattr(self, name)}: expected a value in [0, 1]")


class ClipObjectDetector(Detector):
    """``"clip-objects"``: proposals scored by an open_clip encoder's image and text towers."""

    kind = "object"

    def __init__(self, encoder: FrameEncoder | None = None, crop_size: int = 128, **options) -> None:
        if encoder is None or not encoder.supports_text:
            raise TypeError("detector 'clip-objects' needs encoder=<a frame encoder with a text tower>, e.g. "
                            "create_frame_encoder('openclip', pretrained='openai')")
        self.options = build_options(ClipRegionOptions, "detector 'clip-objects'", options)
        self.encoder = encoder
        self.crop_size = crop_size
        if encoder.space.endswith(":random"):
            logger.warning("clip-objects with random CLIP weights (%s): its detections are noise, for tests only",
                           encoder.space)
        prompts = [self.options.prompt.format(label) for label in self.options.labels] + list(self.options.background)
        self._text = encoder.encode_text(prompts)  # (labels + background, dim) unit rows

    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        if len(frames) != len(times):
            raise ValueError(f"detect: {len(frames)} frames but {len(times)} times")
        checked = []
        for index, frame in enumerate(frames):
            if frame is None:
                raise ValueError(f"frame {index}: detector 'clip-objects' needs pixels, got None")
            checked.append(as_rgb_frame(index, frame))
        boxes = [proposals(frame, self.options) for frame in checked]
        crops = [crop_box(frame, tuple(b), 0.0) for frame, bs in zip(checked, boxes) for b in bs]
        vectors = self.encoder.encode_frames(crops) if crops else np.zeros((0, self.encoder.dim), np.float32)
        out, start = [], 0
        for frame, time, frame_boxes in zip(checked, times, boxes):
            frame_vectors = vectors[start:start + len(frame_boxes)]
            start += len(frame_boxes)
            out.append(self._detections(frame, float(time), frame_boxes, frame_vectors))
        return out

    def _detections(self, frame: np.ndarray, time: float, boxes: np.ndarray, vectors: np.ndarray) -> list[Detection]:
        o = self.options
        if not len(boxes):
            return []
        cosine = vectors @ self._text.T
        logits = o.logit_scale * cosine
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        best = probs.argmax(axis=1)
        is_label = best < len(o.labels)
        score = probs[np.arange(len(boxes)), best]
        found: list[Detection] = []
        for label in np.unique(best[is_label]):
            fit = cosine[:, label]  # how well a box shows the label; ``score`` is how sure the label is
            rows = _outermost(boxes, fit, np.flatnonzero((best == label) & (score >= o.min_score)),
                              o.containment_slack)
            for i in rows[nms(boxes[rows], fit[rows], o.nms_iou)]:
                box = tuple(float(v) for v in boxes[i])
                found.append(Detection(time, box, float(score[i]), "object", o.labels[int(label)],
                                       appearance=vectors[i], space=self.encoder.space,
                                       crop=crop_box(frame, box, 0.0, self.crop_size)))
        found.sort(key=lambda d: -d.score)
        return found[:o.max_detections]


def _outermost(boxes: np.ndarray, score: np.ndarray, rows: np.ndarray, slack: float) -> np.ndarray:
    """``rows`` without the boxes lying mostly (80%) inside a larger kept box scoring at least
    their score minus ``slack``."""
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    for r in sorted(rows, key=lambda i: -area[i]):
        if kept:
            outer = boxes[kept]
            inter = (np.clip(np.minimum(outer[:, 2], boxes[r, 2]) - np.maximum(outer[:, 0], boxes[r, 0]), 0, None)
                     * np.clip(np.minimum(outer[:, 3], boxes[r, 3]) - np.maximum(outer[:, 1], boxes[r, 1]), 0, None))
            inside = inter >= 0.8 * area[r]
            if np.any(inside & (score[kept] >= score[r] - slack)):
                continue
        kept.append(int(r))
    return np.asarray(sorted(kept), dtype=np.int64)


def proposals(frame: np.ndarray, options: ClipRegionOptions) -> np.ndarray:
    """(n, 4) candidate boxes of a frame: edge-contour boxes first, then a multi-scale grid, large first."""
    h, w = frame.shape[:2]
    boxes = list(_edge_boxes(frame, options)) + list(_grid_boxes(w, h, options))
    if not boxes:
        return np.zeros((0, 4), np.float64)
    arr = np.asarray(boxes, dtype=np.float64)
    keep = nms(arr, -np.arange(len(arr), dtype=np.float64), 0.8)  # near-duplicates of an earlier box go
    return arr[keep][: options.max_proposals]


def _grid_boxes(width: int, height: int, options: ClipRegionOptions) -> list[Box]:
    boxes: list[Box] = []
    for share in options.grid_scales:
        side = share * min(width, height)
        step = max(1.0, side * (1.0 - options.grid_overlap))
        xs = np.arange(0.0, max(width - side, 0.0) + 1e-6, step)
        ys = np.arange(0.0, max(height - side, 0.0) + 1e-6, step)
        boxes += [(x, y, min(x + side, width), min(y + side, height)) for y in ys for x in xs]
    return boxes


def _edge_boxes(frame: np.ndarray, options: ClipRegionOptions) -> list[Box]:
    """Bounding boxes of the largest closed edge regions (Canny, dilated), in frame pixels."""
    if options.edge_boxes == 0:
        return []
    work, back = resized(frame, min(1.0, options.edge_side / max(frame.shape[:2])))
    grey = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    edges = cv2.dilate(cv2.Canny(grey, 50, 150), np.ones((3, 3), np.uint8), iterations=2)
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    total = float(work.shape[0] * work.shape[1])
    rects = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if 0.005 * total <= bw * bh <= 0.6 * total and min(bw, bh) >= 8:
            rects.append((bw * bh, (x * back, y * back, (x + bw) * back, (y + bh) * back)))
    rects.sort(key=lambda r: -r[0])
    return [box for _, box in rects[: options.edge_boxes]]
