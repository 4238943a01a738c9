"""How well the camera has already looked at a point: the negative evidence in memory's pose log.

A thing memory never stored is less likely where the camera looked often and from near (had it been there,
it would probably have been seen), and as likely as ever where the camera never looked. Every logged pose
(the lived episode's and the robot's own during a task: it perceives while it walks) is a view; a point
counts as viewed when the camera stood in the same map area, within ``SEE_M`` of it and with the point
inside its horizontal view. Each second of such views misses a thing there with probability
``1 - SEE_P``; a view ``a`` seconds old counts with weight ``exp(-a / RECENCY_S)`` (things move while
nobody looks), so ``miss = prod(1 - SEE_P * exp(-age / RECENCY_S))`` over the viewed seconds.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from memory.perceived import Area, areas

SEE_M = 2.5  # metres: a small thing (a pen, keys) is noticed only this near (a few pixels wide further off)
SEE_P = 0.2  # chance that one second of view within SEE_M detects and keeps a small thing there
HALF_VIEW = math.radians(35)  # half the camera's horizontal view (80 degrees), less a margin for the thing's size
STEP_S = 1.0  # views are counted per second of the pose log (frames moments apart are not independent)


def pose_samples(store) -> np.ndarray:
    """(time, x, y, yaw) of memory's pose log, one row per stream and second, by time; empty (0, 4) when none."""
    rows = []
    for info in store.streams():
        track = store.poses(info["id"])
        if not len(track):
            continue
        bins = np.floor(track.times / STEP_S)
        keep = np.concatenate(([True], bins[1:] != bins[:-1]))
        rows.append(np.stack([track.times[keep], track.xs[keep], track.ys[keep], track.yaws[keep]], axis=1))
    if not rows:
        return np.zeros((0, 4))
    out = np.concatenate(rows)
    return out[np.argsort(out[:, 0], kind="stable")]


def miss_probability(samples: np.ndarray, known: Sequence[Area], points: Sequence[tuple[float, float]],
                     now: float, recency_s: float) -> list[float]:
    """For each point, the chance that the views in ``samples`` (``pose_samples``) all missed a small thing
    standing there (see the module doc): 1.0 for a point never viewed."""
    if not len(samples) or not points:
        return [1.0] * len(points)
    rooms = [_area_name(known, x, y) for x, y in samples[:, 1:3]]
    ages = np.maximum(now - samples[:, 0], 0.0)
    hit = SEE_P * np.exp(-ages / recency_s)
    out = []
    for px, py in points:
        room = _area_name(known, px, py)
        dx, dy = px - samples[:, 1], py - samples[:, 2]
        off = np.abs(np.remainder(np.arctan2(dy, dx) - samples[:, 3] + math.pi, 2 * math.pi) - math.pi)
        viewed = (np.hypot(dx, dy) <= SEE_M) & (off <= HALF_VIEW) & np.array([r == room for r in rooms])
        out.append(float(np.prod(1.0 - hit[viewed])))
    return out


def coverage_misses(store, points: Sequence[tuple[float, float]], now: float, recency_s: float,
                    known: Sequence[Area] | None = None) -> list[float]:
    """``miss_probability`` of ``points`` over memory's whole pose log."""
    return miss_probability(pose_samples(store), areas(store) if known is None else known, points, now, recency_s)


def _area_name(known: Sequence[Area], x: float, y: float) -> str:
    """The map area holding the point, else the nearest (a doorway, a pose drifted through a wall)."""
    if not known:
        return ""
    inside = next((a for a in known if a.contains(x, y)), None)
    return (inside or min(known, key=lambda a: a.distance(x, y))).name
