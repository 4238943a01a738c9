"""ROS camera messages to RGB pixels: ``sensor_msgs/Image`` in its raw encodings and
``sensor_msgs/CompressedImage`` (JPEG, PNG), through NumPy and OpenCV.

Depth images (``16UC1``, ``32FC1``, ``compressedDepth``) are not camera pictures: ``is_depth`` tells
the topic picker to leave them out.
"""

from __future__ import annotations

import numpy as np

# encoding -> (channels, bytes per channel)
_LAYOUT = {
    "rgb8": (3, 1), "bgr8": (3, 1), "rgba8": (4, 1), "bgra8": (4, 1), "mono8": (1, 1), "8uc1": (1, 1),
    "8uc3": (3, 1), "8uc4": (4, 1), "mono16": (1, 2), "rgb16": (3, 2), "bgr16": (3, 2), "rgba16": (4, 2),
    "bgra16": (4, 2), "yuv422": (2, 1), "uyvy": (2, 1), "yuv422_yuy2": (2, 1), "yuyv": (2, 1),
    "bayer_rggb8": (1, 1), "bayer_bggr8": (1, 1), "bayer_gbrg8": (1, 1), "bayer_grbg8": (1, 1),
    "bayer_rggb16": (1, 2), "bayer_bggr16": (1, 2), "bayer_gbrg16": (1, 2), "bayer_grbg16": (1, 2),
}
DEPTH_ENCODINGS = ("16uc1", "32fc1")
SUPPORTED = tuple(sorted(_LAYOUT))
# ROS names a Bayer pattern by its top-left 2x2; OpenCV names it by the second row's middle pair
_BAYER = {"rggb": "COLOR_BayerBG2RGB", "bggr": "COLOR_BayerRG2RGB", "gbrg": "COLOR_BayerGR2RGB",
          "grbg": "COLOR_BayerGB2RGB"}


class ImageError(ValueError):
    """An image message cannot be turned into pixels; the message says why."""


def is_depth(encoding: str) -> bool:
    """True for depth encodings (not camera pictures)."""
    return encoding.lower() in DEPTH_ENCODINGS or "compresseddepth" in encoding.lower().replace(" ", "")


def raw_to_rgb(encoding: str, height: int, width: int, step: int, data: np.ndarray, bigendian: bool = False) -> np.ndarray:
    """The pixels of a ``sensor_msgs/Image`` as H x W x 3 uint8 RGB."""
    name = encoding.lower()
    if name not in _LAYOUT:
        raise ImageError(f"image encoding {encoding!r} is not supported (supported: {', '.join(SUPPORTED)})")
    channels, depth = _LAYOUT[name]
    row = width * channels * depth
    if height <= 0 or width <= 0:
        raise ImageError(f"image of {width}x{height} pixels is empty")
    step = step or row
    if step < row or len(data) < step * (height - 1) + row:
        raise ImageError(f"{encoding} image of {width}x{height} needs {row * height} bytes "
                         f"(row step {step}), the message has {len(data)}")
    buffer = np.frombuffer(np.asarray(data, dtype=np.uint8).tobytes()[: step * height].ljust(step * height, b"\0"),
                           dtype=np.uint8).reshape(height, step)[:, :row]
    if depth == 2:
        dtype = ">u2" if bigendian else "<u2"
        pixels = np.ascontiguousarray(buffer).view(dtype).reshape(height, width, channels).astype(np.uint16)
        pixels = _to_8bit(pixels)
    else:
        pixels = buffer.reshape(height, width, channels)
    return _colour(name, np.ascontiguousarray(pixels))


def _to_8bit(pixels: np.ndarray) -> np.ndarray:
    """16-bit pixels scaled to 8 bits by the frame's own range (most 16-bit cameras use far fewer bits)."""
    top = int(pixels.max())
    if top == 0:
        return np.zeros(pixels.shape, np.uint8)
    return (pixels.astype(np.float32) * (255.0 / top)).round().astype(np.uint8)


def _colour(name: str, pixels: np.ndarray) -> np.ndarray:
    import cv2

    if name.startswith("bayer_"):
        code = getattr(cv2, _BAYER[name[len("bayer_"):len("bayer_") + 4]])
        return cv2.cvtColor(pixels[..., 0], code)
    if name in ("yuv422", "uyvy"):
        return cv2.cvtColor(pixels, cv2.COLOR_YUV2RGB_UYVY)
    if name in ("yuv422_yuy2", "yuyv"):
        return cv2.cvtColor(pixels, cv2.COLOR_YUV2RGB_YUY2)
    if pixels.shape[2] == 1:
        return np.repeat(pixels, 3, axis=2)
    if name.startswith("bgr"):
        return np.ascontiguousarray(pixels[..., 2::-1])
    return np.ascontiguousarray(pixels[..., :3])


def reduction(shape: tuple[int, int], short_side: int | None) -> int:
    """The largest of 1, 2, 4, 8 that keeps an image of ``shape`` at least ``short_side`` on its shorter side."""
    if short_side is None:
        return 1
    return next((f for f in (8, 4, 2) if min(shape) / f >= short_side), 1)


_REDUCED = {1: "IMREAD_COLOR", 2: "IMREAD_REDUCED_COLOR_2", 4: "IMREAD_REDUCED_COLOR_4", 8: "IMREAD_REDUCED_COLOR_8"}


def compressed_to_rgb(fmt: str, data: np.ndarray, reduce: int = 1) -> np.ndarray:
    """The pixels of a ``sensor_msgs/CompressedImage`` (JPEG, PNG, ...) as H x W x 3 uint8 RGB, at
    1/``reduce`` of their size (1, 2, 4 or 8: JPEG decodes that much faster)."""
    import cv2

    blob = np.asarray(data, dtype=np.uint8)
    image = cv2.imdecode(blob, getattr(cv2, _REDUCED[reduce])) if blob.size else None
    if image is None:
        raise ImageError(f"compressed image ({fmt or 'no format'}, {blob.size} bytes) cannot be decoded")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def shrink(image: np.ndarray, short_side: int | None) -> np.ndarray:
    """``image`` with its shorter side at most ``short_side`` (never enlarged)."""
    import cv2

    h, w = image.shape[:2]
    if short_side is None or min(h, w) <= short_side:
        return image
    scale = short_side / min(h, w)
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
