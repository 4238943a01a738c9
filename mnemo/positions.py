"""Positions of sightings in the stream's map frame, where they can be estimated: the camera's pose at the
frame's time (the pose log) and a level pinhole camera's ground-contact geometry (perception/geometry.py).

People and furniture stand on the floor: their box's bottom centre is placed, furniture half a footprint
(``LevelCamera.support_depth_m`` / 2) behind it, where its middle is. A small object is placed at the depth
of what it rests on in that frame (a piece of furniture's middle, or a person carrying it) when its box's
bottom lies on one; with no such support in view it is not placed (on the floor, or on a support the
detector missed: one camera cannot tell, and the wrong guess is metres off). No pose at that time, no camera
model, or a contact the geometry cannot see (cut off by the frame, above the horizon, out of range): no
position.

Seen from near, a support's floor contact is below the frame (nearer than about 1.9 m for a camera 1.2 m high
with a 64 degree vertical view): the frame alone cannot tell how far the thing on it is. Furniture does not
move, so where a piece of furniture of the support's label was placed is used: first in the frames of this
batch (moments ago, from further away), else where memory placed it before (``known``). The thing is placed
in its own column at the median depth of those placements near its line of sight (within KNOWN_RAY_M of it,
and no further than the support's contact can be: the frame's nearest floor point plus the support's depth).
With none it is not placed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Sequence

import numpy as np

from memory.poses import PoseTrack
from perception.geometry import Box, LevelCamera, Pose2D, cut_off, ground_point, place_box, support_of, to_map

SUPPORTS = ("furniture", "person")  # kinds a small object can rest on or be carried by
KNOWN_RAY_M = 0.8  # a known piece of furniture this near a thing's line of sight can be what it rests on
NEAREST_M = 0.3  # nothing nearer the camera than this is a support (the robot's own body)


def estimate_positions(camera: LevelCamera, size: tuple[int, int], poses: PoseTrack,
                       items: Sequence[tuple[float, str, Box]], labels: Sequence[str] = (),
                       known: Sequence[tuple[str, float, float]] = ()) -> list[tuple[float, float] | None]:
    """Per (time, kind, box) item, its map position or None; items of one time are one frame. ``labels``
    (per item) and ``known`` ((label, x, y) of furniture memory placed before) place a thing whose support's
    contact the frame cuts off (see the module doc)."""
    frames: dict[float, list[int]] = defaultdict(list)
    for i, (time, _, _) in enumerate(items):
        frames[round(float(time), 6)].append(i)
    out: list[tuple[float, float] | None] = [None] * len(items)
    for time, members in frames.items():  # people and furniture first: their contacts are their own
        pose = poses.at(time)
        for i in members:
            if pose is not None and items[i][1] in SUPPORTS:
                out[i] = place_box(camera, size, pose, items[i][2], behind=_behind(camera, items[i][1]))
    # furniture placed in these frames (moments ago, from further away, in the same localisation) before
    # what memory placed earlier
    recent = [(labels[i], *out[i]) for i in range(len(items)) if labels and out[i] is not None
              and items[i][1] == "furniture"]
    for time, members in frames.items():
        pose = poses.at(time)
        if pose is None:
            continue
        held = [i for i in members if items[i][1] in SUPPORTS]
        supports = [items[i][2] for i in held]
        for i in members:
            _, kind, box = items[i]
            k = support_of(box, supports) if kind not in SUPPORTS else None
            if k is None:
                continue
            out[i] = place_box(camera, size, pose, box, supports[k], behind=_behind(camera, items[held[k]][1]))
            if out[i] is None and labels and items[held[k]][1] == "furniture" and cut_off(camera, size, supports[k]):
                for pool in (recent, known):
                    out[i] = on_known_support(camera, size, pose, box, [(x, y) for label, x, y in pool
                                                                        if label == labels[held[k]]])
                    if out[i] is not None:
                        break
    return out


def on_known_support(camera: LevelCamera, size: tuple[int, int], pose: Pose2D, box: Box,
                     places: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """A thing whose support's floor contact is below the frame, placed in its own column at the median depth
    of ``places`` (where furniture of its support's kind was placed) near its line of sight: within
    KNOWN_RAY_M of the line, between NEAREST_M and the furthest the support's middle can be (the frame's
    nearest floor point plus a support's depth). None when no place fits."""
    width, height = size
    f = camera.focal(width)
    edge = ground_point(camera, size, width / 2.0, height - 1.0)
    if edge is None:
        return None
    furthest = edge[0] + camera.support_depth_m
    slope = -((box[0] + box[2]) / 2.0 - width / 2.0) / f  # left per metre forward along the thing's column
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    depths = []
    for px, py in places:
        forward = (px - x) * c + (py - y) * s
        left = -(px - x) * s + (py - y) * c
        if NEAREST_M <= forward <= furthest and abs(left - slope * forward) / math.hypot(1.0, slope) <= KNOWN_RAY_M:
            depths.append(forward)
    if not depths:
        return None
    depth = float(np.median(depths))  # memory holds many placements of one piece: their median depth
    return to_map(pose, depth, slope * depth)


def _behind(camera: LevelCamera, kind: str) -> float:
    """How far behind its box's floor contact a thing of ``kind`` (or what rests on it) has its middle."""
    return camera.support_depth_m / 2.0 if kind == "furniture" else 0.0
