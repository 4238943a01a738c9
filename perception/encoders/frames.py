"""Checks and resizing shared by the frame encoders (cv2 only: PIL resizing is 10x slower)."""

from __future__ import annotations

import cv2
import numpy as np

_INTERPOLATION = {  # open_clip's interpolation names -> (cv2 when enlarging, cv2 when shrinking)
    "bicubic": (cv2.INTER_CUBIC, cv2.INTER_AREA),
    "bilinear": (cv2.INTER_LINEAR, cv2.INTER_AREA),
    "nearest": (cv2.INTER_NEAREST, cv2.INTER_NEAREST),
}


def as_rgb_frame(index: int, image: np.ndarray) -> np.ndarray:
    """``image`` as an H x W x 3 uint8 array, or ValueError naming the frame and what is wrong."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"frame {index}: expected an H x W x 3 uint8 RGB array, got shape {image.shape} dtype {image.dtype}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"frame {index}: empty image of shape {image.shape}")
    return image


def resize(image: np.ndarray, height: int, width: int, interpolation: str = "bilinear") -> np.ndarray:
    """``image`` resized to height x width; area averaging when shrinking, as antialiasing would."""
    if image.shape[0] == height and image.shape[1] == width:
        return image
    try:
        enlarge, shrink = _INTERPOLATION[interpolation]
    except KeyError:
        raise ValueError(
            f"interpolation={interpolation!r}: expected one of {', '.join(_INTERPOLATION)}"
        ) from None
    shrinking = height <= image.shape[0] and width <= image.shape[1]
    return cv2.resize(image, (width, height), interpolation=shrink if shrinking else enlarge)
