"""The camera's views as negative evidence (planners/coverage.py), checked against a brute-force count of the
views by hand, and the search that follows from it (planners/goals.py ``frontier_candidates``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memory.perceived import Area, Sighting, add_sightings, set_areas
from memory.poses import Pose
from memory.store import MemoryStore
from planners.coverage import HALF_VIEW, SEE_M, SEE_P, coverage_misses, miss_probability, pose_samples
from planners.goals import RECENCY_S, frontier_candidates

ROOMS = [Area("kitchen", 0.0, 0.0, 4.0, 4.0), Area("hall", 4.0, 0.0, 8.0, 4.0)]


def _brute(samples, point, now):
    """The module's rule written out view by view."""
    miss = 1.0
    for t, x, y, yaw in samples:
        same_room = (x < 4.0) == (point[0] < 4.0)
        d = math.hypot(point[0] - x, point[1] - y)
        off = abs(math.remainder(math.atan2(point[1] - y, point[0] - x) - yaw, 2 * math.pi))
        if same_room and d <= SEE_M and off <= HALF_VIEW:
            miss *= 1.0 - SEE_P * math.exp(-max(now - t, 0.0) / RECENCY_S)
    return miss


def test_misses_match_a_count_of_the_views_by_hand():
    rng = np.random.default_rng(3)
    samples = np.stack([np.arange(12.0), rng.uniform(0.2, 7.8, 12), rng.uniform(0.2, 3.8, 12),
                        rng.uniform(-math.pi, math.pi, 12)], axis=1)
    points = [tuple(p) for p in rng.uniform((0.2, 0.2), (7.8, 3.8), size=(40, 2))]
    got = miss_probability(samples, ROOMS, points, now=400.0, recency_s=RECENCY_S)
    want = [_brute(samples, p, 400.0) for p in points]
    assert got == pytest.approx(want)
    assert min(got) < 1.0 and max(got) == 1.0  # some points viewed, some never


def test_a_point_behind_a_wall_or_behind_the_camera_is_not_viewed():
    facing_east = np.array([[0.0, 3.5, 2.0, 0.0]])
    assert miss_probability(facing_east, ROOMS, [(4.5, 2.0)], 0.0, RECENCY_S) == [1.0]  # next room, 1 m ahead
    assert miss_probability(facing_east, ROOMS, [(2.5, 2.0)], 0.0, RECENCY_S) == [1.0]  # behind it
    assert miss_probability(facing_east, ROOMS, [(3.9, 2.1)], 0.0, RECENCY_S) == [pytest.approx(1 - SEE_P)]
    old = miss_probability(facing_east, ROOMS, [(3.9, 2.1)], RECENCY_S, RECENCY_S)[0]
    assert old == pytest.approx(1 - SEE_P / math.e)  # an old view says less: the thing may have come since


def test_pose_samples_keep_one_pose_per_stream_and_second(tmp_path):
    store = MemoryStore(tmp_path / "m", create=True)
    for stream in ("a", "b"):
        store.add_stream(stream, stream)
        store.add_poses([Pose(stream, t / 4, 1.0, 1.0, 0.0) for t in range(12)])  # 4 Hz for 3 s
    samples = pose_samples(store)
    assert samples.shape == (6, 4) and list(samples[:, 0]) == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    store.close()


def test_the_search_goes_first_where_the_camera_has_not_looked(tmp_path):
    """Two tables of equal habit: the camera looked at one for 20 s from 1.5 m, never at the other; a thing
    memory never stored is more likely on the one it did not look at, and its room gains the belief."""
    store = MemoryStore(tmp_path / "m", create=True)
    store.add_stream("cam", "cam")
    set_areas(store, ROOMS)
    add_sightings(store, [Sighting("cam", 1.0, 1, "furniture", "table", 0.9, 2.0, 2.0),
                          Sighting("cam", 1.0, 2, "furniture", "table", 0.9, 6.0, 2.0)])
    store.add_poses([Pose("cam", float(t), 0.5, 2.0, 0.0) for t in range(20)])  # kitchen, facing its table
    blind = frontier_candidates(store, 0.0, set(), spots=True)
    assert [round(c.confidence, 6) for c in blind] == [0.5, 0.5]
    goals = {c.room: c for c in frontier_candidates(store, 0.0, set(), spots=True, now=320.0)}
    miss = coverage_misses(store, [(2.0, 2.0)], 320.0, RECENCY_S)[0]
    assert miss == pytest.approx(np.prod([1 - SEE_P * math.exp(-(320.0 - t) / RECENCY_S) for t in range(20)]))
    assert goals["kitchen"].confidence == pytest.approx(miss / (1 + miss))
    assert goals["hall"].confidence == pytest.approx(1 / (1 + miss)) and goals["hall"].confidence > 0.8
    store.close()
