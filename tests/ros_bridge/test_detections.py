"""ros_bridge/detections.py: a bag's vision_msgs/Detection2DArray as ROS 1 and ROS 2 spell it, boxes
scaled to the frames mnemo analyses, and through ingest's entity stage into sightings."""

from __future__ import annotations

import sqlite3

import pytest

import ros_bridge  # noqa: F401 - registers the bag source and the detector "ros-topic"
from perception.detection import create_detector
from ros_bridge.bag import Bag
from ros_bridge.detections import boxes_of
from streams.packets import VideoFrame
from streams.sampling import SamplingPolicy
from streams.schemes import expand_source, open_source


@pytest.mark.parametrize("storage,label", [("ros1", "7"), ("sqlite3", "mug"), ("mcap", "mug")])
def test_both_spellings_of_vision_msgs(bags, tmp_path, storage, label):
    path = bags.write_robot_bag(tmp_path / ("d.bag" if storage == "ros1" else "d"), storage, seconds=1.0,
                                detections=label)
    with Bag(path) as bag:
        found = [boxes_of(m) for _, _, m in bag.messages(["/detections"])]
    assert len(found) == 5 and all(f == [(tuple(map(float, bags.mug_box(160, 120))), 0.9, label)] for f in found)


def test_boxes_are_scaled_to_the_analysed_frames(bags, tmp_path):
    path = bags.write_robot_bag(tmp_path / "d", "mcap", seconds=3.0, detections="mug")
    (uri,) = expand_source(str(path))
    with open_source(uri, SamplingPolicy(fps=1.0, frame_size=60)) as source:  # 160x120 shrunk to 80x60
        frames = [p for p in source.packets() if isinstance(p, VideoFrame)]
        options = source.info.extra["detectors"]["ros-topic"]
    assert options["topic"] == "/detections" and options["image_size"] == [160, 120]
    detector = create_detector("ros-topic", **options)
    found = detector.detect([f.image for f in frames], [f.time for f in frames])
    x0, y0, x1, y1 = bags.mug_box(160, 120)
    for detections in found:
        (d,) = detections
        assert d.box == pytest.approx((x0 / 2, y0 / 2, x1 / 2, y1 / 2)) and d.label == "mug" and d.kind == "object"
        assert d.crop is not None and abs(d.crop.astype(int) - bags.MUG_RGB).min() < 10
    assert detector.detect([frames[0].image], [-1.0]) == [[]]  # no message near that time (0.1 s)


def test_ingest_turns_them_into_sightings_through_the_tracker(bags, tmp_path):
    import mnemo

    path = bags.write_robot_bag(tmp_path / "d", "mcap", seconds=8.0, detections="mug", texts=())
    memory = tmp_path / "mem"
    with mnemo.open(memory, profile="lite", create=True) as mem:  # lite has no detector of its own
        report = mem.ingest(str(path))
    assert report.stages.get("entities.detect", 0) > 0
    with sqlite3.connect(memory / "memory.db") as db:
        rows = db.execute("SELECT time, track, entity, kind, label, colour, score, box FROM sightings ORDER BY time").fetchall()
        entities = db.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
    assert [r[0] for r in rows] == [float(t) for t in range(8)]  # one a second: the profile's entities.fps
    assert {(r[3], r[4], r[5], r[6]) for r in rows} == {("object", "mug", "red", 0.9)}  # colour read from the pixels
    assert all(r[1] is not None and r[2] is not None for r in rows) and entities >= 1  # tracked, re-identified
    assert {r[7] for r in rows} == {"[" + ", ".join(f"{float(v)}" for v in bags.mug_box(160, 120)) + "]"}


@pytest.mark.parametrize("storage,label", [("ros1", "5"), ("mcap", "box")])
def test_3d_detections_are_projected_and_placed_through_tf(bags, tmp_path, storage, label):
    """A cube 2 m ahead of the camera: its image box is the pinhole projection of its near face, its position
    the camera's pose in the map (tf) plus 2 m along the camera's heading."""
    path = bags.write_robot_bag(tmp_path / ("d.bag" if storage == "ros1" else "d"), storage, seconds=3.0,
                                detections3d=label)
    (uri,) = expand_source(str(path))
    with open_source(uri, SamplingPolicy(fps=1.0, frame_size=120)) as source:  # the camera's own 160x120
        frames = [p for p in source.packets() if isinstance(p, VideoFrame)]
        options = source.info.extra["detectors"]["ros-topic"]
    assert options["topic"] == "/detections3d" and options["camera_info"] == "/camera/camera_info"
    detector = create_detector("ros-topic", **options)
    found = detector.detect([f.image for f in frames], [f.time for f in frames])
    assert len(found) == 3
    for frame, (d,) in zip(frames, found):
        assert d.box == pytest.approx(bags.cube_box(), abs=1e-6) and d.label == label and d.score == pytest.approx(0.8)
        assert d.position == pytest.approx(bags.cube_in_map(frame.time), abs=1e-6)


def test_3d_detections_without_a_camera_info_fail_clearly(bags, tmp_path):
    path = tmp_path / "d"
    with bags.BagWriter(path, "mcap") as bag:
        bags.register_vision(bag)
        rgb = bags.scene_image(0.0, 160, 120)
        data, step = bags.rgb_bytes(rgb, "rgb8")
        for t in (0.0, 0.5):
            bag.write("/camera/image", "sensor_msgs/msg/Image", bag.image(t, "camera_link", "rgb8", 120, 160, step, data), t)
            bag.write("/detections3d", "vision_msgs/msg/Detection3DArray",
                      bags.detection3d_array(bag, t, "camera_link", "box", (2.0, 0.0, 0.0), 0.4), t)
    from streams.errors import SourceError

    with pytest.raises(SourceError, match="3-D detections need the camera's sensor_msgs/CameraInfo"):
        open_source(expand_source(str(path))[0], SamplingPolicy(fps=1.0))


def test_ingest_stores_3d_detections_as_placed_sightings(bags, tmp_path):
    import mnemo

    path = bags.write_robot_bag(tmp_path / "d", "mcap", seconds=4.0, detections3d="box", texts=())
    memory = tmp_path / "mem"
    with mnemo.open(memory, profile="lite", create=True) as mem:
        mem.ingest(str(path))
    with sqlite3.connect(memory / "memory.db") as db:
        rows = db.execute("SELECT time, label, x, y FROM sightings ORDER BY time").fetchall()
    assert [r[0] for r in rows] == [0.0, 1.0, 2.0, 3.0] and {r[1] for r in rows} == {"box"}
    for time, _, x, y in rows:  # where the robot measured it, in the map (not estimated from one view)
        assert (x, y) == pytest.approx(bags.cube_in_map(time), abs=1e-6)
