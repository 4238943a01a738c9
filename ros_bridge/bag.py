"""Opening a bag with rosbags (ROS 1 bags, ROS 2 sqlite3 and MCAP bags) and reading its messages,
with one clear message naming the bag and the problem when it cannot be read."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Sequence

from ros_bridge.topics import Topic, bag_path
from streams.errors import SourceError

logger = logging.getLogger(__name__)


class Bag:
    """An open bag: its topics, and its messages deserialised (a context manager)."""

    def __init__(self, path: str | Path):
        from rosbags.highlevel import AnyReader
        from rosbags.typesys import Stores, get_typestore

        self.path = bag_path(Path(path))
        self.name = str(path)
        if not self.path.exists():
            raise SourceError(self.name, "no such file or folder")
        try:
            # ROS 1 bags carry their message definitions; ROS 2 bags without them fall back to Humble's
            self.reader = AnyReader([self.path], default_typestore=get_typestore(Stores.ROS2_HUMBLE))
            self.reader.open()
        except Exception as error:  # noqa: BLE001 - rosbags raises many kinds on a bad bag
            raise SourceError(self.name, "cannot be read as a ROS bag: truncated, damaged or not a bag "
                                         f"({_reason(error)})") from error
        self.connections = list(self.reader.connections)
        self.topics = _topics(self.connections)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def __enter__(self) -> "Bag":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def start_time(self) -> int:
        """Record time of the first message, UNIX nanoseconds."""
        return int(self.reader.start_time)

    @property
    def end_time(self) -> int:
        """Record time of the last message, UNIX nanoseconds."""
        return int(self.reader.end_time)

    def messages(self, topics: Sequence[str]) -> Iterator[tuple[str, int, object]]:
        """(topic, record time in UNIX nanoseconds, message) of ``topics``, in record order.

        A message that cannot be deserialised (a type the bag does not define, a truncated record)
        raises SourceError naming the bag, the topic and the problem.
        """
        chosen = [c for c in self.connections if c.topic in set(topics)]
        if not chosen:
            return
        iterator = self.reader.messages(connections=chosen)
        while True:
            try:
                connection, stamp, raw = next(iterator)
            except StopIteration:
                return
            except Exception as error:  # noqa: BLE001 - a truncated or corrupt bag part-way
                raise SourceError(self.name, f"is truncated or corrupt part-way ({_reason(error)})") from error
            try:
                message = self.reader.deserialize(raw, connection.msgtype)
            except Exception as error:  # noqa: BLE001 - rosbags raises many kinds on a bad message
                raise SourceError(self.name, f"topic {connection.topic}: a {connection.msgtype} message cannot be "
                                             f"decoded ({_reason(error)})") from error
            yield connection.topic, int(stamp), message

    def first(self, topic: str) -> tuple[int, object] | None:
        """(record time, message) of the topic's first message, None when it has none."""
        for _, stamp, message in self.messages([topic]):
            return stamp, message
        return None

    def count(self, topic: str) -> int:
        return sum(t.count for t in self.topics if t.name == topic)

    def msgtype(self, topic: str) -> str | None:
        """The message type of a topic of the bag (None when it has no such topic)."""
        return next((t.msgtype for t in self.topics if t.name == topic), None)


def _topics(connections) -> list[Topic]:
    counts: dict[tuple[str, str], int] = {}
    for c in connections:
        key = (c.topic, c.msgtype)
        counts[key] = counts.get(key, 0) + int(c.msgcount or 0)
    return [Topic(name, msgtype, count) for (name, msgtype), count in sorted(counts.items())]


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def stamp_of(message) -> int | None:
    """The header stamp of a message in nanoseconds, None when it has no header or an unset (zero) stamp."""
    header = getattr(message, "header", None)
    if header is None:
        return None
    nanoseconds = int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)
    return nanoseconds if nanoseconds > 0 else None
