"""ros_bridge/source.py: bags as sources. Written bags (ROS 1, ROS 2 sqlite3, MCAP) against the poses and
stamps they were written with; the real bags of ../shared/data/robot."""

from __future__ import annotations

import math

import pytest

import ros_bridge  # noqa: F401 - registers the bag source
from ros_bridge.source import BagSource
from streams.errors import SourceError
from streams.packets import PoseReading, TextCue, VideoFrame
from streams.sampling import SamplingPolicy
from streams.schemes import expand_source, open_source


def read(uri: str, fps: float | None = 2.0, start: float = 0.0, frame_size: int | None = 96):
    with open_source(uri, SamplingPolicy(fps=fps, frame_size=frame_size)) as source:
        packets = list(source.packets(start))
        return source.info, packets


@pytest.mark.parametrize("storage", ["ros1", "sqlite3", "mcap"])
def test_frames_poses_and_cues_of_every_storage(robot_bags, bags, storage):
    (uri,) = expand_source(str(robot_bags[storage]))
    info, packets = read(uri)
    frames = [p for p in packets if isinstance(p, VideoFrame)]
    poses = [p for p in packets if isinstance(p, PoseReading)]
    cues = [p for p in packets if isinstance(p, TextCue)]
    # media time is the header stamps' clock from the first frame (record times lag by STAMP_LAG)
    # 5 Hz camera sampled at 2 fps: the first frame of every half second (0.0, 0.6, 1.0, 1.6, ...)
    assert [f.time for f in frames] == pytest.approx([math.ceil(n * 2.5) / 5 for n in range(24)], abs=1e-9)
    assert frames[0].image.shape == (96, 128, 3) and info.wall_clock == pytest.approx(bags.START)
    assert info.extra["poses"] == "tf map" and info.extra["camera_frame"] == "camera_link"
    assert [p.time for p in poses] == [f.time for f in frames]  # the camera's pose at each frame, from tf
    for pose in poses:
        assert (pose.x, pose.y, pose.yaw) == pytest.approx(bags.camera_in_map(pose.time), abs=1e-6)
        assert pose.frame == "map"
    assert [(c.time, c.text) for c in cues] == [(pytest.approx(5.0, abs=1e-6), "the red mug is on the table")]
    order = [p.time for p in packets if not isinstance(p, TextCue)]
    assert order == sorted(order)
    # the pixels are the scene's: a frame in the second scene is mostly green
    assert frames[10].image[..., 1].mean() > frames[10].image[..., 0].mean() + 50


def test_a_named_pose_topic_wins_over_tf(robot_bags, bags):
    (uri,) = expand_source(str(robot_bags["ros1"]), topics={"pose": ["/odom"]})
    info, packets = read(uri, fps=1.0)
    poses = [p for p in packets if isinstance(p, PoseReading)]
    assert info.extra["poses"] == "topic /odom" and len(poses) == 60  # every odometry message, 5 Hz x 12 s
    assert all(p.frame == "odom" and p.x == pytest.approx(bags.SPEED * p.time, abs=1e-6) for p in poses)


def test_resuming_reads_from_the_start_time(robot_bags):
    (uri,) = expand_source(str(robot_bags["mcap"]))
    _, whole = read(uri)
    _, rest = read(uri, start=6.0)
    frames = [p.time for p in whole if isinstance(p, VideoFrame) and p.time >= 6.0]
    assert [p.time for p in rest if isinstance(p, VideoFrame)] == frames
    assert all(p.time >= 6.0 for p in rest if isinstance(p, PoseReading))


def test_two_cameras_are_two_streams_on_one_clock(bags, tmp_path):
    path = bags.write_robot_bag(tmp_path / "two.bag", cameras=("/front/image", "/rear/image"), seconds=3.0)
    uris = expand_source(str(path))
    assert [u.split("image=")[1] for u in uris] == ["/front/image", "/rear/image"]
    (front_info, front), (rear_info, rear) = read(uris[0]), read(uris[1])
    assert front_info.stream != rear_info.stream
    assert [p.time for p in front if isinstance(p, VideoFrame)] == [p.time for p in rear if isinstance(p, VideoFrame)]
    a = next(p for p in front if isinstance(p, VideoFrame)).image
    b = next(p for p in rear if isinstance(p, VideoFrame)).image
    assert (a[:, ::-1].astype(int) - b.astype(int)).__abs__().mean() < 3  # the rear camera is the mirror image


@pytest.mark.parametrize("encoding", ["bgr8", "mono16", "jpeg"])
def test_other_encodings_of_the_camera(bags, tmp_path, encoding):
    path = bags.write_robot_bag(tmp_path / f"{encoding}.bag", encoding=encoding, seconds=2.0)
    (uri,) = expand_source(str(path))
    _, packets = read(uri, fps=None, frame_size=None)
    frames = [p for p in packets if isinstance(p, VideoFrame)]
    assert len(frames) == 10 and frames[0].image.shape == (120, 160, 3)
    truth = bags.scene_image(frames[3].time, 160, 120).astype(int)
    if encoding == "mono16":
        truth = truth.mean(axis=2, keepdims=True) * 255 / truth.mean(axis=2).max()
    assert abs(frames[3].image.astype(int) - truth).mean() < 4


def test_a_depth_topic_is_not_a_camera(bags, tmp_path):
    path = tmp_path / "depth.bag"
    with bags.BagWriter(path) as bag:
        bag.write("/depth", "sensor_msgs/msg/Image",
                  bag.image(0.0, "cam", "16UC1", 4, 4, 8, bytes(32)), 0.0)
        bag.write("/rgb", "sensor_msgs/msg/Image", bag.image(0.0, "cam", "mono8", 4, 4, 4, bytes(16)), 0.0)
    assert [u.split("image=")[1] for u in expand_source(str(path))] == ["/rgb"]


@pytest.mark.parametrize("real", ["raspicam_aruco.bag"], indirect=True)
def test_the_real_camera_bag(real):
    (uri,) = expand_source(str(real))
    assert uri.endswith("image=/raspicam_node/image/compressed")
    info, packets = read(uri, fps=None, frame_size=None)
    frames = [p for p in packets if isinstance(p, VideoFrame)]
    assert len(frames) == 1 and frames[0].image.shape == (960, 1280, 3) and frames[0].time == 0.0
    assert info.extra["poses"] is None and 1.49e9 < info.wall_clock < 1.5e9  # a real camera with no pose
    assert 30 < frames[0].image.mean() < 225  # a real picture, not a blank


@pytest.mark.parametrize("real", ["nav2_turtlebot.mcap", "husky_odom_imu_gps.bag", "tf_example.bag", "tf_example"],
                         indirect=True)
def test_real_bags_without_a_camera_say_so(real):
    with pytest.raises(SourceError) as raised:
        expand_source(str(real))
    message = str(raised.value)
    assert message.startswith(f"{real}: has no camera topic") and "its topics: /" in message


@pytest.mark.parametrize("real", ["ROS_example.bag"], indirect=True)
def test_real_pose_topics_are_picked_by_type(real):
    from ros_bridge.bag import Bag
    from ros_bridge.poses import message_pose
    from ros_bridge.topics import choose

    with Bag(real) as bag:
        choice = choose(bag.topics, {}, str(real))
        assert choice.pose == "groundtruth"  # three PoseStamped topics: the one with most messages
        _, first = bag.first("groundtruth")
        x, y, yaw, frame = message_pose(first)
        assert (x, y) == (first.pose.position.x, first.pose.position.y) and frame == first.header.frame_id
        assert -3.15 < yaw < 3.15


def test_the_source_is_a_context_manager_that_closes_the_bag(robot_bags):
    (uri,) = expand_source(str(robot_bags["sqlite3"]))
    with BagSource(uri, SamplingPolicy()) as source:
        assert source.bag.reader is not None
    assert source.bag.reader is None


def test_the_simulators_bag(tmp_path):
    """sim/bag.py's ROS 2 bag: camera poses from tf (odom -> base_link -> camera_link) equal the drifting
    /odom it wrote (the camera sits above base_link), never /ground_truth/odom; its subtitle is a cue."""
    from rosbags.highlevel import AnyReader

    from sim.export import render_episode

    files = render_episode(3, 0.2, tmp_path, video=False, bag=True, speech="tones")
    (uri,) = expand_source(str(files.bag))
    info, packets = read(uri)
    frames = [p for p in packets if isinstance(p, VideoFrame)]
    poses = {round(p.time, 6): p for p in packets if isinstance(p, PoseReading)}
    assert info.extra["poses"] == "tf odom" and len(frames) == 24 and len(poses) == 24
    odom, said = {}, []
    with AnyReader([files.bag]) as reader:
        for connection, stamp, raw in reader.messages():
            message = reader.deserialize(raw, connection.msgtype)
            if connection.topic == "/odom":
                odom[round((stamp - reader.start_time) / 1e9, 6)] = message.pose.pose.position
            elif connection.topic == "/subtitles":
                said.append(message.data)
    for t, pose in poses.items():
        assert pose.frame == "odom" and (pose.x, pose.y) == pytest.approx((odom[t].x, odom[t].y), abs=1e-6)
    assert [c.text for c in packets if isinstance(c, TextCue)] == said


@pytest.mark.parametrize("storage,kind,name", [("ros1", "stamped", "a.bag"), ("mcap", "plain", "a"), ("sqlite3", "mp3", "a")])
def test_the_microphone_becomes_16khz_chunks_on_the_grid(bags, tmp_path, storage, kind, name):
    import numpy as np

    from streams.packets import AudioChunk

    path = bags.write_robot_bag(tmp_path / name, storage, seconds=6.0, audio=kind)
    (uri,) = expand_source(str(path))
    with open_source(uri, SamplingPolicy(fps=1.0, audio=True)) as source:
        assert source.info.has_audio
        chunks = [p for p in source.packets() if isinstance(p, AudioChunk)]
    assert all(c.sample_rate == 16000 and c.samples.dtype == np.float32 for c in chunks)
    assert [c.time for c in chunks if c.time >= 1.0][:5] == [1.0, 2.0, 3.0, 4.0, 5.0]  # the 1 s grid
    audio = np.concatenate([c.samples for c in chunks])
    start = int(round(chunks[0].time * 16000))
    loud = (np.flatnonzero(np.abs(audio) > 0.1) + start) / 16000
    slack = 0.12 if kind == "mp3" else 0.002  # MP3: the decoder holds back part of a message: up to one late
    assert loud[0] == pytest.approx(bags.TONE[0], abs=slack) and loud[-1] == pytest.approx(bags.TONE[1], abs=slack)
    middle = audio[int((2.5 * 16000) - start): int((3.5 * 16000) - start)]
    assert np.fft.rfftfreq(len(middle), 1 / 16000)[np.argmax(np.abs(np.fft.rfft(middle)))] == pytest.approx(440, abs=2)
    assert np.sqrt((middle ** 2).mean()) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)  # stereo mixed to mono


def test_an_unreadable_microphone_is_named_and_can_be_left_out(bags, tmp_path):
    import numpy as np

    path = tmp_path / "opus.bag"
    with bags.BagWriter(path) as bag:
        bags.register_types(bag, bags.AUDIO_MSGS)
        bag.write("/audio/audio_info", "audio_common_msgs/msg/AudioInfo", bag.T["audio_common_msgs/msg/AudioInfo"](
            channels=1, sample_rate=48000, sample_format="S16LE", bitrate=0, coding_format="opus"), 0.0)
        bag.write("/audio/audio", "audio_common_msgs/msg/AudioData",
                  bag.T["audio_common_msgs/msg/AudioData"](data=np.zeros(10, np.uint8)), 0.0)
        bag.write("/cam", "sensor_msgs/msg/Image", bag.image(0.0, "cam", "mono8", 4, 4, 4, bytes(16)), 0.0)
    (uri,) = expand_source(str(path))
    with pytest.raises(SourceError, match=r"opus.bag: topic /audio/audio: audio coding 'opus' is not read "
                                          r"\(wave/PCM or mp3\) \(leave it out: --topic audio=none\)"):
        open_source(uri, SamplingPolicy(audio=True))
    (uri,) = expand_source(str(path), topics={"audio": ["none"]})
    with open_source(uri, SamplingPolicy(audio=True)) as source:
        assert not source.info.has_audio
