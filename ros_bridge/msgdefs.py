"""Message definitions mnemo reads that rosbags' type stores lack: vision_msgs (ROS 2 Humble's spelling)
and audio_common_msgs, in ROS's ``.msg`` text. Bags carry their own definitions; the live ROS 2 node
(cyclonedds, no ROS install) needs these to (de)serialise what a robot sends."""

from __future__ import annotations

VISION_ROS2 = {
    "vision_msgs/msg/Point2D": "float64 x\nfloat64 y",
    "vision_msgs/msg/Pose2D": "vision_msgs/Point2D position\nfloat64 theta",
    "vision_msgs/msg/BoundingBox2D": "vision_msgs/Pose2D center\nfloat64 size_x\nfloat64 size_y",
    "vision_msgs/msg/BoundingBox3D": "geometry_msgs/Pose center\ngeometry_msgs/Vector3 size",
    "vision_msgs/msg/ObjectHypothesis": "string class_id\nfloat64 score",
    "vision_msgs/msg/ObjectHypothesisWithPose": "vision_msgs/ObjectHypothesis hypothesis\n"
                                                "geometry_msgs/PoseWithCovariance pose",
    "vision_msgs/msg/Detection2D": "std_msgs/Header header\nvision_msgs/ObjectHypothesisWithPose[] results\n"
                                   "vision_msgs/BoundingBox2D bbox\nstring id",
    "vision_msgs/msg/Detection2DArray": "std_msgs/Header header\nvision_msgs/Detection2D[] detections",
    "vision_msgs/msg/Detection3D": "std_msgs/Header header\nvision_msgs/ObjectHypothesisWithPose[] results\n"
                                   "vision_msgs/BoundingBox3D bbox\nstring id",
    "vision_msgs/msg/Detection3DArray": "std_msgs/Header header\nvision_msgs/Detection3D[] detections",
}

VISION_ROS1 = {  # vision_msgs as ROS 1 (Noetic) defines them: integer class ids, a geometry_msgs/Pose2D centre
    "vision_msgs/msg/BoundingBox2D": "geometry_msgs/Pose2D center\nfloat64 size_x\nfloat64 size_y",
    "vision_msgs/msg/BoundingBox3D": "geometry_msgs/Pose center\ngeometry_msgs/Vector3 size",
    "vision_msgs/msg/ObjectHypothesisWithPose": "int64 id\nfloat64 score\ngeometry_msgs/PoseWithCovariance pose",
    "vision_msgs/msg/Detection2D": "std_msgs/Header header\nvision_msgs/ObjectHypothesisWithPose[] results\n"
                                   "vision_msgs/BoundingBox2D bbox\nsensor_msgs/Image source_img",
    "vision_msgs/msg/Detection2DArray": "std_msgs/Header header\nvision_msgs/Detection2D[] detections",
    "vision_msgs/msg/Detection3D": "std_msgs/Header header\nvision_msgs/ObjectHypothesisWithPose[] results\n"
                                   "vision_msgs/BoundingBox3D bbox\nsensor_msgs/PointCloud2 source_cloud",
    "vision_msgs/msg/Detection3DArray": "std_msgs/Header header\nvision_msgs/Detection3D[] detections",
}

AUDIO = {  # ROS 1 and ROS 2 spell them alike
    "audio_common_msgs/msg/AudioData": "uint8[] data",
    "audio_common_msgs/msg/AudioDataStamped": "std_msgs/Header header\naudio_common_msgs/AudioData audio",
    "audio_common_msgs/msg/AudioInfo": "uint8 channels\nuint32 sample_rate\nstring sample_format\n"
                                       "uint32 bitrate\nstring coding_format",
}


def _with(store, definitions: dict[str, str]):
    from rosbags.typesys import get_types_from_msg

    types = {}
    for name, text in definitions.items():
        types.update(get_types_from_msg(text, name))
    store.register(types)
    return store


def ros2_typestore():
    """rosbags' ROS 2 Humble type store with vision_msgs and audio_common_msgs added."""
    from rosbags.typesys import Stores, get_typestore

    return _with(get_typestore(Stores.ROS2_HUMBLE), {**VISION_ROS2, **AUDIO})


def ros1_typestore():
    """rosbags' ROS 1 Noetic type store with vision_msgs and audio_common_msgs added (for messages that a
    ROS 1 install has no Python classes for: rospy hands their bytes over, rosbags decodes them)."""
    from rosbags.typesys import Stores, get_typestore

    return _with(get_typestore(Stores.ROS1_NOETIC), {**VISION_ROS1, **AUDIO})
