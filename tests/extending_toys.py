"""One small, real plug-in of each kind (docs/extending.md shows each; tests/test_extending.py runs them).

A source of generated scenes, a colour-histogram frame encoder, a bright-square detector, an RMS
voice activity detector, a recogniser that says how long each speech segment lasts, and an answerer
that counts events. Each is a class and the one line that registers it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

from perception.detection import FrameDetector, register_detector
from perception import FrameEncoder, l2_normalize, register_frame_encoder
from perception.speech.asr import Transcriber, Transcript, register_transcriber
from perception.speech.vad import FrameClassifier, SpeechSegment, register_vad
from planners.answer import Answer
from planners.answerers import register_answerer
from streams.identity import stream_id
from streams.packets import AUDIO_RATE, AudioChunk, Packet, StreamInfo, VideoFrame
from streams.sampling import FrameClock, SamplingPolicy
from streams.schemes import register_source
from streams.source import Source

# the generated stream: three 4-second scenes, a white square in two of them, three tone bursts
SCENES = [  # (start, end, background RGB, square as (x, y, side) in shares of the frame height, or None)
    (0.0, 4.0, (150, 30, 30), (0.2, 0.3, 0.25)),
    (4.0, 8.0, (30, 150, 30), None),
    (8.0, 12.0, (30, 30, 150), (0.9, 0.5, 0.3)),
]
BURSTS = [(1.0, 2.5), (5.0, 6.0), (9.0, 11.0)]  # seconds with a 220 Hz tone (the "speech")
DURATION = 12.0


def scene_frame(time: float, height: int) -> np.ndarray:
    """The RGB frame the source shows at ``time``, ``height`` pixels high (4:3)."""
    start, end, colour, square = next(s for s in SCENES if s[0] <= time < s[1] or s is SCENES[-1])
    frame = np.empty((height, height * 4 // 3, 3), np.uint8)
    frame[:] = colour
    if square is not None:
        x, y, side = (round(v * height) for v in square)
        frame[y:y + side, x:x + side] = 255
    return frame


@register_source("toy")
class ToySource(Source):
    """``toy://anything``: the generated scenes, frames at 10 fps and 16 kHz audio."""

    def __init__(self, uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True):
        self.policy = policy
        self.height = min(240, policy.frame_size or 240)
        self.info = StreamInfo(stream=stream or stream_id(uri), uri=uri, kind="generated", duration=DURATION,
                               width=self.height * 4 // 3, height=self.height, fps=10.0, has_video=True,
                               has_audio=True)

    def packets(self, start: float = 0.0) -> Iterator[Packet]:
        clock, chunk = FrameClock(self.policy.fps), self.policy.audio_chunk
        next_audio = np.floor(start / chunk) * chunk
        for tick in range(int(DURATION * 10)):
            time = tick / 10
            while self.policy.audio and next_audio <= time and next_audio < DURATION:
                yield AudioChunk(self.info.stream, next_audio, tone(next_audio, min(chunk, DURATION - next_audio)))
                next_audio += chunk
            if time >= start and self.policy.video and clock.keep(time):
                yield VideoFrame(self.info.stream, time, scene_frame(time, self.height), keyframe=True)


def tone(start: float, seconds: float) -> np.ndarray:
    """The audio from ``start``: a 220 Hz tone inside the bursts, faint noise outside."""
    t = start + np.arange(round(seconds * AUDIO_RATE)) / AUDIO_RATE
    voiced = np.zeros(len(t), bool)
    for a, b in BURSTS:
        voiced |= (t >= a) & (t < b)
    noise = np.random.default_rng(round(start * 1000)).normal(0, 1e-3, len(t))
    return (np.where(voiced, 0.3 * np.sin(2 * np.pi * 220 * t), 0) + noise).astype(np.float32)


@register_frame_encoder("toy-histogram")
class HistogramEncoder(FrameEncoder):
    """An 8-bin histogram per RGB channel (24-d), unit length."""

    space, dim, frame_size = "toy-histogram:24", 24, 64

    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        rows = [np.concatenate([np.histogram(image[..., c], bins=8, range=(0, 256))[0] for c in range(3)])
                for image in images]
        return l2_normalize(np.asarray(rows, np.float32).reshape(len(rows), self.dim))


@register_detector("toy-squares")
class BrightSquareDetector(FrameDetector):
    """Bright (all channels above 200), filled, square regions of at least 8 x 8 pixels."""

    kind = "object"

    def find(self, frame: np.ndarray):
        mask = (frame.min(axis=2) > 200).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        found = []
        for x, y, w, h, area in stats[1:count]:
            if min(w, h) >= 8 and 0.8 <= w / h <= 1.25 and area >= 0.9 * w * h:
                found.append(((float(x), float(y), float(x + w), float(y + h)), 0.9, "square"))
        return found


@register_vad("toy-rms")
class RmsClassifier(FrameClassifier):
    """A frame is voiced when its RMS exceeds 0.05 (about -26 dBFS)."""

    def classify(self, frames: np.ndarray) -> np.ndarray:
        return np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)) > 0.05


@register_transcriber("toy-duration")
class DurationTranscriber(Transcriber):
    """Recognises each segment as the words "speech of N.N seconds" (its own length)."""

    name = "toy-duration"

    def __init__(self, **options) -> None:
        self.options = options

    def transcribe(self, segments: Sequence[SpeechSegment], prompt: str | None = None) -> list[Transcript]:
        return [Transcript(s.stream, s.start, s.end, f"speech of {s.duration:.1f} seconds", "en") for s in segments]

    def detect_language(self, samples: np.ndarray) -> dict[str, float]:
        return {"en": 1.0}


@register_answerer("toy-count")
class CountAnswerer:
    """Answers every question with the number of events stored before the time it is asked at."""

    def __init__(self, store, retriever) -> None:
        self.store = store

    def answer(self, question: str, at: float | None) -> Answer:
        count = sum(1 for e in self.store.events() if at is None or e.end <= at)
        return Answer(question, f"{count} events", value=count, kind="count", confidence=1.0, asked_at=at,
                      answerer="toy-count")
