"""ROS 2 over DDS without rclpy: Cyclone DDS (the ``cyclonedds`` wheel carries the library) with messages
(de)serialised by rosbags, byte for byte the CDR that ROS 2's middlewares put on the wire.

A ROS 2 topic ``/camera/image`` is the DDS topic ``rt/camera/image`` of type
``sensor_msgs::msg::dds_::Image_``; the domain is ``ROS_DOMAIN_ID`` (0 by default). The DDS type of a
message is built from rosbags' definition of it (so that peers that check types see ROS's own), but
samples never go through cyclonedds' Python serialiser: a writer sends rosbags' CDR bytes, a reader
hands the received bytes to rosbags. With ``ROS_LOCALHOST_ONLY=1`` (or
``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST``) and no ``CYCLONEDDS_URI`` of the user's, DDS is kept on
loopback, as ROS 2 does. Fast DDS's type information is ignored: types match by name, as ROS 2's do.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable

logger = logging.getLogger(__name__)

INSTALL = "pip install cyclonedds==11.0.1"
LOOPBACK = ("<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface address=\"127.0.0.1\"/>"
            "</Interfaces><AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto"
            "</ParticipantIndex><MaxAutoParticipantIndex>60</MaxAutoParticipantIndex><Peers><Peer address=\"127.0.0.1\"/>"
            "</Peers></Discovery></Domain></CycloneDDS>")
# vendor 1.15 is eProsima (Fast DDS, ROS 2's default middleware)
COMPATIBILITY = ("<CycloneDDS><Domain id=\"any\"><Compatibility><IgnoreTypeInformation>1.15</IgnoreTypeInformation>"
                 "</Compatibility></Domain></CycloneDDS>")
_BASE = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64")


class DdsUnavailable(RuntimeError):
    """cyclonedds is not installed; the message says what to do."""


def dds_topic(topic: str) -> str:
    """``/camera/image`` -> ``rt/camera/image`` (ROS 2's topic prefix on DDS)."""
    return "rt/" + topic.lstrip("/")


def ros_topic(name: str) -> str | None:
    """``rt/camera/image`` -> ``/camera/image``; None for DDS topics that are not ROS topics."""
    return "/" + name[3:] if name.startswith("rt/") else None


def dds_type(msgtype: str) -> str:
    """``sensor_msgs/msg/Image`` -> ``sensor_msgs::msg::dds_::Image_``."""
    package, kind, name = msgtype.split("/")
    return f"{package}::{kind}::dds_::{name}_"


def ros_type(name: str) -> str | None:
    """``sensor_msgs::msg::dds_::Image_`` -> ``sensor_msgs/msg/Image``; None for other type names."""
    parts = name.split("::")
    if len(parts) != 4 or parts[2] != "dds_" or not parts[3].endswith("_"):
        return None
    return f"{parts[0]}/{parts[1]}/{parts[3][:-1]}"


def _configure() -> None:
    """CYCLONEDDS_URI for this process: Fast DDS's type information ignored (Cyclone cannot read Fast DDS's type
    objects of messages with sequences, e.g. sensor_msgs/Image, and would never match them: ROS 2 matches by
    type name), loopback only where ROS asks for it; a user's own configuration is applied last (it wins)."""
    user = os.environ.get("CYCLONEDDS_URI", "")
    if COMPATIBILITY in user:  # configured already (by this process, or the one that started it)
        return
    localhost = os.environ.get("ROS_LOCALHOST_ONLY") == "1" or \
        os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "").upper() == "LOCALHOST"
    parts = [COMPATIBILITY] + ([LOOPBACK] if localhost and not user else []) + ([user] if user else [])
    os.environ["CYCLONEDDS_URI"] = ",".join(parts)


def domain_id() -> int:
    """ROS_DOMAIN_ID (0 by default), validated."""
    text = os.environ.get("ROS_DOMAIN_ID", "0") or "0"
    if not text.isdigit() or int(text) > 232:
        raise ValueError(f"ROS_DOMAIN_ID = {text!r}: expected an integer from 0 to 232")
    return int(text)


class _Types:
    """DDS struct types built from rosbags' message definitions (nested types shared)."""

    def __init__(self, store):
        from cyclonedds.idl import types

        self.store, self.t = store, types
        self._nested: dict[str, type] = {}

    def _field(self, desc):
        from rosbags.typesys.store import Nodetype

        kind, arg = desc
        t = self.t
        if kind == Nodetype.BASE:
            name, bound = arg
            if name == "string":
                return t.bounded_str[bound] if bound else str
            if name == "bool":
                return bool
            if name in ("byte", "char"):
                return t.uint8
            return getattr(t, name) if name in _BASE else _unknown(name)
        if kind == Nodetype.NAME:
            return self.nested(arg)
        sub, size = arg
        if kind == Nodetype.ARRAY:
            return t.array[self._field(sub), size]
        return t.sequence[self._field(sub), size] if size else t.sequence[self._field(sub)]

    def _struct(self, msgtype: str) -> type:
        from cyclonedds.idl import make_idl_struct

        if msgtype not in self.store.fielddefs:
            raise KeyError(f"message type {msgtype} is not known (known: sensor_msgs, geometry_msgs, nav_msgs, "
                           "std_msgs, tf2_msgs, vision_msgs, audio_common_msgs, ...)")
        _, fields = self.store.fielddefs[msgtype]
        members = {name: self._field(desc) for name, desc in fields} or \
            {"structure_needs_at_least_one_member": self.t.uint8}  # as rosidl does for empty messages
        return make_idl_struct(msgtype.rsplit("/", 1)[-1] + "_", dds_type(msgtype), members)

    def nested(self, msgtype: str) -> type:
        if msgtype not in self._nested:
            self._nested[msgtype] = self._struct(msgtype)
        return self._nested[msgtype]

    def raw(self, msgtype: str) -> type:
        """A topic type whose samples are the CDR bytes themselves (rosbags decodes them)."""
        cls = self._struct(msgtype)
        cls.deserialize = classmethod(lambda _cls, data, **_: _Sample(data))
        return cls


class _Sample(bytes):
    """A received sample's CDR bytes (cyclonedds sets ``sample_info`` on it)."""

    sample_info = None


def _unknown(name: str):
    raise ValueError(f"field type {name} is not supported")


class Writer:
    """Publishes rosbags messages of one type on one ROS 2 topic."""

    def __init__(self, dds: "Dds", topic: str, msgtype: str, writer):
        self.dds, self.topic, self.msgtype, self._writer = dds, topic, msgtype, writer

    def publish(self, message) -> None:
        self.publish_cdr(bytes(self.dds.store.serialize_cdr(message, self.msgtype)))

    def publish_cdr(self, data: bytes) -> None:
        """Publish a message already serialised (a ROS 2 bag's CDR bytes, with their encapsulation header)."""
        from cyclonedds._clayer import ddspy_write

        data = data.ljust((len(data) + 3) & ~3, b"\0")  # as cyclonedds pads a sample
        if ddspy_write(self._writer._ref, data) < 0:
            raise OSError(f"{self.topic}: DDS refused the {self.msgtype} message")

    def matched(self) -> int:
        """Readers matched now."""
        return len(self._writer.get_matched_subscriptions())


class Dds:
    """One DDS participant in the ROS 2 domain: typed readers (each with a thread of its own, so a slow
    callback holds up its topic only) and writers, and the topics the domain publishes."""

    def __init__(self, store=None):
        try:
            from cyclonedds.domain import DomainParticipant
        except ImportError as error:
            raise DdsUnavailable(f"cyclonedds is not installed ({error}): {INSTALL}") from error
        from ros_bridge.msgdefs import ros2_typestore

        _configure()
        self.store = store or ros2_typestore()
        self.types = _Types(self.store)
        self.participant = DomainParticipant(domain_id())
        self._topics: dict[str, object] = {}
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._published = None

    @property
    def messages(self):
        """``"pkg/msg/Type"`` -> rosbags' message class (what :meth:`Writer.publish` takes)."""
        return self.store.types

    def __enter__(self) -> "Dds":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _topic(self, topic: str, msgtype: str):
        from cyclonedds.topic import Topic

        key = dds_topic(topic)
        if key not in self._topics:
            self._topics[key] = Topic(self.participant, key, self.types.raw(msgtype))
        return self._topics[key]

    @staticmethod
    def qos(reliable: bool, depth: int, latched: bool = False):
        from cyclonedds.core import Policy
        from cyclonedds.qos import Qos
        from cyclonedds.util import duration

        policies = [Policy.Reliability.Reliable(duration(seconds=1)) if reliable else Policy.Reliability.BestEffort,
                    Policy.History.KeepLast(depth),
                    # match by type name, as ROS 2's middlewares do: type objects of other vendors' XTypes
                    # (Fast DDS's) are not always understood by Cyclone, which then refuses the match
                    Policy.TypeConsistency.AllowTypeCoercion(ignore_sequence_bounds=True, ignore_string_bounds=True,
                                                             ignore_member_names=False, prevent_type_widening=False,
                                                             force_type_validation=False)]
        if latched:
            policies.append(Policy.Durability.TransientLocal)
        return Qos(*policies)

    def writer(self, topic: str, msgtype: str, reliable: bool = True, depth: int = 10, latched: bool = False) -> Writer:
        """A writer on ``topic`` (reliable by default, as rclpy's publishers; ``latched``: transient local)."""
        from cyclonedds.pub import DataWriter

        return Writer(self, topic, msgtype, DataWriter(self.participant, self._topic(topic, msgtype),
                                                       qos=self.qos(reliable, depth, latched)))

    def reader(self, topic: str, msgtype: str, callback: Callable[[object], None], reliable: bool = False,
               depth: int = 10, latched: bool = False) -> threading.Event:
        """Calls ``callback`` with each message of ``topic`` (decoded by rosbags) in a thread of its own.
        Best-effort by default (it matches best-effort and reliable writers: sensors publish best-effort);
        ``depth`` 1 keeps only the newest message while the callback is busy. Setting the event returned
        stops this reader."""
        from cyclonedds.sub import DataReader

        reader = DataReader(self.participant, self._topic(topic, msgtype), qos=self.qos(reliable, depth, latched))
        stop = threading.Event()
        thread = threading.Thread(target=self._read, args=(reader, topic, msgtype, callback, stop),
                                  name=f"dds {topic}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return stop

    def _read(self, reader, topic: str, msgtype: str, callback, stop: threading.Event) -> None:
        from cyclonedds.core import ReadCondition, SampleState, ViewState, InstanceState, WaitSet
        from cyclonedds.util import duration

        waitset = WaitSet(self.participant)
        condition = ReadCondition(reader, ViewState.Any | InstanceState.Any | SampleState.NotRead)
        waitset.attach(condition)
        while not (self._stop.is_set() or stop.is_set()):
            waitset.wait(duration(milliseconds=200))
            for data in reader.take(N=64, condition=condition):
                if self._stop.is_set() or stop.is_set():
                    return
                if not isinstance(data, _Sample):
                    continue  # an invalid sample (an instance disposed): no data
                try:
                    message = self.store.deserialize_cdr(data, msgtype)
                except Exception as error:  # noqa: BLE001 - one bad message must not end its topic's reader
                    logger.warning("%s: a %s message could not be decoded (%s); skipped", topic, msgtype, error)
                    continue
                try:
                    callback(message)
                except Exception:  # noqa: BLE001 - as rospy: a callback's error is logged, the topic goes on
                    logger.exception("%s: the callback failed", topic)

    def published(self) -> dict[str, str]:
        """The ROS 2 topics published in the domain now (by every writer discovered): name -> type."""
        from cyclonedds.builtin import BuiltinDataReader, BuiltinTopicDcpsPublication

        if self._published is None:
            self._published = BuiltinDataReader(self.participant, BuiltinTopicDcpsPublication)
            self._known: dict[str, str] = {}
        for sample in self._published.read(N=1000):
            name, kind = ros_topic(getattr(sample, "topic_name", "") or ""), ros_type(getattr(sample, "type_name", "") or "")
            if name and kind:
                self._known[name] = kind
        return dict(self._known)

    def close(self) -> None:
        """Stop the readers and leave the domain."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()
        self._topics.clear()
        self._published = None
        participant, self.participant = self.participant, None
        if participant is not None:
            participant.__del__()  # cyclonedds deletes an entity (and its children) there
