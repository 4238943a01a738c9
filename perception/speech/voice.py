"""Speaker (voice) embeddings of speech, per sliding window, by name: ``create_voice_embedder("spectral")``.

The built-in "spectral" embedding needs no weights: per window, the mean and spread of the
mel-cepstrum over the window's louder frames (vocal tract and channel) and the median pitch
(voice), standardised with background statistics. Vectors are not unit length: the clusterer
removes the recording's own mean first (see :mod:`perception.speech.diarize`), because the
channel dominates raw spectra.

"ge2e" (:mod:`perception.speech.ge2e`) is a pretrained GE2E speaker encoder whose weights ship
inside the resemblyzer package: unit vectors compared as they are, far better at telling voices
apart. Other models can be registered with :func:`register_voice_embedder`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

import numpy as np

from perception.options import build_options
from perception.registry import Registry
from perception.speech.vad import SpeechSegment
from streams.packets import AUDIO_RATE

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class VoiceWindows:
    """Embeddings of consecutive windows of speech, with their spans on media time."""

    stream: str
    starts: np.ndarray  # (n,) float64 seconds
    ends: np.ndarray  # (n,) float64 seconds
    vectors: np.ndarray  # (n, dim) float32

    def __len__(self) -> int:
        return len(self.starts)

    @staticmethod
    def empty(stream: str, dim: int) -> VoiceWindows:
        return VoiceWindows(stream, np.zeros(0), np.zeros(0), np.zeros((0, dim), np.float32))

    @staticmethod
    def concatenate(parts: list[VoiceWindows], dim: int) -> VoiceWindows:
        if not parts:
            return VoiceWindows.empty("", dim)
        return VoiceWindows(
            parts[0].stream,
            np.concatenate([p.starts for p in parts]),
            np.concatenate([p.ends for p in parts]),
            np.concatenate([p.vectors for p in parts]).astype(np.float32, copy=False),
        )


class VoiceEmbedder(ABC):
    """Turns speech into speaker vectors of one named space, one per sliding window."""

    space: str  # identity of the vector space; vectors of different spaces are never compared
    dim: int
    window_s: float  # window length, seconds
    hop_s: float  # window step, seconds
    min_window_s: float = 0.5  # speech shorter than this gets no vector
    # defaults the Diarizer and its VoiceClusterer take with this embedder (options given win)
    diarizer_defaults: dict = {}
    clusterer_defaults: dict = {}

    @abstractmethod
    def embed(self, samples: np.ndarray) -> np.ndarray | None:
        """One (dim,) vector for 16 kHz mono ``samples`` as a whole; None when too short or silent."""

    def embed_windows(self, segment: SpeechSegment) -> VoiceWindows:
        """Vectors of the segment's sliding windows; a short segment gets one window of its own length."""
        rate = segment.sample_rate
        spans = window_spans(len(segment.samples), rate, self.window_s, self.hop_s, self.min_window_s)
        starts, ends, vectors = [], [], []
        for first, last in spans:
            vector = self.embed(segment.samples[first:last])
            if vector is None:
                continue
            starts.append(segment.start + first / rate)
            ends.append(segment.start + last / rate)
            vectors.append(vector)
        if not vectors:
            return VoiceWindows.empty(segment.stream, self.dim)
        return VoiceWindows(segment.stream, np.asarray(starts), np.asarray(ends), np.stack(vectors).astype(np.float32))



def mean_of_windows(embedder: VoiceEmbedder, samples: np.ndarray) -> np.ndarray | None:
    """One vector for ``samples`` as a whole: the normalised mean of ``embedder``'s window vectors (for
    embedders whose network sees fixed windows: GE2E, CAM++); None when no window has a vector."""
    segment = SpeechSegment("", 0.0, len(samples) / AUDIO_RATE, np.asarray(samples, np.float32))
    windows = embedder.embed_windows(segment)
    if len(windows) == 0:
        return None
    mean = windows.vectors.mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def window_spans(n_samples: int, rate: int, window_s: float, hop_s: float, min_window_s: float) -> list[tuple[int, int]]:
    """Sample spans of sliding windows over ``n_samples``; the last window ends at the end."""
    window, hop, shortest = int(window_s * rate), max(1, int(hop_s * rate)), int(min_window_s * rate)
    if n_samples < max(shortest, 1):
        return []
    if n_samples <= window:
        return [(0, n_samples)]
    spans = [(start, start + window) for start in range(0, n_samples - window + 1, hop)]
    if spans[-1][1] < n_samples:
        spans.append((n_samples - window, n_samples))
    return spans


_REGISTRY: Registry[VoiceEmbedder] = Registry("voice embedder")


def register_voice_embedder(name: str) -> Callable:
    """Decorator registering a VoiceEmbedder class (or factory) under ``name``."""
    return _REGISTRY.register(name)


def create_voice_embedder(name: str = "spectral", **options) -> VoiceEmbedder:
    """Build the voice embedder registered as ``name``; unknown names raise UnknownComponent."""
    return _REGISTRY.create(name, **options)


def list_voice_embedders() -> list[str]:
    """Names of the registered voice embedders, sorted."""
    return _REGISTRY.names()


@dataclass(frozen=True)
class SpectralVoiceOptions:
    # window length and step, seconds: 1.5 s holds a few syllables and rarely two speakers
    window_s: float = 1.5
    hop_s: float = 0.75
    # speech shorter than this gets no vector, seconds
    min_window_s: float = 0.5
    # frames used: those within this many dB of the window's loudest (drops pauses and breath)
    loudest_db: float = 13.0
    # voicing strength (normalised autocorrelation) above which a frame's pitch counts
    voicing: float = 0.6

    def __post_init__(self) -> None:
        if not 0 < self.hop_s <= self.window_s:
            raise ValueError(f"hop_s={self.hop_s!r}: expected 0 < hop_s <= window_s ({self.window_s!r})")
        if not 0.1 <= self.min_window_s <= self.window_s:
            raise ValueError(f"min_window_s={self.min_window_s!r}: expected 0.1 <= min_window_s <= window_s")
        if not self.loudest_db > 0:
            raise ValueError(f"loudest_db={self.loudest_db!r}: expected dB > 0")
        if not 0 < self.voicing < 1:
            raise ValueError(f"voicing={self.voicing!r}: expected a value in (0, 1)")


# Frame analysis: 25 ms frames every 10 ms, 40 mel bands (20-7600 Hz), cepstra c1..c19.
_FRAME, _HOP, _N_FFT, _N_MELS, _N_CEPS = 400, 160, 512, 40, 20
# Background statistics of the embedding (mean, std per dimension), measured on speech windows of
# unlabelled recordings (a 4-person AMI meeting and a public speech); they put the dimensions on
# one scale. They are not speaker models: the clusterer centres vectors on each recording's mean.
_BACKGROUND_MEAN = np.array([
    18.4427, 2.2833, 5.8271, -2.3930, 0.4404, -1.9500, 0.3883, -0.9669, -0.6467, -0.9701,
    -0.7994, -0.5046, -0.4475, -1.3003, -0.4085, -0.9141, -0.4039, -0.6368, -0.0185,
    3.9637, 3.9239, 3.2996, 2.7569, 2.3408, 1.8710, 1.7212, 1.6627, 1.6094, 1.5123,
    1.3790, 1.1861, 1.2099, 1.1374, 1.0668, 1.1089, 0.9643, 0.9832, 0.9438,
    4.9376,
], dtype=np.float32)
# spread within a recording (around its own mean): the scale that matters once vectors are centred
_BACKGROUND_STD = np.array([
    2.2238, 2.4450, 1.3763, 1.3105, 1.0496, 0.9062, 0.7371, 0.7536, 0.6359, 1.0323,
    0.6789, 0.4715, 0.5286, 0.5176, 0.5414, 0.5980, 0.4809, 0.5988, 0.5570,
    0.9409, 0.7554, 0.9195, 0.5634, 0.5138, 0.3938, 0.3367, 0.3322, 0.3798, 0.3596,
    0.2321, 0.2580, 0.2128, 0.2168, 0.2083, 0.2516, 0.2345, 0.2328, 0.2069,
    0.2600,
], dtype=np.float32)


@register_voice_embedder("spectral")
class SpectralVoiceEmbedder(VoiceEmbedder):
    """Mel-cepstral statistics and pitch of a window: a speaker vector that needs no weights."""

    space = "voice:spectral-v1"
    dim = 2 * (_N_CEPS - 1) + 1

    def __init__(self, **options) -> None:
        self.options = build_options(SpectralVoiceOptions, "voice embedder 'spectral'", options)
        self.window_s = self.options.window_s
        self.hop_s = self.options.hop_s
        self.min_window_s = self.options.min_window_s

    def embed(self, samples: np.ndarray) -> np.ndarray | None:
        raw = self.raw_features(samples)
        if raw is None:
            return None
        return ((raw - _BACKGROUND_MEAN) / _BACKGROUND_STD).astype(np.float32)

    def raw_features(self, samples: np.ndarray) -> np.ndarray | None:
        """The unstandardised vector: cepstral means, cepstral spreads, log median pitch."""
        samples = np.asarray(samples, dtype=np.float32)
        if len(samples) < max(_FRAME, int(self.min_window_s * AUDIO_RATE)):
            return None
        return self.pool(self.frame_features(samples))

    def frame_features(self, samples: np.ndarray) -> np.ndarray:
        """(n, 1 + 19 + 2) per 25 ms frame (10 ms apart): energy dB, cepstra c1..c19, pitch, voicing.

        Frames are independent, so the features of consecutive blocks of audio concatenate into
        those of the whole (up to the frames that straddle two blocks).
        """
        from perception.speech.spectral import cepstra, frame_signal, log_mel, pitch

        frames = frame_signal(np.asarray(samples, dtype=np.float32), _FRAME, _HOP)
        if len(frames) == 0:
            return np.zeros((0, _N_CEPS + 2), np.float32)
        energy_db = 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
        ceps = cepstra(log_mel(frames, AUDIO_RATE, _N_MELS, _N_FFT, 20.0, 7600.0), _N_CEPS)[:, 1:]
        f0, strength = pitch(frames, AUDIO_RATE, 60.0, 400.0)
        return np.column_stack([energy_db, ceps, f0, strength]).astype(np.float32)

    def pool(self, features: np.ndarray) -> np.ndarray | None:
        """The unstandardised vector of a window from its :meth:`frame_features`; None when silent."""
        if len(features) == 0:
            return None
        energy_db, ceps, f0, strength = features[:, 0], features[:, 1:_N_CEPS], features[:, _N_CEPS], features[:, -1]
        if energy_db.max() < -80.0:  # digital silence: no voice to describe
            return None
        loud = energy_db > energy_db.max() - self.options.loudest_db
        voiced = strength[loud] > self.options.voicing
        log_f0 = float(np.median(np.log(f0[loud][voiced]))) if voiced.sum() >= 3 else float(_BACKGROUND_MEAN[-1])
        return np.concatenate([ceps[loud].mean(axis=0), ceps[loud].std(axis=0), [log_f0]]).astype(np.float32)

    def standardise(self, raw: np.ndarray) -> np.ndarray:
        """A raw vector on the background scale (what :meth:`embed` returns)."""
        return ((raw - _BACKGROUND_MEAN) / _BACKGROUND_STD).astype(np.float32)


_REGISTRY.register_lazy("ge2e", "perception.speech.ge2e:Ge2eVoiceEmbedder")
_REGISTRY.register_lazy("campplus", "perception.speech.campplus:CampplusVoiceEmbedder")
