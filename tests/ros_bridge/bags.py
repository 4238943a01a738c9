"""Bags the ROS bridge tests write with rosbags' own writers (ROS 1, ROS 2 sqlite3, MCAP), and the
poses they hold, computed here with plain 2-D geometry as the oracle.

The robot drives along +x of its odometry frame at ``SPEED`` m/s; ``map -> odom`` is a fixed
transform (``MAP_ODOM``: a shift and a quarter turn); the camera sits ``CAMERA_AHEAD`` m ahead of
``base_link``. The camera shows ``SCENES`` (a different pattern every few seconds) so that events are
cut; header stamps run ``STAMP_LAG`` s behind the record times (media time comes from the stamps).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

SPEED = 0.5  # m/s along +x of odom
MAP_ODOM = (10.0, 5.0, math.pi / 2)  # x, y, yaw of odom in map
CAMERA_AHEAD = 0.2  # metres ahead of base_link
START = 1_700_000_000.0  # header stamp of the first message, UNIX seconds (media time 0)
START_NS = 1_700_000_000 * 10**9
STAMP_LAG = 0.05  # record time minus header stamp
SCENES = ((200, 40, 40), (40, 160, 60), (40, 60, 200))  # RGB of each scene's background
SCENE_SECONDS = 4.0


def camera_in_map(t: float) -> tuple[float, float, float]:
    """The oracle: the camera's (x, y, yaw) in the map at media time t."""
    ox, oy, oyaw = MAP_ODOM
    bx, by = SPEED * t + CAMERA_AHEAD, 0.0  # the camera in odom (base_link faces +x)
    return (ox + math.cos(oyaw) * bx - math.sin(oyaw) * by, oy + math.sin(oyaw) * bx + math.cos(oyaw) * by, oyaw)


def scene_image(t: float, width: int, height: int) -> np.ndarray:
    """RGB uint8 pixels at media time t: the scene's colour with a bright square moving across."""
    scene = min(int(t // SCENE_SECONDS), len(SCENES) - 1)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = SCENES[scene]
    yy, xx = np.mgrid[0:height, 0:width]
    image[..., 1] = np.clip(image[..., 1] + (xx * 60 // width) + (yy * 40 // height), 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = square_box(t, width, height)
    image[y0:y1, x0:x1] = (250, 250, 250) if scene != 1 else (10, 10, 10)
    x0, y0, x1, y1 = mug_box(width, height)
    image[y0:y1, x0:x1] = MUG_RGB
    return image


class BagWriter:
    """One bag of any storage, with helpers building messages of its typestore."""

    def __init__(self, path: Path, storage: str = "ros1"):
        from rosbags.typesys import Stores, get_typestore

        self.path, self.storage = Path(path), storage
        if storage == "ros1":
            from rosbags.rosbag1 import Writer

            from rosbags.typesys import get_types_from_msg

            self.ts = get_typestore(Stores.ROS1_NOETIC)  # has no tf2_msgs: its one message, as ROS 1 defines it
            self.ts.register(get_types_from_msg("geometry_msgs/TransformStamped[] transforms", "tf2_msgs/msg/TFMessage"))
            self.writer = Writer(self.path)
        else:
            from rosbags.rosbag2 import StoragePlugin, Writer

            self.ts = get_typestore(Stores.ROS2_HUMBLE)
            plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
            self.writer = Writer(self.path, version=9, storage_plugin=plugin)
        self.writer.open()
        self.connections: dict[str, object] = {}
        self.T = self.ts.types

    def close(self) -> None:
        self.writer.close()

    def __enter__(self) -> "BagWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, topic: str, msgtype: str, message, record: float) -> None:
        """Write ``message`` at ``record`` (media seconds: after START) in the bag's record clock."""
        if topic not in self.connections:
            latched = {"latching": 1} if self.storage == "ros1" and topic == "/tf_static" else {}  # as rosbag record
            self.connections[topic] = self.writer.add_connection(topic, msgtype, typestore=self.ts, **latched)
        data = self.ts.serialize_ros1(message, msgtype) if self.storage == "ros1" else \
            self.ts.serialize_cdr(message, msgtype)
        self.writer.write(self.connections[topic], START_NS + int(round(record * 1e9)), bytes(data))

    # -- messages ------------------------------------------------------------------------------

    def header(self, stamp: float, frame: str):
        """A header stamped ``stamp`` media seconds after START (exact to the nanosecond)."""
        ns = START_NS + int(round(stamp * 1e9))
        time = self.T["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)
        if self.storage == "ros1":
            return self.T["std_msgs/msg/Header"](seq=0, stamp=time, frame_id=frame)
        return self.T["std_msgs/msg/Header"](stamp=time, frame_id=frame)

    def image(self, stamp: float, frame: str, encoding: str, height: int, width: int, step: int, data: bytes):
        return self.T["sensor_msgs/msg/Image"](header=self.header(stamp, frame), height=height, width=width,
                                               encoding=encoding, is_bigendian=0, step=step,
                                               data=np.frombuffer(data, np.uint8))

    def compressed(self, stamp: float, frame: str, rgb: np.ndarray):
        import cv2

        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
        return self.T["sensor_msgs/msg/CompressedImage"](header=self.header(stamp, frame), format="jpeg",
                                                         data=np.frombuffer(jpeg.tobytes(), np.uint8))

    def pose(self, x: float, y: float, yaw: float):
        P = self.T
        return P["geometry_msgs/msg/Pose"](
            position=P["geometry_msgs/msg/Point"](x=x, y=y, z=0.0),
            orientation=P["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2)))

    def odometry(self, stamp: float, x: float, y: float, yaw: float):
        P = self.T
        cov = np.zeros(36, np.float64)
        zero = P["geometry_msgs/msg/Vector3"](x=0.0, y=0.0, z=0.0)
        return P["nav_msgs/msg/Odometry"](
            header=self.header(stamp, "odom"), child_frame_id="base_link",
            pose=P["geometry_msgs/msg/PoseWithCovariance"](pose=self.pose(x, y, yaw), covariance=cov),
            twist=P["geometry_msgs/msg/TwistWithCovariance"](twist=P["geometry_msgs/msg/Twist"](linear=zero, angular=zero),
                                                             covariance=cov))

    def tf(self, stamp: float, parent: str, child: str, x: float, y: float, yaw: float, z: float = 0.0):
        P = self.T
        transform = P["geometry_msgs/msg/TransformStamped"](
            header=self.header(stamp, parent), child_frame_id=child,
            transform=P["geometry_msgs/msg/Transform"](
                translation=P["geometry_msgs/msg/Vector3"](x=x, y=y, z=z),
                rotation=P["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2))))
        return P["tf2_msgs/msg/TFMessage"](transforms=[transform])

    def string(self, text: str):
        return self.T["std_msgs/msg/String"](data=text)


from ros_bridge.msgdefs import VISION_ROS1, VISION_ROS2  # noqa: E402 - vision_msgs as ROS 1 and ROS 2 spell them


AUDIO_MSGS = {  # audio_common_msgs (ROS 1 and ROS 2 spell them alike)
    "audio_common_msgs/msg/AudioData": "uint8[] data",
    "audio_common_msgs/msg/AudioDataStamped": "std_msgs/Header header\naudio_common_msgs/AudioData audio",
    "audio_common_msgs/msg/AudioInfo": "uint8 channels\nuint32 sample_rate\nstring sample_format\n"
                                       "uint32 bitrate\nstring coding_format",
}
AUDIO_RATE, TONE_HZ, TONE = 44100, 440.0, (2.0, 4.0)  # the microphone: 44.1 kHz stereo; a 440 Hz tone from 2 s to 4 s


def tone(t0: float, n: int) -> np.ndarray:
    """(n, 2) int16 stereo samples from media time t0: the tone within TONE, silence elsewhere."""
    t = t0 + np.arange(n) / AUDIO_RATE
    wave = np.where((t >= TONE[0]) & (t < TONE[1]), 0.5 * np.sin(2 * np.pi * TONE_HZ * t), 0.0)
    return np.repeat((wave * 32767).astype("<i2")[:, None], 2, axis=1)


def mp3_bytes(seconds: float) -> bytes:
    """The microphone's ``seconds`` of ``tone`` as an MP3 stream (as audio_capture publishes it), via PyAV."""
    import io

    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp3", options={"id3v2_version": "0", "write_xing": "0"}) as container:
        stream = container.add_stream("libmp3lame", rate=AUDIO_RATE, layout="stereo")
        samples = tone(0.0, int(seconds * AUDIO_RATE))
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def register_types(bag: "BagWriter", definitions: dict[str, str]) -> None:
    from rosbags.typesys import get_types_from_msg

    types = {}
    for name, text in definitions.items():
        types.update(get_types_from_msg(text, name))
    bag.ts.register(types)
    bag.T = bag.ts.types


def register_vision(bag: "BagWriter") -> None:
    """Add vision_msgs (not in rosbags' stores) to a writer's typestore, as its ROS version spells them."""
    register_types(bag, VISION_ROS1 if bag.storage == "ros1" else VISION_ROS2)


def detection_array(bag: "BagWriter", stamp: float, frame: str, boxes) -> object:
    """A Detection2DArray of (x0, y0, x1, y1, label, score) boxes in the camera image's pixels."""
    T, ros1 = bag.T, bag.storage == "ros1"
    cov = np.zeros(36)
    pose = T["geometry_msgs/msg/PoseWithCovariance"](pose=bag.pose(0.0, 0.0, 0.0), covariance=cov)
    detections = []
    for x0, y0, x1, y1, label, score in boxes:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if ros1:
            center = T["geometry_msgs/msg/Pose2D"](x=cx, y=cy, theta=0.0)
            result = T["vision_msgs/msg/ObjectHypothesisWithPose"](id=int(label), score=score, pose=pose)
            extra = {"source_img": bag.image(stamp, frame, "mono8", 0, 0, 0, b"")}
        else:
            center = T["vision_msgs/msg/Pose2D"](position=T["vision_msgs/msg/Point2D"](x=cx, y=cy), theta=0.0)
            result = T["vision_msgs/msg/ObjectHypothesisWithPose"](
                hypothesis=T["vision_msgs/msg/ObjectHypothesis"](class_id=label, score=score), pose=pose)
            extra = {"id": ""}
        detections.append(T["vision_msgs/msg/Detection2D"](
            header=bag.header(stamp, frame), results=[result],
            bbox=T["vision_msgs/msg/BoundingBox2D"](center=center, size_x=x1 - x0, size_y=y1 - y0), **extra))
    return T["vision_msgs/msg/Detection2DArray"](header=bag.header(stamp, frame), detections=detections)


CUBE, CUBE_AHEAD = 0.4, 2.0  # a 3-D detection: a cube of this side, this far straight ahead of the camera
INTRINSICS = (100.0, 100.0, 80.0, 60.0)  # fx, fy, cx, cy of the 160x120 camera


def cube_box() -> tuple[float, float, float, float]:
    """The oracle: the cube's image box (its near face, CUBE_AHEAD - CUBE/2 ahead, bounds it)."""
    fx, fy, cx, cy = INTRINSICS
    half_x, half_y = fx * CUBE / 2 / (CUBE_AHEAD - CUBE / 2), fy * CUBE / 2 / (CUBE_AHEAD - CUBE / 2)
    return cx - half_x, cy - half_y, cx + half_x, cy + half_y


def cube_in_map(t: float) -> tuple[float, float]:
    """The oracle: the cube's centre in the map at media time t."""
    x, y, yaw = camera_in_map(t)
    return x + CUBE_AHEAD * math.cos(yaw), y + CUBE_AHEAD * math.sin(yaw)


def camera_info(bag: "BagWriter", stamp: float, width: int, height: int):
    fx, fy, cx, cy = INTRINSICS
    k = np.array([fx, 0, cx, 0, fy, cy, 0, 0, 1], np.float64)
    r = np.eye(3).reshape(-1)
    p = np.array([fx, 0, cx, 0, 0, fy, cy, 0, 0, 0, 1, 0], np.float64)
    roi = bag.T["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    names = ("D", "K", "R", "P") if bag.storage == "ros1" else ("d", "k", "r", "p")
    fields = dict(zip(names, (np.zeros(5), k, r, p)))
    return bag.T["sensor_msgs/msg/CameraInfo"](header=bag.header(stamp, "camera_link"), height=height, width=width,
                                               distortion_model="plumb_bob", binning_x=0, binning_y=0, roi=roi,
                                               **fields)


def detection3d_array(bag: "BagWriter", stamp: float, frame: str, label: str, center, side: float):
    """A Detection3DArray of one cube of ``side`` m at ``center`` (x, y, z in ``frame``), score 0.8."""
    T, ros1 = bag.T, bag.storage == "ros1"
    cov = np.zeros(36)
    pose = T["geometry_msgs/msg/PoseWithCovariance"](pose=bag.pose(0.0, 0.0, 0.0), covariance=cov)
    if ros1:
        result = T["vision_msgs/msg/ObjectHypothesisWithPose"](id=int(label), score=0.8, pose=pose)
        extra = {"source_cloud": T["sensor_msgs/msg/PointCloud2"](
            header=bag.header(stamp, frame), height=0, width=0, fields=[], is_bigendian=False, point_step=0,
            row_step=0, data=np.zeros(0, np.uint8), is_dense=True)}
    else:
        result = T["vision_msgs/msg/ObjectHypothesisWithPose"](
            hypothesis=T["vision_msgs/msg/ObjectHypothesis"](class_id=label, score=0.8), pose=pose)
        extra = {"id": ""}
    centre = bag.pose(0.0, 0.0, 0.0)
    centre.position.x, centre.position.y, centre.position.z = (float(v) for v in center)
    box = T["vision_msgs/msg/BoundingBox3D"](center=centre, size=T["geometry_msgs/msg/Vector3"](x=side, y=side, z=side))
    detection = T["vision_msgs/msg/Detection3D"](header=bag.header(stamp, frame), results=[result], bbox=box, **extra)
    return T["vision_msgs/msg/Detection3DArray"](header=bag.header(stamp, frame), detections=[detection])


MUG_RGB = (200, 30, 30)  # a red thing standing still in the view: what the detection topic reports


def mug_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The red mug's box in the camera image: x0, y0, x1, y1 in pixels."""
    return width - width // 4, height - height // 3, width - width // 10, height - height // 10


def square_box(t: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The bright square of ``scene_image`` at media time t: x0, y0, x1, y1 in pixels."""
    side = height // 4
    x0 = int((t % SCENE_SECONDS) / SCENE_SECONDS * (width - side))
    return x0, height // 3, x0 + side, height // 3 + side


def rgb_bytes(rgb: np.ndarray, encoding: str) -> tuple[bytes, int]:
    """(data, step) of an RGB image in a raw encoding (rgb8, bgr8, rgba8, bgra8, mono8, mono16)."""
    if encoding == "rgb8":
        out = rgb
    elif encoding == "bgr8":
        out = rgb[..., ::-1]
    elif encoding == "rgba8":
        out = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    elif encoding == "bgra8":
        out = np.dstack([rgb[..., ::-1], np.full(rgb.shape[:2], 255, np.uint8)])
    elif encoding == "mono8":
        out = rgb.mean(axis=2).astype(np.uint8)
    elif encoding == "mono16":
        out = (rgb.mean(axis=2).astype(np.uint16) * 257).astype("<u2")
    else:
        raise ValueError(encoding)
    out = np.ascontiguousarray(out)
    return out.tobytes(), out.strides[0]


def write_robot_bag(path: Path, storage: str = "ros1", seconds: float = 12.0, rate: float = 5.0,
                    width: int = 160, height: int = 120, encoding: str = "rgb8", cameras: tuple[str, ...] = ("/camera/image",),
                    texts: tuple[tuple[float, str], ...] = ((5.0, "the red mug is on the table"),),
                    odometry: bool = True, tf: bool = True, detections: str | None = None,
                    audio: str | None = None, detections3d: str | None = None) -> Path:
    """A robot's bag: cameras (raw ``encoding`` or ``"jpeg"``), /odom, /tf (odom -> base_link and
    map -> odom), /tf_static (base_link -> camera_link), /speech (std_msgs/String), and with
    ``detections`` (a label) /detections: a Detection2DArray boxing the red mug, score 0.9; with
    ``audio`` ("stamped", "plain" or "mp3") /audio/audio (AudioData(Stamped), 0.1 s of ``tone`` each;
    "mp3": the MP3 stream cut in equal pieces) and /audio/audio_info (AudioInfo: 2 channels, 44.1 kHz,
    S16LE, wave or mp3); with ``detections3d`` (a label) /detections3d: a Detection3DArray of a cube
    (``CUBE``) ``CUBE_AHEAD`` m straight ahead of camera_link, and /camera/camera_info (``INTRINSICS``)."""
    with BagWriter(path, storage) as bag:
        if detections3d:
            register_vision(bag)
        if audio:
            register_types(bag, AUDIO_MSGS)
            info = bag.T["audio_common_msgs/msg/AudioInfo"](channels=2, sample_rate=AUDIO_RATE, sample_format="S16LE",
                                                             bitrate=0, coding_format="mp3" if audio == "mp3" else "wave")
            mp3 = mp3_bytes(seconds) if audio == "mp3" else b""
            piece = len(mp3) // int(seconds * 10) + 1
            bag.write("/audio/audio_info", "audio_common_msgs/msg/AudioInfo", info, 0.0)
        if detections:
            register_vision(bag)
        if tf:
            bag.write("/tf_static", "tf2_msgs/msg/TFMessage",
                      bag.tf(0.0, "base_link", "camera_link", CAMERA_AHEAD, 0.0, 0.0, z=0.3), STAMP_LAG)
        texts = list(texts)
        for tick in range(int(seconds * rate)):
            t = tick / rate
            stamp, record = t, t + STAMP_LAG
            if odometry:
                bag.write("/odom", "nav_msgs/msg/Odometry", bag.odometry(stamp, SPEED * t, 0.0, 0.0), record)
            if tf:
                bag.write("/tf", "tf2_msgs/msg/TFMessage", bag.tf(stamp, "odom", "base_link", SPEED * t, 0.0, 0.0), record)
                bag.write("/tf", "tf2_msgs/msg/TFMessage", bag.tf(stamp, "map", "odom", *MAP_ODOM), record)
            rgb = scene_image(t, width, height)
            for n, topic in enumerate(cameras):
                pixels = rgb if n == 0 else np.ascontiguousarray(rgb[:, ::-1])
                if encoding == "jpeg":
                    message = bag.compressed(stamp, "camera_link", pixels)
                    bag.write(topic + "/compressed" if not topic.endswith("compressed") else topic,
                              "sensor_msgs/msg/CompressedImage", message, record)
                else:
                    data, step = rgb_bytes(pixels, encoding)
                    bag.write(topic, "sensor_msgs/msg/Image",
                              bag.image(stamp, "camera_link", encoding, height, width, step, data), record)
            if audio:
                for k in range(round(10 / rate)):  # 0.1 s messages
                    t0 = t + k / 10
                    payload = tone(t0, AUDIO_RATE // 10).tobytes() if audio != "mp3" else \
                        mp3[round(t0 * 10) * piece: (round(t0 * 10) + 1) * piece]
                    data = bag.T["audio_common_msgs/msg/AudioData"](data=np.frombuffer(payload, np.uint8))
                    if audio == "stamped":
                        bag.write("/audio/audio", "audio_common_msgs/msg/AudioDataStamped",
                                  bag.T["audio_common_msgs/msg/AudioDataStamped"](header=bag.header(t0, "mic"), audio=data),
                                  t0 + 0.1 + STAMP_LAG)
                    else:  # recorded when captured: its record time is the audio's end
                        bag.write("/audio/audio", "audio_common_msgs/msg/AudioData", data, t0 + 0.1 + STAMP_LAG)
            if detections3d:
                bag.write("/camera/camera_info", "sensor_msgs/msg/CameraInfo", camera_info(bag, stamp, width, height),
                          record)
                bag.write("/detections3d", "vision_msgs/msg/Detection3DArray",
                          detection3d_array(bag, stamp, "camera_link", detections3d, (CUBE_AHEAD, 0.0, 0.0), CUBE), record)
            if detections:
                box = (*mug_box(width, height), detections, 0.9)
                bag.write("/detections", "vision_msgs/msg/Detection2DArray",
                          detection_array(bag, stamp, "camera_link", [box]), record)
            while texts and texts[0][0] <= t:
                bag.write("/speech", "std_msgs/msg/String", bag.string(texts.pop(0)[1]), record)
    return path


class Messages(BagWriter):
    """BagWriter's message helpers without a bag: ROS 2 messages of a type store, for live publishers."""

    def __init__(self, ts):
        self.ts, self.T, self.storage = ts, ts.types, "ros2"

    def close(self) -> None:
        pass


def slow_analysis(reader, per_frame: float, start_after: float = 0.0, until=None) -> list[float]:
    """Consume a ``LiveReadStage`` as an analysis that starts ``start_after`` s late (models loading) and takes
    ``per_frame`` s a frame; returns the media times of the frames it analysed. ``until()`` true ends it early."""
    import time as _time

    from streams.packets import StreamGap

    _time.sleep(start_after)
    analysed: list[float] = []
    for batch in reader:
        if isinstance(batch, StreamGap):
            continue
        _time.sleep(per_frame * len(batch.frames))
        analysed += [f.time for f in batch.frames]
        if until is not None and until():
            break
    return analysed


def feed_bag(feed, path: Path, rounds: int = 1, spell=None) -> None:
    """Hand a bag's messages to a live ``TopicFeed``'s callbacks as a node's subscribers would (``rounds``
    times: the clock jumps back), each message first through ``spell`` (e.g. as rclpy spells it) when given."""
    from ros_bridge.bag import Bag

    with Bag(path) as bag:
        messages = list(bag.messages([t.name for t in bag.topics]))
    spell = spell or (lambda message: message)
    for _ in range(rounds):
        for topic, _, message in messages:
            message = spell(message)
            if topic in ("/camera/image", "/camera/image/compressed"):
                feed.image(message)
            elif topic in ("/tf", "/tf_static"):
                feed.tf(message, static=topic == "/tf_static")
            elif topic == "/speech":
                feed.text(str(message.data))
            elif topic == "/odom":
                feed.pose(message)
            elif topic == "/audio/audio_info":
                feed.audio_info(message)
            elif topic == "/audio/audio":
                feed.audio(message)
            elif topic in ("/detections", "/detections3d"):
                feed.detections(message)
            elif topic == "/camera/camera_info":
                feed.camera_info(message)
