"""Placing sightings from the pose log (mnemo/positions.py) against an oracle: a level pinhole camera at known
poses looks at a table of known footprint with a cup on its top, and at a person; the boxes are the exact
projections of their 3-D corners, so every error left is the placement's own."""

from __future__ import annotations

import math

import numpy as np

from memory.poses import PoseTrack
from mnemo.positions import estimate_positions
from perception.geometry import LevelCamera, cut_off, project, to_map

CAMERA = LevelCamera(height_m=1.2, hfov_deg=80.0)
SIZE = (640, 480)


def _box(pose, corners):
    """The bounding box of the projections of 3-D points (x, y, z); None when one is behind the camera."""
    pixels = [project(CAMERA, SIZE, pose, x, y, z) for x, y, z in corners]
    if any(p is None for p in pixels):
        return None
    us, vs = [p[0] for p in pixels], [p[1] for p in pixels]
    return min(us), min(vs), max(us), max(vs)


def _cuboid(cx, cy, width, depth, yaw, z0, z1):
    c, s = math.cos(yaw), math.sin(yaw)
    out = []
    for a in (-width / 2, width / 2):
        for b in (-depth / 2, depth / 2):
            out += [(cx + a * c - b * s, cy + a * s + b * c, z) for z in (z0, z1)]
    return out


def _views(n: int, seed: int = 0):
    """Frames of a 1.2 x 0.8 m table (0.75 m high) with a cup on its middle, seen from 2-6 m at up to 35 deg
    off its front, and a person standing beside it: (pose, boxes by kind, true positions by kind)."""
    rng = np.random.default_rng(seed)
    while n:
        tx, ty, table_yaw = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-math.pi, math.pi)
        off = table_yaw - math.pi / 2 + rng.uniform(-0.6, 0.6)  # the camera in front of the table's long side
        r = rng.uniform(2.0, 6.0)
        pose = (tx + r * math.cos(off), ty + r * math.sin(off), off + math.pi + rng.uniform(-0.2, 0.2))
        table = _box(pose, _cuboid(tx, ty, 1.2, 0.8, table_yaw, 0.0, 0.75))
        cup = _box(pose, _cuboid(tx, ty, 0.08, 0.08, table_yaw, 0.75, 0.85))
        px, py = to_map(pose, r - 0.5, 1.0)
        person = _box(pose, [(px, py, 0.0), (px, py, 1.7)])
        boxes = [table, cup, person]
        if any(b is None or b[0] < 0 or b[2] > SIZE[0] or cut_off(CAMERA, SIZE, b) for b in boxes):
            continue
        n -= 1
        yield pose, {"furniture": table, "object": cup, "person": person}, {
            "furniture": (tx, ty), "object": (tx, ty), "person": (px, py)}


def _errors(camera: LevelCamera) -> dict[str, list[float]]:
    views = list(_views(40))
    poses = PoseTrack("s", np.arange(len(views), dtype=float), *(np.array([v[0][k] for v in views]) for k in range(3)))
    items = [(float(t), kind, box) for t, (_, boxes, _) in enumerate(views) for kind, box in boxes.items()]
    placed = estimate_positions(camera, SIZE, poses, items)
    errors: dict[str, list[float]] = {}
    for (t, kind, _), got in zip(items, placed):
        assert got is not None, (t, kind)
        truth = views[int(t)][2][kind]
        errors.setdefault(kind, []).append(math.hypot(got[0] - truth[0], got[1] - truth[1]))
    return errors


def test_a_cup_on_a_table_and_the_table_are_placed_at_the_tables_middle():
    errors = _errors(CAMERA)
    # the footprint's depth is a prior (0.6 m against the table's 0.8 m) and the box bottom is the nearest
    # corner when seen at an angle: what is left is a fraction of the footprint (0.25 m median here)
    for kind in ("furniture", "object"):
        assert float(np.median(errors[kind])) < 0.3, (kind, np.median(errors[kind]))
        assert max(errors[kind]) < 0.45, (kind, max(errors[kind]))
    assert max(errors["person"]) < 1e-6  # a person's contact is exact
    # placing at the box's floor contact (no footprint behind it) leaves them at the table's front edge
    at_contact = _errors(LevelCamera(height_m=1.2, hfov_deg=80.0, support_depth_m=0.0))
    assert float(np.median(at_contact["object"])) > 0.45
    assert float(np.median(at_contact["object"])) > 1.8 * float(np.median(errors["object"]))
    # a deeper prior fits this deeper table better: the prior is what moves the estimate
    deeper = _errors(LevelCamera(height_m=1.2, hfov_deg=80.0, support_depth_m=0.8))
    assert float(np.median(deeper["object"])) < float(np.median(errors["object"]))
