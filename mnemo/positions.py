"""Positions of sightings in the stream's map frame, where they can be estimated: the camera's pose at the
frame's time (the pose log) and a level pinhole camera's ground-contact geometry (perception/geometry.py).

People and furniture stand on the floor: their box's bottom centre is placed, furniture half a footprint
(``LevelCamera.support_depth_m`` / 2) behind it, where its middle is. A small object is placed at the depth
of what it rests on in that frame (a piece of furniture's middle, or a person carrying it) when its box's
bottom lies on one; with no such support in view it is not placed (on the floor, or on a support the
detector missed: one camera cannot tell, and the wrong guess is metres off). No pose at that time, no camera
model, or a contact the geometry cannot see (cut off by the frame, above the horizon, out of range): no
position.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from memory.poses import PoseTrack
from perception.geometry import Box, LevelCamera, place_box, support_of

SUPPORTS = ("furniture", "person")  # kinds a small object can rest on or be carried by


def estimate_positions(camera: LevelCamera, size: tuple[int, int], poses: PoseTrack,
                       items: Sequence[tuple[float, str, Box]]) -> list[tuple[float, float] | None]:
    """Per (time, kind, box) item, its map position or None; items of one time are one frame."""
    frames: dict[float, list[int]] = defaultdict(list)
    for i, (time, _, _) in enumerate(items):
        frames[round(float(time), 6)].append(i)
    out: list[tuple[float, float] | None] = [None] * len(items)
    for time, members in frames.items():
        pose = poses.at(time)
        if pose is None:
            continue
        held = [i for i in members if items[i][1] in SUPPORTS]
        supports = [items[i][2] for i in held]
        for i in members:
            _, kind, box = items[i]
            if kind in SUPPORTS:
                out[i] = place_box(camera, size, pose, box, behind=_behind(camera, kind))
                continue
            k = support_of(box, supports)
            if k is not None:
                out[i] = place_box(camera, size, pose, box, supports[k], behind=_behind(camera, items[held[k]][1]))
    return out


def _behind(camera: LevelCamera, kind: str) -> float:
    """How far behind its box's floor contact a thing of ``kind`` (or what rests on it) has its middle."""
    return camera.support_depth_m / 2.0 if kind == "furniture" else 0.0
