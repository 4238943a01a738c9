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


def test_a_thing_seen_from_near_rests_on_the_furniture_memory_placed():
    """Oracle: a cup on a table-high cart (a label with no usual top height, ``SURFACE_M``) seen from 1.0-1.6 m
    (the cart's floor contact below the frame). The frame alone cannot place it; with where memory placed the
    cart (its middle, 0.2 m off) it is placed in its own column at that depth; a known piece of another kind,
    or one off its line of sight, places nothing."""
    rng = np.random.default_rng(5)
    errors = []
    for _ in range(30):
        tx, ty, yaw = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-math.pi, math.pi)
        r = rng.uniform(1.0, 1.6)  # camera to the table's middle
        pose = (tx - r * math.cos(yaw), ty - r * math.sin(yaw), yaw + rng.uniform(-0.2, 0.2))
        cx, cy = to_map((tx, ty, yaw), 0.0, rng.uniform(-0.4, 0.4))  # the cup, somewhere along the table
        clip = lambda b: (max(b[0], 0.0), max(b[1], 0.0), min(b[2], SIZE[0]), min(b[3], SIZE[1]))
        table = clip(_box(pose, _cuboid(tx, ty, 1.2, 0.8, yaw + math.pi / 2, 0.0, 0.75)))
        cup = clip(_box(pose, _cuboid(cx, cy, 0.08, 0.08, yaw, 0.75, 0.85)))
        assert cut_off(CAMERA, SIZE, table)
        poses = PoseTrack("s", np.array([0.0, 1.0]), *(np.array([pose[k]] * 2) for k in range(3)))
        items = [(0.0, "furniture", table), (0.0, "object", cup)]
        assert estimate_positions(CAMERA, SIZE, poses, items) == [None, None]
        memory_placed = (tx + rng.normal(0, 0.15), ty + rng.normal(0, 0.15))
        got = estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cup"], [("cart", *memory_placed)])
        assert got[0] is None  # the furniture itself keeps no position from its cut-off box
        errors.append(math.hypot(got[1][0] - cx, got[1][1] - cy))
        assert estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cup"], [("sofa", *memory_placed)])[1] is None
        aside = to_map(pose, r, 1.5)  # 1.5 m left of the line of sight
        assert estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cup"], [("cart", *aside)])[1] is None
    assert float(np.median(errors)) < 0.25 and max(errors) < 0.6, errors


def test_the_furniture_placed_moments_before_comes_before_memorys():
    """The robot drives up to a cart (no usual top height; a frame from 3.5 m sees its contact) and looks at the
    cup on it from 1.2 m: the cup rests on the cart as placed in the far frame, not on memory's older place of
    it (0.7 m short: another localisation, hours ago)."""
    tx, ty, yaw = 1.0, 2.0, 0.3
    near = (tx - 1.2 * math.cos(yaw), ty - 1.2 * math.sin(yaw), yaw)
    far = (tx - 3.5 * math.cos(yaw), ty - 3.5 * math.sin(yaw), yaw)
    clip = lambda b: (max(b[0], 0.0), max(b[1], 0.0), min(b[2], SIZE[0]), min(b[3], SIZE[1]))
    table = _cuboid(tx, ty, 1.2, 0.6, yaw + math.pi / 2, 0.0, 0.75)
    cup = _cuboid(tx, ty, 0.08, 0.08, yaw, 0.75, 0.85)
    items = [(0.0, "furniture", clip(_box(far, table))), (1.0, "furniture", clip(_box(near, table))),
             (1.0, "object", clip(_box(near, cup)))]
    poses = PoseTrack("s", np.array([0.0, 1.0]), *(np.array([far[k], near[k]]) for k in range(3)))
    old = to_map(near, 0.5, 0.0)  # memory's place of the table: 0.7 m short along the line of sight
    got = estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cart", "cup"], [("cart", *old)])
    assert got[1] is None and math.dist(got[2], (tx, ty)) < 0.05
    only_memory = estimate_positions(CAMERA, SIZE, poses, items[1:], ["cart", "cup"], [("cart", *old)])
    assert math.dist(only_memory[1], old) < 0.05


def test_a_thing_on_furniture_of_a_usual_height_is_placed_from_its_own_box():
    """Oracle: a cup anywhere on the seat of a deep sofa (0.45 m high, 2.0 x 0.9 m) and on a table (0.75 m), seen
    from 0.9-4 m at up to 60 degrees off the front, exact boxes. On the label's usual top height its own bottom
    row places it within a few centimetres (its footprint's half-width: the box bottom is its front), whether
    the furniture's contact is in the frame or below it; the support's middle (no usual height for the label)
    puts it up to the footprint's depth off."""
    rng = np.random.default_rng(11)
    clip = lambda b: (max(b[0], 0.0), max(b[1], 0.0), min(b[2], SIZE[0]), min(b[3], SIZE[1]))
    errors: dict[str, list[float]] = {"surface": [], "middle": []}
    cut = 0
    for k in range(60):
        label, top, width, depth = ("sofa", 0.45, 2.0, 0.9) if k % 2 else ("table", 0.75, 1.2, 0.8)
        fx, fy, yaw = rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-math.pi, math.pi)
        cx, cy = to_map((fx, fy, yaw), rng.uniform(-depth / 2 + 0.1, depth / 2 - 0.1),
                        rng.uniform(-width / 2 + 0.1, width / 2 - 0.1))
        off, r = yaw + math.pi + rng.uniform(-1.0, 1.0), rng.uniform(0.9, 4.0)
        pose = (cx + r * math.cos(off), cy + r * math.sin(off), off + math.pi + rng.uniform(-0.2, 0.2))
        furniture = _box(pose, _cuboid(fx, fy, depth, width, yaw, 0.0, top))
        cup = _box(pose, _cuboid(cx, cy, 0.08, 0.08, yaw, top, top + 0.1))
        if furniture is None or cup is None or cup[0] < 0 or cup[2] > SIZE[0] or cup[3] >= SIZE[1]:
            continue
        furniture = clip(furniture)
        cut += cut_off(CAMERA, SIZE, furniture)
        poses = PoseTrack("s", np.array([0.0, 1.0]), *(np.array([pose[i]] * 2) for i in range(3)))
        items = [(0.0, "furniture", furniture), (0.0, "object", cup)]
        got = estimate_positions(CAMERA, SIZE, poses, items, [label, "cup"])[1]
        assert got is not None, (label, r)
        errors["surface"].append(math.hypot(got[0] - cx, got[1] - cy))
        if not cut_off(CAMERA, SIZE, furniture):
            middle = estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cup"])[1]
            errors["middle"].append(math.hypot(middle[0] - cx, middle[1] - cy))
    assert cut >= 5 and len(errors["surface"]) >= 40
    assert max(errors["surface"]) < 0.1, errors["surface"]
    assert float(np.median(errors["middle"])) > 0.25 and max(errors["middle"]) > 0.6, errors["middle"]


def test_a_thing_does_not_rest_on_furniture_placed_from_the_frames_edge():
    """A cart (no usual top height) 1.2 m away whose box's bottom the detector put 4 px inside the frame: the
    cart is placed from that row (at the nearest floor the frame shows, 0.8 m too far), but the cup on it is
    not placed there: it rests on memory's cart, or with none is not placed."""
    tx, ty, yaw = 1.0, 2.0, 0.3
    pose = (tx - 1.2 * math.cos(yaw), ty - 1.2 * math.sin(yaw), yaw)
    table = _box(pose, _cuboid(tx, ty, 1.2, 0.6, yaw + math.pi / 2, 0.0, 0.75))
    table = (max(table[0], 0.0), table[1], min(table[2], SIZE[0]), SIZE[1] - 4.0)
    cup = _box(pose, _cuboid(tx, ty, 0.08, 0.08, yaw, 0.75, 0.85))
    poses = PoseTrack("s", np.array([0.0, 1.0]), *(np.array([pose[k]] * 2) for k in range(3)))
    items = [(0.0, "furniture", table), (0.0, "object", cup)]
    got = estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cup"])
    assert got[0] is not None and math.dist(got[0], (tx, ty)) > 0.6  # placed from its bottom row: too far
    assert got[1] is None
    got = estimate_positions(CAMERA, SIZE, poses, items, ["cart", "cup"], [("cart", tx + 0.1, ty - 0.1)])
    assert math.dist(got[1], (tx, ty)) < 0.2
