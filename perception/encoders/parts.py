"""A crop encoder for re-identification: colour histograms of horizontal parts of a detection's box.

What tells two people apart without a learned re-identification model is what they wear: the
colours of the upper and the lower body (the part-based colour features of classic person re-id,
e.g. SDALF and ELF). A box is cut into horizontal stripes (head and shoulders, torso, hips, legs for
a standing person); each stripe gets a hue/saturation histogram of its chromatic pixels and a
lightness histogram of its grey ones, weighted towards the box's centre column, where the thing is
and the background is not. Hue and saturation do not change when a room is dimmer, so one shirt
reads the same in the kitchen and in the hall; whole-crop descriptors (``descriptor``, CLIP) are
dominated by the room behind a person. Works on any crop (any detector, real video or simulated);
it needs no weights. Vectors live in their own space (``parts:v1``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from typing import Sequence

import cv2
import numpy as np

from perception.encoders.base import FrameEncoder, l2_normalize
from perception.encoders.frames import as_rgb_frame
from perception.options import build_options

logger = logging.getLogger(__name__)

SPACE = "parts:v1"
# re-identification thresholds (perception.reid.ReidConfig.kind_thresholds) that suit this space: what two people
# wear differs less than two things' colours (centred cosine of one person's tracks ~0.3-0.6, of two people's
# ~-0.4-0.1 on the simulator's development seeds 1-3)
REID_THRESHOLDS = (("person", 0.35),)
# and how re-identification (perception.reid.ReidConfig) uses this space: two people never in view at once whose
# gallery views (up to 5 tracks each: near and far, whole and cut by the frame) agree at 0.4 on average (centred
# cosine) are one. One person's look changes with distance and with what the frame cuts off, so a track of it can
# found an entity of its own; many views of both sides agreeing is firmer evidence than one track's. People's
# B-cubed F1 on the stored tracks of the simulator's dev seeds 1-3: 0.784 -> 0.834, 4-6 (not tuned on):
# 0.825 -> 0.828 (bench/person_splits.py; a stricter join at 0.45 helped 1-3 but cost seed 5: 0.850 -> 0.816)
REID_OPTIONS = {"kind_thresholds": REID_THRESHOLDS, "view_kinds": ("person",), "view_merge_threshold": 0.4}


@dataclass(frozen=True)
class PartsOptions:
    # horizontal stripes the box is cut into, top to bottom
    stripes: int = 4
    # hue bins of chromatic pixels (soft-assigned to the two nearest), times ``saturation_bins``
    hue_bins: int = 12
    # saturation bins of chromatic pixels
    saturation_bins: int = 2
    # lightness bins of grey pixels (black ... white)
    grey_bins: int = 4
    # saturation (0-1) under which a pixel is grey, whatever its hue
    grey_saturation: float = 0.22
    # value (0-1) under which a pixel is black-ish: its hue is noise
    dark_value: float = 0.12
    # share of the box's width, on each side of the centre, of the Gaussian column weighting (sigma)
    centre_sigma: float = 0.15
    # crops arrive grown by this share of the box on each side (the detectors' crop_pad): trimmed back
    pad: float = 0.1
    # boxes are resampled to work_width x (work_width * 2) pixels before any histogram
    work_width: int = 24
    # shorter side frames should arrive at (unused for crops; FrameEncoder's interface)
    frame_size: int = 96

    def __post_init__(self) -> None:
        for name in ("stripes", "hue_bins", "saturation_bins", "grey_bins", "work_width"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"PartsOptions.{name}={getattr(self, name)!r}: expected an integer >= 1")
        for name in ("grey_saturation", "dark_value"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"PartsOptions.{name}={getattr(self, name)!r}: expected a share in [0, 1)")
        if not self.centre_sigma > 0:
            raise ValueError(f"PartsOptions.centre_sigma={self.centre_sigma!r}: expected a share > 0")
        if not 0.0 <= self.pad < 0.5:
            raise ValueError(f"PartsOptions.pad={self.pad!r}: expected a share of the box in [0, 0.5)")


class PartsEncoder(FrameEncoder):
    """Per-stripe colour histograms of a box crop (hue/saturation of colours, lightness of greys), L2-normalised."""

    def __init__(self, **options) -> None:
        self.options = build_options(PartsOptions, "frame encoder 'parts'", options)
        o = self.options
        self.frame_size = o.frame_size
        self.bins = o.hue_bins * o.saturation_bins + o.grey_bins
        self.dim = o.stripes * self.bins
        self.space = _space(o)
        self.reid_thresholds = REID_THRESHOLDS
        self.reid_options = REID_OPTIONS
        width, height = o.work_width, 2 * o.work_width
        x = (np.arange(width) + 0.5) / width - 0.5
        self._column = np.exp(-0.5 * (x / o.centre_sigma) ** 2).astype(np.float32)
        self._stripe = (np.arange(height) * o.stripes // height).astype(np.int64)
        self._size = (width, height)

    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._encode(as_rgb_frame(i, image)) for i, image in enumerate(images)])

    def _encode(self, crop: np.ndarray) -> np.ndarray:
        o = self.options
        box = _trim(crop, o.pad)
        work = cv2.resize(box, self._size, interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(work, cv2.COLOR_RGB2HSV_FULL).astype(np.float32) / 255.0  # hue, saturation, value in [0, 1]
        hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
        weight = np.broadcast_to(self._column[None, :], hue.shape)
        stripe = np.broadcast_to(self._stripe[:, None], hue.shape)
        grey = (sat < o.grey_saturation) | (val < o.dark_value)
        hist = np.zeros((o.stripes, self.bins), np.float64)
        # grey pixels: lightness bins
        g_bin = np.minimum((val * o.grey_bins).astype(np.int64), o.grey_bins - 1) + o.hue_bins * o.saturation_bins
        np.add.at(hist, (stripe[grey], g_bin[grey]), weight[grey])
        # chromatic pixels: hue soft-assigned to its two nearest bins, within its saturation bin
        colour = ~grey
        h = hue[colour] * o.hue_bins - 0.5
        low = np.floor(h).astype(np.int64)
        share = h - low
        s_bin = np.minimum(((sat[colour] - o.grey_saturation) / (1.0 - o.grey_saturation) * o.saturation_bins)
                           .astype(np.int64), o.saturation_bins - 1)
        rows, w = stripe[colour], weight[colour]
        for offset, part in ((0, 1.0 - share), (1, share)):
            h_bin = (low + offset) % o.hue_bins
            np.add.at(hist, (rows, h_bin * o.saturation_bins + s_bin), w * part)
        hist /= np.maximum(hist.sum(axis=1, keepdims=True), 1e-12)  # each stripe counts the same
        return l2_normalize(np.sqrt(hist).reshape(1, -1))[0]


def _trim(crop: np.ndarray, pad: float) -> np.ndarray:
    """The box inside a crop grown by ``pad`` of the box on each side (at least one pixel)."""
    h, w = crop.shape[:2]
    dy, dx = int(round(h * pad / (1 + 2 * pad))), int(round(w * pad / (1 + 2 * pad)))
    inner = crop[dy:max(h - dy, dy + 1), dx:max(w - dx, dx + 1)]
    return np.ascontiguousarray(inner if inner.size else crop)


def _space(options: PartsOptions) -> str:
    """The space name; options that change the vectors get a short hash of their own."""
    defaults = asdict(PartsOptions())
    changed = {k: v for k, v in asdict(options).items() if k != "frame_size" and defaults[k] != v}
    if not changed:
        return SPACE
    digest = hashlib.sha1(repr(sorted(changed.items())).encode(), usedforsecurity=False).hexdigest()[:8]  # a name, not a seal
    return f"{SPACE}:{digest}"
