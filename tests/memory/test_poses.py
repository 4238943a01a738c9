import math

import numpy as np
import pytest

from memory.poses import Pose
from memory.store import MemoryStore


def test_poses_round_trip_and_interpolate(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "file:///x.mp4")
        store.add_poses([Pose("s", t, t * 0.5, -t, math.pi - 0.1 if t < 2 else -math.pi + 0.1) for t in (0.0, 1.0, 2.0, 3.0)])
        track = store.poses("s")
        assert len(track) == 4
        np.testing.assert_allclose(track.xs, [0, 0.5, 1.0, 1.5])
        x, y, yaw = track.at(1.5)
        assert (x, y) == pytest.approx((0.75, -1.5))
        assert abs(abs(yaw) - math.pi) < 1e-9  # the short way round, not through 0
        assert track.at(3.5) is None
        assert len(store.poses("s", start=1.0, end=2.0)) == 2
        assert len(store.poses("other")) == 0


def test_poses_reject_unknown_stream_and_nan(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        with pytest.raises(Exception):
            store.add_poses([Pose("nope", 0.0, 0.0, 0.0)])
        store.add_stream("s", "file:///x.mp4")
        with pytest.raises(ValueError, match="finite"):
            store.add_poses([Pose("s", 0.0, float("nan"), 0.0)])
        assert len(store.poses("s")) == 0  # nothing half-written


def test_old_memory_gains_pose_table_on_writable_open(tmp_path):
    with MemoryStore(tmp_path / "m") as store:
        store.add_stream("s", "file:///x.mp4")
        store._conn.execute("DROP TABLE poses")
    with MemoryStore(tmp_path / "m") as store:
        store.add_poses([Pose("s", 0.0, 1.0, 2.0)])
        assert len(store.poses("s")) == 1
