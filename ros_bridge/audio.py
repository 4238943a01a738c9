"""A bag's microphone: ``audio_common_msgs/AudioData`` or ``AudioDataStamped`` messages, described by an
``AudioInfo`` message (channels, rate, sample format, coding), into 16 kHz mono AudioChunks on the
media-time grid, through PyAV (resampling; MP3 decoding) and streams/audio.py's chunker.

Messages are taken as one continuous recording: each is placed right after the one before, unless
its own time (header stamp, else record time) is more than ``GAP`` seconds away: then the recording
restarts there (a gap, or a clock jump).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import numpy as np

from streams.audio import AudioChunker
from streams.packets import AudioChunk

logger = logging.getLogger(__name__)

GAP = 0.25  # seconds between a message's own time and where the recording has reached that restart it
_PCM = {"S16LE": "<i2", "S16BE": ">i2", "S32LE": "<i4", "S32BE": ">i4", "F32LE": "<f4", "F32BE": ">f4",
        "U8": "u1", "S8": "i1"}
_PCM_CODINGS = ("wave", "wav", "raw", "pcm", "")


class AudioFormatError(ValueError):
    """An audio topic the bridge cannot read; the message says why."""


@dataclass(frozen=True)
class AudioFormat:
    """What an AudioInfo message says (or the defaults of audio_capture when a bag has none)."""

    channels: int = 1
    sample_rate: int = 16000
    sample_format: str = "S16LE"  # GStreamer's names: S16LE, F32LE, U8, ...
    coding_format: str = "wave"  # "wave" (raw PCM) or "mp3"

    def __post_init__(self) -> None:
        if self.channels < 1 or self.sample_rate < 1000:
            raise AudioFormatError(f"audio of {self.channels} channels at {self.sample_rate} Hz cannot be read")
        coding = self.coding_format.lower()
        if coding not in _PCM_CODINGS + ("mp3",):
            raise AudioFormatError(f"audio coding {self.coding_format!r} is not read (wave/PCM or mp3)")
        if coding != "mp3" and self.sample_format.upper() not in _PCM:
            raise AudioFormatError(f"audio sample format {self.sample_format!r} is not read "
                                   f"(supported: {', '.join(_PCM)})")

    @classmethod
    def of(cls, message) -> "AudioFormat":
        return cls(int(message.channels), int(message.sample_rate), str(message.sample_format or "S16LE"),
                   str(message.coding_format or "wave"))


class BagAudio:
    """Audio message payloads in, grid-aligned 16 kHz mono AudioChunks out."""

    def __init__(self, stream: str, chunk_seconds: float, fmt: AudioFormat):
        import av

        self.fmt = fmt
        self.rate = fmt.sample_rate
        self.chunker = AudioChunker(stream, chunk_seconds)
        self.decoder = av.CodecContext.create("mp3", "r") if fmt.coding_format.lower() == "mp3" else None
        self.next: int | None = None  # native sample index where the recording has reached

    def push(self, time: float, data: bytes, at_end: bool = False) -> Iterator[AudioChunk]:
        """Chunks completed by one message's payload, starting at media time ``time`` (ending there when
        ``at_end``: a message without a header stamp is recorded once its audio was captured)."""
        for samples, rate in self._decode(data):
            yield from self._add(time - (samples.size / rate if at_end else 0.0), samples, rate)

    def flush(self) -> Iterator[AudioChunk]:
        yield from self.chunker.flush()

    def _decode(self, data: bytes) -> Iterator[tuple[np.ndarray, int]]:
        """(mono float32 samples, rate) of a payload."""
        if self.decoder is None:
            dtype = np.dtype(_PCM[self.fmt.sample_format.upper()])
            usable = len(data) - len(data) % (dtype.itemsize * self.fmt.channels)
            pcm = np.frombuffer(data[:usable], dtype).reshape(-1, self.fmt.channels).astype(np.float32)
            if dtype.kind in "iu":
                scale = float(np.iinfo(dtype).max) + 1
                pcm = (pcm - scale / 2) / (scale / 2) if dtype.kind == "u" else pcm / scale
            yield pcm.mean(axis=1), self.rate
            return
        import av

        try:
            for packet in self.decoder.parse(bytes(data)):
                for frame in self.decoder.decode(packet):
                    samples = frame.to_ndarray().astype(np.float32)
                    if frame.format.is_planar:
                        mono = samples.mean(axis=0)
                    else:
                        mono = samples.reshape(-1, len(frame.layout.channels)).mean(axis=1)
                    if frame.format.name.startswith("s16"):
                        mono = mono / 32768.0
                    yield mono, frame.sample_rate
        except av.FFmpegError as error:
            logger.warning("an mp3 audio message could not be decoded (%s); skipped", error)

    def _add(self, time: float, samples: np.ndarray, rate: int) -> Iterator[AudioChunk]:
        import av

        if samples.size == 0:
            return
        own = round(time * rate)
        if self.next is None or abs(own - self.next) > GAP * rate:
            self.next = max(own, 0)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, np.float32).reshape(1, -1),
                                           format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, self.next, Fraction(1, rate)
        self.next += samples.size
        yield from self.chunker.push(frame)
