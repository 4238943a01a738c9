"""JPEG encoding of keyframes (kept in the database; thumbnail files are a cache of them)."""

from __future__ import annotations

import cv2
import numpy as np


def encode_jpeg(rgb: np.ndarray, quality: int = 85, max_side: int | None = None) -> bytes:
    """JPEG bytes of an (H, W, 3) uint8 RGB image, shrunk so its longer side is <= max_side."""
    image = np.asarray(rgb)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape:
        raise ValueError(f"encode_jpeg: expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    if not 0 <= quality <= 100:
        raise ValueError(f"encode_jpeg: quality = {quality}: expected 0..100")
    if max_side is not None:
        if max_side < 1:
            raise ValueError(f"encode_jpeg: max_side = {max_side}: expected >= 1 or None")
        h, w = image.shape[:2]
        scale = max_side / max(h, w)
        if scale < 1:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - imencode fails only on invalid input, checked above
        raise ValueError("encode_jpeg: OpenCV could not encode the image")
    return data.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray:
    """The (H, W, 3) uint8 RGB image in JPEG bytes."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"decode_jpeg: {len(data)} bytes are not a readable JPEG")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
