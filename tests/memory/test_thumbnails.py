"""JPEG keyframes: colour order, size limit, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from memory.thumbnails import decode_jpeg, encode_jpeg


def test_round_trip_keeps_rgb_order() -> None:
    image = np.zeros((48, 64, 3), np.uint8)
    image[..., 0] = 220  # red
    image[:, 32:, 2] = 200  # right half magenta
    back = decode_jpeg(encode_jpeg(image, quality=95))
    assert back.shape == image.shape
    assert np.abs(back.astype(int) - image).mean() < 3
    assert back[10, 5, 0] > 200 and back[10, 5, 2] < 30


def test_max_side_shrinks_the_longer_side() -> None:
    image = np.full((300, 600, 3), 128, np.uint8)
    assert decode_jpeg(encode_jpeg(image, max_side=160)).shape == (80, 160, 3)
    assert decode_jpeg(encode_jpeg(image, max_side=1000)).shape == (300, 600, 3)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        encode_jpeg(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="quality"):
        encode_jpeg(np.zeros((4, 4, 3), np.uint8), quality=101)
    with pytest.raises(ValueError, match="not a readable JPEG"):
        decode_jpeg(b"nope")
