"""Which topics of a bag mnemo reads, picked by message type, with a user's overrides, and the
``rosbag://`` URIs that name one camera stream of a bag.

A bag URI is ``rosbag://PATH?image=/cam/image_raw&pose=/amcl_pose&text=/speech``: PATH is the bag
(a ``.bag`` or ``.mcap`` file or a ROS 2 bag folder); each query key overrides the pick of one kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, quote, urlencode

SCHEME = "rosbag"
BAG_SUFFIXES = (".bag", ".mcap", ".db3")  # ROS 1 bags, ROS 2 bags (mcap files, sqlite3 databases)

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
# in order of preference when a bag has several: a localisation's map pose before raw odometry
POSE_TYPES = ("geometry_msgs/msg/PoseWithCovarianceStamped", "geometry_msgs/msg/PoseStamped", "nav_msgs/msg/Odometry")
TF_TYPE = "tf2_msgs/msg/TFMessage"
TEXT_TYPE = "std_msgs/msg/String"
DETECTION_TYPES = ("vision_msgs/msg/Detection2DArray", "vision_msgs/msg/Detection3DArray")
CAMERA_INFO_TYPE = "sensor_msgs/msg/CameraInfo"
AUDIO_TYPES = ("audio_common_msgs/msg/AudioDataStamped", "audio_common_msgs/msg/AudioData")
AUDIO_INFO_TYPE = "audio_common_msgs/msg/AudioInfo"
# what --topic KIND=/topic may set
KINDS = {"image": IMAGE_TYPES, "pose": POSE_TYPES, "text": (TEXT_TYPE,), "detections": DETECTION_TYPES,
         "audio": AUDIO_TYPES}


@dataclass(frozen=True)
class Topic:
    """One topic of a bag."""

    name: str  # "/camera/image_raw"
    msgtype: str  # "sensor_msgs/msg/Image" (rosbags spells ROS 1 types the same way)
    count: int  # messages


@dataclass(frozen=True)
class Choice:
    """The topics one stream reads."""

    images: tuple[str, ...]  # camera topics (one per stream once expanded)
    pose: str | None  # the pose topic, when tf cannot give the camera's pose or the user named one
    pose_named: bool  # the user named the pose topic (it wins over tf)
    texts: tuple[str, ...]  # std_msgs/String topics read as text cues
    tf: tuple[str, ...]  # TFMessage topics (/tf, /tf_static)
    detections: str | None = None  # a Detection2DArray or Detection3DArray topic: the robot's detector
    audio: str | None = None  # an AudioData(Stamped) topic: the microphone
    audio_info: str | None = None  # the AudioInfo topic that describes it
    camera_infos: tuple[str, ...] = ()  # sensor_msgs/CameraInfo topics (3-D detections are projected with one)


def is_bag(path: Path) -> bool:
    """A ROS 1 bag or MCAP file, a ROS 2 bag folder, or a ROS 2 bag's sqlite3 file."""
    path = Path(path)
    if path.is_dir():
        return (path / "metadata.yaml").is_file()
    return path.suffix.lower() in BAG_SUFFIXES and path.is_file()


def bag_path(path: Path) -> Path:
    """What rosbags opens: a ``.db3`` file's bag folder, else the path itself."""
    path = Path(path)
    if path.suffix.lower() == ".db3" and (path.parent / "metadata.yaml").is_file():
        return path.parent
    return path


def parse_overrides(items: Iterable[str]) -> dict[str, list[str]]:
    """``["image=/cam", "pose=/odom"]`` -> ``{"image": ["/cam"], "pose": ["/odom"]}``; bad items raise ValueError."""
    found: dict[str, list[str]] = {}
    for item in items:
        kind, sep, topic = item.partition("=")
        kind, topic = kind.strip().lower(), topic.strip()
        if not sep or not topic:
            raise ValueError(f"--topic {item!r}: expected KIND=/topic, e.g. image=/camera/image_raw")
        if kind not in KINDS:
            raise ValueError(f"--topic {item!r}: unknown kind {kind!r}; available: {', '.join(KINDS)}")
        if kind in ("pose", "detections", "audio") and found.get(kind):
            raise ValueError(f"--topic {item!r}: one {kind} topic only (already {found[kind][0]})")
        found.setdefault(kind, []).append(topic if topic.startswith("/") or topic == "none" else topic)
    return found


def bag_uri(path: str | Path, overrides: Mapping[str, Sequence[str]] | None = None) -> str:
    """The ``rosbag://`` URI of a bag with topic overrides."""
    query = urlencode([(k, t) for k, topics in (overrides or {}).items() for t in topics], safe="/")
    return f"{SCHEME}://{quote(str(path), safe='/._-~:')}" + (f"?{query}" if query else "")


def parse_uri(uri: str) -> tuple[Path, dict[str, list[str]]]:
    """(bag path, overrides) of a ``rosbag://`` URI or a plain bag path."""
    prefix = f"{SCHEME}://"
    if not uri.startswith(prefix):
        return Path(uri), {}
    from urllib.parse import unquote

    path, _, query = uri[len(prefix):].partition("?")
    overrides: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        overrides.setdefault(key, []).append(value)
    return Path(unquote(path)), overrides


def choose(topics: Sequence[Topic], overrides: Mapping[str, Sequence[str]], bag: str) -> Choice:
    """The topics to read: the overrides (checked against the bag), else picked by type."""
    by_name = {t.name: t for t in topics}
    for kind, names in overrides.items():
        if kind not in KINDS:
            raise ValueError(f"{bag}: unknown topic kind {kind!r}; available: {', '.join(KINDS)}")
        for name in names:
            if name == "none" and kind != "image":
                continue
            topic = by_name.get(name)
            if topic is None:
                raise ValueError(f"{bag}: no topic {name} ({kind}) in the bag; its topics: {describe(topics)}")
            if topic.msgtype not in KINDS[kind]:
                raise ValueError(f"{bag}: topic {name} is {topic.msgtype}, not a {kind} topic "
                                 f"({' or '.join(KINDS[kind])})")
    images = tuple(overrides.get("image") or [t.name for t in _of(topics, IMAGE_TYPES)])
    named_pose = [p for p in overrides.get("pose", []) if p != "none"]
    poses = sorted(_of(topics, POSE_TYPES), key=lambda t: (POSE_TYPES.index(t.msgtype), -t.count, t.name))
    pose = named_pose[0] if named_pose else (None if "pose" in overrides else (poses[0].name if poses else None))
    texts = tuple(t for t in overrides.get("text", []) if t != "none") if "text" in overrides else \
        tuple(t.name for t in _of(topics, (TEXT_TYPE,)))
    tf = tuple(t.name for t in _of(topics, (TF_TYPE,)))
    audio = _one(topics, overrides, "audio", AUDIO_TYPES)
    infos = _of(topics, (AUDIO_INFO_TYPE,))
    info = next((t.name for t in infos if audio and t.name.rsplit("/", 1)[0] == audio.rsplit("/", 1)[0]),
                infos[0].name if infos and audio else None)  # the AudioInfo beside the audio topic, else any
    return Choice(images, pose, bool(named_pose), texts, tf, _one(topics, overrides, "detections", DETECTION_TYPES),
                  audio, info, tuple(t.name for t in _of(topics, (CAMERA_INFO_TYPE,))))


def camera_info_of(camera: str, infos: Sequence[str]) -> str | None:
    """The CameraInfo topic of a camera topic: the one in its namespace (``/cam/image_raw`` ->
    ``/cam/camera_info``), else the only one; None when it cannot be told."""
    base = camera.rsplit("/", 1)[0]
    if camera.endswith("/compressed"):
        base = base.rsplit("/", 1)[0]
    beside = [t for t in infos if t.rsplit("/", 1)[0] == base]
    return beside[0] if beside else (infos[0] if len(infos) == 1 else None)


def _one(topics: Sequence[Topic], overrides: Mapping[str, Sequence[str]], kind: str, types: Sequence[str]) -> str | None:
    """The topic of ``kind`` named (``none``: none), else the one of ``types`` with most messages."""
    named = list(overrides.get(kind, []))
    if named:
        return None if named[0] == "none" else named[0]
    found = sorted(_of(topics, types), key=lambda t: (-t.count, t.name))
    return found[0].name if found else None


def _of(topics: Sequence[Topic], types: Sequence[str]) -> list[Topic]:
    return sorted((t for t in topics if t.msgtype in types and t.count > 0), key=lambda t: t.name)


def describe(topics: Sequence[Topic]) -> str:
    """``/odom (nav_msgs/msg/Odometry), ...`` for messages, or ``no topics``."""
    return ", ".join(f"{t.name} ({t.msgtype})" for t in sorted(topics, key=lambda t: t.name)) or "no topics"
