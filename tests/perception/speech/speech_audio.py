"""Synthetic speech-like audio with known spans and audio files in odd formats, for the speech tests.

Reached through the ``audio`` fixture (the suite imports test folders in importlib mode).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

RATE = 16_000


def synth_voice(seconds: float, f0: float, formants: tuple[float, ...], rng: np.random.Generator,
                rate: int = RATE, level: float = 0.3) -> np.ndarray:
    """A vowel-like voice: a glottal pulse train with pitch jitter through formant resonators,
    with a 4 Hz syllable envelope. Periodic, pitched and band-limited like speech."""
    from scipy.signal import lfilter

    n = int(seconds * rate)
    pitch = f0 * (1 + 0.03 * np.sin(2 * np.pi * 0.7 * np.arange(n) / rate)) * (1 + 0.01 * rng.standard_normal(n))
    phase = np.cumsum(pitch / rate)
    source = np.diff(np.floor(phase), prepend=0.0)  # one impulse per period
    source = lfilter([1.0], [1.0, -0.9], source)  # glottal roll-off
    voice = source
    for formant in formants:
        r = np.exp(-np.pi * 80.0 / rate)
        theta = 2 * np.pi * formant / rate
        voice = lfilter([1 - r], [1.0, -2 * r * np.cos(theta), r * r], voice)
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * np.arange(n) / rate + rng.uniform(0, 2 * np.pi))
    voice = voice * envelope
    return (level * voice / (np.max(np.abs(voice)) + 1e-9)).astype(np.float32)


VOICE_A = (110.0, (700.0, 1220.0, 2600.0))  # a low voice saying "ah"
VOICE_B = (230.0, (350.0, 2300.0, 3000.0))  # a high voice saying "ee"


def bursts(spans: list[tuple[float, float]], total: float, rng: np.random.Generator, noise_db: float = -50.0,
           voice: tuple[float, tuple[float, ...]] = VOICE_A, rate: int = RATE) -> np.ndarray:
    """``total`` seconds of white noise at ``noise_db`` dBFS with a voice during ``spans``."""
    out = (10 ** (noise_db / 20) * rng.standard_normal(int(total * rate))).astype(np.float32)
    for start, end in spans:
        first = int(start * rate)
        sound = synth_voice(end - start, voice[0], voice[1], rng, rate)
        out[first : first + len(sound)] += sound[: len(out) - first]
    return out


def frame_labels(spans: list[tuple[float, float]], total: float, step: float = 0.01) -> np.ndarray:
    times = (np.arange(int(total / step)) + 0.5) * step
    labels = np.zeros(len(times), dtype=bool)
    for start, end in spans:
        labels |= (times >= start) & (times < end)
    return labels


def write_audio(path: Path, channels: np.ndarray, rate: int, layout: str, codec: str = "pcm_s16le") -> Path:
    """Write (channels, n) float samples as an audio file with PyAV."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        block = 4096
        for first in range(0, channels.shape[1], block):
            part = np.ascontiguousarray(channels[:, first : first + block].astype(np.float32))
            frame = av.AudioFrame.from_ndarray(part, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = first
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def read_chunks(path: Path, chunk: float = 1.0) -> list:
    """The file's audio as 16 kHz mono AudioChunks, through the stream layer."""
    from streams import AudioChunk, SamplingPolicy, open_source

    policy = SamplingPolicy(video=False, audio=True, text=False, audio_chunk=chunk)
    with open_source(str(path), policy, require_video=False) as source:
        return [p for p in source.packets() if isinstance(p, AudioChunk)]


def as_chunks(samples: np.ndarray, chunk: float = 1.0, start: float = 0.0, stream: str = "s") -> list:
    from streams import AudioChunk

    step = int(chunk * RATE)
    return [AudioChunk(stream, start + i / RATE, samples[i : i + step]) for i in range(0, len(samples), step)]
