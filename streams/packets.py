"""The typed, timestamped records a source yields.

Time is always the stream's own media time in seconds (float), never a frame index.
Records are plain dataclasses of numpy arrays and scalars so that they pickle cheaply
between processes (Ray) and carry no reference to the decoder that made them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

import numpy as np

AUDIO_RATE = 16_000  # every AudioChunk is float32 mono at this rate


@dataclass(frozen=True)
class VideoFrame:
    """One decoded, display-oriented frame."""

    stream: str  # stream id (see streams.identity.stream_id)
    time: float  # media time of the frame's presentation, seconds
    image: np.ndarray  # H x W x 3, uint8, RGB, rotation and pixel aspect already applied
    keyframe: bool = False  # the frame was an intra (key) frame in the bitstream


@dataclass(frozen=True)
class AudioChunk:
    """A run of audio samples, resampled to 16 kHz mono float32 in [-1, 1]."""

    stream: str
    time: float  # media time of the first sample, seconds
    samples: np.ndarray  # (n,) float32
    sample_rate: int = AUDIO_RATE

    @property
    def end(self) -> float:
        return self.time + len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class TextCue:
    """A span of text tied to media time: a subtitle cue or a transcript line."""

    stream: str
    time: float  # start, seconds
    end: float  # end, seconds
    text: str
    speaker: str | None = None  # who speaks, when the source says so
    origin: str = "subtitle"  # "subtitle" (embedded stream), "sidecar" (.srt/.vtt), "asr"


@dataclass(frozen=True)
class PoseReading:
    """Where the camera of a stream was at a media time (a robot's odometry, tf or localisation).

    Sources that know poses (ROS bags) yield them among their packets; ingest logs them.
    """

    stream: str
    time: float  # media time, seconds
    x: float  # metres, in ``frame``
    y: float
    yaw: float = 0.0  # radians, counter-clockwise from +x: the way the camera looks
    frame: str = "odom"  # the fixed frame x, y are in ("map", "odom", ...)


Packet = Union[VideoFrame, AudioChunk, TextCue, PoseReading]


@dataclass(frozen=True)
class StreamGap:
    """A span of a live stream's media time with nothing in it: the source dropped and came back.

    Not a Packet: a live source yields it between the packets before and after the gap.
    """

    stream: str
    time: float  # media time the last packet before the gap ended
    end: float  # media time of the first packet after it
    reason: str  # why the stream dropped, one line

    @property
    def seconds(self) -> float:
        return self.end - self.time


@dataclass(frozen=True)
class StreamInfo:
    """What is known about a source once it is opened."""

    stream: str  # stream id
    uri: str  # what the user named: a path, URL or device
    kind: str  # "file", "url", "device", "images"
    duration: float | None  # seconds, None for live streams
    width: int | None = None  # display width of the video, after rotation and pixel aspect
    height: int | None = None
    fps: float | None = None  # average frame rate, when the container says
    has_video: bool = False
    has_audio: bool = False
    has_subtitles: bool = False
    rotation: int = 0  # degrees the frames were rotated to display upright
    wall_clock: float | None = None  # UNIX time of media time 0, when known (live streams, metadata)
    extra: dict = field(default_factory=dict)
