"""GE2E speaker embeddings (256-d, unit length) from the pretrained encoder inside ``resemblyzer``.

The network (three LSTM layers of 256 over 40 mel bands, a linear layer, ReLU, L2 norm; Wan et
al., "Generalized end-to-end loss for speaker verification") is rebuilt here and its weights are
read from ``resemblyzer/pretrained.pt`` with ``torch.load(weights_only=True)``; resemblyzer's
own code (which imports librosa and webrtcvad) is not imported. The mel features are
resemblyzer's exactly (25 ms Hann frames every 10 ms, 40 Slaney mel bands of the power spectrum,
not logged), computed once per segment; its 1.6 s windows then go through the network in one
batch.
"""

from __future__ import annotations

import importlib.util
import logging
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from perception.errors import BadCheckpoint, WeightsUnavailable
from perception.options import build_options
from perception.speech.vad import SpeechSegment
from perception.speech.voice import (VoiceEmbedder, VoiceWindows, mean_of_windows, register_voice_embedder,
                                     window_spans)
from streams.packets import AUDIO_RATE

logger = logging.getLogger(__name__)

_N_FFT, _HOP, _N_MELS = 400, 160, 40  # resemblyzer's hparams: 25 ms window, 10 ms step, 40 bands
_WINDOW_FRAMES = 160  # frames of one partial utterance: 1.6 s
_TARGET_DBFS = -30.0  # resemblyzer raises quieter audio to this level (never lowers louder audio)


@dataclass(frozen=True)
class Ge2eOptions:
    # window step, seconds (resemblyzer's rate 4 is 0.25 s); windows are 1.6 s, the model's training length
    hop_s: float = 0.5
    # speech shorter than this gets no vector, seconds (shorter windows than 1.6 s are embedded as they are)
    min_window_s: float = 0.5
    # windows per forward pass: bounds memory on long segments
    batch: int = 64
    # the weights file; None: resemblyzer's pretrained.pt
    weights: str | None = None

    def __post_init__(self) -> None:
        if not 0.05 <= self.hop_s <= 1.6:
            raise ValueError(f"Ge2eOptions.hop_s={self.hop_s!r}: expected seconds in [0.05, 1.6]")
        if not 0.2 <= self.min_window_s <= 1.6:
            raise ValueError(f"Ge2eOptions.min_window_s={self.min_window_s!r}: expected seconds in [0.2, 1.6]")
        if self.batch < 1:
            raise ValueError(f"Ge2eOptions.batch={self.batch!r}: expected >= 1")


def resemblyzer_weights() -> Path:
    """Path of ``resemblyzer/pretrained.pt``; WeightsUnavailable when the package is not installed."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsUnavailable(
            "voice embedder 'ge2e' needs the GE2E weights inside the resemblyzer package: "
            "pip install resemblyzer (or use voices: spectral)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise WeightsUnavailable(f"voice embedder 'ge2e': {path} is missing from the resemblyzer package")
    return path


def _build_network(state: dict):
    import torch
    from torch import nn

    class Ge2eNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(_N_MELS, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, 256)

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.clamp(torch.norm(raw, dim=1, keepdim=True), min=1e-12)

    network = Ge2eNetwork()
    wanted = {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    network.load_state_dict(wanted, strict=True)
    return network.eval()


def load_network(path: Path):
    """The GE2E network with the weights of ``path`` (read without unpickling code)."""
    import torch

    try:
        checkpoint = torch.load(str(path), map_location="cpu", weights_only=True)
        state = checkpoint["model_state"] if "model_state" in checkpoint else checkpoint
        return _build_network(state)
    except (RuntimeError, KeyError, TypeError, ValueError, OSError, pickle.UnpicklingError) as error:
        raise BadCheckpoint(f"voice embedder 'ge2e': cannot use {path}: {error}") from error


@register_voice_embedder("ge2e")
class Ge2eVoiceEmbedder(VoiceEmbedder):
    """Pretrained GE2E speaker vectors of 1.6 s windows: unit length, compared by cosine."""

    space = "voice:ge2e-v1"
    dim = 256
    window_s = _WINDOW_FRAMES * _HOP / AUDIO_RATE
    # GE2E vectors are compared by plain cosine (no centring). Chosen on ami-dev dev00, dev01 and
    # two-speakers/sample (tst00, tst01 held out); see docs/speech.md for the figures. The
    # "silhouette" clustering (the number of voices chosen by silhouette) is an option, not the
    # default: it gains on whole files and loses per event there (docs/speech.md).
    diarizer_defaults = {"clustering": "cosine", "link_threshold": 0.72, "recluster_threshold": 0.72,
                         "min_cluster_windows": 4, "segmentation": True}
    clusterer_defaults = {"center": False, "threshold": 0.8, "match_threshold": 0.8}

    def __init__(self, **options) -> None:
        self.options = build_options(Ge2eOptions, "voice embedder 'ge2e'", options)
        self.hop_s = self.options.hop_s
        self.min_window_s = self.options.min_window_s
        path = Path(self.options.weights) if self.options.weights else resemblyzer_weights()
        if not path.is_file():
            raise WeightsUnavailable(f"voice embedder 'ge2e': no weights file at {path}")
        self.network = load_network(path)

    def embed(self, samples: np.ndarray) -> np.ndarray | None:
        """One vector for ``samples`` as a whole: the normalised mean of its windows' vectors."""
        return mean_of_windows(self, samples)

    def embed_windows(self, segment: SpeechSegment) -> VoiceWindows:
        """Vectors of the segment's 1.6 s windows, every ``hop_s``, in one forward pass per batch."""
        samples = np.asarray(segment.samples, dtype=np.float32)
        spans = window_spans(len(samples), segment.sample_rate, self.window_s, self.hop_s, self.min_window_s)
        if not spans or not np.any(samples):
            return VoiceWindows.empty(segment.stream, self.dim)
        mel = mel_spectrogram(samples)
        gains = np.array([_gain(samples[a:b]) for a, b in spans], dtype=np.float32)
        frames = [(a // _HOP, max(a // _HOP + 1, min(len(mel), b // _HOP))) for a, b in spans]
        vectors = self._forward(mel, frames, gains)
        rate = segment.sample_rate
        starts = segment.start + np.array([a for a, _ in spans]) / rate
        ends = segment.start + np.array([b for _, b in spans]) / rate
        return VoiceWindows(segment.stream, starts, ends, vectors)

    def _forward(self, mel: np.ndarray, frames: list[tuple[int, int]], gains: np.ndarray) -> np.ndarray:
        import torch

        out = np.zeros((len(frames), self.dim), np.float32)
        # windows of equal length share a batch (all but a short segment's single window)
        by_length: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(frames):
            by_length.setdefault(b - a, []).append(i)
        with torch.inference_mode():
            for indices in by_length.values():
                for first in range(0, len(indices), self.options.batch):
                    part = indices[first : first + self.options.batch]
                    batch = np.stack([mel[frames[i][0] : frames[i][1]] * gains[i] for i in part])
                    out[part] = self.network(torch.from_numpy(batch)).numpy()
        return out


def _gain(samples: np.ndarray) -> float:
    """Power gain that brings a window up to -30 dBFS (resemblyzer's normalize_volume, increase only)."""
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    if rms <= 1e-8:
        return 1.0
    change_db = _TARGET_DBFS - 20.0 * np.log10(rms)
    return float(10.0 ** (max(change_db, 0.0) / 10.0))  # amplitude gain squared: the mel is power


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram as resemblyzer computes it (librosa's defaults, centred)."""
    padded = np.pad(np.asarray(samples, dtype=np.float32), (_N_FFT // 2, _N_FFT // 2))
    count = 1 + (len(padded) - _N_FFT) // _HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(count, _N_FFT), strides=(padded.strides[0] * _HOP, padded.strides[0]), writeable=False
    )
    spectrum = np.fft.rfft(frames * _hann(_N_FFT), axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return (power @ slaney_mel_filters(AUDIO_RATE, _N_FFT, _N_MELS).T).astype(np.float32)


@lru_cache(maxsize=2)
def _hann(size: int) -> np.ndarray:
    """Periodic Hann window (scipy's get_window('hann', size, fftbins=True))."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)).astype(np.float32)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), (200.0 / 3) * mel)


@lru_cache(maxsize=2)
def slaney_mel_filters(rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) Slaney-style, area-normalised mel filters (librosa.filters.mel's defaults)."""
    mel_points = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), n_mels + 2))
    bins = np.linspace(0, rate / 2, 1 + n_fft // 2)
    widths = np.diff(mel_points)
    ramps = mel_points[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_points[2:] - mel_points[:-2]))[:, None]
    return weights.astype(np.float32)
