"""Messages as rclpy spells them (``array.array`` for ``uint8[]``, numpy for fixed arrays, lists, plain objects with
ROS's field names: rclpy_spelling.py) give the live feed exactly the packets rosbags' messages give: frames,
tf poses, odometry, text, audio chunks, 2-D detections and 3-D detections projected with CameraInfo. The rclpy
transport (ros_bridge/rclpy_graph.py) hands rclpy's messages to these callbacks; here the oracle is the DDS
path's own messages, the same bag decoded by rosbags."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from ros_bridge.live import TopicFeed
from streams.packets import TextCue
from streams.sampling import SamplingPolicy


def _spelling():
    name = "mnemo_tests_rclpy_spelling"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("rclpy_spelling.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def packets_of(bags, bag, make_feed, spell=None) -> tuple[list, object]:
    feed = make_feed()
    bags.feed_bag(feed, bag, spell=spell)
    threading.Timer(0.3, feed.stop).start()
    return list(feed.packets()), feed


def assert_same(ours: list, theirs: list) -> None:
    assert [type(p) for p in ours] == [type(p) for p in theirs]
    for a, b in zip(ours, theirs):
        for field in dataclasses.fields(a):
            x, y = getattr(a, field.name), getattr(b, field.name)
            if isinstance(a, TextCue) and field.name in ("time", "end"):  # at the live edge when it arrives
                assert x == pytest.approx(y, abs=0.1)
                continue
            assert np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y, (field.name, x, y)


def spell(store, make=None):
    module = _spelling()
    return lambda message: module.spelled(message, store, make or module.plain)


@pytest.fixture(scope="module")
def store():
    from ros_bridge.msgdefs import ros2_typestore

    return ros2_typestore()


def test_raw_images_tf_odometry_text_audio_and_2d_detections(bags, store, tmp_path):
    bag = bags.write_robot_bag(tmp_path / "run", "mcap", seconds=2.0, rate=5.0, detections="mug", audio="stamped",
                               texts=((1.0, "the red mug is on the table"),))

    def make():
        return TopicFeed("ros2:///camera/image", "s-test", SamplingPolicy(fps=2.0, frame_size=64, audio=True),
                         "/camera/image", pose_topic="/odom", pose_named=True, audio_topic="/audio/audio",
                         detection_topic="/detections")

    theirs, reference = packets_of(bags, bag, make)
    ours, feed = packets_of(bags, bag, make, spell(store))
    kinds = {type(p).__name__ for p in theirs}
    assert {"VideoFrame", "PoseReading", "TextCue", "AudioChunk"} <= kinds, kinds
    assert_same(ours, theirs)
    assert feed.detected.times == reference.detected.times and feed.detected.boxes == reference.detected.boxes
    assert feed.detected.boxes and feed.detected.image_size == (160, 120)


def test_jpeg_images_and_3d_detections_placed_by_tf(bags, store, tmp_path):
    bag = bags.write_robot_bag(tmp_path / "run", "mcap", seconds=2.0, rate=5.0, encoding="jpeg", detections3d="box")

    def make():
        return TopicFeed("ros2:///camera/image/compressed", "s-test", SamplingPolicy(fps=2.0, frame_size=64),
                         "/camera/image/compressed", detection_topic="/detections3d", camera_info="/camera/camera_info")

    theirs, reference = packets_of(bags, bag, make)
    ours, feed = packets_of(bags, bag, make, spell(store))
    assert sum(type(p).__name__ == "PoseReading" for p in theirs) >= 3  # tf placed the frames (2 s at 2 fps)
    assert_same(ours, theirs)
    assert feed.intrinsics == reference.intrinsics and feed.intrinsics is not None
    assert feed.detected.boxes == reference.detected.boxes and any(feed.detected.boxes)


def test_the_spelling_is_rclpys(bags, store, tmp_path):
    """The oracle's own check: ``uint8[]`` as array.array, fixed float64 arrays as numpy, messages as lists."""
    import array

    from ros_bridge.bag import Bag

    bag = bags.write_robot_bag(tmp_path / "run", "mcap", seconds=1.0, rate=5.0, detections3d="box")
    with Bag(bag) as reader:
        found = {topic: message for topic, _, message in reader.messages([t.name for t in reader.topics])}
    module = _spelling()
    image = module.spelled(found["/camera/image"], store)
    info = module.spelled(found["/camera/camera_info"], store)
    tf = module.spelled(found["/tf"], store)
    assert isinstance(image.data, array.array) and image.data.typecode == "B" and bytes(image.data) == \
        found["/camera/image"].data.tobytes()
    assert isinstance(info.k, np.ndarray) and info.k.dtype == np.float64 and isinstance(info.d, array.array)
    assert isinstance(tf.transforms, list) and tf.transforms[0].header.stamp.nanosec == \
        found["/tf"].transforms[0].header.stamp.nanosec
