"""The speech stage of ingest: who spoke when, and what they said, for one event's span.

Speech is processed per event, when the event is committed: voice activity detection over the
event's audio, voice embeddings clustered into the memory's persistent voices (``voice:N``), and
whisper on the speech segments when the profile has a recogniser. Subtitles in the span become
utterances too, attributed to the voice that overlaps them. Working per event keeps ingest exactly
resumable: the voice clusterer's state is committed with each event.

Two parts run as the audio arrives instead: :class:`SpeechSignal`, the segmenter's speech channel
(speaker changes), and, with ``live_asr``, recognition in overlapping windows so that text is
final within a window's length rather than at the end of its event.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from memory.event import Event, Utterance
from perception.errors import WeightsUnavailable
from perception.speech import (
    Diarizer,
    SpeakerTurn,
    Transcript,
    attribute_voices,
    create_transcriber,
    create_voice_embedder,
    detect_speech,
)
from perception.speech.recluster import VoiceChange, relabelled
from streams.packets import AUDIO_RATE, AudioChunk, TextCue

logger = logging.getLogger(__name__)

STATE_KEY = "voices"  # memory_state key of the voice clusterer


@dataclass(frozen=True)
class SpeechConfig:
    """The speech section of a profile."""

    vad: str | None = None  # voice activity detector ("energy", "webrtc"); None: no audio is decoded
    vad_options: Mapping[str, Any] = field(default_factory=dict)  # perception.speech.VadOptions fields
    asr: str | None = None  # recogniser ("whisper"); None: text only from subtitles
    asr_options: Mapping[str, Any] = field(default_factory=dict)  # e.g. model, checkpoint, download_root
    voices: str | None = "spectral"  # voice embedder ("spectral", "ge2e", "campplus"); None: no voices
    # perception.speech.Diarizer options (the embedder's defaults otherwise), and under "clusterer"
    # VoiceClusterer options (threshold, match_threshold, center, ...)
    diarizer_options: Mapping[str, Any] = field(default_factory=dict)
    # the online speech surprise the segmenter fuses when segmenter.channels has "speech":
    # perception.speech.surprise.SpeechSurpriseOptions fields (window_s, min_voiced, onset_weight, ...)
    surprise_options: Mapping[str, Any] = field(default_factory=dict)
    # recognise speech as the audio arrives, in overlapping windows (perception.speech.live.LiveOptions:
    # window_s, overlap_s), so that each word is final within window_s of media time; events wait
    # for their words. None: recognise each event's speech segments when the event is committed
    live_asr: Mapping[str, Any] | None = None
    # recognise the speech a VAD finds as the audio arrives, batched across events into full 30 s
    # windows (perception.speech.gated.GatedOptions: vad, fill_s, max_wait_s); events wait for their
    # words, at most max_wait_s plus one speech segment. None: each event's speech when it is committed
    gated_asr: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        from perception.options import build_options
        from perception.speech.live import LiveOptions
        from perception.speech.surprise import SpeechSurpriseOptions

        build_options(SpeechSurpriseOptions, "speech.surprise_options", dict(self.surprise_options))
        if self.live_asr is not None:
            build_options(LiveOptions, "speech.live_asr", dict(self.live_asr))
        if self.gated_asr is not None:
            from perception.speech.gated import GatedOptions

            build_options(GatedOptions, "speech.gated_asr", dict(self.gated_asr))
            if self.live_asr is not None:
                raise ValueError("speech: live_asr and gated_asr are two ways of recognising as audio arrives; "
                                 "set one of them")

    @property
    def enabled(self) -> bool:
        return self.vad is not None


class SpeechStage:
    """Turns an event's audio and subtitle cues into utterances with persistent voices."""

    def __init__(self, config: SpeechConfig, state: bytes | None = None):
        self.config = config
        self.timings = {"vad": 0.0, "voices": 0.0, "asr": 0.0}  # seconds spent in each part
        self.transcriber = _transcriber(config)
        self.live = None  # recognition as audio arrives (live_asr), with its final transcripts
        self.heard: list[Transcript] = []
        if self.transcriber is not None and config.live_asr is not None:
            from perception.speech.live import LiveTranscriber

            self.live = LiveTranscriber(self.transcriber, **dict(config.live_asr))
        elif self.transcriber is not None and config.gated_asr is not None:
            from perception.speech.gated import GatedTranscriber

            self.live = GatedTranscriber(self.transcriber, **dict(config.gated_asr))
        self.diarizer = _diarizer(config, state)

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

    def finish_stream(self, store, event: Event) -> int:
        """End of a stream, before its last ``event`` is stored: the end-of-stream pass of the
        diariser (see perception.speech.recluster) relabels the stream's stored utterances and
        ``event``'s. Ids already given out stay. Returns how many utterances changed voice."""
        if self.diarizer is None:
            return 0
        t0 = time.perf_counter()
        changes = self.diarizer.finish_stream()
        changed = 0
        if changes:
            stream = changes[0].stream
            olds = {f"voice:{c.old}" for c in changes}
            stored = [u for u in store.utterances(stream=stream) if u.voice in olds]
            updates = [(u.id, v) for u, v in zip(stored, relabel_utterances(stored, changes)) if v != u.voice]
            changed = store.set_utterance_voices(updates)
            mine = [u for u in event.utterances if u.stream == stream]
            for utterance, voice in zip(mine, relabel_utterances(mine, changes)):
                changed += voice != utterance.voice
                utterance.voice = voice
        self.timings["voices"] += time.perf_counter() - t0
        return changed

    def hear(self, chunk: AudioChunk) -> list[Transcript]:
        """Live recognition: the transcripts ``chunk`` made final (kept for their events too)."""
        t0 = time.perf_counter()
        final = self.live.push(chunk)
        self.timings["asr"] += time.perf_counter() - t0
        self.heard += final
        return final

    def finish_hearing(self) -> list[Transcript]:
        """Live recognition at the end of the stream: the rest of the audio."""
        if self.live is None:
            return []
        t0 = time.perf_counter()
        final = self.live.flush()
        self.timings["asr"] += time.perf_counter() - t0
        self.heard += final
        return final

    def _recognised(self, segments: list, end: float) -> list[Transcript]:
        """The span's transcripts: heard live (middle before ``end``), or recognised now."""
        if self.live is not None:
            mine = [t for t in self.heard if (t.start + t.end) / 2 < end]
            self.heard = [t for t in self.heard if not (t.start + t.end) / 2 < end]
            return mine
        return self.transcriber.transcribe(segments) if segments else []

    def process(self, stream: str, samples: np.ndarray, start: float, cues: Sequence[TextCue]) -> list[Utterance]:
        """Utterances of one span: ``samples`` (16 kHz mono) begin at media time ``start``."""
        t0 = time.perf_counter()
        segments = detect_speech(samples, start, stream, vad=self.config.vad, **dict(self.config.vad_options)) \
            if len(samples) else []
        t1 = time.perf_counter()
        turns: list[SpeakerTurn] = []
        if self.diarizer is not None and segments:
            self.diarizer.hear(stream, samples, start)  # speaker segmentation: overlaps, speech the VAD missed
            for segment in segments:
                turns += self.diarizer.push(segment)
            turns += self.diarizer.finish()
        t2 = time.perf_counter()
        transcripts: list[Transcript] = []
        if self.transcriber is not None:
            transcripts = attribute_voices(self._recognised(segments, start + len(samples) / AUDIO_RATE), turns)
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


def _diarizer(config: SpeechConfig, state: bytes | None) -> Diarizer | None:
    if config.voices is None:
        return None
    try:
        embedder = create_voice_embedder(config.voices)
    except WeightsUnavailable as err:  # as for recognition: ingest goes on, without voices
        logger.warning("voices off: %s; utterances get no voice", err)
        return None
    options = dict(config.diarizer_options)
    clusterer_options = dict(options.pop("clusterer", None) or {})
    diarizer = Diarizer(embedder, clusterer_options=clusterer_options, **options)
    if state:
        diarizer.load_state_dict(_load_npz(state))
    return diarizer


_TRANSCRIBERS: dict[str, Any] = {}  # loaded recognisers by backend and options: one load per process


def _transcriber(config: SpeechConfig):
    if config.asr is None:
        return None
    key = f"{config.asr}:{sorted(dict(config.asr_options).items())!r}"
    if key in _TRANSCRIBERS:
        return _TRANSCRIBERS[key]
    try:
        transcriber = create_transcriber(config.asr, **dict(config.asr_options))
    except WeightsUnavailable as err:
        logger.warning("speech recognition off: %s; text comes from subtitles only", err)
        return None
    _TRANSCRIBERS[key] = transcriber
    return transcriber


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


def relabel_utterances(utterances: Sequence[Utterance], changes: Sequence[VoiceChange]) -> list[str | None]:
    """The voice of each utterance after the end-of-stream pass (its own where no change covers it)."""
    spans = [(u.start, u.end, _voice_id(u.voice)) for u in utterances]
    new = relabelled(spans, list(changes))
    return [u.voice if v is None or v == s[2] else f"voice:{v}" for u, s, v in zip(utterances, spans, new)]


def _voice_id(voice: str | None) -> int | None:
    if voice is None or not voice.startswith("voice:"):
        return None
    try:
        return int(voice.split(":", 1)[1])
    except ValueError:
        return None


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
    if "history_voices" in data:  # the stream's pieces of speech kept for the end-of-stream pass
        keep = ~np.isin(data["history_voices"], list(drop))
        for name in ("history_starts", "history_ends", "history_voices", "history_counts", "history_sums",
                     "history_mixed", "history_seconds"):
            if name in data:  # history_mixed, history_seconds: not in states saved before they existed
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


SPEECH_CHANNEL = "speech"  # the segmenter's side channel fed by SpeechSignal


class SpeechSignal:
    """The segmenter's online speech channel for one stream: audio in, a reading per instant out.

    A reading at time t needs the audio up to t + window_s, so the ingest holds each observation
    until that audio has arrived (:meth:`ready`); readings are a pure function of the audio
    within window_s of t, so a resumed ingest that reads from t - window_s gets the same ones.
    """

    def __init__(self, config: SpeechConfig, max_wait_s: float = 5.0):
        from perception.speech.surprise import RecentAudio, SpeechSurprise

        # always the spectral frame features: cheap, and scored every block_s; a window embedder such
        # as GE2E has no frame-level features to reuse (see docs/speech.md)
        self.surprise = SpeechSurprise("spectral", **dict(config.surprise_options))
        self.audio = RecentAudio()
        self.max_wait_s = max_wait_s  # audio lagging the pictures by more than this is not waited for
        self.seconds = 0.0  # time spent scoring

    @property
    def window_s(self) -> float:
        """How far a reading looks back, and (at most) ahead, of its instant: seconds."""
        return self.surprise.window_s + self.surprise.options.block_s / 2

    def add(self, time: float, samples: np.ndarray) -> None:
        self.audio.add(time, samples)

    def ready(self, when: float, latest: float) -> bool:
        """Whether the reading at ``when`` can be taken, with pictures up to ``latest`` seen."""
        return when + self.window_s <= self.audio.end + 1e-9 or latest - when > self.window_s + self.max_wait_s

    def read(self, when: float) -> dict[str, float]:
        """The channel's reading at ``when`` ({"speech": value}; NaN is no reading)."""
        t0 = time.perf_counter()
        value = self.surprise.score(self.audio, when)
        self.audio.drop_before(when - self.window_s - 1.0)
        self.seconds += time.perf_counter() - t0
        return {SPEECH_CHANNEL: value}
