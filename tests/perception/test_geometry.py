"""Placing boxes on the floor with a level pinhole camera: projected known points come back where they were."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perception.geometry import LevelCamera, ground_point, place_box, project, support_of, to_map

CAMERA = LevelCamera(height_m=1.2, hfov_deg=80.0)
SIZE = (320, 240)


def test_a_projected_floor_point_is_recovered_from_its_pixel():
    rng = np.random.default_rng(0)
    for _ in range(200):
        pose = (float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5)), float(rng.uniform(-math.pi, math.pi)))
        forward, left = float(rng.uniform(2.0, 10.0)), float(rng.uniform(-1.5, 1.5))
        x, y = to_map(pose, forward, left)
        u, v = project(CAMERA, SIZE, pose, x, y)
        if not 0 <= u < SIZE[0]:
            continue
        box = (u - 6.0, v - 40.0, u + 6.0, v)  # a thing standing there: its bottom centre is the contact
        assert place_box(CAMERA, SIZE, pose, box) == pytest.approx((x, y), abs=1e-6)


def test_the_camera_model_matches_the_pinhole_formulas():
    # straight ahead at 3 m: the contact row is f * h / 3 below the horizon, in the middle column
    f = 160 / math.tan(math.radians(40))
    u, v = project(CAMERA, SIZE, (0.0, 0.0, 0.0), 3.0, 0.0)
    assert (u, v) == pytest.approx((160.0, 120.0 + f * 1.2 / 3.0))
    # a point 1 m to the left is left of the centre; a point 1 m up the z axis is higher in the frame
    assert project(CAMERA, SIZE, (0.0, 0.0, 0.0), 3.0, 1.0)[0] < 160.0
    assert project(CAMERA, SIZE, (0.0, 0.0, 0.0), 3.0, 0.0, z=1.0)[1] < v
    assert project(CAMERA, SIZE, (0.0, 0.0, 0.0), -3.0, 0.0) is None  # behind the camera
    # the same point in a frame of half the size: the same place
    half = project(CAMERA, (160, 120), (0.0, 0.0, 0.0), 3.0, 0.5)
    assert ground_point(CAMERA, (160, 120), *half) == pytest.approx((3.0, 0.5))


def test_a_thing_on_a_support_takes_the_supports_depth():
    pose = (1.0, 2.0, math.pi / 2)  # looking along +y
    table_u, table_v = project(CAMERA, SIZE, pose, 1.0, 5.0)  # a table's front edge 3 m ahead
    top = project(CAMERA, SIZE, pose, 1.0, 5.8, z=0.75)[1]  # its top's far edge, 0.75 m high
    table = (table_u - 50, top, table_u + 50, table_v)
    cup_u, cup_v = project(CAMERA, SIZE, pose, 1.3, 5.0, z=0.75)  # a cup on it, 0.3 m to the right
    cup = (cup_u - 4, cup_v - 10, cup_u + 4, cup_v)
    assert support_of(cup, [(0, 0, 5, 5), table]) == 1
    assert place_box(CAMERA, SIZE, pose, cup, table) == pytest.approx((1.3, 5.0), abs=1e-6)
    # on the floor the cup's own contact would put it much further away: that is why supports matter
    assert place_box(CAMERA, SIZE, pose, cup)[1] > 6.0
    assert support_of(cup, [(0, 0, 5, 5)]) is None
    # ``behind`` moves the placement that far further along the line of sight, in the cup's own column
    moved = place_box(CAMERA, SIZE, pose, cup, table, behind=0.4)
    assert moved == pytest.approx((1.3 * 3.4 / 3.0 - 1.0 * 0.4 / 3.0, 5.4), abs=1e-6)


def test_what_cannot_be_placed_is_not():
    pose = (0.0, 0.0, 0.0)
    assert place_box(CAMERA, SIZE, pose, (100, 100, 120, 240)) is None  # bottom cut off by the frame
    assert place_box(CAMERA, SIZE, pose, (100, 50, 120, 110)) is None  # contact above the horizon
    assert place_box(CAMERA, SIZE, pose, (100, 100, 120, 121)) is None  # beyond max_range_m
    assert ground_point(CAMERA, SIZE, 160, 120) is None  # the horizon itself


@pytest.mark.parametrize("field,value", [("height_m", 0.0), ("hfov_deg", 180.0), ("max_range_m", -1.0),
                                         ("edge_px", -1.0), ("support_depth_m", -0.1)])
def test_bad_camera_fields_are_named(field, value):
    with pytest.raises(ValueError, match=f"LevelCamera.{field}"):
        LevelCamera(**{"height_m": 1.2, "hfov_deg": 80.0, field: value})
