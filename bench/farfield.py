"""Degraded copies of the development recordings: what a meeting recorded far from its talkers does to speech.

Used by ``bench/vad.py --sets farfield`` (and ``bench/speakers.py --set farfield``). Each development
file (``dev00``, ``dev01``, ``sample``; never the held-out ones) is turned into:

* **reverb**: convolved with a synthetic room response, a direct path followed by exponentially
  decaying Gaussian noise (RT60 0.3 and 0.8 s), the tail scaled to a direct-to-reverberant ratio
  of 0 and -10 dB (-10: the talker's reflections carry ten times the energy of the direct sound,
  a talker several metres from the microphone);
* **band**: band-limited to 300-3400 Hz (a telephone channel, a cheap microphone);
* **babble**: the other development recordings, and copies of them shifted in time, summed into a
  crowd of four talkers and mixed in at -5 and -15 dB below the file's speech;
* **reverb+band**: reverberant (RT60 0.6 s, DRR -6 dB) and band-limited: each alone costs Silero
  little, together most of its recall;
* **farfield**: the same with babble at -15 dB;
* **short**: only the file's turns of at most 1 s are kept ("yeah", "mm-hmm"), the rest replaced
  by the file's own room noise, and the reference restricted to them.

Every copy is brought back to the original file's loudness (the speech is neither louder nor
quieter than recorded, so what changes is its shape, not its level), and seeded.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, fftconvolve, sosfiltfilt

from perception.speech.der import Turn

RATE = 16000


def room_response(rng: np.random.Generator, rt60_s: float, drr_db: float, rate: int = RATE) -> np.ndarray:
    """A direct path (1 at t=0) and an exponentially decaying noise tail (energy falling 60 dB in
    ``rt60_s``) starting 2.5 ms later, scaled so that direct / tail energy is ``drr_db``."""
    n = int(1.2 * rt60_s * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-3.0 * np.log(10.0) * t / rt60_s)  # amplitude -60 dB at rt60
    tail[: int(0.0025 * rate)] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail


def _level(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))) + 1e-20)


def _as_loud_as(samples: np.ndarray, original: np.ndarray) -> np.ndarray:
    return (samples * (_level(original) / _level(samples))).astype(np.float32)


def reverberate(samples: np.ndarray, rng: np.random.Generator, rt60_s: float, drr_db: float) -> np.ndarray:
    """``samples`` heard through :func:`room_response`, as loud as before."""
    wet = fftconvolve(samples.astype(np.float64), room_response(rng, rt60_s, drr_db))[: len(samples)]
    return _as_loud_as(wet, samples)


def band_limit(samples: np.ndarray, low_hz: float = 300.0, high_hz: float = 3400.0) -> np.ndarray:
    """``samples`` through an 8th-order Butterworth band-pass (zero phase), as loud as before."""
    sos = butter(4, [low_hz, high_hz], btype="bandpass", fs=RATE, output="sos")
    return _as_loud_as(sosfiltfilt(sos, samples.astype(np.float64)), samples)


def speech_level(samples: np.ndarray, reference: list[Turn]) -> float:
    """RMS of ``samples`` inside the reference turns."""
    times = np.arange(len(samples)) / RATE
    inside = np.zeros(len(samples), bool)
    for turn in reference:
        inside |= (times >= turn.start) & (times < turn.end)
    return _level(samples[inside]) if inside.any() else _level(samples)


def crowd(others: list[np.ndarray], n: int, rng: np.random.Generator, talkers: int = 4) -> np.ndarray:
    """``talkers`` streams of other recordings (cycled, each circularly shifted by a random offset,
    each at the same level) summed into ``n`` samples of babble."""
    out = np.zeros(n)
    for k in range(talkers):
        source = np.resize(others[k % len(others)].astype(np.float64), n)
        source = np.roll(source, int(rng.integers(0, n)))
        out += source / _level(source)
    return out


def with_babble(samples: np.ndarray, reference: list[Turn], babble: np.ndarray, snr_db: float) -> np.ndarray:
    """``babble`` added ``snr_db`` below the file's speech, the mix as loud as ``samples``."""
    babble = babble * speech_level(samples, reference) / _level(babble) * 10 ** (-snr_db / 20)
    return _as_loud_as(samples + babble, samples)


def short_turns(samples: np.ndarray, reference: list[Turn], floor: np.ndarray, longest_s: float = 1.0,
                ramp_s: float = 0.01) -> tuple[np.ndarray, list[Turn]]:
    """Only the turns of at most ``longest_s`` kept (and the reference cut to them), everything else
    replaced by ``floor`` (room noise of the same length); turns overlapping a longer one are dropped."""
    long_spans = [(t.start, t.end) for t in reference if t.end - t.start > longest_s]
    kept = [t for t in reference if t.end - t.start <= longest_s
            and not any(a < t.end and t.start < b for a, b in long_spans)]
    times = np.arange(len(samples)) / RATE
    keep = np.zeros(len(samples))
    for turn in kept:
        keep[(times >= turn.start) & (times < turn.end)] = 1.0
    width = max(1, int(ramp_s * RATE))
    keep = np.convolve(keep, np.ones(width) / width, mode="same")
    return (samples * keep + floor * (1.0 - keep)).astype(np.float32), kept


def degradations(name: str, samples: np.ndarray, reference: list[Turn], others: list[np.ndarray],
                 floor: np.ndarray, seed: int) -> list[tuple[str, str, np.ndarray, list[Turn]]]:
    """(kind, case name, samples, reference) for every degraded copy of one file; kinds are
    ``reverb``, ``band``, ``babble``, ``reverb+band``, ``farfield`` and ``short``."""
    rng = np.random.default_rng(seed)
    out: list[tuple[str, str, np.ndarray, list[Turn]]] = []
    for rt60 in (0.3, 0.8):
        for drr in (0.0, -10.0):
            wet = reverberate(samples, rng, rt60, drr)
            out.append(("reverb", f"{name}:rt{rt60:.1f}/drr{drr:+.0f}", wet, reference))
    out.append(("band", f"{name}:band300-3400", band_limit(samples), reference))
    babble = crowd(others, len(samples), rng)
    for snr in (5.0, 15.0):
        out.append(("babble", f"{name}:babble-{snr:.0f}dB", with_babble(samples, reference, babble, snr), reference))
    far = band_limit(reverberate(samples, rng, 0.6, -6.0))
    out.append(("reverb+band", f"{name}:rt0.6/drr-6+band", far, reference))
    out.append(("farfield", f"{name}:farfield", with_babble(far, reference, babble, 15.0), reference))
    short, kept = short_turns(samples, reference, floor)
    if kept:
        out.append(("short", f"{name}:short", short, kept))
    return out
