"""ros_bridge: ROS in (the only package that knows ROS): bags through rosbags (ROS 1 bags, ROS 2 sqlite3
bags and MCAP, without a ROS install), a live ROS 1 node through rospy and a live ROS 2 node through rclpy where
it is importable, else over DDS (cyclonedds, messages by rosbags).

Importing it registers two sources: bag paths (``.bag``, ``.mcap``, ROS 2 bag folders) and ``rosbag://PATH?image=/cam``
URIs open as :class:`ros_bridge.source.BagSource`; ``ros1:///camera/image_raw?pose=/odom`` opens as
:class:`ros_bridge.ros1.Ros1Source`, a node's live subscriptions (rospy is imported only then), and
``ros2:///camera/image_raw`` as :class:`ros_bridge.ros2.Ros2Source`. See docs/ros.md.
"""

import ros_bridge.detections  # noqa: F401 - registers the detector "ros-topic" (a bag's detection topic)
from ros_bridge.ros1 import SCHEME as ROS1_SCHEME, Ros1Source
from ros_bridge.ros2 import SCHEME as ROS2_SCHEME, Ros2Source
from ros_bridge.source import BagSource
from ros_bridge.topics import SCHEME, is_bag
from streams.schemes import register_source

register_source(SCHEME, claims=is_bag)(BagSource)
register_source(ROS1_SCHEME)(Ros1Source)  # live ROS 1 topics (rospy is imported when one is opened)
register_source(ROS2_SCHEME)(Ros2Source)  # live ROS 2 topics (rclpy or cyclonedds is imported when one is opened)

__all__ = ["BagSource", "is_bag"]
