"""ros_bridge: ROS bags in (the only package that knows ROS; rosbags reads ROS 1 bags, ROS 2 sqlite3
bags and MCAP without a ROS install).

Importing it registers the bag source and the live ROS 1 source (``ros1:///camera/image_raw``: a node's
subscriptions, ros_bridge/ros1.py; rospy is imported only when one is opened). It registers the bag source: ``rosbag://PATH?image=/cam`` URIs and bag paths (``.bag``,
``.mcap``, ROS 2 bag folders) open as :class:`ros_bridge.source.BagSource` (see docs/ros.md).
"""

import ros_bridge.detections  # noqa: F401 - registers the detector "ros-topic" (a bag's detection topic)
from ros_bridge.ros1 import SCHEME as ROS1_SCHEME, Ros1Source
from ros_bridge.source import BagSource
from ros_bridge.topics import SCHEME, is_bag
from streams.schemes import register_source

register_source(SCHEME, claims=is_bag)(BagSource)
register_source(ROS1_SCHEME)(Ros1Source)  # live ROS 1 topics (rospy is imported when one is opened)

__all__ = ["BagSource", "is_bag"]
