"""The live feed without ROS: a written bag's messages handed to ``TopicFeed``'s callbacks as a node's
subscribers would (twice: the clock jumps back), and ``StampClock`` on its own."""

from __future__ import annotations

import math
import threading
import time

import pytest

from ros_bridge.live import FeedOptions, TopicFeed
from ros_bridge.stamps import NS, StampClock
from streams.packets import PoseReading, StreamGap, TextCue, VideoFrame
from streams.sampling import SamplingPolicy


def _packets(feed: TopicFeed) -> list:
    threading.Timer(0.3, feed.stop).start()
    return list(feed.packets())


def test_frames_and_tf_poses_follow_the_stamps_through_a_jump_back(bags, tmp_path):
    bag = bags.write_robot_bag(tmp_path / "run.bag", "ros1", seconds=4.0, rate=5.0)
    feed = TopicFeed("ros1:///camera/image", "s-test", SamplingPolicy(fps=2.0, frame_size=64), "/camera/image",
                     pose_topic="/odom")
    bags.feed_bag(feed, bag, rounds=2)
    packets = _packets(feed)
    gaps = [p for p in packets if isinstance(p, StreamGap)]
    assert len(gaps) == 1 and "jumped back" in gaps[0].reason
    split = packets.index(gaps[0])
    for part, origin in ((packets[:split], 0.0), (packets[split + 1:], gaps[0].end)):
        media = [p.time for p in part if isinstance(p, VideoFrame)]
        frames = [t - origin for t in media]
        # the bag's 5 Hz messages, one in each 0.5 s slot of media time (the sampling grid is the stream's)
        assert all(math.isclose(t * 5, round(t * 5), abs_tol=1e-6) and -1e-6 <= t <= 3.8 + 1e-6 for t in frames)
        slots = [math.floor(t * 2 + 1e-6) for t in media]
        assert slots == list(range(slots[0], slots[0] + len(slots))) and len(slots) >= 7
        poses = [p for p in part if isinstance(p, PoseReading)]
        assert len(poses) == len(frames)  # tf placed every frame (the odometry topic is not needed then)
        for pose in poses:
            x, y, yaw = bags.camera_in_map(pose.time - origin)
            assert pose.frame == "map"
            assert (pose.x, pose.y, pose.yaw) == pytest.approx((x, y, yaw), abs=1e-6)
    times = [p.time for p in packets if isinstance(p, VideoFrame)]
    assert times == sorted(times) and gaps[0].time <= gaps[0].end <= times[8]
    assert feed.info.wall_clock == pytest.approx(bags.START)


def test_a_camera_that_falls_silent_closes_the_open_event(bags, tmp_path):
    bag = bags.write_robot_bag(tmp_path / "run.bag", "ros1", seconds=2.0, rate=5.0, tf=False)
    feed = TopicFeed("ros1:///camera/image", "s-test", SamplingPolicy(fps=2.0, frame_size=64), "/camera/image",
                     pose_topic="/odom", options=FeedOptions(silence=0.2))
    bags.feed_bag(feed, bag, rounds=1)
    threading.Timer(0.8, feed.stop).start()
    packets = list(feed.packets())
    gap = [p for p in packets if isinstance(p, StreamGap)]
    assert len(gap) == 1 and "silent" in gap[0].reason and gap[0].time == pytest.approx(1.6)
    odometry = [p for p in packets if isinstance(p, PoseReading)]
    # without tf, the pose topic: all but the message before the first frame (tf might have placed the camera)
    assert len(odometry) == 9 and {p.frame for p in odometry} == {"odom"}
    assert all(p.x == pytest.approx(bags.SPEED * p.time, abs=1e-6) for p in odometry)


def test_text_lands_at_the_live_edge():
    feed = TopicFeed("ros1:///cam", "s-test", SamplingPolicy(fps=2.0), "/cam")
    feed.text("before any frame")  # no edge yet: nothing to place it on
    feed._edge = (12.0, __import__("time").monotonic())
    feed.text("  the red   mug ")
    cues = [p for p in _packets(feed) if isinstance(p, TextCue)]
    assert [c.text for c in cues] == ["the red mug"] and cues[0].time == pytest.approx(12.0, abs=0.2)


def test_stamp_clock_epochs():
    clock = StampClock(jump=1.0, join=2.0)
    base = 100 * NS  # simulation time: media time 0 at the first stamp
    assert clock.media("/cam", base) == (0.0, None)
    assert clock.media("/tf", base + 10 * NS)[0] == 10.0
    assert clock.media("/cam", base + int(9.5 * NS)) == (9.5, None)
    assert clock.media("/cam", base + 9 * NS) == (9.0, None)  # 0.5 s back on its own topic: disorder
    time, jump = clock.media("/cam", base)  # 9.5 s back: the clock jumped
    assert jump is not None and jump.time == 10.0 and jump.end == time == 10.5 and jump.back == 9.5
    assert clock.media("/tf", base + 10 * NS)[0] == 10.0  # a late message of the old epoch stays there
    assert clock.media("/tf", base + int(0.5 * NS))[0] == 11.0  # /tf reaches the new epoch's span: joins it
    assert clock.media("/cam", base + NS)[0] == 11.5
    assert clock.media("/cam", base + 5 * NS)[1] is None  # time goes on in the new epoch


def test_stamp_clock_continues_an_earlier_session_on_unix_stamps():
    clock = StampClock()
    clock.position, clock.wall_clock = 50.0, 1_700_000_000.0
    assert clock.media("/cam", 1_700_000_100 * NS)[0] == 100.0  # on the stream's wall clock
    clock = StampClock()
    clock.position, clock.wall_clock = 50.0, 1_700_000_000.0
    assert clock.media("/cam", 1_700_000_010 * NS)[0] == 50.5  # never before what is stored
    clock = StampClock()
    clock.position = 50.0
    assert clock.media("/cam", 3 * NS)[0] == 50.5 and clock.wall_clock is None  # sim time: after it
    assert math.isclose(clock.media("/cam", 4 * NS)[0], 51.5)


def test_live_audio_lands_where_it_was_recorded(bags, tmp_path):
    """AudioDataStamped + AudioInfo (44.1 kHz stereo S16LE) into 16 kHz mono chunks on the stamps' clock."""
    import numpy as np

    from streams.packets import AudioChunk

    bag = bags.write_robot_bag(tmp_path / "run", "sqlite3", seconds=6.0, rate=5.0, audio="stamped")
    feed = TopicFeed("ros2:///camera/image", "s-test", SamplingPolicy(fps=2.0, frame_size=64, audio=True),
                     "/camera/image", audio_topic="/audio/audio")
    assert feed.info.has_audio
    bags.feed_bag(feed, bag, rounds=1)
    chunks = [p for p in _packets(feed) if isinstance(p, AudioChunk)]
    assert chunks and all(c.sample_rate == 16000 for c in chunks)
    assert [c.time for c in chunks][:5] == [0.0, 1.0, 2.0, 3.0, 4.0]  # the media-time grid
    audio = np.concatenate([c.samples for c in chunks])
    loud = np.flatnonzero(np.abs(audio) > 0.1) / 16000
    assert loud[0] == pytest.approx(bags.TONE[0], abs=0.002) and loud[-1] == pytest.approx(bags.TONE[1], abs=0.002)
    middle = audio[int(2.5 * 16000): int(3.5 * 16000)]
    assert np.fft.rfftfreq(len(middle), 1 / 16000)[np.argmax(np.abs(np.fft.rfft(middle)))] == pytest.approx(440, abs=2)


def test_live_audio_without_speech_stages_is_not_read(bags):
    feed = TopicFeed("ros2:///cam", "s-test", SamplingPolicy(fps=2.0, audio=False), "/cam", audio_topic="/audio/audio")
    assert not feed.info.has_audio and feed.audio_topic is None


def test_live_detections_reach_the_entity_stage_detector(bags, tmp_path):
    """Detection2DArray messages on the stamps' clock: the detector ``ros-live`` gives the frame nearest in
    time the red mug's box, scaled from the camera's pixels to the frame's."""
    import numpy as np

    from perception.detection import create_detector

    bag = bags.write_robot_bag(tmp_path / "run", "mcap", seconds=3.0, rate=5.0, detections="mug")
    feed = TopicFeed("ros1:///camera/image", "s-test", SamplingPolicy(fps=2.0, frame_size=64), "/camera/image",
                     detection_topic="/detections")
    bags.feed_bag(feed, bag, rounds=1)
    options = feed.info.extra["detectors"]["ros-live"]
    detector = create_detector("ros-live", **options, wait=0.0)
    frame = np.zeros((60, 80, 3), np.uint8)  # half the camera's 160x120
    [found], [none] = detector.detect([frame], [1.0]), detector.detect([frame], [30.0])
    x0, y0, x1, y1 = bags.mug_box(160, 120)
    [mug] = found
    assert mug.label == "mug" and mug.kind == "object" and mug.score == pytest.approx(0.9)
    assert mug.box == pytest.approx((x0 / 2, y0 / 2, min(x1 / 2, 80), min(y1 / 2, 60)))
    assert none == []  # no message within 0.1 s of 30 s


def test_live_3d_detections_are_projected_and_placed(bags, tmp_path):
    """Detection3DArray + CameraInfo + tf, live: the cube's image box by the pinhole oracle, its map position
    the camera's pose plus 2 m along its heading."""
    import numpy as np

    from perception.detection import create_detector

    bag = bags.write_robot_bag(tmp_path / "run", "mcap", seconds=3.0, rate=5.0, detections3d="box")
    feed = TopicFeed("ros2:///camera/image", "s-test", SamplingPolicy(fps=2.0, frame_size=64), "/camera/image",
                     detection_topic="/detections3d", camera_info="/camera/camera_info")
    bags.feed_bag(feed, bag, rounds=1)
    detector = create_detector("ros-live", **feed.info.extra["detectors"]["ros-live"], wait=0.0)
    frame = np.zeros((120, 160, 3), np.uint8)
    for t in (1.0, 2.0):
        [d] = detector.detect([frame], [t])[0]
        assert d.label == "box" and d.box == pytest.approx(bags.cube_box(), abs=1e-6)
        assert d.position == pytest.approx(bags.cube_in_map(t), abs=1e-6)


def test_frames_that_fell_behind_the_live_edge_are_skipped(bags, tmp_path):
    """A backlog (frames received while the analysis was busy): the batch keeps the frames within half of
    max_lag of the live edge (the newest stamp received), the rest are counted as stale, none analysed twice."""
    from mnemo.runtime.reader import LiveReadStage

    bag = bags.write_robot_bag(tmp_path / "run.bag", "ros1", seconds=4.0, rate=5.0, tf=False, odometry=False)
    feed = TopicFeed("ros1:///camera/image", "s-test", SamplingPolicy(fps=5.0, frame_size=64), "/camera/image")
    bags.feed_bag(feed, bag, rounds=1)  # 20 frames, 0.0 .. 3.8 s, all received at once: the edge is 3.8 s
    with LiveReadStage(feed, 0.0, batch_size=32, max_lag=1.0) as reader:
        deadline = time.monotonic() + 5
        while feed._queue and time.monotonic() < deadline:  # the reader thread has taken them all
            time.sleep(0.01)
        time.sleep(0.05)
        first = next(iter(reader))
        feed.stop()
        rest = [f.time for b in reader if not isinstance(b, StreamGap) for f in b.frames]
    kept = [f.time for f in first.frames]
    assert kept == pytest.approx([3.8]) and not rest  # within 0.5 s of the edge (3.8 s), thinned to the newest
    # (the cost of the analysis is not known yet)
    assert reader.stale == 17 and reader.dropped == 19  # 0.0 .. 3.2 s stale; 3.4 and 3.6 thinned
