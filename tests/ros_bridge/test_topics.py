"""ros_bridge/topics.py: topics picked by type, overrides checked against the bag, bag URIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ros_bridge.topics import Topic, bag_uri, choose, parse_overrides, parse_uri

TOPICS = [Topic("/cam/image_raw", "sensor_msgs/msg/Image", 10), Topic("/cam2/compressed", "sensor_msgs/msg/CompressedImage", 5),
          Topic("/odom", "nav_msgs/msg/Odometry", 100), Topic("/amcl_pose", "geometry_msgs/msg/PoseWithCovarianceStamped", 9),
          Topic("/tf", "tf2_msgs/msg/TFMessage", 50), Topic("/speech", "std_msgs/msg/String", 2)]


def test_topics_are_picked_by_type():
    choice = choose(TOPICS, {}, "run.bag")
    assert choice.images == ("/cam/image_raw", "/cam2/compressed")
    assert choice.pose == "/amcl_pose" and not choice.pose_named  # a localisation before raw odometry
    assert choice.texts == ("/speech",) and choice.tf == ("/tf",)


def test_overrides_win_and_are_checked():
    choice = choose(TOPICS, parse_overrides(["image=/cam2/compressed", "pose=/odom", "text=none"]), "run.bag")
    assert choice.images == ("/cam2/compressed",) and choice.pose == "/odom" and choice.pose_named
    assert choice.texts == ()
    with pytest.raises(ValueError, match=r"run.bag: no topic /nope \(image\) in the bag; its topics: /amcl_pose"):
        choose(TOPICS, {"image": ["/nope"]}, "run.bag")
    with pytest.raises(ValueError, match="topic /odom is nav_msgs/msg/Odometry, not a image topic"):
        choose(TOPICS, {"image": ["/odom"]}, "run.bag")


def test_bad_topic_options_name_the_item():
    with pytest.raises(ValueError, match="expected KIND=/topic"):
        parse_overrides(["/cam"])
    with pytest.raises(ValueError, match="unknown kind 'depth'; available: image, pose, text, detections"):
        parse_overrides(["depth=/d"])
    with pytest.raises(ValueError, match="one pose topic only"):
        parse_overrides(["pose=/a", "pose=/b"])


def test_bag_uris_round_trip():
    overrides = {"image": ["/cam/image_raw"], "pose": ["/amcl_pose"]}
    for path in (Path("/data/run 1.bag"), Path("relative/run.mcap")):
        uri = bag_uri(path, overrides)
        assert uri.startswith("rosbag://") and parse_uri(uri) == (path, overrides)
    assert parse_uri("plain.bag") == (Path("plain.bag"), {})
