"""What every source of packets looks like, and ``open_source`` that picks one for a URI."""

from __future__ import annotations

import abc
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from streams.identity import is_url
from streams.packets import Packet, StreamInfo, TextCue
from streams.sampling import SamplingPolicy

if TYPE_CHECKING:
    from streams.live import LiveOptions

log = logging.getLogger(__name__)

NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt")
_DEVICE_FORMAT = re.compile(r"^([A-Za-z0-9_]+):(.*)$")


class Source(abc.ABC):
    """An opened stream. ``info`` is set once constructed; ``packets()`` reads it.

    Sources are context managers: leaving the ``with`` block (or ``close()``) releases
    decoders, files and connections.
    """

    info: StreamInfo

    @abc.abstractmethod
    def packets(self, start: float = 0.0) -> Iterator[Packet]:
        """Packets in (approximately) media-time order, from media time ``start`` on.

        Packets before ``start`` are dropped; a text cue is dropped only when it ends by ``start``.
        """

    def close(self) -> None:
        """Release what the source holds; safe to call twice."""

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def keep_after(packet: Packet, start: float) -> bool:
    """The resume rule: a packet is kept from ``start`` on; a text cue while it still shows."""
    if isinstance(packet, TextCue):
        return packet.end > start
    return packet.time >= start


def open_source(uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True,
                live: "LiveOptions | None" = None) -> Source:
    """The source for ``uri``: an image folder, a network URL, a capture device, or a media file.

    Devices are ``/dev/videoN``, ``device:/dev/videoN`` (V4L2) or ``device:FORMAT:NAME``
    (e.g. ``device:avfoundation:0``). With ``live`` options, a URL or device without a duration
    (a live stream) becomes a :class:`streams.live.LiveSource` that reconnects and keeps wall-clock time.
    """
    from streams.av_source import AVSource
    from streams.image_folder import ImageFolderSource

    uri = uri.strip()
    if parse_device(uri) is not None:
        return _maybe_live(AVSource, uri, policy, stream, require_video, live)
    if is_url(uri):
        scheme = uri.split("://", 1)[0].lower()
        if scheme == "file":
            uri = uri[len("file://") :]
        elif scheme not in NETWORK_SCHEMES:
            log.debug("%s: unknown URL scheme %r; letting FFmpeg try it", uri, scheme)
    if not is_url(uri) and Path(uri).is_dir():
        return ImageFolderSource(uri, policy, stream=stream)
    if is_url(uri):
        return _maybe_live(AVSource, uri, policy, stream, require_video, live)
    return AVSource(uri, policy, stream=stream, require_video=require_video)


def _maybe_live(av_source, uri: str, policy: SamplingPolicy, stream: str | None, require_video: bool,
                live: "LiveOptions | None") -> Source:
    """An AVSource, wrapped in a LiveSource when ``live`` is given and the stream has no duration."""
    if live is None:
        return av_source(uri, policy, stream=stream, require_video=require_video)
    from streams.live import LiveSource

    # http(s) may serve a recording (read like a file, with the usual read timeout) or a live playlist
    scheme = uri.split("://", 1)[0].lower() if is_url(uri) else "device"
    timeout = {} if scheme in ("http", "https") else {"read_timeout": live.stall}
    first = av_source(uri, policy, stream=stream, require_video=require_video, **timeout)
    if first.info.duration is not None:  # a recording served over the network: read it like a file
        return first

    def connect():
        return av_source(uri, policy, stream=first.info.stream, require_video=require_video,
                         open_timeout=live.stall, read_timeout=live.stall)

    return LiveSource(first, connect, live)


def parse_device(uri: str) -> tuple[str, str] | None:
    """``(FFmpeg input format, device name)`` for a device URI, else None."""
    if uri.startswith("/dev/video"):
        return "v4l2", uri
    if not uri.startswith("device:"):
        return None
    rest = uri[len("device:") :]
    if rest.startswith("/"):
        return "v4l2", rest
    match = _DEVICE_FORMAT.match(rest)
    if match is None:
        return "v4l2", rest
    return match.group(1), match.group(2)
