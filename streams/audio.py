"""Decoded audio → 16 kHz mono float32 chunks cut on an absolute grid of media time.

Resampling goes through 16-bit mono, as whisper's own loader (``ffmpeg -ac 1 -ar 16000 -f s16le``)
does: FFmpeg normalises its downmix only for integer output, and a float downmix of two
full-scale channels (or 5.1) exceeds [-1, 1].

Chunk k covers ``[k * chunk, (k + 1) * chunk)`` seconds whatever sample decoding started
from, so a resumed read yields the same chunks as an uninterrupted one. At most one chunk of
samples is held at a time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import av
import numpy as np

from streams.packets import AUDIO_RATE, AudioChunk

log = logging.getLogger(__name__)

_S16 = np.float32(32768.0)  # full scale of 16-bit samples
_GAP = 0.1  # seconds of pts jump (either way) that restart the sample count instead of being ignored


def _phase_aligned(frame: av.AudioFrame, rate: int) -> av.AudioFrame | None:
    """``frame`` without its first samples up to an absolute index where input and output sample grids meet.

    Resampling then computes every output sample from the same input positions whether decoding
    started at 0 or at a resume point (44.1 kHz -> 16 kHz grids meet every 441 input samples), so
    a resumed read yields the same samples. None when the whole frame falls before that index.
    """
    if frame.pts is None or frame.time_base is None:
        return frame
    period = frame.sample_rate // math.gcd(frame.sample_rate, rate)
    first = round(frame.pts * frame.time_base * frame.sample_rate)
    skip = (-first) % period
    if skip == 0:
        return frame
    if skip >= frame.samples:
        return None
    channels = 1 if frame.format.is_planar else len(frame.layout.channels)
    try:
        trimmed = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(frame.to_ndarray()[:, skip * channels :]), format=frame.format.name, layout=frame.layout.name
        )
    except (ValueError, av.error.FFmpegError):  # a layout PyAV cannot rebuild: resample unaligned
        return frame
    trimmed.sample_rate = frame.sample_rate
    trimmed.time_base = frame.time_base
    trimmed.pts = frame.pts + round(skip / (frame.sample_rate * frame.time_base))
    return trimmed


class AudioChunker:
    """Resamples audio frames and yields grid-aligned AudioChunks."""

    def __init__(self, stream: str, chunk_seconds: float, rate: int = AUDIO_RATE, origin: float = 0.0):
        self.stream = stream
        self.rate = rate
        self._origin = origin  # seconds subtracted from frame times: the container's start, as for video
        self._chunk = max(1, round(chunk_seconds * rate))  # samples per grid cell
        self._resampler: av.AudioResampler | None = None
        self._layout: tuple | None = None  # (format, layout, rate) the resampler was built for
        self._parts: list[np.ndarray] = []
        self._start: int | None = None  # absolute sample index of the first buffered sample
        self._count = 0  # samples buffered
        self._next: int | None = None  # absolute sample index expected next

    def push(self, frame: av.AudioFrame) -> Iterator[AudioChunk]:
        """Chunks completed by one decoded frame."""
        signature = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._resampler is None or signature != self._layout:
            yield from self._drain()
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=self.rate)
            self._layout = signature
            frame = _phase_aligned(frame, self.rate)
            if frame is None:
                self._resampler = None
                return
        for out in self._resampler.resample(frame):
            yield from self._add(out)

    def flush(self) -> Iterator[AudioChunk]:
        """The resampler's tail and the last, partial chunk."""
        yield from self._drain()
        yield from self._emit_rest()

    def _drain(self) -> Iterator[AudioChunk]:
        if self._resampler is not None:
            for out in self._resampler.resample(None):
                yield from self._add(out)
            self._resampler = None

    def _add(self, out: av.AudioFrame) -> Iterator[AudioChunk]:
        samples = out.to_ndarray().reshape(-1).astype(np.float32) / _S16
        if samples.size == 0:
            return
        position = self._position(out)
        if self._next is not None and abs(position - self._next) > _GAP * self.rate:
            log.debug("audio jumps from %.3f s to %.3f s; restarting the chunk grid count",
                      self._next / self.rate, position / self.rate)
            yield from self._emit_rest()
        if self._start is None:
            self._start = position
        self._parts.append(samples)
        self._count += samples.size
        self._next = self._start + self._count
        yield from self._emit_full()

    def _position(self, out: av.AudioFrame) -> int:
        if out.pts is not None and out.time_base is not None:
            return round((out.pts * out.time_base - self._origin) * self.rate)
        return self._next if self._next is not None else 0

    def _emit_full(self) -> Iterator[AudioChunk]:
        while self._start is not None:
            boundary = (math.floor(self._start / self._chunk) + 1) * self._chunk
            take = boundary - self._start
            if self._count < take:
                return
            buffer = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
            yield self._chunk_of(buffer[:take])
            rest = buffer[take:]
            self._parts = [rest] if rest.size else []
            self._count = rest.size
            self._start = boundary

    def _emit_rest(self) -> Iterator[AudioChunk]:
        if self._start is not None and self._count:
            yield self._chunk_of(np.concatenate(self._parts))
        self._parts, self._count = [], 0
        self._start = None

    def _chunk_of(self, samples: np.ndarray) -> AudioChunk:
        return AudioChunk(stream=self.stream, time=self._start / self.rate,
                          samples=np.ascontiguousarray(samples, dtype=np.float32), sample_rate=self.rate)
