"""Short-time spectra of 16 kHz mono audio: frames, power spectra, mel filterbanks, cepstra, pitch.

Plain numpy (and scipy's DCT): shared by the energy VAD and the spectral voice embedding.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def frame_signal(samples: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """(n, frame) view of ``samples`` cut every ``hop`` samples; a short tail is dropped."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if len(samples) < frame:
        return np.zeros((0, frame), dtype=np.float32)
    count = 1 + (len(samples) - frame) // hop
    return np.lib.stride_tricks.as_strided(
        samples, shape=(count, frame), strides=(samples.strides[0] * hop, samples.strides[0]), writeable=False
    )


@lru_cache(maxsize=8)
def _window(size: int) -> np.ndarray:
    return np.hanning(size + 2)[1:-1].astype(np.float32)


def power_spectrum(frames: np.ndarray, n_fft: int | None = None) -> np.ndarray:
    """(n, n_fft // 2 + 1) power of Hann-windowed frames."""
    n_fft = n_fft or frames.shape[-1]
    spectrum = np.fft.rfft(frames * _window(frames.shape[-1]), n=n_fft)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


@lru_cache(maxsize=8)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, low_hz: float = 20.0, high_hz: float | None = None) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, evenly spaced on the (HTK) mel scale."""
    high_hz = high_hz or sample_rate / 2

    def to_mel(hz: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (mel / 2595.0) - 1.0)

    edges = to_hz(np.linspace(to_mel(low_hz), to_mel(high_hz), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / np.maximum(centre - lower, 1e-6)
    falling = (upper - bins[None, :]) / np.maximum(upper - centre, 1e-6)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def log_mel(frames: np.ndarray, sample_rate: int, n_mels: int, n_fft: int = 512,
            low_hz: float = 20.0, high_hz: float | None = None) -> np.ndarray:
    """(n, n_mels) natural-log mel energies of frames."""
    power = power_spectrum(frames, n_fft)
    mel = power @ mel_filterbank(sample_rate, n_fft, n_mels, low_hz, high_hz).T
    return np.log(mel + 1e-8).astype(np.float32)


def cepstra(log_mels: np.ndarray, n_ceps: int) -> np.ndarray:
    """(n, n_ceps) mel-cepstral coefficients c0..c(n_ceps-1) (orthonormal DCT-II of log mels)."""
    from scipy.fft import dct

    return dct(log_mels, type=2, axis=-1, norm="ortho")[:, :n_ceps].astype(np.float32)


def deltas(features: np.ndarray, width: int = 2) -> np.ndarray:
    """Regression deltas over +-``width`` frames (edges repeated), as HTK computes them."""
    if len(features) == 0:
        return features.copy()
    padded = np.pad(features, ((width, width), (0, 0)), mode="edge")
    weights = np.arange(1, width + 1, dtype=np.float32)
    total = np.zeros_like(features)
    for k, w in enumerate(weights, 1):
        total += w * (padded[width + k : width + k + len(features)] - padded[width - k : width - k + len(features)])
    return total / (2 * float(np.sum(weights**2)))


def pitch(frames: np.ndarray, sample_rate: int, low_hz: float = 60.0, high_hz: float = 400.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame fundamental frequency (Hz) and voicing strength in [0, 1] by normalised autocorrelation.

    Frames must span at least two periods of ``low_hz`` (25 ms at 16 kHz reaches 80 Hz).
    """
    n, size = frames.shape
    if n == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    x = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(x, n=2 * size)
    acf = np.fft.irfft(spectrum.real**2 + spectrum.imag**2)[:, :size]
    low_lag = max(1, int(sample_rate / high_hz))
    high_lag = min(size - 1, int(sample_rate / low_hz))
    if high_lag <= low_lag:
        return np.zeros(n, np.float32), np.zeros(n, np.float32)
    # unbiased by the shrinking overlap, normalised by the zero-lag energy
    overlap = (size - np.arange(size)) / size
    normalised = acf / np.maximum(acf[:, :1], 1e-10) / np.maximum(overlap, 1e-3)
    band = normalised[:, low_lag : high_lag + 1]
    best = np.argmax(band, axis=1)
    strength = np.clip(band[np.arange(n), best], 0.0, 1.0)
    f0 = sample_rate / (best + low_lag)
    return f0.astype(np.float32), strength.astype(np.float32)


def voicing(samples: np.ndarray, sample_rate: int, strength: float = 0.75, low_hz: float = 80.0,
            high_hz: float = 400.0) -> tuple[np.ndarray, np.ndarray]:
    """Per 30 ms frame (10 ms apart) of the 100-1000 Hz band: energy (dB) and whether the frame is
    periodic with a pitch in [low_hz, high_hz] (the parts of :func:`voiced_share`)."""
    from scipy.signal import sosfilt

    frame, hop = int(0.03 * sample_rate), int(0.01 * sample_rate)
    if len(samples) < frame:
        return np.zeros(0, np.float64), np.zeros(0, bool)
    frames = frame_signal(sosfilt(_speech_band(sample_rate), samples).astype(np.float32), frame, hop)
    f0, periodicity = pitch(frames, sample_rate, low_hz * 0.875, high_hz)
    energy_db = 10.0 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    return energy_db, (periodicity > strength) & (f0 >= low_hz)


@lru_cache(maxsize=4)
def _speech_band(sample_rate: int) -> np.ndarray:
    from scipy.signal import butter

    return butter(4, [100.0, 1000.0], btype="band", fs=sample_rate, output="sos")


def voiced_share(samples: np.ndarray, sample_rate: int, strength: float = 0.75, low_hz: float = 80.0,
                 high_hz: float = 400.0, loudest_db: float = 25.0) -> float:
    """Share of 30 ms frames (10 ms apart, within ``loudest_db`` of the loudest) that are periodic
    with a pitch in [low_hz, high_hz]: speech has voiced stretches; thumps, rustle and hiss do not.

    Measured on the 100-1000 Hz band, so that rumble and hiss do not mask or fake periodicity.
    """
    energy_db, periodic = voicing(samples, sample_rate, strength, low_hz, high_hz)
    return loud_share(energy_db, periodic, loudest_db)


def loud_share(energy_db: np.ndarray, flags: np.ndarray, loudest_db: float = 25.0) -> float:
    """Share of frames that are flagged and within ``loudest_db`` of the loudest frame."""
    if len(energy_db) == 0:
        return 0.0
    loud = energy_db > energy_db.max() - loudest_db
    return float(np.mean(flags & loud))
