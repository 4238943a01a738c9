"""Voice activity detection: 16 kHz audio chunks in, speech segments on media time out.

A frame classifier ("energy": speech-band energies over adaptive noise floors; "webrtc":
WebRTC's GMM detector; "silero": the Silero VAD network, see :mod:`perception.speech.silero`) labels fixed frames voiced or not; :class:`VoiceActivityDetector` turns
the labels into segments online, with hangover (``min_silence_ms``), padding, a minimum length
and a maximum length (long speech is split at its quietest frame), and drops segments with too
few periodic, pitched frames (thumps, rustle and hiss are loud but not voiced). Memory is
bounded by one maximum-length segment of samples.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from perception.options import build_options
from perception.registry import Registry
from streams.packets import AUDIO_RATE, AudioChunk

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SpeechSegment:
    """A span of speech with its samples (16 kHz mono float32), on the stream's media time."""

    stream: str  # stream id of the audio
    start: float  # media time of the first sample, seconds
    end: float  # media time just after the last sample, seconds
    samples: np.ndarray  # (n,) float32, n == round((end - start) * sample_rate)
    sample_rate: int = AUDIO_RATE

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class VadOptions:
    # 0 keeps the most speech (and noise) .. 3 drops the most non-speech (and some speech)
    aggressiveness: int = 2
    # frame length the classifier labels: 10, 20 or 30 ms
    frame_ms: int = 30
    # voiced spans shorter than this (first to last voiced frame) are dropped as noise
    min_speech_ms: int = 250
    # hangover: a segment closes only after this much unvoiced audio
    min_silence_ms: int = 300
    # audio kept before the first and after the last voiced frame of a segment
    padding_ms: int = 200
    # longer speech is split (at its quietest frame) so that no segment exceeds this, seconds
    max_segment_s: float = 30.0
    # energy backend: dB above the noise floor that count as voiced; None derives it from aggressiveness
    threshold_db: float | None = None
    # energy backend and silero's gain: seconds of history the noise floor (a running minimum) is taken over
    noise_window_s: float = 3.0
    # a jump of the chunk times larger than this (seconds) closes the open segment and restarts
    max_gap_s: float = 0.1
    # segments with a smaller share of voiced (periodic, pitched) frames are dropped as noise; 0 keeps all
    min_voiced: float = 0.15
    # silero backend: speech probability a frame needs to start speech (it stays speech down to this
    # minus 0.15); None derives it from aggressiveness (0.3, 0.4, 0.5, 0.6)
    probability: float | None = None
    # silero backend: frames the energy detector (same aggressiveness, threshold_db, noise_window_s) calls
    # voiced are speech from this lower probability on (reverberant or band-limited speech, which the network
    # rates 0.1-0.5, still rises over the room's noise floor); None: the network's own threshold alone
    support_probability: float | None = None
    # silero backend: loudness normalisation of the audio the network reads (perception.speech.loudness):
    # the loudest recent audio is raised to this level, dBFS; None: the audio as it is
    gain_target_db: float | None = None
    # ... by at most this many dB
    max_gain_db: float = 30.0
    # ... and never so far that the noise floor (quietest audio over noise_window_s) passes this level, dBFS
    gain_ceiling_db: float = -55.0
    # dB per second the followed peak level falls after loud audio (how fast the gain rises again)
    gain_release_db_s: float = 2.0

    def __post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"VadOptions.aggressiveness={self.aggressiveness!r}: expected 0, 1, 2 or 3")
        if self.frame_ms not in (10, 20, 30):
            raise ValueError(f"VadOptions.frame_ms={self.frame_ms!r}: expected 10, 20 or 30")
        for name in ("min_speech_ms", "min_silence_ms", "padding_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"VadOptions.{name}={getattr(self, name)!r}: expected milliseconds >= 0")
        if not self.max_segment_s * 1000 > 2 * self.padding_ms + self.frame_ms * 4:
            raise ValueError(
                f"VadOptions.max_segment_s={self.max_segment_s!r}: expected seconds well above twice "
                f"padding_ms ({self.padding_ms} ms)"
            )
        if not 0.0 <= self.min_voiced < 1.0:
            raise ValueError(f"VadOptions.min_voiced={self.min_voiced!r}: expected a share in [0, 1)")
        if self.probability is not None and not 0.15 < self.probability < 1.0:
            raise ValueError(f"VadOptions.probability={self.probability!r}: expected a probability in (0.15, 1)")
        if self.support_probability is not None and not 0.0 < self.support_probability < 1.0:
            raise ValueError(f"VadOptions.support_probability={self.support_probability!r}: expected a probability "
                             "in (0, 1) or None")
        if not self.max_gain_db >= 0:
            raise ValueError(f"VadOptions.max_gain_db={self.max_gain_db!r}: expected dB >= 0")
        if not self.gain_release_db_s > 0:
            raise ValueError(f"VadOptions.gain_release_db_s={self.gain_release_db_s!r}: expected dB per second > 0")
        if self.gain_target_db is not None and not self.gain_target_db <= 0:
            raise ValueError(f"VadOptions.gain_target_db={self.gain_target_db!r}: expected dBFS <= 0 or None")
        if not self.noise_window_s > 0:
            raise ValueError(f"VadOptions.noise_window_s={self.noise_window_s!r}: expected seconds > 0")


class FrameClassifier(ABC):
    """Labels fixed-length frames of 16 kHz float32 audio as voiced or not (stateful, online)."""

    def __init__(self, options: VadOptions) -> None:
        self.options = options

    @abstractmethod
    def classify(self, frames: np.ndarray) -> np.ndarray:
        """(n,) bool for (n, frame_samples) float32 frames, in stream order."""

    def reset(self) -> None:
        """Forget what was learnt about the stream (noise level, ...)."""


_REGISTRY: Registry[FrameClassifier] = Registry("voice activity detector")


def register_vad(name: str) -> Callable:
    """Decorator registering a FrameClassifier class under ``name``."""
    return _REGISTRY.register(name)


def list_vads() -> list[str]:
    """Names of the registered voice activity detectors, sorted."""
    return _REGISTRY.names()


def create_vad(name: str = "energy", **options) -> VoiceActivityDetector:
    """A detector using the frame classifier registered as ``name``, with :class:`VadOptions`."""
    opts = build_options(VadOptions, f"voice activity detector {name!r}", options)
    return VoiceActivityDetector(_REGISTRY.factory(name)(opts), opts)


@register_vad("webrtc")
class WebRtcClassifier(FrameClassifier):
    """WebRTC's voice activity detector (webrtcvad); ``aggressiveness`` is its mode."""

    def __init__(self, options: VadOptions) -> None:
        super().__init__(options)
        try:
            import webrtcvad
        except ImportError as error:
            raise ImportError(
                "voice activity detector 'webrtc' needs webrtcvad: pip install webrtcvad-wheels "
                "(or use the built-in 'energy' detector)"
            ) from error
        self._vad = webrtcvad.Vad(options.aggressiveness)

    def classify(self, frames: np.ndarray) -> np.ndarray:
        pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
        return np.fromiter((self._vad.is_speech(row.tobytes(), AUDIO_RATE) for row in pcm), dtype=bool, count=len(pcm))


# dB above the noise floor per aggressiveness level
_ENERGY_THRESHOLDS_DB = (6.0, 9.0, 12.0, 15.0)
# bands (Hz) whose energies are followed: speech raises them all, rumble or hiss only one
_SPEECH_BANDS_HZ = ((200.0, 1000.0), (1000.0, 2000.0), (2000.0, 4000.0))
# frames quieter than this (dB full scale) are never voiced: digital silence, dither
_ABSOLUTE_FLOOR_DB = -65.0
# at the start of a stream, the floor is taken as this quiet for this long (ms)
_WARMUP_MS = 300


@register_vad("energy")
class EnergyClassifier(FrameClassifier):
    """Speech-band energies above adaptive noise floors (minimum statistics over a few seconds).

    Each band keeps its own floor; a frame is voiced when the bands' mean rise above their
    floors exceeds the threshold, so noise confined to one band (rumble, hiss) rarely counts.
    """

    def __init__(self, options: VadOptions) -> None:
        super().__init__(options)
        self.threshold_db = (
            options.threshold_db if options.threshold_db is not None else _ENERGY_THRESHOLDS_DB[options.aggressiveness]
        )
        frame = AUDIO_RATE * options.frame_ms // 1000
        self._n_fft = 1 << (frame - 1).bit_length()
        bins = np.fft.rfftfreq(self._n_fft, 1.0 / AUDIO_RATE)
        self._bands = np.stack([(bins >= low) & (bins < high) for low, high in _SPEECH_BANDS_HZ]).astype(np.float32)
        self._history: deque[np.ndarray] = deque(maxlen=max(1, round(options.noise_window_s * 1000 / options.frame_ms)))
        self._warmup = max(1, round(_WARMUP_MS / options.frame_ms))
        self._seen = 0
        self._smoothed: np.ndarray | None = None

    def reset(self) -> None:
        self._history.clear()
        self._seen = 0
        self._smoothed = None

    def classify(self, frames: np.ndarray) -> np.ndarray:
        from perception.speech.spectral import power_spectrum

        if len(frames) == 0:
            return np.zeros(0, dtype=bool)
        norm = frames.shape[1] * 0.375  # Hann window power: a full-scale sine reads about 0 dB
        band_db = 10.0 * np.log10(power_spectrum(frames, self._n_fft) @ self._bands.T / norm + 1e-12)
        total_db = 10.0 * np.log10(band_db.shape[1] * np.mean(10 ** (band_db / 10), axis=1) + 1e-12)
        voiced = np.zeros(len(frames), dtype=bool)
        for i, levels in enumerate(band_db):
            # floors follow lightly smoothed levels so that single quiet frames do not drag them down
            self._smoothed = levels if self._smoothed is None else 0.5 * self._smoothed + 0.5 * levels
            self._history.append(self._smoothed)
            self._seen += 1
            floor = np.min(self._history, axis=0)
            if self._seen <= self._warmup:  # nothing learnt yet: speech from the first frame still counts
                floor = np.minimum(floor, _ABSOLUTE_FLOOR_DB)
            rise = levels - floor
            voiced[i] = rise.mean() > self.threshold_db and total_db[i] > _ABSOLUTE_FLOOR_DB
        return voiced


_REGISTRY.register_lazy("silero", "perception.speech.silero:SileroClassifier")


class VoiceActivityDetector:
    """Online speech segmentation: :meth:`push` audio chunks, get the segments they close."""

    def __init__(self, classifier: FrameClassifier, options: VadOptions | None = None) -> None:
        self.classifier = classifier
        self.options = options or classifier.options
        opts = self.options
        self._frame = AUDIO_RATE * opts.frame_ms // 1000  # samples per frame
        self._pad = AUDIO_RATE * opts.padding_ms // 1000
        self._hangover = max(1, math.ceil(max(opts.min_silence_ms, opts.padding_ms) / opts.frame_ms))
        self._min_speech = AUDIO_RATE * opts.min_speech_ms // 1000
        self._max_len = int(AUDIO_RATE * opts.max_segment_s)
        self.reset()

    def reset(self) -> None:
        """Forget the stream: drop buffered audio and any open segment."""
        self.classifier.reset()
        self._stream = ""
        self._origin: float | None = None  # media time of sample 0 of the current run
        self._buffer = np.zeros(0, dtype=np.float32)  # samples from _buffer_start on
        self._buffer_start = 0
        self._next_frame = 0  # index of the next frame to classify
        self._last_end = 0  # sample index where the previous segment ended
        self._open_start: int | None = None  # sample index where the open segment starts
        self._first_voiced = 0  # sample index of the open segment's first voiced frame
        self._last_voiced = 0  # frame index of the open segment's last voiced frame
        self._energies: list[float] = []  # per frame of the open segment, for splitting

    def push(self, chunk: AudioChunk) -> list[SpeechSegment]:
        """Segments closed by ``chunk`` (16 kHz mono float32), in order."""
        samples = _checked_samples(chunk)
        closed: list[SpeechSegment] = []
        if self._origin is not None and chunk.stream != self._stream:
            closed += self.flush()
        elif self._origin is not None and abs(chunk.time - self._time(self._buffer_end)) > self.options.max_gap_s:
            logger.debug("audio of %s jumps from %.3f s to %.3f s: closing the open segment",
                         chunk.stream, self._time(self._buffer_end), chunk.time)
            closed += self.flush()
        if self._origin is None:
            self._origin, self._stream = chunk.time, chunk.stream
        if samples.size:
            self._buffer = np.concatenate([self._buffer, samples])
            closed += self._process_frames()
            self._trim()
        return closed

    def flush(self) -> list[SpeechSegment]:
        """Close the open segment (end of stream); the next push starts a new run."""
        closed: list[SpeechSegment] = []
        if self._open_start is not None:
            end = min(self._voiced_end + self._pad, self._buffer_end)
            closed += self._close(end)
        self.classifier.reset()
        self._origin = None
        self._buffer = np.zeros(0, dtype=np.float32)
        self._buffer_start = self._next_frame = self._last_end = 0
        return closed

    @property
    def open_since(self) -> float | None:
        """Media time where the segment still open begins, None when no segment is open."""
        return None if self._open_start is None or self._origin is None else self._time(self._open_start)

    @property
    def classified_until(self) -> float:
        """Media time before which no segment can still begin (audio classified, less the padding)."""
        if self._origin is None:
            return -math.inf
        return self._time(max(0, self._next_frame * self._frame - self._pad))

    @property
    def _buffer_end(self) -> int:
        return self._buffer_start + len(self._buffer)

    @property
    def _voiced_end(self) -> int:
        return (self._last_voiced + 1) * self._frame

    def _time(self, sample: int) -> float:
        return (self._origin or 0.0) + sample / AUDIO_RATE

    def _process_frames(self) -> list[SpeechSegment]:
        from perception.speech.spectral import frame_signal

        first = self._next_frame * self._frame - self._buffer_start
        frames = frame_signal(self._buffer[first:], self._frame, self._frame)
        if len(frames) == 0:
            return []
        voiced = self.classifier.classify(frames)
        energies = np.mean(frames.astype(np.float64) ** 2, axis=1)
        closed: list[SpeechSegment] = []
        for offset, (is_voiced, energy) in enumerate(zip(voiced, energies)):
            closed += self._step(self._next_frame + offset, bool(is_voiced), float(energy))
        self._next_frame += len(frames)
        return closed

    def _step(self, index: int, voiced: bool, energy: float) -> list[SpeechSegment]:
        """Advance the segment state machine by frame ``index``."""
        if self._open_start is None:
            if voiced:
                self._open(index)
                self._energies.append(energy)
            return []
        self._energies.append(energy)
        if voiced:
            self._last_voiced = index
        elif index - self._last_voiced >= self._hangover:
            return self._close(self._voiced_end + self._pad)
        if (index + 1) * self._frame - self._open_start >= self._max_len:
            return self._split(index)
        return []

    def _open(self, index: int) -> None:
        start = index * self._frame
        self._open_start = max(start - self._pad, self._last_end, self._buffer_start)
        self._first_voiced = start
        self._last_voiced = index
        self._energies = []

    def _close(self, end: int) -> list[SpeechSegment]:
        start = self._open_start
        voiced_span = self._voiced_end - self._first_voiced
        self._open_start = None
        self._energies = []
        if start is None or voiced_span < self._min_speech:
            return []
        end = min(end, start + self._max_len)
        if end <= start:
            return []
        self._last_end = end
        return self._voiced([self._segment(start, end)])

    def _split(self, index: int) -> list[SpeechSegment]:
        """Cut the open segment, at full length, after its quietest frame in the second half."""
        first_frame = index + 1 - len(self._energies)
        half = len(self._energies) // 2
        cut_frame = first_frame + half + int(np.argmin(self._energies[half:]))
        cut = (cut_frame + 1) * self._frame
        segment = self._segment(self._open_start, cut)
        self._last_end = self._open_start = self._first_voiced = cut
        self._energies = self._energies[cut_frame + 1 - first_frame :]
        self._last_voiced = max(self._last_voiced, cut_frame)  # no voiced frame after the cut yet: span 0
        return self._voiced([segment])

    def _voiced(self, segments: list[SpeechSegment]) -> list[SpeechSegment]:
        """``segments`` without those too little voiced to be speech."""
        if self.options.min_voiced <= 0:
            return segments
        from perception.speech.spectral import voiced_share

        kept = []
        for segment in segments:
            share = voiced_share(segment.samples, segment.sample_rate)
            if share >= self.options.min_voiced:
                kept.append(segment)
            else:
                logger.debug("dropping %.2f-%.2f s of %s: %.0f%% voiced frames", segment.start, segment.end,
                             segment.stream, 100 * share)
        return kept

    def _segment(self, start: int, end: int) -> SpeechSegment:
        samples = self._buffer[start - self._buffer_start : end - self._buffer_start].copy()
        return SpeechSegment(self._stream, self._time(start), self._time(end), samples)

    def _trim(self) -> None:
        """Drop samples no segment can need any more: before the open segment, or before the padding."""
        if self._open_start is not None:
            keep_from = self._open_start
        else:
            keep_from = max(self._next_frame * self._frame - self._pad, self._last_end)
        drop = min(keep_from, self._next_frame * self._frame) - self._buffer_start
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start += drop


def _checked_samples(chunk: AudioChunk) -> np.ndarray:
    if chunk.sample_rate != AUDIO_RATE:
        raise ValueError(
            f"audio chunk of {chunk.stream!r} at {chunk.time:.3f} s has sample_rate={chunk.sample_rate}; "
            f"expected {AUDIO_RATE} Hz (streams resample to 16 kHz mono)"
        )
    samples = np.asarray(chunk.samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(
            f"audio chunk of {chunk.stream!r} at {chunk.time:.3f} s has samples of shape {samples.shape}; "
            "expected mono (n,)"
        )
    if not np.all(np.isfinite(samples)):
        samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    return samples


def detect_speech(
    samples: np.ndarray,
    start: float = 0.0,
    stream: str = "",
    vad: str = "energy",
    chunk_seconds: float = 1.0,
    **options,
) -> list[SpeechSegment]:
    """All speech segments of 16 kHz mono ``samples`` starting at media time ``start`` (offline helper)."""
    detector = create_vad(vad, **options)
    step = max(1, int(chunk_seconds * AUDIO_RATE))
    samples = np.asarray(samples, dtype=np.float32)
    segments: list[SpeechSegment] = []
    for offset in range(0, len(samples), step):
        chunk = AudioChunk(stream, start + offset / AUDIO_RATE, samples[offset : offset + step])
        segments += detector.push(chunk)
    return segments + detector.flush()
