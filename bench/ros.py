"""Bag ingest speed against plain decoding of the same images.

    python bench/ros.py [--seconds 60] [--rate 10] [--storage ros1|sqlite3|mcap] [--encoding jpeg|rgb8]
                        [--profile lite] [--out out/bench/ros.json]

Writes a robot's bag with rosbags (640x480 camera images at ``--rate`` Hz for ``--seconds``, JPEG
``CompressedImage`` or raw ``rgb8`` ``Image``; ``/odom`` at 50 Hz; ``/tf`` odom -> base_link and a static
base_link -> camera_link), then times, on the same bag:

- plain decoding: every image message read with rosbags and decoded to RGB at full size (what reading
  the camera costs with nothing else), and the same for only the frames the profile samples;
- the bag source: mnemo's ``BagSource`` packets at the profile's sampling (frames, tf poses);
- ingest: ``mnemo.open(...).ingest(bag)`` with the profile (encode, segment, store, consolidate).

It prints each, the ingest's real-time factor and its ratio to plain decoding.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WIDTH, HEIGHT = 640, 480
START_NS = 1_700_000_000 * 10**9


def frame(t: float, rng: np.random.Generator) -> np.ndarray:
    """A 640x480 RGB view that changes scene every 10 s, with a moving square and sensor noise."""
    scene = int(t // 10)
    base = np.array([(60 + 70 * scene) % 255, (200 - 50 * scene) % 255, (90 + 40 * scene) % 255], np.int16)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    image = np.empty((HEIGHT, WIDTH, 3), np.int16)
    image[:] = base
    image[..., 0] += (xx // 8).astype(np.int16) % 40
    image[..., 2] += (yy // 6).astype(np.int16) % 30
    x0 = int((t % 10) / 10 * (WIDTH - 120))
    image[180:300, x0: x0 + 120] = 240
    image += rng.integers(-6, 7, image.shape, dtype=np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def write_bag(path: Path, seconds: float, rate: float, storage: str, encoding: str) -> int:
    """The bench's bag; returns the number of camera messages."""
    import cv2
    from rosbags.typesys import Stores, get_typestore, get_types_from_msg

    if storage == "ros1":
        from rosbags.rosbag1 import Writer

        ts = get_typestore(Stores.ROS1_NOETIC)
        ts.register(get_types_from_msg("geometry_msgs/TransformStamped[] transforms", "tf2_msgs/msg/TFMessage"))
        writer, serialize = Writer(path), ts.serialize_ros1
    else:
        from rosbags.rosbag2 import StoragePlugin, Writer

        ts = get_typestore(Stores.ROS2_HUMBLE)
        plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
        writer, serialize = Writer(path, version=9, storage_plugin=plugin), ts.serialize_cdr
    T = ts.types

    def header(ns: int, frame_id: str):
        stamp = T["builtin_interfaces/msg/Time"](sec=ns // 10**9, nanosec=ns % 10**9)
        return T["std_msgs/msg/Header"](**({"seq": 0} if storage == "ros1" else {}), stamp=stamp, frame_id=frame_id)

    def transform(ns, parent, child, x, yaw, z=0.0):
        g = "geometry_msgs/msg/"
        return T["tf2_msgs/msg/TFMessage"](transforms=[T[g + "TransformStamped"](
            header=header(ns, parent), child_frame_id=child, transform=T[g + "Transform"](
                translation=T[g + "Vector3"](x=x, y=0.0, z=z),
                rotation=T[g + "Quaternion"](x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2))))])

    def odometry(ns, x, yaw):
        g = "geometry_msgs/msg/"
        zero, cov = T[g + "Vector3"](x=0.0, y=0.0, z=0.0), np.zeros(36)
        pose = T[g + "Pose"](position=T[g + "Point"](x=x, y=0.0, z=0.0),
                             orientation=T[g + "Quaternion"](x=0.0, y=0.0, z=math.sin(yaw / 2), w=math.cos(yaw / 2)))
        return T["nav_msgs/msg/Odometry"](header=header(ns, "odom"), child_frame_id="base_link",
                                          pose=T[g + "PoseWithCovariance"](pose=pose, covariance=cov),
                                          twist=T[g + "TwistWithCovariance"](twist=T[g + "Twist"](linear=zero, angular=zero),
                                                                             covariance=cov))

    image_type = "sensor_msgs/msg/CompressedImage" if encoding == "jpeg" else "sensor_msgs/msg/Image"
    writer.open()
    camera = writer.add_connection("/camera/image", image_type, typestore=ts)
    odom = writer.add_connection("/odom", "nav_msgs/msg/Odometry", typestore=ts)
    tf = writer.add_connection("/tf", "tf2_msgs/msg/TFMessage", typestore=ts)
    static = writer.add_connection("/tf_static", "tf2_msgs/msg/TFMessage", typestore=ts)
    writer.write(static, START_NS, bytes(serialize(transform(START_NS, "base_link", "camera_link", 0.1, 0.0, 0.4),
                                                   "tf2_msgs/msg/TFMessage")))
    rng, images = np.random.default_rng(0), 0
    for tick in range(int(seconds * 50)):  # odometry and tf at 50 Hz, the camera at ``rate``
        t = tick / 50
        ns = START_NS + tick * 20_000_000
        x, yaw = 0.3 * t, 0.05 * t
        writer.write(odom, ns, bytes(serialize(odometry(ns, x, yaw), "nav_msgs/msg/Odometry")))
        writer.write(tf, ns, bytes(serialize(transform(ns, "odom", "base_link", x, yaw), "tf2_msgs/msg/TFMessage")))
        if tick % max(1, round(50 / rate)):
            continue
        rgb = frame(t, rng)
        if encoding == "jpeg":
            jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
            message = T[image_type](header=header(ns, "camera_link"), format="jpeg", data=jpeg.ravel())
        else:
            message = T[image_type](header=header(ns, "camera_link"), height=HEIGHT, width=WIDTH, encoding="rgb8",
                                    is_bigendian=0, step=WIDTH * 3, data=rgb.ravel())
        writer.write(camera, ns, bytes(serialize(message, image_type)))
        images += 1
    writer.close()
    return images


def plain_decode(path: Path, fps: float | None = None) -> tuple[float, int]:
    """Seconds to read and decode the camera messages to RGB (full size) with rosbags + OpenCV, and how
    many: every one, or with ``fps`` the first of each 1/fps slot of header time (what ingest samples)."""
    import cv2
    from rosbags.highlevel import AnyReader

    from streams.sampling import FrameClock

    clock = FrameClock(fps)
    started, count = time.perf_counter(), 0
    with AnyReader([path]) as reader:
        for connection, _, raw in reader.messages([c for c in reader.connections if c.topic == "/camera/image"]):
            message = reader.deserialize(raw, connection.msgtype)
            stamp = message.header.stamp.sec + message.header.stamp.nanosec * 1e-9 - START_NS / 1e9
            if not clock.keep(stamp):
                continue
            if hasattr(message, "format"):
                cv2.cvtColor(cv2.imdecode(message.data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            else:
                message.data.reshape(message.height, message.width, 3).copy()
            count += 1
    return time.perf_counter() - started, count


def source_pass(path: Path, profile) -> tuple[float, int]:
    """Seconds for BagSource's packets at the profile's sampling, and the frames it gave."""
    import dataclasses

    from mnemo.sources import source_streams
    from streams.packets import VideoFrame
    from streams.schemes import open_source

    policy = dataclasses.replace(profile.sampling, video=True, audio=False)
    started, frames = time.perf_counter(), 0
    (uri,) = source_streams(str(path))
    with open_source(uri, policy) as source:
        frames = sum(isinstance(p, VideoFrame) for p in source.packets())
    return time.perf_counter() - started, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=10.0, help="camera messages per second")
    parser.add_argument("--storage", choices=("ros1", "sqlite3", "mcap"), default="ros1")
    parser.add_argument("--encoding", choices=("jpeg", "rgb8"), default="jpeg")
    parser.add_argument("--profile", default="lite")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    import mnemo
    import mnemo.sources  # noqa: F401 - imports (rosbags, OpenCV) load before any clock starts
    from mnemo.config import load_profile

    profile = load_profile(args.profile)
    with tempfile.TemporaryDirectory() as work:
        bag = Path(work) / ("run.bag" if args.storage == "ros1" else "run")
        t0 = time.perf_counter()
        images = write_bag(bag, args.seconds, args.rate, args.storage, args.encoding)
        written = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (bag.rglob("*") if bag.is_dir() else [bag]))
        plain, decoded = plain_decode(bag)
        sampled_plain, sampled_decoded = plain_decode(bag, profile.sampling.fps)
        source, sampled = source_pass(bag, profile)
        t0 = time.perf_counter()
        with mnemo.open(Path(work) / "memory", profile=profile, create=True) as memory:
            memory.encoders  # models load before the clock starts
            t0 = time.perf_counter()
            report = memory.ingest(str(bag))
            ingest = time.perf_counter() - t0
            places = len(memory.store._conn.execute("SELECT id FROM places").fetchall())
    result = {
        "bag": {"storage": args.storage, "encoding": args.encoding, "seconds": args.seconds, "rate": args.rate,
                "images": images, "megabytes": round(size / 1e6, 1), "write_s": round(written, 2)},
        "plain_decode": {"seconds": round(plain, 3), "images": decoded, "images_per_s": round(decoded / plain, 1)},
        "plain_decode_sampled": {"seconds": round(sampled_plain, 3), "images": sampled_decoded},
        "bag_source": {"seconds": round(source, 3), "frames": sampled, "fps": profile.sampling.fps},
        "ingest": {"profile": profile.name, "seconds": round(ingest, 3), "events": report.events,
                   "frames": report.frames, "places": places, "realtime": round(args.seconds / ingest, 1)},
        "ratio_ingest_to_plain": round(ingest / plain, 2),
        "ratio_source_to_plain": round(source / plain, 2),
        "ratio_ingest_to_plain_sampled": round(ingest / sampled_plain, 2),
    }
    print(f"bag: {images} {args.encoding} images {WIDTH}x{HEIGHT} at {args.rate:g} Hz + odometry/tf at 50 Hz, "
          f"{args.seconds:g} s, {args.storage}, {size / 1e6:.1f} MB")
    print(f"plain decoding of every image: {plain:.2f} s ({decoded / plain:.0f} images/s); of the "
          f"{sampled_decoded} sampled at {profile.sampling.fps} fps: {sampled_plain:.2f} s")
    print(f"bag source at {profile.sampling.fps} fps: {source:.2f} s ({sampled} frames, with tf poses)")
    print(f"ingest ({profile.name}): {ingest:.2f} s, {args.seconds / ingest:.1f}x real time, {report.events} events, "
          f"{places} places")
    print(f"ratio ingest / plain decoding: {ingest / plain:.2f} (all images), {ingest / sampled_plain:.2f} (the sampled "
          f"ones); bag source / plain decoding: {source / plain:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
