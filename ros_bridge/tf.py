"""A transform tree from ``/tf`` and ``/tf_static`` (tf2_msgs/TFMessage), with look-ups at a time.

Each frame has one parent (as in tf2). A look-up composes the transforms from a frame up to a root
(``map``, else ``odom``, ...), each interpolated at the asked time (translation linearly, rotation
by normalised linear interpolation of quaternions); static transforms hold at every time. A time
further than ``tolerance`` seconds outside a dynamic transform's recorded span has no answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class _Edge:
    """The transforms parent -> child over time (or one static one)."""

    static: bool
    times: list[float] = field(default_factory=list)
    values: list[tuple[float, ...]] = field(default_factory=list)  # (tx, ty, tz, qx, qy, qz, qw)
    _arrays: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, time: float, value: tuple[float, ...], keep: float | None = None) -> None:
        if self.static:
            self.times, self.values = [time], [value]
        else:
            self.times.append(time)
            self.values.append(value)
            if keep is not None and self.times[0] < time - 2 * keep:  # a live tree: forget the old half at once
                cut = next(i for i, t in enumerate(self.times) if t >= time - keep)
                del self.times[:cut], self.values[:cut]
        self._arrays = None

    def at(self, time: float, tolerance: float) -> np.ndarray | None:
        """The 4 x 4 transform at ``time``; None too far outside the recorded span."""
        if self.static:
            return _matrix(self.values[0])
        if self._arrays is None:
            order = np.argsort(self.times, kind="stable")
            self._arrays = (np.asarray(self.times)[order], np.asarray(self.values, dtype=np.float64)[order])
        times, values = self._arrays
        if time < times[0] - tolerance or time > times[-1] + tolerance:
            return None
        i = int(np.searchsorted(times, time))
        if i <= 0:
            return _matrix(values[0])
        if i >= len(times):
            return _matrix(values[-1])
        t0, t1 = times[i - 1], times[i]
        w = 0.0 if t1 <= t0 else (time - t0) / (t1 - t0)
        a, b = values[i - 1], values[i]
        qb = b[3:] if float(np.dot(a[3:], b[3:])) >= 0 else -b[3:]  # the short way round
        q = (1 - w) * a[3:] + w * qb
        return _matrix(tuple((1 - w) * a[:3] + w * b[:3]) + tuple(q / (np.linalg.norm(q) or 1.0)))


def _matrix(value) -> np.ndarray:
    tx, ty, tz, qx, qy, qz, qw = value
    n = math.sqrt(qx * qx + qy * qy + qz * qz + qw * qw) or 1.0
    qx, qy, qz, qw = qx / n, qy / n, qz / n, qw / n
    m = np.eye(4)
    m[:3, :3] = [[1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
                 [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
                 [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)]]
    m[:3, 3] = (tx, ty, tz)
    return m


def _bare(frame: str) -> str:
    return frame.lstrip("/")


class TfTree:
    """Transforms between frames over time, fed with TFMessage contents."""

    ROOTS = ("map", "world", "odom")  # fixed frames looked for, in this order

    def __init__(self, tolerance: float = 0.5, keep: float | None = None):
        self.tolerance = tolerance  # seconds a look-up may lie outside a dynamic transform's span
        self.keep = keep  # seconds of dynamic transforms kept (a live tree, as tf2's 10 s cache); None: all
        self.parent: dict[str, str] = {}
        self.edges: dict[str, _Edge] = {}  # by child frame

    def add(self, parent: str, child: str, time: float, value: tuple[float, ...], static: bool = False) -> None:
        """One transform: ``child``'s pose in ``parent`` (translation, quaternion x y z w) at ``time``."""
        parent, child = _bare(parent), _bare(child)
        if not parent or not child or parent == child:
            return
        edge = self.edges.get(child)
        if edge is None or self.parent.get(child) != parent:
            edge = self.edges[child] = _Edge(static)
            self.parent[child] = parent
        edge.add(time, value, self.keep)

    def clear_dynamic(self) -> None:
        """Forget the dynamic transforms, keep the static ones (as tf2 does when the clock jumps back)."""
        for child in [c for c, edge in self.edges.items() if not edge.static]:
            del self.edges[child], self.parent[child]

    def frames(self) -> set[str]:
        return set(self.parent) | set(self.parent.values())

    def chain(self, frame: str) -> list[str]:
        """``frame`` and its ancestors up to the root of its tree."""
        frame = _bare(frame)
        chain, seen = [frame], {frame}
        while chain[-1] in self.parent:
            up = self.parent[chain[-1]]
            if up in seen:  # a loop in a broken tree
                break
            chain.append(up)
            seen.add(up)
        return chain

    def root_of(self, frame: str) -> str | None:
        """The fixed frame a pose of ``frame`` is given in: the first of ROOTS on its chain, else its top."""
        chain = self.chain(frame)
        if len(chain) < 2:
            return None
        for root in self.ROOTS:
            if root in chain[1:]:
                return root
        return chain[-1]

    def covers(self, frame: str, root: str, time: float) -> bool:
        """Whether every dynamic transform from ``frame`` up to ``root`` has arrived for ``time`` (live trees:
        a look-up before then would extrapolate)."""
        chain = self.chain(frame)
        if _bare(root) not in chain:
            return False
        edges = [self.edges[child] for child in chain[: chain.index(_bare(root))]]
        return all(e.static or (e.times and max(e.times[-3:]) >= time) for e in edges)

    def lookup(self, frame: str, root: str, time: float) -> np.ndarray | None:
        """The 4 x 4 pose of ``frame`` in ``root`` at ``time``; None when the tree cannot say."""
        chain = self.chain(frame)
        root = _bare(root)
        if root not in chain:
            return None
        pose = np.eye(4)
        for child in chain[: chain.index(root)]:
            step = self.edges[child].at(time, self.tolerance)
            if step is None:
                return None
            pose = step @ pose
        return pose


def planar(pose: np.ndarray, optical: bool) -> tuple[float, float, float]:
    """(x, y, yaw) of a 4 x 4 pose; the yaw is the way the camera looks: +z for optical frames, else +x."""
    forward = pose[:3, 2] if optical else pose[:3, 0]
    yaw = math.atan2(forward[1], forward[0]) if abs(forward[0]) + abs(forward[1]) > 1e-9 else 0.0
    return float(pose[0, 3]), float(pose[1, 3]), yaw


def quaternion_yaw(qx: float, qy: float, qz: float, qw: float) -> float:
    """The heading (rotation about +z) of a quaternion, radians."""
    return math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))
