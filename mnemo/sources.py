"""The streams an input holds, for the CLI and jobs: a ROS bag splits into one stream per camera
topic (importing ros_bridge registers the bag source); anything else is one stream."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import ros_bridge  # noqa: F401 - registers the bag source (rosbag:// URIs, .bag, .mcap, ROS 2 bag folders)
from ros_bridge.topics import parse_overrides
from streams.schemes import expand_source


def parse_topics(items: Iterable[str]) -> dict[str, list[str]]:
    """``--topic KIND=/topic`` items as overrides; a bad item raises ValueError naming it."""
    return parse_overrides(items)


def source_streams(source: str, topics: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The URIs of the streams in ``source`` (a bag: one per camera topic, with ``topics`` overrides)."""
    return expand_source(source, topics=dict(topics)) if topics else expand_source(source)


def stream_of(uri: str) -> str:
    """The stream id ``uri`` will be stored under (a bag's camera topic: from the bag's content)."""
    from ros_bridge.source import bag_stream_id
    from ros_bridge.topics import SCHEME, parse_uri
    from streams.identity import stream_id

    if uri.startswith(f"{SCHEME}://"):
        path, overrides = parse_uri(uri)
        return bag_stream_id(path, overrides["image"][0])
    return stream_id(uri)


def duration_of(uri: str) -> float | None:
    """Seconds a bag stream spans by its record times (None when it cannot be read); for job progress."""
    from ros_bridge.bag import Bag
    from ros_bridge.topics import parse_uri
    from streams.errors import SourceError

    try:
        with Bag(parse_uri(uri)[0]) as bag:
            return (bag.end_time - bag.start_time) / 1e9
    except SourceError:
        return None
