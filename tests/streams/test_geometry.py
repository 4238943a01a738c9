"""Display geometry: pixel aspect, shorter-side scaling, even sizes, rotation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from streams.geometry import display_size, pixel_aspect, quarter_turns, scaled_size, upright


@pytest.mark.parametrize(
    ("size", "sar", "frame_size", "expected"),
    [
        ((1280, 720), None, 224, (398, 224)),
        ((720, 1280), None, 224, (224, 398)),
        ((704, 576), Fraction(16, 11), 224, (398, 224)),  # PAL 16:9 anamorphic
        ((704, 576), Fraction(16, 11), None, (1024, 576)),
        ((160, 120), None, 224, (160, 120)),  # never upscaled
        ((161, 121), None, None, (160, 120)),  # even, rounded down
        ((1280, 720), Fraction(0, 1), 224, (398, 224)),  # 0/1 means unknown
    ],
)
def test_scaled_size(size, sar, frame_size, expected):
    assert scaled_size(*size, sar, frame_size) == expected


def test_display_size_swaps_for_quarter_turns():
    assert display_size(1920, 1080, None, 90) == (1080, 1920)
    assert display_size(1920, 1080, None, -90) == (1080, 1920)
    assert display_size(1920, 1080, None, 180) == (1920, 1080)


def test_pixel_aspect_defaults_to_square():
    assert pixel_aspect(None) == 1 and pixel_aspect(Fraction(0, 1)) == 1 and pixel_aspect(Fraction(4, 3)) == Fraction(4, 3)


def test_upright_turns_counter_clockwise():
    image = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)  # [[0 1 2], [3 4 5]]
    assert upright(image, 0) is image
    assert upright(image, 90)[..., 0].tolist() == [[2, 5], [1, 4], [0, 3]]
    assert upright(image, -90)[..., 0].tolist() == [[3, 0], [4, 1], [5, 2]]
    assert upright(image, 180)[..., 0].tolist() == [[5, 4, 3], [2, 1, 0]]
    assert upright(image, 90).flags.c_contiguous


def test_quarter_turns_rounds_to_the_nearest_right_angle():
    assert [quarter_turns(r) for r in (0, 89.6, 90, 180, -180, -90, 270, 360)] == [0, 1, 1, 2, 2, 3, 3, 0]
