"""The episodic event: a span of one stream with its vectors, keyframes and text."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Keyframe:
    """A representative frame of an event."""

    time: float  # media time, seconds
    jpeg: bytes | None = None  # JPEG bytes, kept in the database (the thumbnail file is a cache)
    path: str | None = None  # thumbnail file path, filled by the store when read back


@dataclass
class Utterance:
    """A stretch of speech: who spoke (a voice entity) and, when known, what was said."""

    stream: str
    start: float  # media time, seconds
    end: float
    text: str = ""  # empty when nothing recognised it (lite without subtitles)
    voice: str | None = None  # "voice:N", a persistent voice of this memory
    origin: str = "vad"  # "asr" (whisper), "subtitle", "sidecar", or "vad" (speech without text)
    language: str | None = None
    words: list[tuple[str, float, float, float]] = field(default_factory=list)  # (word, start, end, probability)
    confidence: float | None = None  # mean token log-probability (asr)
    model: str | None = None  # which recogniser made the text
    event_id: int | None = None  # the event it belongs to, set by the store
    id: int | None = None


@dataclass
class ScreenText:
    """A line of text read on screen (OCR of a keyframe), stored once while it stays on screen."""

    stream: str
    time: float  # media time of the keyframe it was first read on, seconds
    text: str
    box: tuple[float, float, float, float]  # (x0, y0, x1, y1) as fractions of the frame's width and height
    score: float  # the reader's confidence, 0..1
    origin: str = "ocr"
    model: str | None = None  # which reader read it
    event_id: int | None = None  # the event it was first read in, set by the store
    id: int | None = None


@dataclass
class Event:
    """One episodic event, cut where the stream was surprising."""

    stream: str  # stream id
    start: float  # media time, seconds (inclusive)
    end: float  # media time, seconds (exclusive: the next event's start)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)  # space -> (dim,) float32 unit vector
    keyframes: list[Keyframe] = field(default_factory=list)
    text: str = ""  # subtitles / transcript inside the span
    surprise: float = 0.0  # boundary strength at ``start`` (z-score), 0 for a stream's first event
    utterances: list[Utterance] = field(default_factory=list)  # speech inside the span
    screen_text: list[ScreenText] = field(default_factory=list)  # text first read on screen inside the span
    id: int | None = None  # assigned by the store

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Checkpoint:
    """Where ingestion of one stream stands; committed with each event in one transaction."""

    stream: str
    position: float  # media time to resume reading from (the first observation not yet in an event)
    state: bytes = b""  # opaque resume state of the pipeline (segmenter window, counters)
    done: bool = False  # the stream was read to its end
