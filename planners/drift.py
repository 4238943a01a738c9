"""Odometry drift taken out with furniture as landmarks.

Dead reckoning drifts (a metre or more over ten minutes of walking), so late sightings land in the
wrong room near walls. Furniture stands still: the first sightings of each piece fix where it is,
and later sightings of it, matched by label and nearness, tell how far the frame has drifted since.
The drift is the running median of those offsets, interpolated in time, and is added to every
position (sightings and the camera's poses) before anything else reads them.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, field

import numpy as np

GATE = 0.8  # metres: a furniture sighting this near to a landmark of its label (after correction) is it
SETTLE = 10  # sightings that fix a new landmark's place (averaged); later ones only measure drift
WINDOW = 30.0  # seconds of landmark offsets the running median spans
MIN_OFFSETS = 5  # offsets in the window before the estimate moves


@dataclass
class Drift:
    """Offsets (dx, dy) to add to positions at given times."""

    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dxs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dys: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def until(self, t: float) -> "Drift":
        """The drift fitted from the sightings up to ``t`` only: fit_drift is online, so it is this one's
        knots up to t (exactly; none of the later ones, which the interpolation would lean towards)."""
        keep = self.times <= t
        return Drift(self.times[keep], self.dxs[keep], self.dys[keep])

    def at(self, times) -> tuple[np.ndarray, np.ndarray]:
        times = np.asarray(times, float)
        if not len(self.times):
            return np.zeros(times.shape), np.zeros(times.shape)
        return np.interp(times, self.times, self.dxs), np.interp(times, self.times, self.dys)


def fit_drift(furniture: list[tuple[float, str, float, float]]) -> Drift:
    """The drift from furniture sightings (time, label, x, y), taken in time order."""
    landmarks: dict[str, list[list[float]]] = {}  # label -> [x, y, sightings]
    recent: deque = deque()
    sorted_dx: list[float] = []  # the window's offsets, kept sorted for their medians
    sorted_dy: list[float] = []
    dx = dy = 0.0
    knots = [(0.0, 0.0, 0.0)]
    for t, label, x, y in sorted(furniture):
        cx, cy = x + dx, y + dy
        marks = landmarks.setdefault(label, [])
        near = min(marks, key=lambda m: math.hypot(m[0] - cx, m[1] - cy), default=None)
        if near is None or math.hypot(near[0] - cx, near[1] - cy) > GATE:
            marks.append([cx, cy, 1.0])
            continue
        if near[2] < SETTLE:  # still settling: place it better, measure nothing yet
            near[0] += (cx - near[0]) / (near[2] + 1)
            near[1] += (cy - near[1]) / (near[2] + 1)
            near[2] += 1
            continue
        recent.append((t, near[0] - x, near[1] - y))
        insort(sorted_dx, near[0] - x), insort(sorted_dy, near[1] - y)
        while recent and recent[0][0] < t - WINDOW:
            _, ox, oy = recent.popleft()
            del sorted_dx[bisect_left(sorted_dx, ox)], sorted_dy[bisect_left(sorted_dy, oy)]
        if len(recent) >= MIN_OFFSETS:
            dx, dy = _median(sorted_dx), _median(sorted_dy)
            knots.append((t, dx, dy))
    arr = np.array(knots, float)
    return Drift(arr[:, 0], arr[:, 1], arr[:, 2])


def _median(values: list[float]) -> float:
    """The median of an ascending list (numpy's: the mean of the middle two of an even count)."""
    n = len(values)
    return float(values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2)
