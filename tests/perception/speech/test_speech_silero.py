"""Silero VAD: speech of a real recording found where its energy says, the same however it is chunked."""

import importlib.util

import numpy as np
import pytest

from perception.speech import create_vad, detect_speech

if importlib.util.find_spec("silero_vad") is None or importlib.util.find_spec("onnxruntime") is None:
    pytest.skip("silero-vad or onnxruntime is not installed", allow_module_level=True)


def _read(path):
    from streams import SamplingPolicy, open_source

    with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
        return np.concatenate([p.samples for p in source.packets() if hasattr(p, "samples")])


def _energy_db(samples):
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)  # 10 ms
    return 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)


def test_finds_the_speech_of_jfk(jfk):
    """Oracle: the recording's own energy (loud = within 20 dB of the peak; pauses = >= 0.3 s at
    30 dB below it, which jfk.flac has at about 2.5-3.3 s and 4.4-5.0 s)."""
    samples = _read(jfk)
    segments = detect_speech(samples, 0.0, "jfk", vad="silero")
    db = _energy_db(samples)
    times = np.arange(len(db)) / 100 + 0.005
    inside = np.zeros(len(db), bool)
    for s in segments:
        inside |= (times >= s.start) & (times < s.end)
    loud = db > db.max() - 20
    assert inside[loud].mean() > 0.95
    first_loud = times[np.flatnonzero(loud)[0]]
    assert abs(segments[0].start + 0.2 - first_loud) < 0.25  # 0.2 s: the detector's padding
    quiet = db < db.max() - 30
    runs = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(int), [0]])))
    pauses = [(a, b) for a, b in zip(runs[::2], runs[1::2]) if b - a >= 30 and a > 0 and b < len(db)]
    assert len(pauses) >= 2
    for a, b in pauses:  # every pause inside the speech separates two segments
        assert inside[a:b].mean() < 0.5


def test_online_state_makes_chunking_irrelevant(jfk):
    samples = _read(jfk)[: 16000 * 6]
    spans = {cs: [(round(s.start, 3), round(s.end, 3)) for s in detect_speech(samples, 2.0, "j", vad="silero",
                                                                              chunk_seconds=cs)]
             for cs in (0.05, 1.0, 2.7)}
    assert spans[0.05] == spans[1.0] == spans[2.7] and spans[1.0]


def test_silence_and_noise_are_not_speech():
    rng = np.random.default_rng(3)
    assert detect_speech(np.zeros(32000, np.float32), 0.0, "s", vad="silero") == []
    hiss = (0.05 * rng.standard_normal(48000)).astype(np.float32)
    assert detect_speech(hiss, 0.0, "s", vad="silero", min_voiced=0.0) == []


def test_threshold_option():
    assert create_vad("silero", probability=0.7).classifier.threshold == 0.7
    assert create_vad("silero", aggressiveness=0).classifier.threshold == 0.3
    with pytest.raises(ValueError, match="probability"):
        create_vad("silero", probability=1.5)


def test_loudness_normalisation_finds_far_quiet_speech(jfk):
    """jfk.flac turned down by 40 dB (-57 dBFS, a far talker): Silero alone loses its first phrase;
    with the input normalised (gain_target_db) it finds the segments of the recording at full level."""
    samples = _read(jfk)
    full = detect_speech(samples, 0.0, "jfk", vad="silero", min_voiced=0.0)
    quiet = (samples * 10 ** (-40 / 20)).astype(np.float32)
    plain = detect_speech(quiet, 0.0, "jfk", vad="silero", min_voiced=0.0)
    raised = detect_speech(quiet, 0.0, "jfk", vad="silero", min_voiced=0.0, gain_target_db=-20.0)
    assert sum(s.duration for s in plain) < 0.85 * sum(s.duration for s in full)
    assert len(raised) == len(full)
    for a, b in zip(raised, full):
        assert abs(a.start - b.start) < 0.1 and abs(a.end - b.end) < 0.2
        assert np.array_equal(a.samples, quiet[round(a.start * 16000):round(a.start * 16000) + len(a.samples)])


def test_loudness_normalisation_does_not_raise_noise_into_speech():
    """Stationary noise at room levels stays non-speech with the gain on (it is raised at most to the ceiling)."""
    rng = np.random.default_rng(5)
    n = 16000 * 6
    spectrum = (rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)) / np.sqrt(
        np.maximum(np.fft.rfftfreq(n, 1 / 16000), 20.0))
    pink = np.fft.irfft(spectrum, n)
    for level_db in (-75.0, -60.0, -40.0):
        noise = (pink * 10 ** (level_db / 20) / np.sqrt(np.mean(pink**2))).astype(np.float32)
        assert detect_speech(noise, 0.0, "n", vad="silero", min_voiced=0.0, gain_target_db=-20.0) == []


def _covered(segments, spans):
    """Seconds of ``spans`` inside ``segments``."""
    return sum(max(0.0, min(b, s.end) - max(a, s.start)) for a, b in spans for s in segments)


def _reverberant(samples, rt60_s, drr_db, seed=0):
    """``samples`` through a direct path and an exponentially decaying noise tail (energy -60 dB at
    ``rt60_s``) whose energy is ``drr_db`` below the direct path's, as loud as before."""
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(seed)
    n = int(1.2 * rt60_s * 16000)
    tail = rng.standard_normal(n) * np.exp(-3.0 * np.log(10.0) * np.arange(n) / 16000 / rt60_s)
    tail[:40] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    wet = fftconvolve(samples.astype(np.float64), tail)[: len(samples)]
    return (wet * np.sqrt(np.mean(samples.astype(np.float64) ** 2) / np.mean(wet**2))).astype(np.float32)


def test_energy_support_finds_reverberant_speech(jfk):
    """jfk.flac in a reverberant room (RT60 0.6 s, reflections 6 dB above the direct sound): Silero
    alone rates part of it unlikely speech and misses it; with ``support_probability`` (the energy
    detector's rise over the noise floor vouching for probabilities from 0.1) the segments found on
    the dry recording are covered again."""
    samples = _read(jfk)
    dry = [(s.start, s.end) for s in detect_speech(samples, 0.0, "jfk", vad="silero", min_voiced=0.0)]
    wet = _reverberant(samples, 0.6, -6.0)
    plain = detect_speech(wet, 0.0, "jfk", vad="silero", min_voiced=0.0)
    supported = detect_speech(wet, 0.0, "jfk", vad="silero", min_voiced=0.0, support_probability=0.1)
    total = sum(b - a for a, b in dry)
    assert _covered(plain, dry) < 0.85 * total
    assert _covered(supported, dry) > 0.95 * total
    assert sum(s.duration for s in supported) < total + 1.5  # reverberation tails and padding, not the whole file


def test_energy_support_keeps_noise_out():
    """Noise that rises over the floor (hiss switched on and off, rumble with hum, pink at room
    levels) is not speech with the support on: the network does not lean to speech there."""
    rng = np.random.default_rng(7)
    n = 16000 * 8
    spectrum = (rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)) / np.sqrt(
        np.maximum(np.fft.rfftfreq(n, 1 / 16000), 20.0))
    pink = np.fft.irfft(spectrum, n)
    pink /= np.sqrt(np.mean(pink**2))
    bursts = np.repeat(rng.random(n // 8000) < 0.5, 8000)  # 0.5 s of hiss on or off
    hiss = 10 ** (-80 / 20) * rng.standard_normal(n) + bursts * 10 ** (-40 / 20) * rng.standard_normal(n)
    hum = 10 ** (-50 / 20) * np.sin(2 * np.pi * 50 * np.arange(n) / 16000) + 10 ** (-70 / 20) * pink
    for noise in [hiss, hum] + [pink * 10 ** (level / 20) for level in (-70.0, -45.0)]:
        assert detect_speech(noise.astype(np.float32), 0.0, "n", vad="silero", min_voiced=0.0,
                             support_probability=0.1) == []


def test_support_option():
    assert create_vad("silero", support_probability=0.1).classifier.support is not None
    assert create_vad("silero").classifier.support is None
    with pytest.raises(ValueError, match="support_probability"):
        create_vad("silero", support_probability=1.0)
