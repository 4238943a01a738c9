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

A thing on furniture whose label has a usual top height (``perception.geometry.SURFACE_M``: tables, counters,
sofas, beds) is placed from its own box first (``on_surface``): its bottom row on that plane gives its depth
wherever on the top it stands (at the back of a deep sofa or bed, at the far end of one seen from its side,
where the support's middle puts it short), and whether or not the support's floor contact is in the frame;
it is kept between the support's contact and FOOTPRINT_M behind it. Other supports (shelves, unknown labels)
are read as above.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Mapping, Sequence

import numpy as np

from memory.poses import PoseTrack
from perception.geometry import (FOOTPRINT_M, SURFACE_M, Box, LevelCamera, Pose2D, cut_off, ground_point,
                                 on_surface, place_box, support_of, to_map)

SUPPORTS = ("furniture", "person")  # kinds a small object can rest on or be carried by
KNOWN_RAY_M = 0.8  # a known piece of furniture this near a thing's line of sight can be what it rests on
NEAREST_M = 0.3  # nothing nearer the camera than this is a support (the robot's own body)


def estimate_positions(camera: LevelCamera, size: tuple[int, int], poses: PoseTrack,
                       items: Sequence[tuple[float, str, Box]], labels: Sequence[str] = (),
                       known: Sequence[tuple[str, float, float]] = (),
                       surfaces: Mapping[str, float] = SURFACE_M) -> list[tuple[float, float] | None]:
    """Per (time, kind, box) item, its map position or None; items of one time are one frame. ``labels``
    (per item) name the furniture a thing rests on: one of ``surfaces`` (label: usual top height) places it
    on that height; ``known`` ((label, x, y) of furniture memory placed before) places a thing whose support's
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
    # what memory placed earlier; not a piece whose own bottom may be the frame's edge (placed from that row, it
    # stands at the nearest floor the frame shows however near it is: what rests on it would too)
    recent = [(labels[i], *out[i]) for i in range(len(items)) if labels and out[i] is not None
              and items[i][1] == "furniture" and not cut_off(camera, size, items[i][2])]
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
            if labels and items[held[k]][1] == "furniture":
                out[i] = on_known_surface(camera, size, pose, box, supports[k], labels[held[k]], surfaces)
                if out[i] is not None:
                    continue
            out[i] = place_box(camera, size, pose, box, supports[k], behind=_behind(camera, items[held[k]][1]))
            if out[i] is None and labels and items[held[k]][1] == "furniture" and cut_off(camera, size, supports[k]):
                for pool in (recent, known):
                    out[i] = on_known_support(camera, size, pose, box, [(x, y) for label, x, y in pool
                                                                        if label == labels[held[k]]])
                    if out[i] is not None:
                        break
    return out


def on_known_surface(camera: LevelCamera, size: tuple[int, int], pose: Pose2D, box: Box, support: Box,
                     label: str, surfaces: Mapping[str, float] = SURFACE_M) -> tuple[float, float] | None:
    """A thing on furniture of ``label`` placed on the label's usual top height in ``surfaces`` (``on_surface``),
    no nearer than the support's floor contact (less a tenth of a metre of box error) and no further than
    FOOTPRINT_M behind it; with the contact below the frame, between NEAREST_M and FOOTPRINT_M beyond the frame's
    nearest floor point. None when the label has no usual height or the box cannot be read."""
    surface = surfaces.get(label.strip().lower())
    if surface is None:
        return None
    width, height = size
    if cut_off(camera, size, support):
        edge = ground_point(camera, size, width / 2.0, height - 1.0)
        nearest, furthest = NEAREST_M, (edge[0] if edge is not None else 0.0) + FOOTPRINT_M
    else:
        contact = ground_point(camera, size, (support[0] + support[2]) / 2.0, support[3])
        if contact is None:
            return None
        nearest, furthest = max(contact[0] - 0.1, NEAREST_M), contact[0] + FOOTPRINT_M
    return on_surface(camera, size, pose, box, surface, nearest, furthest)


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
