"""Where a detection stands: a box's ground-contact point through a level pinhole camera onto the floor.

A robot whose camera looks level (optical axis parallel to the floor) from a known height can place
anything that stands on the floor without depth: the bottom centre of its box is where it meets the
floor, and the row of that point below the horizon gives its distance (``depth = f * height / (v - cy)``).
A piece of furniture's box bottom is its footprint's nearest edge, not its middle: furniture, and a thing
resting on it (a mug on a table, placed at its support's depth in its own column), lie ``behind`` that
contact, half a typical footprint depth (``support_depth_m``: a prior, as one camera cannot see how deep
furniture is; placing at the contact put things on tables a median 0.5 m short along the line of sight).
A thing on furniture whose top surface has a usual height (``SURFACE_M``: a dining table's 0.75 m, a
sofa seat's 0.45 m) is placed from its own box instead: its bottom row lies on that plane, so the row below
the horizon gives its depth as a floor contact does (``depth = f * (height - surface) / (v - cy)``), wherever
on the furniture's top it stands (the back of a deep sofa or bed, the far end of one seen from its side) and
even when the furniture's floor contact is below the frame (``on_surface``). A thing carried by a person is
placed at the depth of the person's ground contact. What cannot be
placed this way is not placed: a box whose bottom is cut off by the frame's edge (its contact is out
of view), a contact at or above the horizon, or one further than ``max_range_m``.

Pure functions of pixels and poses: the caller looks up the camera's pose at the frame's time (the
pose log) and turns the result into its map frame. Coordinates: the pose (x, y, yaw) is the camera's
in the map frame, yaw counter-clockwise from +x; image columns grow to the right, rows downwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

Box = tuple[float, float, float, float]

# metres above the floor at which things rest on furniture of a label: the usual heights of home furniture
# (dining and work tables and desks 72-76 cm, kitchen counters and workbenches 86-91 cm, sofa and armchair
# seats 40-48 cm, coffee tables 40-46 cm, beds with a mattress 50-63 cm, bedside tables 55-70 cm, TV stands
# 45-60 cm, console tables 76-81 cm): priors, not measurements, as one camera cannot see how high a top is.
# Shelves and bookshelves hold things at several heights: no prior, so they are placed by their contact.
SURFACE_M: dict[str, float] = {
    "table": 0.75, "dining table": 0.75, "kitchen table": 0.75, "desk": 0.75,
    "counter": 0.9, "kitchen counter": 0.9, "countertop": 0.9, "kitchen island": 0.9, "workbench": 0.9,
    "sofa": 0.45, "couch": 0.45, "armchair": 0.45, "coffee table": 0.45,
    "bed": 0.55, "nightstand": 0.6, "bedside table": 0.6, "side table": 0.6,
    "tv stand": 0.5, "console table": 0.8,
}
MIN_DROP_M = 0.25  # a surface less than this below the camera is too near the horizon to read depth from
FOOTPRINT_M = 2.0  # the furthest a thing on furniture can lie behind the furniture's nearest floor contact
Pose2D = tuple[float, float, float]  # x, y metres; yaw radians, counter-clockwise from +x


@dataclass(frozen=True)
class LevelCamera:
    """A pinhole camera looking level at a known height, with square pixels and the principal point
    at the image centre (the calibration a robot's camera_info gives, reduced to what placing needs)."""

    height_m: float  # the optical centre's height above the floor, metres
    hfov_deg: float  # horizontal field of view, degrees (focal length = half width / tan(hfov / 2))
    max_range_m: float = 12.0  # contacts further than this are not placed (a row's depth grows fast near the horizon)
    edge_px: float = 1.0  # a box whose bottom is this close to the frame's bottom edge is cut off: not placed
    support_depth_m: float = 0.6  # furniture's assumed footprint depth behind its box's contact (homes: 0.35-0.9 m)
    edge_share: float = 0.15  # ... or closer than this share of the box's own height: a detector's box edges err by
    #                           a few per cent of its size (3 sigma of 5%), so a box cut off by the frame ends inside it

    def __post_init__(self) -> None:
        if not (math.isfinite(self.height_m) and self.height_m > 0):
            raise ValueError(f"LevelCamera.height_m={self.height_m!r}: expected metres > 0")
        if not (math.isfinite(self.hfov_deg) and 0 < self.hfov_deg < 180):
            raise ValueError(f"LevelCamera.hfov_deg={self.hfov_deg!r}: expected degrees in (0, 180)")
        if not self.max_range_m > 0:
            raise ValueError(f"LevelCamera.max_range_m={self.max_range_m!r}: expected metres > 0")
        if not self.edge_px >= 0:
            raise ValueError(f"LevelCamera.edge_px={self.edge_px!r}: expected pixels >= 0")
        if not (math.isfinite(self.edge_share) and 0 <= self.edge_share < 1):
            raise ValueError(f"LevelCamera.edge_share={self.edge_share!r}: expected a share in [0, 1)")
        if not (math.isfinite(self.support_depth_m) and self.support_depth_m >= 0):
            raise ValueError(f"LevelCamera.support_depth_m={self.support_depth_m!r}: expected metres >= 0")

    def focal(self, width: int) -> float:
        """Focal length in pixels for frames ``width`` pixels wide."""
        return (width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)


def ground_point(camera: LevelCamera, size: tuple[int, int], u: float, v: float) -> tuple[float, float] | None:
    """(forward, left) metres from the camera of the floor point seen at pixel (u, v) of a frame of
    ``size`` (width, height); None at or above the horizon or beyond the camera's range."""
    width, height = size
    f = camera.focal(width)
    below = v - height / 2.0
    if below <= 0:
        return None
    forward = f * camera.height_m / below
    if forward > camera.max_range_m:
        return None
    return forward, -(u - width / 2.0) * forward / f


def to_map(pose: Pose2D, forward: float, left: float) -> tuple[float, float]:
    """A point ``forward`` metres ahead of and ``left`` metres to the left of a camera at ``pose``, in the map frame."""
    x, y, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    return x + forward * c - left * s, y + forward * s + left * c


def project(camera: LevelCamera, size: tuple[int, int], pose: Pose2D, x: float, y: float,
            z: float = 0.0) -> tuple[float, float] | None:
    """Pixel (u, v) of the map point (x, y) at ``z`` metres above the floor; None behind the camera."""
    width, height = size
    cx, cy, yaw = pose
    dx, dy = x - cx, y - cy
    forward = dx * math.cos(yaw) + dy * math.sin(yaw)
    left = -dx * math.sin(yaw) + dy * math.cos(yaw)
    if forward <= 1e-9:
        return None
    f = camera.focal(width)
    return width / 2.0 - f * left / forward, height / 2.0 + f * (camera.height_m - z) / forward


def cut_off(camera: LevelCamera, size: tuple[int, int], box: Box, noisy: bool = True) -> bool:
    """Whether ``box``'s bottom may be the frame's bottom edge rather than where the thing meets the floor: it
    lies within ``edge_px`` or ``edge_share`` of the box's height of the frame's last row. A detector's box of a
    thing the frame cuts off ends at the edge give or take its own error (a few per cent of its size), so a
    bottom row just inside the frame is no contact: read as one, it puts the thing at the nearest floor
    distance the camera sees (about 1.9 m for a camera 1.2 m high with a 64 degree vertical view) however near
    it is: a thing on a table 1.2 m away is placed 2.2 m away. ``noisy`` False: within ``edge_px`` only."""
    margin = max(camera.edge_px, camera.edge_share * max(box[3] - box[1], 0.0)) if noisy else camera.edge_px
    return box[3] >= size[1] - margin


def place_box(camera: LevelCamera, size: tuple[int, int], pose: Pose2D, box: Box,
              support: Box | None = None, behind: float = 0.0) -> tuple[float, float] | None:
    """Map position of what ``box`` shows: its bottom centre on the floor, or, when it rests on
    ``support``, at the depth of the support's ground contact in its own column; ``behind`` metres
    further along the line of sight (a footprint's centre lies behind its nearest contact). None where it
    cannot be placed (the contact cut off by the frame, at or above the horizon, out of range)."""
    contact = support if support is not None else box
    # the box-noise margin only for a support: a thing on furniture the frame cuts off is placed from memory's
    # furniture instead (mnemo/positions.py); a person or a piece of furniture placed from its own bottom row
    # a few pixels inside the frame errs by at most the nearest floor distance, and a place that errs keeps
    # re-identification and rooms going where none would not (sim dev seeds 1-3: entity B-cubed 0.819 with the
    # margin on every box, 0.861 without)
    if cut_off(camera, size, contact, noisy=support is not None):
        return None
    on_floor = ground_point(camera, size, (contact[0] + contact[2]) / 2.0, contact[3])
    if on_floor is None:
        return None
    forward = on_floor[0] + behind
    left = -((box[0] + box[2]) / 2.0 - size[0] / 2.0) * forward / camera.focal(size[0])
    return to_map(pose, forward, left)


def on_surface(camera: LevelCamera, size: tuple[int, int], pose: Pose2D, box: Box, surface_m: float,
               nearest: float = 0.0, furthest: float = math.inf) -> tuple[float, float] | None:
    """Map position of a thing resting on a top ``surface_m`` metres above the floor: its box's bottom centre
    lies on that plane, so its row below the horizon gives its depth (``f * (height - surface) / (v - cy)``),
    clamped to [``nearest``, ``furthest``] metres (where its support's footprint can be). None when the box's
    bottom may be the frame's edge, the surface is within MIN_DROP_M of the camera's height (the row says
    little there), or the bottom is at or above the horizon."""
    width, height = size
    drop = camera.height_m - surface_m
    below = box[3] - height / 2.0
    if drop < MIN_DROP_M or below <= 0 or cut_off(camera, size, box):
        return None
    f = camera.focal(width)
    forward = min(max(f * drop / below, nearest), furthest, camera.max_range_m)
    left = -((box[0] + box[2]) / 2.0 - width / 2.0) * forward / f
    return to_map(pose, forward, left)


def support_of(box: Box, candidates: Sequence[Box]) -> int | None:
    """Index of the candidate box ``box`` rests on: one whose box holds its bottom centre and reaches
    lower in the frame (the nearest such bottom edge: the support right under it); None if none does."""
    u, v = (box[0] + box[2]) / 2.0, box[3]
    best, best_bottom = None, math.inf
    for i, c in enumerate(candidates):
        if c[0] <= u <= c[2] and c[1] <= v < c[3] and c[3] < best_bottom:
            best, best_bottom = i, c[3]
    return best
