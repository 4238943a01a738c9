"""What passes between ingest stages: plain dataclasses of numpy arrays and scalars (picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from mnemo.runtime.control import COMPLETE
from streams.packets import AudioChunk, Packet, PoseReading, TextCue, VideoFrame


@dataclass
class PacketBatch:
    """The packets read between two frame encoder calls, in read order.

    ``others`` (audio chunks and text cues) were read before the last of ``frames``; the writer
    applies them first, then the encoded frames, which is exactly the inline order.
    """

    stream: str  # stream id
    index: int  # 0, 1, 2 ... within one read of the stream
    frames: list[VideoFrame] = field(default_factory=list)  # to encode, in time order
    others: list[AudioChunk | TextCue | PoseReading] = field(default_factory=list)
    last: bool = False  # no packets follow in this read

    @property
    def header(self) -> "BatchHeader":
        return BatchHeader(self.stream, self.index, len(self.frames), self.last,
                           self.frames[-1].time if self.frames else None)


@dataclass(frozen=True)
class BatchHeader:
    """The small part of a batch a scheduler looks at without fetching the frames."""

    stream: str
    index: int
    frames: int  # how many frames the batch holds
    last: bool
    time: float | None  # media time of its last frame


def batch_packets(packets: Iterable[Packet], stream: str, position: float, batch_size: int) -> Iterator[PacketBatch]:
    """Group packets into batches of ``batch_size`` frames; frames before ``position`` are dropped.

    The last batch (``last=True``) holds what follows the last full batch, possibly no frames.
    """
    batch = PacketBatch(stream, 0)
    for packet in packets:
        if isinstance(packet, VideoFrame):
            if packet.time < position:  # read from an earlier audio chunk boundary
                continue
            batch.frames.append(packet)
            if len(batch.frames) >= batch_size:
                yield batch
                batch = PacketBatch(stream, batch.index + 1)
        elif isinstance(packet, (AudioChunk, TextCue, PoseReading)):
            batch.others.append(packet)
    batch.last = True
    yield batch


@dataclass
class IngestReport:
    """What one ingest of one source did."""

    uri: str
    stream: str = ""
    events: int = 0  # events added by this run
    frames: int = 0  # frames analysed by this run
    media_seconds: float = 0.0  # media time covered by this run
    wall_seconds: float = 0.0
    resumed_from: float | None = None  # media time this run resumed at, None for a fresh start
    skipped: bool = False  # the stream was already fully ingested
    stages: dict[str, float] = field(default_factory=dict)  # seconds spent in decode/encode/segment/store
    ending: str = COMPLETE  # how it ended: complete, ended, lost or stopped (mnemo.runtime.control)
    end_reason: str | None = None  # why, one line, when not complete
    live: bool = False  # a live stream (media time on the wall clock)
    gaps: list[tuple[float, float, str]] = field(default_factory=list)  # live: (start, end, why) with no media
    dropped: int = 0  # live: frames left out to keep the lag bounded
    stale: int = 0  # live: of those, frames skipped as already too far behind the live edge (after a stall)
    captions: dict = field(default_factory=dict)  # keyframe captions: asked, cached, stored, skipped, reasons
    lag: dict[str, float] = field(default_factory=dict)  # live: seconds behind the edge (p50, p99, max)

    @property
    def realtime_factor(self) -> float:
        """Media seconds ingested per wall-clock second."""
        return self.media_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


@dataclass
class Outcome:
    """How one source of a run ended: its report, or the error that stopped it."""

    uri: str
    report: IngestReport | None = None
    error: str | None = None  # one line naming the input and the problem
    error_type: str | None = None  # the exception's class name

    @property
    def ok(self) -> bool:
        return self.error is None


class Listener:
    """What a runtime says about each source while it runs; subclass and override what you need."""

    def started(self, uri: str) -> None:
        """Work on ``uri`` begins."""

    def progress(self, uri: str, done: float, total: float | None) -> None:
        """``done`` media seconds of ``uri`` are committed (``total`` when known)."""

    def finished(self, outcome: Outcome) -> None:
        """``uri`` is ingested, skipped or failed (``outcome.error``)."""


def failure(uri: str, error: BaseException) -> Outcome:
    """The Outcome of a source that raised ``error``: its message is the one line shown to users."""
    return Outcome(uri, error=str(error) or type(error).__name__, error_type=type(error).__name__)
