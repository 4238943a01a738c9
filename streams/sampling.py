"""Which frames of a stream are analysed, and at what size."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SamplingPolicy:
    """How a source samples its video (and whether it decodes audio and text)."""

    fps: float | None = 2.0  # frames analysed per second of media time; None keeps every frame
    keyframes_only: bool = False  # decode only intra frames (fast; about one per GOP)
    frame_size: int | None = 224  # shorter side of delivered frames, never upscaled; None keeps size
    skip_nonref: bool = True  # when fps <= a quarter of the frame rate, do not decode non-reference
    #                          frames (B-frames): the sampled frame of each slot is then a reference frame
    video: bool = True  # decode video frames
    audio: bool = False  # decode audio into 16 kHz mono chunks
    audio_chunk: float = 1.0  # seconds per AudioChunk
    text: bool = True  # read subtitle streams and sidecar .srt/.vtt files

    def __post_init__(self) -> None:
        if self.fps is not None and not (self.fps > 0 and math.isfinite(self.fps)):
            raise ValueError(f"SamplingPolicy.fps must be a positive number or None, got {self.fps!r}")
        if self.frame_size is not None and self.frame_size < 16:
            raise ValueError(f"SamplingPolicy.frame_size must be >= 16 pixels or None, got {self.frame_size!r}")
        if not self.audio_chunk > 0:
            raise ValueError(f"SamplingPolicy.audio_chunk must be > 0 seconds, got {self.audio_chunk!r}")


class FrameClock:
    """Decides which frame times to keep for a target fps.

    Slots are fixed on an absolute grid of media time (slot = floor(t * fps)), so the frames kept
    do not depend on where decoding started: a resumed ingest samples exactly the frames an
    uninterrupted one would have.
    """

    def __init__(self, fps: float | None):
        self.fps = fps
        self._last_slot: int | None = None

    def keep(self, time: float) -> bool:
        if self.fps is None:
            return True
        slot = math.floor(time * self.fps + 1e-6)
        if self._last_slot is not None and slot <= self._last_slot:
            return False
        self._last_slot = slot
        return True
