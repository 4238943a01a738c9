"""Where the camera was: a pose log per stream (robot odometry, a bag's /odom or /tf, the simulator).

Poses are stored in the memory's SQLite database (table ``poses``) on the stream's media time, so
places, "what was seen near (x, y)" and path planning can be answered from the same source of
truth as the events. A stream without poses simply has none; everything that reads them must
cope with that (visual place recognition stands in).
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from memory.schema import register_schema

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS poses (
        stream TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
        time REAL NOT NULL,                       -- media time, seconds
        x REAL NOT NULL,                          -- metres, in the stream's odometry/map frame
        y REAL NOT NULL,
        yaw REAL NOT NULL DEFAULT 0,              -- radians, counter-clockwise from +x
        frame TEXT NOT NULL DEFAULT 'odom',       -- the frame the pose is in
        PRIMARY KEY (stream, time)
    ) WITHOUT ROWID""",
]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the pose table if it is missing (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)


register_schema("poses", ensure_schema, order=20)


@dataclass(frozen=True)
class Pose:
    stream: str
    time: float
    x: float
    y: float
    yaw: float = 0.0
    frame: str = "odom"


@dataclass(frozen=True)
class PoseTrack:
    """The poses of one stream as arrays, ordered by time."""

    stream: str
    times: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    yaws: np.ndarray

    def __len__(self) -> int:
        return len(self.times)

    def at(self, t: float) -> tuple[float, float, float] | None:
        """(x, y, yaw) linearly interpolated at media time ``t``; None outside the logged span."""
        if not len(self.times) or t < self.times[0] or t > self.times[-1]:
            return None
        x = float(np.interp(t, self.times, self.xs))
        y = float(np.interp(t, self.times, self.ys))
        # unwrap so that interpolation between -pi and pi goes the short way
        yaw = float(np.interp(t, self.times, np.unwrap(self.yaws)))
        return x, y, math.atan2(math.sin(yaw), math.cos(yaw))


def add_poses(conn: sqlite3.Connection, poses: Iterable[Pose]) -> int:
    """Insert or replace poses (inside the caller's transaction); returns how many were given."""
    rows = []
    for p in poses:
        values = (float(p.time), float(p.x), float(p.y), float(p.yaw))
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"pose of stream {p.stream!r} at {p.time!r}: values must be finite, got {values}")
        rows.append((p.stream, *values, p.frame))
    conn.executemany("INSERT OR REPLACE INTO poses(stream, time, x, y, yaw, frame) VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def pose_track(conn: sqlite3.Connection, stream: str, start: float | None = None,
               end: float | None = None) -> PoseTrack:
    """The stream's poses in [start, end] (all when not given), ordered by time."""
    where, params = ["stream = ?"], [stream]
    if start is not None:
        where.append("time >= ?")
        params.append(float(start))
    if end is not None:
        where.append("time <= ?")
        params.append(float(end))
    rows = conn.execute(f"SELECT time, x, y, yaw FROM poses WHERE {' AND '.join(where)} ORDER BY time",
                        params).fetchall()
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    return PoseTrack(stream, data[:, 0], data[:, 1], data[:, 2], data[:, 3])


def pose_at(conn: sqlite3.Connection, stream: str, t: float, within: float = 2.0) -> Pose | None:
    """The stream's pose at media time ``t``: interpolated between logged poses, else the nearest one
    within ``within`` seconds; None when the stream has no pose near ``t``."""
    rows = conn.execute("SELECT time, x, y, yaw, frame FROM poses WHERE stream = ? AND time >= ? AND time <= ? "
                        "ORDER BY time", (stream, float(t) - within, float(t) + within)).fetchall()
    if not rows:
        return None
    frame = rows[0][4]
    track = PoseTrack(stream, *np.asarray([r[:4] for r in rows], dtype=np.float64).T)
    at = track.at(float(t))
    if at is None:
        nearest = min(rows, key=lambda r: abs(r[0] - t))
        return Pose(stream, float(nearest[0]), float(nearest[1]), float(nearest[2]), float(nearest[3]), nearest[4])
    return Pose(stream, float(t), *at, frame)


def pose_streams(conn: sqlite3.Connection) -> list[str]:
    """The streams that have poses."""
    return [r[0] for r in conn.execute("SELECT DISTINCT stream FROM poses ORDER BY stream")]
