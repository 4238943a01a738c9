"""A frame encoder that needs no weights: colour, layout and edge descriptors.

Good enough to cut shots and to tell places apart by look; it has no notion of semantics and no
text tower. Vectors from it live in their own space ("descriptor:v1") and are never compared
with CLIP vectors.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from typing import Sequence

import cv2
import numpy as np

from perception.encoders.base import FrameEncoder, l2_normalize
from perception.encoders.frames import as_rgb_frame, resize
from perception.options import build_options

logger = logging.getLogger(__name__)

SPACE = "descriptor:v1"
# joint HSV histogram bins (OpenCV's 8-bit HSV: hue in [0, 180), saturation and value in [0, 256))
_HUE_BINS, _SAT_BINS, _VAL_BINS = 8, 4, 4
_COLOUR_DIM = _HUE_BINS * _SAT_BINS * _VAL_BINS
_ORIENTATION_BINS = 8
# chroma (a, b) counts this much more than lightness in the layout block
_CHROMA_GAIN = 2.0


@dataclass(frozen=True)
class DescriptorOptions:
    # shorter side, in pixels, that frames should arrive at (sources resize straight to it)
    frame_size: int = 96
    # frames are squashed to work_size x work_size before any feature is computed
    work_size: int = 64
    # the layout and edge blocks are computed on a grid x grid grid of cells
    grid: int = 4
    # relative weights of the colour, layout and edge blocks (each block is unit length first)
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if self.frame_size < 16:
            raise ValueError(f"frame_size={self.frame_size}: expected at least 16 pixels")
        if self.grid < 1:
            raise ValueError(f"grid={self.grid}: expected a positive number of cells per side")
        if self.work_size < 3 * self.grid or self.work_size % self.grid:
            raise ValueError(
                f"work_size={self.work_size}: expected a multiple of grid={self.grid}, at least {3 * self.grid}"
            )
        weights = tuple(float(w) for w in self.weights)
        if len(weights) != 3 or min(weights) < 0 or max(weights) == 0:
            raise ValueError(f"weights={self.weights!r}: expected three non-negative numbers, not all zero")
        object.__setattr__(self, "weights", weights)


class DescriptorEncoder(FrameEncoder):
    """Joint HSV histogram + coarse Lab layout + gradient-orientation histograms, L2-normalised."""

    def __init__(self, **options) -> None:
        self.options = build_options(DescriptorOptions, "frame encoder 'descriptor'", options)
        grid, size = self.options.grid, self.options.work_size
        self.frame_size = self.options.frame_size
        self.dim = _COLOUR_DIM + grid * grid * (3 + _ORIENTATION_BINS)
        self.space = _space(self.options)
        # cell index of every pixel of a work_size x work_size frame, for the edge histograms
        cell_of_row = np.arange(size) * grid // size
        self._cell = (cell_of_row[:, None] * grid + cell_of_row[None, :]).astype(np.int64)

    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        frames = _squash(images, self.options.work_size)
        w_colour, w_layout, w_edges = self.options.weights
        blocks = [
            w_colour * _colour_histograms(frames),
            w_layout * _layout(frames, self.options.grid),
            w_edges * self._edge_histograms(frames),
        ]
        return l2_normalize(np.concatenate(blocks, axis=1))

    def _edge_histograms(self, frames: np.ndarray) -> np.ndarray:
        """Gradient-magnitude-weighted orientation histograms per grid cell (sqrt, L2 per frame)."""
        n, size = frames.shape[0], frames.shape[1]
        grey = cv2.cvtColor(frames.reshape(n * size, size, 3), cv2.COLOR_RGB2GRAY).astype(np.float32)
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3).reshape(n, size, size)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3).reshape(n, size, size)
        # the frames are stacked for one Sobel call: drop each frame's border, where the
        # kernel would reach into its neighbour, so a frame encodes the same in any batch
        for g in (gx, gy):
            g[:, [0, -1], :] = 0.0
            g[:, :, [0, -1]] = 0.0
        magnitude, angle = cv2.cartToPolar(gx.reshape(-1), gy.reshape(-1), angleInDegrees=True)
        orientation = (angle.ravel() * (_ORIENTATION_BINS / 180.0)).astype(np.int64) % _ORIENTATION_BINS
        cells = self.options.grid ** 2
        index = (
            np.arange(n, dtype=np.int64)[:, None, None] * (cells * _ORIENTATION_BINS)
            + self._cell[None] * _ORIENTATION_BINS
        ).ravel() + orientation
        hist = np.bincount(index, weights=magnitude.ravel(), minlength=n * cells * _ORIENTATION_BINS)
        return l2_normalize(np.sqrt(hist.reshape(n, -1)))


def _space(options: DescriptorOptions) -> str:
    """The space name; options that change the vectors get a short hash of their own."""
    defaults = asdict(DescriptorOptions())
    changed = {k: v for k, v in asdict(options).items() if k != "frame_size" and defaults[k] != v}
    if not changed:
        return SPACE
    digest = hashlib.sha1(repr(sorted(changed.items())).encode(), usedforsecurity=False).hexdigest()[:8]  # a name, not a seal
    return f"{SPACE}:{digest}"


def _squash(images: Sequence[np.ndarray], size: int) -> np.ndarray:
    """Every frame resized to size x size, stacked as an (n, size, size, 3) uint8 array."""
    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = resize(as_rgb_frame(i, image), size, size)
    return out


def _colour_histograms(frames: np.ndarray) -> np.ndarray:
    """Joint HSV histogram per frame, square-rooted (Hellinger) and L2-normalised."""
    n, size = frames.shape[0], frames.shape[1]
    hsv = cv2.cvtColor(frames.reshape(n * size, size, 3), cv2.COLOR_RGB2HSV).reshape(n, -1, 3)
    hue = hsv[..., 0].astype(np.int64) * _HUE_BINS // 180
    sat = hsv[..., 1].astype(np.int64) * _SAT_BINS >> 8
    val = hsv[..., 2].astype(np.int64) * _VAL_BINS >> 8
    bins = (hue * _SAT_BINS + sat) * _VAL_BINS + val
    index = (bins + np.arange(n, dtype=np.int64)[:, None] * _COLOUR_DIM).ravel()
    hist = np.bincount(index, minlength=n * _COLOUR_DIM).reshape(n, _COLOUR_DIM)
    return l2_normalize(np.sqrt(hist.astype(np.float32)))


def _layout(frames: np.ndarray, grid: int) -> np.ndarray:
    """Mean Lab colour of each grid cell, centred on grey, chroma boosted, L2-normalised."""
    n, size = frames.shape[0], frames.shape[1]
    lab = cv2.cvtColor(frames.reshape(n * size, size, 3), cv2.COLOR_RGB2LAB)
    # an integer-factor INTER_AREA resize is a block mean; stacked frames stay apart
    cells = cv2.resize(lab, (grid, n * grid), interpolation=cv2.INTER_AREA).astype(np.float32)
    cells = (cells.reshape(n, grid * grid, 3) - 128.0) * np.array([1.0, _CHROMA_GAIN, _CHROMA_GAIN], np.float32)
    return l2_normalize(cells.reshape(n, -1))
