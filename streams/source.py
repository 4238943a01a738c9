"""What every source of packets looks like (``Source``), the resume rule and device URIs.

``streams.schemes.open_source`` picks the source for a URI."""

from __future__ import annotations

import abc
import re
from collections.abc import Iterator
from types import TracebackType

from streams.packets import Packet, StreamInfo, TextCue

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
