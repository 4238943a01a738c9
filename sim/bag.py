"""A ROS 2 bag of an episode, written with rosbags (no ROS needed): camera, odometry, tf, subtitles.

Topics: ``/camera/image/compressed`` (sensor_msgs/CompressedImage, JPEG), ``/odom`` (nav_msgs/Odometry
as drifting wheel odometry reports it, frame odom -> base_link), ``/ground_truth/odom`` (the exact pose,
map -> base_link), ``/tf`` (odom -> base_link), ``/tf_static`` (base_link -> camera_link) and
``/subtitles`` (std_msgs/String, "Name: line", for the lines the microphone heard). Time stamps are
the wall clock given to media time 0 plus media time.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

BAG_STORAGES = ("sqlite3", "mcap")
TOPICS = {
    "image": ("/camera/image/compressed", "sensor_msgs/msg/CompressedImage"),
    "odom": ("/odom", "nav_msgs/msg/Odometry"),
    "truth": ("/ground_truth/odom", "nav_msgs/msg/Odometry"),
    "tf": ("/tf", "tf2_msgs/msg/TFMessage"),
    "tf_static": ("/tf_static", "tf2_msgs/msg/TFMessage"),
    "subtitles": ("/subtitles", "std_msgs/msg/String"),
}


class BagWriter:
    """Writes one episode's messages; a context manager that closes the bag."""

    def __init__(self, path: str | Path, wall_clock: float, camera_height: float, storage: str = "sqlite3",
                 jpeg_quality: int = 85) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore

        if storage not in BAG_STORAGES:
            raise ValueError(f"bag storage {storage!r}: expected one of {BAG_STORAGES}")
        self.path = Path(path)
        self.typestore = get_typestore(Stores.ROS2_HUMBLE)
        plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
        self.writer = Writer(self.path, version=9, storage_plugin=plugin)
        self.writer.open()
        self.connections = {key: self.writer.add_connection(topic, msgtype, typestore=self.typestore)
                            for key, (topic, msgtype) in TOPICS.items()}
        self.wall_clock, self.quality = wall_clock, int(jpeg_quality)
        self.camera_height = camera_height
        self._static_written = False

    def __enter__(self) -> "BagWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # ------------------------------------------------------------------------------------ messages

    def image(self, t: float, rgb: np.ndarray) -> None:
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise RuntimeError("OpenCV could not encode a frame as JPEG")
        T = self.typestore.types
        msg = T["sensor_msgs/msg/CompressedImage"](header=self._header(t, "camera_link"), format="jpeg",
                                                   data=np.frombuffer(jpeg.tobytes(), np.uint8))
        self._write("image", t, msg)

    def pose(self, t: float, odom: tuple[float, float, float], true: tuple[float, float, float],
             velocity: tuple[float, float]) -> None:
        """Odometry (drifting) and ground truth at t, and the odom -> base_link transform."""
        if not self._static_written:
            self._static(t)
        self._write("odom", t, self._odometry(t, "odom", odom, velocity))
        self._write("truth", t, self._odometry(t, "map", true, velocity))
        T = self.typestore.types
        tf = T["geometry_msgs/msg/TransformStamped"](header=self._header(t, "odom"), child_frame_id="base_link",
                                                     transform=self._transform(odom[0], odom[1], 0.0, odom[2]))
        self._write("tf", t, T["tf2_msgs/msg/TFMessage"](transforms=[tf]))

    def subtitle(self, t: float, text: str) -> None:
        self._write("subtitles", t, self.typestore.types["std_msgs/msg/String"](data=text))

    def _static(self, t: float) -> None:
        T = self.typestore.types
        tf = T["geometry_msgs/msg/TransformStamped"](header=self._header(t, "base_link"), child_frame_id="camera_link",
                                                     transform=self._transform(0.0, 0.0, self.camera_height, 0.0))
        self._write("tf_static", t, T["tf2_msgs/msg/TFMessage"](transforms=[tf]))
        self._static_written = True

    def _odometry(self, t, frame: str, pose, velocity):
        T = self.typestore.types
        x, y, yaw = pose
        v, w = velocity
        geometry = "geometry_msgs/msg/"
        point = T[geometry + "Point"](x=float(x), y=float(y), z=0.0)
        pose_msg = T[geometry + "Pose"](position=point, orientation=self._quaternion(yaw))
        twist = T[geometry + "Twist"](linear=T[geometry + "Vector3"](x=float(v), y=0.0, z=0.0),
                                      angular=T[geometry + "Vector3"](x=0.0, y=0.0, z=float(w)))
        return T["nav_msgs/msg/Odometry"](
            header=self._header(t, frame), child_frame_id="base_link",
            pose=T[geometry + "PoseWithCovariance"](pose=pose_msg, covariance=np.zeros(36)),
            twist=T[geometry + "TwistWithCovariance"](twist=twist, covariance=np.zeros(36)))

    def _transform(self, x: float, y: float, z: float, yaw: float):
        T = self.typestore.types
        return T["geometry_msgs/msg/Transform"](translation=T["geometry_msgs/msg/Vector3"](x=float(x), y=float(y), z=float(z)),
                                                rotation=self._quaternion(yaw))

    def _quaternion(self, yaw: float):
        return self.typestore.types["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2))

    def _header(self, t: float, frame: str):
        T = self.typestore.types
        ns = self._nanoseconds(t)
        return T["std_msgs/msg/Header"](stamp=T["builtin_interfaces/msg/Time"](sec=ns // 1_000_000_000,
                                                                                nanosec=ns % 1_000_000_000),
                                        frame_id=frame)

    def _nanoseconds(self, t: float) -> int:
        return int(round(self.wall_clock * 1e9)) + int(round(t * 1e9))

    def _write(self, key: str, t: float, msg) -> None:
        data = self.typestore.serialize_cdr(msg, TOPICS[key][1])
        self.writer.write(self.connections[key], self._nanoseconds(t), data)
