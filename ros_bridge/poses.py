"""Planar poses from ROS messages: ``nav_msgs/Odometry``, ``geometry_msgs/PoseStamped`` and
``PoseWithCovarianceStamped`` to (x, y, yaw, frame), and the tf tree filled from ``TFMessage``s."""

from __future__ import annotations

from typing import Callable

from ros_bridge.stamps import stamp_ns
from ros_bridge.tf import TfTree, quaternion_yaw


def message_pose(message) -> tuple[float, float, float, str]:
    """(x, y, yaw, frame) of a pose message; the frame is its header's (``odom``, ``map``, ...)."""
    pose = message.pose
    if hasattr(pose, "pose"):  # Odometry and PoseWithCovarianceStamped wrap a Pose with its covariance
        pose = pose.pose
    p, q = pose.position, pose.orientation
    frame = (message.header.frame_id or "odom").lstrip("/")
    return float(p.x), float(p.y), quaternion_yaw(q.x, q.y, q.z, q.w), frame


def add_transforms(tree: TfTree, message, static: bool, clock: "Callable[[int], float]") -> None:
    """Every transform of a TFMessage into ``tree``; ``clock`` maps a header stamp (ns) to tree time (s)."""
    for transform in message.transforms:
        stamp = stamp_ns(transform.header.stamp)
        t, r = transform.transform.translation, transform.transform.rotation
        tree.add(transform.header.frame_id, transform.child_frame_id, clock(stamp),
                 (t.x, t.y, t.z, r.x, r.y, r.z, r.w), static=static)
