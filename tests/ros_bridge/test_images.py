"""ros_bridge/images.py: every raw encoding against the RGB it was made from, and bad messages."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ros_bridge.images import ImageError, compressed_to_rgb, is_depth, raw_to_rgb


def smooth_rgb(height: int = 48, width: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.dstack([xx * 255 // (width - 1), yy * 255 // (height - 1), (xx + yy) * 255 // (width + height - 2)]
                     ).astype(np.uint8)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8"])
def test_colour_encodings_round_trip_exactly(bags, encoding):
    rgb = smooth_rgb()
    data, step = bags.rgb_bytes(rgb, encoding)
    out = raw_to_rgb(encoding, 48, 64, step, np.frombuffer(data, np.uint8))
    assert out.dtype == np.uint8 and np.array_equal(out, rgb)


@pytest.mark.parametrize("encoding", ["mono8", "mono16"])
def test_mono_encodings_give_grey(bags, encoding):
    rgb = smooth_rgb()
    grey = rgb.mean(axis=2).astype(np.uint8)
    data, step = bags.rgb_bytes(rgb, encoding)
    out = raw_to_rgb(encoding, 48, 64, step, np.frombuffer(data, np.uint8))
    expected = grey if encoding == "mono8" else np.round(grey.astype(np.float64) * 255 / grey.max()).astype(np.uint8)
    assert np.array_equal(out[..., 0], expected) and np.array_equal(out[..., 0], out[..., 2])


def test_mono16_big_endian_reads_the_same():
    values = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 20
    little = raw_to_rgb("mono16", 48, 64, 128, np.frombuffer(values.astype("<u2").tobytes(), np.uint8))
    big = raw_to_rgb("mono16", 48, 64, 128, np.frombuffer(values.astype(">u2").tobytes(), np.uint8), bigendian=True)
    assert np.array_equal(little, big) and little.max() == 255


def test_padded_rows_are_cut_at_the_step():
    rgb = smooth_rgb()
    padded = np.zeros((48, 64 * 3 + 16), np.uint8)
    padded[:, : 64 * 3] = rgb.reshape(48, -1)
    assert np.array_equal(raw_to_rgb("rgb8", 48, 64, padded.shape[1], padded.ravel()), rgb)


def _uyvy(rgb: np.ndarray) -> np.ndarray:
    """UYVY 4:2:2 bytes of an RGB image (BT.601 video range, as cameras send and OpenCV decodes it)."""
    r, g, b = (rgb[..., k].astype(np.float64) for k in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    out = np.empty((rgb.shape[0], rgb.shape[1] * 2), np.uint8)
    out[:, 0::4] = np.round((u[:, 0::2] + u[:, 1::2]) / 2)
    out[:, 1::2] = np.round(y)
    out[:, 2::4] = np.round((v[:, 0::2] + v[:, 1::2]) / 2)
    return out


def test_yuv422_decodes_close_to_the_original():
    rgb = smooth_rgb()
    out = raw_to_rgb("yuv422", 48, 64, 128, _uyvy(rgb).ravel())
    assert np.abs(out.astype(int) - rgb.astype(int)).mean() < 4


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "gbrg", "grbg"])
def test_bayer_patterns_demosaic_close_to_the_original(pattern):
    rgb = smooth_rgb()
    mosaic = np.empty(rgb.shape[:2], np.uint8)
    channel = {"r": 0, "g": 1, "b": 2}
    for k, (dy, dx) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        mosaic[dy::2, dx::2] = rgb[dy::2, dx::2, channel[pattern[k]]]
    out = raw_to_rgb(f"bayer_{pattern}8", 48, 64, 64, mosaic.ravel())
    inner = (slice(2, -2), slice(2, -2))
    assert np.abs(out[inner].astype(int) - rgb[inner].astype(int)).mean() < 4


def test_compressed_jpeg_and_png():
    rgb = smooth_rgb()
    png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1]
    assert np.array_equal(compressed_to_rgb("png", png.ravel()), rgb)
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
    assert np.abs(compressed_to_rgb("jpeg", jpeg.ravel()).astype(int) - rgb.astype(int)).mean() < 3


def test_bad_images_say_what_is_wrong():
    with pytest.raises(ImageError, match="encoding 'xyz16' is not supported"):
        raw_to_rgb("xyz16", 4, 4, 12, np.zeros(48, np.uint8))
    with pytest.raises(ImageError, match="needs 192 bytes .* has 100"):
        raw_to_rgb("rgb8", 8, 8, 24, np.zeros(100, np.uint8))
    with pytest.raises(ImageError, match="cannot be decoded"):
        compressed_to_rgb("jpeg", np.frombuffer(b"not a jpeg", np.uint8))
    assert is_depth("16UC1") and is_depth("32FC1") and is_depth("png; compressedDepth") and not is_depth("mono16")
