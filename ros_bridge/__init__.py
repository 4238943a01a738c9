"""ros_bridge: ROS bags in (the only package that knows ROS; rosbags reads ROS 1 bags, ROS 2 sqlite3
bags and MCAP without a ROS install).

Importing it registers the bag source: ``rosbag://PATH?image=/cam`` URIs and bag paths (``.bag``,
``.mcap``, ROS 2 bag folders) open as :class:`ros_bridge.source.BagSource` (see docs/ros.md).
"""

import ros_bridge.detections  # noqa: F401 - registers the detector "ros-topic" (a bag's detection topic)
from ros_bridge.source import BagSource
from ros_bridge.topics import SCHEME, is_bag
from streams.schemes import register_source

register_source(SCHEME, claims=is_bag)(BagSource)

__all__ = ["BagSource", "is_bag"]
