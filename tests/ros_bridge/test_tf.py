"""ros_bridge/tf.py: look-ups through a chain against plain 2-D geometry, interpolation, the span limit,
and the real tf bag read as ROS 1 and as ROS 2 giving the same transforms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ros_bridge.bag import Bag
from ros_bridge.poses import add_transforms
from ros_bridge.tf import TfTree, planar, quaternion_yaw


def q(yaw: float) -> tuple[float, float, float, float]:
    return 0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)


def chain_tree() -> TfTree:
    tree = TfTree(tolerance=0.5)
    tree.add("map", "odom", 0.0, (10.0, 5.0, 0.0, *q(math.pi / 2)), static=True)
    for t in range(11):  # base_link drives along +x of odom at 1 m/s, turning 0.1 rad/s
        tree.add("odom", "base_link", float(t), (float(t), 0.0, 0.0, *q(0.1 * t)))
    tree.add("/base_link", "/camera_link", 0.0, (0.5, 0.0, 0.3, *q(0.0)), static=True)
    return tree


def test_a_chain_composes_like_2d_geometry():
    tree = chain_tree()
    assert tree.chain("camera_link") == ["camera_link", "base_link", "odom", "map"]
    assert tree.root_of("camera_link") == "map" and tree.root_of("unknown") is None
    t = 4.5  # between two stamps: x interpolates to 4.5, yaw to 0.45
    x, y, yaw = planar(tree.lookup("camera_link", "map", t), optical=False)
    bx, by = 4.5 + 0.5 * math.cos(0.45), 0.5 * math.sin(0.45)  # the camera in odom
    assert (x, y) == pytest.approx((10.0 - by, 5.0 + bx), abs=1e-9)
    assert yaw == pytest.approx(math.pi / 2 + 0.45, abs=1e-9)
    assert tree.lookup("camera_link", "odom", t)[2, 3] == pytest.approx(0.3)


def test_look_ups_outside_the_span_or_tree_have_no_answer():
    tree = chain_tree()
    assert tree.lookup("camera_link", "map", 10.4) is not None  # within the tolerance: the last transform
    assert tree.lookup("camera_link", "map", 11.0) is None
    assert tree.lookup("camera_link", "elsewhere", 1.0) is None


def test_optical_frames_look_along_z():
    pose = np.eye(4)
    pose[:3, :3] = [[0, 0, 1], [-1, 0, 0], [0, -1, 0]]  # the usual camera_link -> optical rotation
    assert planar(pose, optical=True)[2] == pytest.approx(0.0)
    assert quaternion_yaw(*q(2.0)) == pytest.approx(2.0)


def _tree(path) -> TfTree:
    tree = TfTree()
    with Bag(path) as bag:
        for topic, _, message in bag.messages(["/tf", "/tf_static"]):
            add_transforms(tree, message, topic == "/tf_static", lambda s: s / 1e9)
    return tree


@pytest.mark.parametrize("real", ["tf_example.bag"], indirect=True)
def test_the_real_tf_bag_reads_the_same_as_ros1_and_ros2(real):
    ros2 = real.with_suffix("")  # tf_example/: the same /tf as a ROS 2 sqlite3 bag
    if not ros2.is_dir():
        pytest.skip(f"{ros2} is absent")
    one, two = _tree(real), _tree(ros2)
    assert one.parent == two.parent and len(one.parent) >= 2
    leaf = next(f for f in one.parent if f not in one.parent.values())
    root = one.chain(leaf)[-1]
    times = next(e.times for e in one.edges.values() if not e.static)  # the dynamic transform's span
    for t in np.linspace(min(times), max(times), 7):
        a, b = one.lookup(leaf, root, float(t)), two.lookup(leaf, root, float(t))
        assert a is not None and np.allclose(a, b)
