"""Speech recognition of VAD segments: the :class:`Transcriber` interface, its registry, and the
:class:`StreamingTranscriber` that runs one on a live stream with bounded latency.

Backends: "whisper" (openai-whisper; :mod:`perception.speech.whisper_backend`) and
"faster-whisper" (CTranslate2, where installed). Times are always the stream's media time.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from perception.options import build_options
from perception.registry import Registry
from perception.speech.vad import SpeechSegment
from streams.packets import TextCue

if TYPE_CHECKING:
    from perception.speech.diarize import SpeakerTurn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    """One recognised word with its span on media time."""

    text: str  # as spoken, with its leading space and punctuation
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    """A recognised stretch of speech."""

    stream: str
    start: float  # media time, seconds
    end: float
    text: str
    language: str  # ISO 639-1 code ("en"), detected or given
    words: tuple[Word, ...] = ()
    avg_logprob: float = float("nan")  # mean token log-probability: confidence of the text
    no_speech_prob: float = float("nan")  # the model's probability that the audio holds no speech
    language_probability: float = float("nan")  # of the detected language; nan when it was given
    voice: int | None = None  # persistent voice id (voice:N) when attributed, see attribute_voices

    def to_cue(self) -> TextCue:
        """The transcript as a ``streams.TextCue`` (origin "asr"), the record subtitles use too."""
        speaker = f"voice:{self.voice}" if self.voice is not None else None
        return TextCue(self.stream, self.start, self.end, self.text, speaker=speaker, origin="asr")


class Transcriber(ABC):
    """Recognises speech segments (16 kHz mono, on media time) into transcripts."""

    #: names the model and weights, e.g. "whisper:small" or "whisper:mnemo-tiny-whisper:random"
    name: str

    @abstractmethod
    def transcribe(self, segments: Sequence[SpeechSegment], prompt: str | None = None) -> list[Transcript]:
        """Transcripts of ``segments`` in media-time order; segments with no speech give none.

        ``prompt``: text said just before (it conditions the vocabulary and style).
        """

    @abstractmethod
    def detect_language(self, samples: np.ndarray) -> dict[str, float]:
        """Probability of each language for (up to 30 s of) 16 kHz mono speech."""


_REGISTRY: Registry[Transcriber] = Registry("transcriber")
_REGISTRY.register_lazy("whisper", "perception.speech.whisper_backend:WhisperTranscriber")
_REGISTRY.register_lazy("faster-whisper", "perception.speech.faster_whisper_backend:FasterWhisperTranscriber")


def register_transcriber(name: str) -> Callable:
    """Decorator registering a Transcriber class (or factory) under ``name``."""
    return _REGISTRY.register(name)


def create_transcriber(name: str = "whisper", **options) -> Transcriber:
    """Build the transcriber registered as ``name`` (options per backend); unknown names list the known."""
    return _REGISTRY.create(name, **options)


def list_transcribers() -> list[str]:
    """Names of the registered transcribers, sorted (a listed backend may still need its package)."""
    return _REGISTRY.names()


def min_samples_for_asr(rate: int = 16_000) -> int:
    """Segments shorter than 0.1 s carry no words; transcribers skip them."""
    return rate // 10


@dataclass(frozen=True)
class StreamingOptions:
    # segments decoded together (one batch); more is faster per segment, later for the first
    batch_size: int = 4
    # longest a closed segment waits for its batch, seconds of media time (0: decode each at once)
    max_wait_s: float = 5.0
    # pass the previous transcript's text as the prompt of the next batch
    condition_on_previous: bool = True
    # characters of previous text kept as prompt
    prompt_chars: int = 200

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"StreamingOptions.batch_size={self.batch_size!r}: expected >= 1")
        if self.max_wait_s < 0:
            raise ValueError(f"StreamingOptions.max_wait_s={self.max_wait_s!r}: expected seconds >= 0")
        if self.prompt_chars < 0:
            raise ValueError(f"StreamingOptions.prompt_chars={self.prompt_chars!r}: expected >= 0")


class StreamingTranscriber:
    """Transcribes segments as the VAD closes them, in batches, with bounded latency.

    A transcript comes at most ``max_wait_s`` of media time after its segment closed (plus the
    decoding time); segments themselves are at most the VAD's ``max_segment_s`` long.
    """

    def __init__(self, transcriber: Transcriber, **options) -> None:
        self.transcriber = transcriber
        self.options = build_options(StreamingOptions, "StreamingTranscriber", options)
        self._pending: list[SpeechSegment] = []
        self._previous_text = ""

    def push(self, segment: SpeechSegment) -> list[Transcript]:
        """Transcripts ready once ``segment`` (just closed) is queued."""
        self._pending.append(segment)
        return self.poll(segment.end)

    def poll(self, now: float) -> list[Transcript]:
        """Transcripts due at media time ``now`` (call it as time passes without speech)."""
        if not self._pending:
            return []
        full = len(self._pending) >= self.options.batch_size
        waited = now - self._pending[0].end >= self.options.max_wait_s
        return self.flush() if full or waited else []

    def flush(self) -> list[Transcript]:
        """Transcribe everything queued (end of stream)."""
        batch, self._pending = self._pending, []
        if not batch:
            return []
        prompt = self._previous_text[-self.options.prompt_chars :] if self.options.condition_on_previous else None
        transcripts = self.transcriber.transcribe(batch, prompt=prompt or None)
        if transcripts:
            self._previous_text = " ".join(t.text for t in transcripts).strip()
        return transcripts

    def reset(self) -> None:
        """Drop queued segments and the prompt (a new stream)."""
        self._pending, self._previous_text = [], ""


def attribute_voices(transcripts: Sequence[Transcript], turns: Sequence[SpeakerTurn]) -> list[Transcript]:
    """Each transcript with the voice (``SpeakerTurn.voice``) that overlaps it most, when any does."""
    attributed = []
    for transcript in transcripts:
        overlap: dict[int, float] = {}
        for turn in turns:
            if turn.stream != transcript.stream or turn.second:  # a second voice over it did not say it
                continue
            shared = min(turn.end, transcript.end) - max(turn.start, transcript.start)
            if shared > 0:
                overlap[turn.voice] = overlap.get(turn.voice, 0.0) + shared
        voice = max(overlap, key=overlap.get) if overlap else None
        attributed.append(replace(transcript, voice=voice))
    return attributed
