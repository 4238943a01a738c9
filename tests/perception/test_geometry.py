"""Placing boxes on the floor with a level pinhole camera: projected known points come back where they were."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perception.geometry import (MIN_DROP_M, LevelCamera, cut_off, ground_point, on_surface, place_box, project,
                                 support_of, to_map)

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


def test_a_thing_on_a_top_of_known_height_is_placed_from_its_own_bottom_row():
    """Oracle: points on planes 0.45-0.9 m high, projected; their bottom row on the right height gives them back
    exactly; a wrong height errs in proportion (depth scales with the camera's height above the plane); the
    clamp holds it to where its support can be; a plane near the camera's height or a box the frame cuts off
    places nothing."""
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(100):
        pose = (float(rng.uniform(-5, 5)), float(rng.uniform(-5, 5)), float(rng.uniform(-math.pi, math.pi)))
        top = float(rng.choice([0.45, 0.55, 0.75, 0.9]))
        forward, left = float(rng.uniform(0.8, 5.0)), float(rng.uniform(-0.5, 0.5))
        x, y = to_map(pose, forward, left)
        u, v = project(CAMERA, SIZE, pose, x, y, z=top)
        box = (u - 4.0, v - 10.0, u + 4.0, v)
        if not (0 <= u < SIZE[0] and v < SIZE[1] - 2.0):  # out of the frame, or at its bottom edge
            assert v >= SIZE[1] - 2.0 or on_surface(CAMERA, SIZE, pose, box, top) is not None
            continue
        seen += 1
        assert on_surface(CAMERA, SIZE, pose, box, top) == pytest.approx((x, y), abs=1e-6)
        wrong = on_surface(CAMERA, SIZE, pose, box, top - 0.1)  # read 0.1 m lower: further by 0.1 / drop
        ratio = math.hypot(wrong[0] - pose[0], wrong[1] - pose[1]) / math.hypot(x - pose[0], y - pose[1])
        assert ratio == pytest.approx((1.2 - top + 0.1) / (1.2 - top))
        held = on_surface(CAMERA, SIZE, pose, box, top, nearest=forward + 0.5)
        further = forward + 0.5  # held there, in the thing's own column
        assert math.dist(held, pose[:2]) == pytest.approx(math.hypot(further, left * further / forward))
    assert seen >= 50
    pose = (0.0, 0.0, 0.0)
    u, v = project(CAMERA, SIZE, pose, 2.0, 0.0, z=1.2 - MIN_DROP_M / 2)
    assert on_surface(CAMERA, SIZE, pose, (u - 4, v - 10, u + 4, v), 1.2 - MIN_DROP_M / 2) is None
    assert on_surface(CAMERA, SIZE, pose, (150, 200, 170, SIZE[1] - 2.0), 0.45) is None  # bottom at the edge


def test_what_cannot_be_placed_is_not():
    pose = (0.0, 0.0, 0.0)
    assert place_box(CAMERA, SIZE, pose, (100, 100, 120, 240)) is None  # bottom cut off by the frame
    assert place_box(CAMERA, SIZE, pose, (100, 50, 120, 110)) is None  # contact above the horizon
    assert place_box(CAMERA, SIZE, pose, (100, 100, 120, 121)) is None  # beyond max_range_m
    assert ground_point(CAMERA, SIZE, 160, 120) is None  # the horizon itself


def _table_and_cup(pose, distance: float, rng) -> tuple[tuple, tuple]:
    """The boxes a detector gives of a 1.2 x 0.8 m table 0.75 m high whose front edge is ``distance`` ahead
    and of a cup on its middle: the projections of their corners clipped to the frame, then each edge moved
    by a detector's error (5% of the box's size, as sim.noise and typical detectors err)."""
    x, y, _ = pose
    def box(points):
        pixels = [project(CAMERA, SIZE, pose, px, py, z) for px, py, z in points]
        us, vs = [p[0] for p in pixels], [p[1] for p in pixels]
        clipped = (max(min(us), 0.0), max(min(vs), 0.0), min(max(us), SIZE[0]), min(max(vs), SIZE[1]))
        w, h = clipped[2] - clipped[0], clipped[3] - clipped[1]
        return tuple(float(v + rng.normal(0, 0.05 * s)) for v, s in zip(clipped, (w, h, w, h)))
    table = box([(x + distance + dx, y + dy, z) for dx in (0.0, 0.8) for dy in (-0.6, 0.6) for z in (0.0, 0.75)])
    cup = box([(x + distance + 0.4 + dx, y + dy, z) for dx in (-0.04, 0.04) for dy in (-0.04, 0.04)
               for z in (0.75, 0.85)])
    return table, cup


def test_a_support_cut_off_by_the_frame_places_nothing_rather_than_too_far():
    """Oracle: a cup on a table seen from near (the table's floor contact below the frame) with a detector's
    box noise. Read as a contact, the table's bottom just inside the frame put the cup at the nearest floor
    distance the camera sees, about 1 m beyond it; now it is not placed. From further away the contact is in
    view and the cup is placed near its truth."""
    rng = np.random.default_rng(3)
    pose = (0.0, 0.0, 0.0)
    careless = LevelCamera(height_m=1.2, hfov_deg=80.0, edge_share=0.0)
    near_errors, far_errors = [], []
    for _ in range(60):
        distance = float(rng.uniform(0.4, 1.2))  # the cup 0.8-1.6 m away; the floor is seen from 1.9 m
        table, cup = _table_and_cup(pose, distance, rng)
        assert cut_off(CAMERA, SIZE, table)
        assert place_box(CAMERA, SIZE, pose, cup, table, behind=0.3) is None
        wrong = place_box(careless, SIZE, pose, cup, table, behind=0.3)
        if wrong is not None:
            near_errors.append(wrong[0] - (distance + 0.4))
        distance = float(rng.uniform(2.2, 5.0))
        table, cup = _table_and_cup(pose, distance, rng)
        assert not cut_off(CAMERA, SIZE, table)
        got = place_box(CAMERA, SIZE, pose, cup, table, behind=0.4)
        far_errors.append(math.hypot(got[0] - (distance + 0.4), got[1]))
    assert len(near_errors) > 10 and float(np.median(near_errors)) > 0.7  # the overshoot this guards against
    assert float(np.median(far_errors)) < 0.25


@pytest.mark.parametrize("field,value", [("height_m", 0.0), ("hfov_deg", 180.0), ("max_range_m", -1.0),
                                         ("edge_px", -1.0), ("support_depth_m", -0.1), ("edge_share", 1.0)])
def test_bad_camera_fields_are_named(field, value):
    with pytest.raises(ValueError, match=f"LevelCamera.{field}"):
        LevelCamera(**{"height_m": 1.2, "hfov_deg": 80.0, field: value})
