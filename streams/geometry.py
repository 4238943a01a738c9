"""Frame geometry: display size from coded size, pixel aspect and rotation; turning images upright."""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np

log = logging.getLogger(__name__)


def pixel_aspect(sar: Fraction | None) -> Fraction:
    """The sample (pixel) aspect ratio, 1 when unknown or invalid (FFmpeg writes 0/1 for unknown)."""
    if sar is None or sar.numerator <= 0 or sar.denominator <= 0:
        return Fraction(1)
    return Fraction(sar)


def scaled_size(width: int, height: int, sar: Fraction | None, frame_size: int | None) -> tuple[int, int]:
    """``(width, height)`` to resample a coded picture to, in coded orientation.

    The pixel aspect is applied (non-square pixels become square), then the shorter side is
    brought down to ``frame_size`` (never up); both sides are even.
    """
    display_w = width * float(pixel_aspect(sar))
    display_h = float(height)
    shorter = min(display_w, display_h)
    scale = min(1.0, frame_size / shorter) if frame_size and shorter > 0 else 1.0
    return _even(display_w * scale, display_w), _even(display_h * scale, display_h)


def display_size(width: int, height: int, sar: Fraction | None, rotation: int) -> tuple[int, int]:
    """``(width, height)`` of the upright picture a player shows, before any downscaling."""
    w, h = scaled_size(width, height, sar, None)
    return (h, w) if quarter_turns(rotation) % 2 else (w, h)


def quarter_turns(rotation: float) -> int:
    """Counter-clockwise quarter turns (0..3) closest to ``rotation`` degrees."""
    turns = round(rotation / 90.0)
    if abs(rotation - 90.0 * turns) > 1.0:
        log.debug("rotation of %s degrees is not a multiple of 90; using %d", rotation, 90 * turns)
    return turns % 4


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """``image`` (H x W x C) rotated ``rotation`` degrees counter-clockwise, as a display matrix asks."""
    turns = quarter_turns(rotation)
    if turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, k=turns))


def _even(x: float, limit: float) -> int:
    """The even integer nearest ``x``, but not above ``limit`` (an odd size is never rounded up)."""
    nearest = int(x / 2.0 + 0.5) * 2
    return max(2, min(nearest, int(limit / 2.0 + 1e-6) * 2))
