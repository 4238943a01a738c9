"""The speech stage of ingest: who spoke when, and what they said, for one event's span.

Speech is processed per event, when the event is committed: voice activity detection over the
event's audio, voice embeddings clustered into the memory's persistent voices (``voice:N``), and
whisper on the speech segments when the profile has a recogniser. Subtitles in the span become
utterances too, attributed to the voice that overlaps them. Working per event keeps ingest exactly
resumable: the voice clusterer's state is committed with each event.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from memory.event import Utterance
from perception.errors import WeightsUnavailable
from perception.speech import (
    Diarizer,
    SpeakerTurn,
    Transcript,
    VoiceClusterer,
    attribute_voices,
    create_transcriber,
    create_voice_embedder,
    detect_speech,
)
from streams.packets import AUDIO_RATE, TextCue

logger = logging.getLogger(__name__)

STATE_KEY = "voices"  # memory_state key of the voice clusterer


@dataclass(frozen=True)
class SpeechConfig:
    """The speech section of a profile."""

    vad: str | None = None  # voice activity detector ("energy", "webrtc"); None: no audio is decoded
    vad_options: Mapping[str, Any] = field(default_factory=dict)  # perception.speech.VadOptions fields
    asr: str | None = None  # recogniser ("whisper"); None: text only from subtitles
    asr_options: Mapping[str, Any] = field(default_factory=dict)  # e.g. model, checkpoint, download_root
    voices: str | None = "spectral"  # voice embedder for speaker attribution; None: no voices
    diarizer_options: Mapping[str, Any] = field(default_factory=dict)  # perception.speech.Diarizer options

    @property
    def enabled(self) -> bool:
        return self.vad is not None


class SpeechStage:
    """Turns an event's audio and subtitle cues into utterances with persistent voices."""

    def __init__(self, config: SpeechConfig, state: bytes | None = None):
        self.config = config
        self.timings = {"vad": 0.0, "voices": 0.0, "asr": 0.0}  # seconds spent in each part
        self.transcriber = _transcriber(config)
        self.diarizer = None
        if config.voices is not None:
            embedder = create_voice_embedder(config.voices)
            clusterer = (VoiceClusterer.from_state(_load_npz(state)) if state
                         else VoiceClusterer(embedder.dim, embedder.space))
            self.diarizer = Diarizer(embedder, clusterer, **dict(config.diarizer_options))

    @property
    def model(self) -> str | None:
        return getattr(self.transcriber, "name", None)

    def state(self) -> bytes:
        """The voice clusterer's state, to commit with the event (empty without voices)."""
        if self.diarizer is None:
            return b""
        buffer = io.BytesIO()
        np.savez(buffer, **self.diarizer.state_dict())
        return buffer.getvalue()

    def process(self, stream: str, samples: np.ndarray, start: float, cues: Sequence[TextCue]) -> list[Utterance]:
        """Utterances of one span: ``samples`` (16 kHz mono) begin at media time ``start``."""
        t0 = time.perf_counter()
        segments = detect_speech(samples, start, stream, vad=self.config.vad, **dict(self.config.vad_options)) \
            if len(samples) else []
        t1 = time.perf_counter()
        turns: list[SpeakerTurn] = []
        if self.diarizer is not None and segments:
            for segment in segments:
                turns += self.diarizer.push(segment)
            turns += self.diarizer.finish()
        t2 = time.perf_counter()
        transcripts: list[Transcript] = []
        if self.transcriber is not None and segments:
            transcripts = attribute_voices(self.transcriber.transcribe(segments), turns)
        t3 = time.perf_counter()
        for part, seconds in (("vad", t1 - t0), ("voices", t2 - t1), ("asr", t3 - t2)):
            self.timings[part] += seconds
        utterances = [self._from_transcript(t) for t in transcripts if t.text.strip()]
        utterances += [_from_cue(c, turns) for c in cues]
        covered = utterances[:]
        utterances += [_from_turn(t) for t in turns if not _overlaps(t, covered)]
        return sorted(utterances, key=lambda u: (u.start, u.end))

    def _from_transcript(self, t: Transcript) -> Utterance:
        voice = None if t.voice is None else f"voice:{t.voice}"
        words = [(w.text, float(w.start), float(w.end), float(w.probability)) for w in t.words]
        confidence = None if np.isnan(t.avg_logprob) else float(t.avg_logprob)
        return Utterance(t.stream, float(t.start), float(t.end), " ".join(t.text.split()), voice, "asr",
                         t.language, words, confidence, self.model)


def _transcriber(config: SpeechConfig):
    if config.asr is None:
        return None
    try:
        return create_transcriber(config.asr, **dict(config.asr_options))
    except WeightsUnavailable as err:
        logger.warning("speech recognition off: %s; text comes from subtitles only", err)
        return None


def _from_cue(cue: TextCue, turns: Sequence[SpeakerTurn]) -> Utterance:
    voice = cue.speaker
    if voice is None:
        overlap: dict[int, float] = {}
        for turn in turns:
            shared = min(turn.end, cue.end) - max(turn.start, cue.time)
            if shared > 0:
                overlap[turn.voice] = overlap.get(turn.voice, 0.0) + shared
        voice = f"voice:{max(overlap, key=overlap.get)}" if overlap else None
    return Utterance(cue.stream, float(cue.time), float(cue.end), " ".join(cue.text.split()), voice, cue.origin)


def _from_turn(turn: SpeakerTurn) -> Utterance:
    return Utterance(turn.stream, float(turn.start), float(turn.end), "", turn.entity, "vad")


def _overlaps(turn: SpeakerTurn, utterances: Sequence[Utterance]) -> bool:
    return any(min(turn.end, u.end) - max(turn.start, u.start) > 0.5 * (turn.end - turn.start) for u in utterances)


def drop_voices(state: bytes, voices: Sequence[str]) -> bytes:
    """The voice clusterer state without the centroids of ``voices`` ("voice:N"): for forgetting."""
    data = _load_npz(state)
    drop = {int(v.split(":", 1)[1]) for v in voices}
    keep = np.array([int(i) not in drop for i in data["ids"]], dtype=bool)
    for name in ("ids", "centroid_sums", "counts"):
        data[name] = data[name][keep]
    buffer = io.BytesIO()
    np.savez(buffer, **data)
    return buffer.getvalue()


def _load_npz(state: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(state), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


class AudioBuffer:
    """The audio of the event being formed: chunks from ``start`` on, trimmed exactly at spans."""

    def __init__(self, start: float):
        self.start = start  # media time of samples[0]
        self.samples = np.zeros(0, np.float32)

    def add(self, time: float, samples: np.ndarray) -> None:
        """Append a chunk beginning at media time ``time`` (gaps are filled with silence)."""
        end = self.start + len(self.samples) / AUDIO_RATE
        offset = int(round((time - end) * AUDIO_RATE))
        if offset < 0:  # overlaps what is held (or lies before the buffer): keep the new part
            samples = samples[-offset:]
        elif offset > 0:
            samples = np.concatenate([np.zeros(offset, np.float32), samples])
        if len(samples):
            self.samples = np.concatenate([self.samples, samples.astype(np.float32, copy=False)])

    def take(self, end: float) -> tuple[float, np.ndarray]:
        """Remove and return (start, samples) of [start, end)."""
        count = max(0, min(len(self.samples), int(round((end - self.start) * AUDIO_RATE))))
        start, taken = self.start, self.samples[:count]
        self.samples = self.samples[count:]
        self.start = end
        return start, taken
