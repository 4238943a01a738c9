"""A built-in audio descriptor: log mel-band energies of a window, for audio-only streams.

It gives the surprise segmenter something to cut audio-only sources on (silence, music, a new
voice change the band profile). No weights needed.
"""

from __future__ import annotations

import numpy as np

from perception.encoders.base import l2_normalize


class AudioDescriptor:
    """Unit vectors of log mel-band energies (``bands`` values) of 16 kHz mono windows."""

    space = "audio-descriptor:v1"

    def __init__(self, bands: int = 32, rate: int = 16_000, fft: int = 512):
        self.dim = bands
        self.rate = rate
        self.fft = fft
        self._filters = _mel_filters(bands, fft, rate)

    def encode(self, windows: list[np.ndarray]) -> np.ndarray:
        """(n, bands) float32 unit rows, one per window of samples (any length >= 1)."""
        out = np.empty((len(windows), self.dim), np.float32)
        for i, samples in enumerate(windows):
            out[i] = self._describe(np.asarray(samples, dtype=np.float32))
        return out

    def _describe(self, samples: np.ndarray) -> np.ndarray:
        frames = _frames(samples, self.fft)
        spectrum = np.abs(np.fft.rfft(frames * np.hanning(self.fft), axis=1)) ** 2
        energies = spectrum.mean(axis=0) @ self._filters.T
        profile = np.log10(energies + 1e-6) + 6.0  # >= 0: silence is a flat, non-zero profile
        return l2_normalize(np.maximum(profile, 0.0) + 1e-3)


def _frames(samples: np.ndarray, size: int) -> np.ndarray:
    if len(samples) < size:
        samples = np.pad(samples, (0, size - len(samples)))
    count = 1 + (len(samples) - size) // (size // 2)
    index = np.arange(size)[None, :] + (size // 2) * np.arange(count)[:, None]
    return samples[index]


def _mel_filters(bands: int, fft: int, rate: int) -> np.ndarray:
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(50.0), mel(rate / 2), bands + 2))
    bins = np.fft.rfftfreq(fft, 1.0 / rate)
    filters = np.zeros((bands, len(bins)))
    for b in range(bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        filters[b] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0.0, None)
    return filters
