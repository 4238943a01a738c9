"""Piecewise-linear paths through time: where someone is at any media time.

A ``Trajectory`` is keyframes (time, x, y[, yaw]) with straight-line motion between them; before
the first keyframe and after the last the position holds. ``PathBuilder`` appends walks, turns
and waits to one, so that the scenario reads as a list of steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float]


@dataclass(frozen=True, eq=False)
class Trajectory:
    times: np.ndarray  # (n,) increasing media times, seconds
    xs: np.ndarray  # (n,) metres
    ys: np.ndarray
    yaws: np.ndarray | None = None  # (n,) radians, unwrapped (continuous), None for people

    def position(self, t: float) -> Point:
        return (float(np.interp(t, self.times, self.xs)), float(np.interp(t, self.times, self.ys)))

    def positions(self, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.interp(ts, self.times, self.xs), np.interp(ts, self.times, self.ys)

    def yaw(self, t: float) -> float:
        if self.yaws is None:
            raise ValueError("this trajectory has no headings")
        return float(np.interp(t, self.times, self.yaws))

    def yaws_at(self, ts: np.ndarray) -> np.ndarray:
        if self.yaws is None:
            raise ValueError("this trajectory has no headings")
        return np.interp(ts, self.times, self.yaws)

    def speed(self, t: float) -> float:
        """Metres per second at t (0 while standing)."""
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        if i < 0 or i + 1 >= len(self.times):
            return 0.0
        dt = self.times[i + 1] - self.times[i]
        if dt <= 0:
            return 0.0
        return float(math.hypot(self.xs[i + 1] - self.xs[i], self.ys[i + 1] - self.ys[i]) / dt)

    def distance_walked(self, t: float) -> float:
        """Metres walked from the start up to t (drives the gait of a drawn figure)."""
        steps = np.hypot(np.diff(self.xs), np.diff(self.ys))
        cumulative = np.concatenate([[0.0], np.cumsum(steps)])
        return float(np.interp(t, self.times, cumulative))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trajectory):
            return NotImplemented
        same_yaw = (self.yaws is None and other.yaws is None) or (
            self.yaws is not None and other.yaws is not None and np.array_equal(self.yaws, other.yaws))
        return (np.array_equal(self.times, other.times) and np.array_equal(self.xs, other.xs)
                and np.array_equal(self.ys, other.ys) and same_yaw)


class PathBuilder:
    """Appends steps to a path that starts at (t, x, y, yaw)."""

    def __init__(self, t: float, x: float, y: float, yaw: float | None = None) -> None:
        self.times, self.xs, self.ys = [t], [x], [y]
        self.yaws = None if yaw is None else [yaw]

    @property
    def now(self) -> float:
        return self.times[-1]

    @property
    def here(self) -> Point:
        return (self.xs[-1], self.ys[-1])

    @property
    def heading(self) -> float:
        return self.yaws[-1] if self.yaws is not None else 0.0

    def wait(self, seconds: float) -> float:
        """Stand still; returns the time it ends."""
        if seconds > 0:
            self._add(self.now + seconds, *self.here, self.heading)
        return self.now

    def wait_until(self, t: float) -> float:
        return self.wait(t - self.now)

    def turn_to(self, yaw: float, rate: float) -> float:
        """Turn in place the short way round at ``rate`` rad/s (paths with headings only)."""
        if self.yaws is None:
            return self.now
        delta = (yaw - self.heading + math.pi) % (2 * math.pi) - math.pi
        return self.turn_by(delta, rate)

    def turn_by(self, delta: float, rate: float) -> float:
        if self.yaws is None or abs(delta) < 1e-6:
            return self.now
        self._add(self.now + abs(delta) / rate, *self.here, self.heading + delta)
        return self.now

    def walk(self, points: list[Point], speed: float, turn_rate: float | None = None) -> float:
        """Walk straight from point to point; with headings, turn to face each leg first."""
        for x, y in points:
            hx, hy = self.here
            distance = math.hypot(x - hx, y - hy)
            if distance < 1e-3:
                continue
            if self.yaws is not None and turn_rate:
                self.turn_to(math.atan2(y - hy, x - hx), turn_rate)
            self._add(self.now + distance / speed, x, y, self.heading)
        return self.now

    def _add(self, t: float, x: float, y: float, yaw: float) -> None:
        self.times.append(t)
        self.xs.append(x)
        self.ys.append(y)
        if self.yaws is not None:
            self.yaws.append(yaw)

    def build(self) -> Trajectory:
        yaws = None if self.yaws is None else np.asarray(self.yaws, float)
        return Trajectory(np.asarray(self.times, float), np.asarray(self.xs, float), np.asarray(self.ys, float), yaws)
