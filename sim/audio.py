"""The episode's sound: the lines the agent's microphone hears, over a faint room tone.

Speech is synthesised with espeak-ng (each person has their own voice and pitch) when it is
installed; otherwise each line becomes a run of tones, one per word, at the speaker's own pitch, so
that who speaks and when is still audible. Lines from farther away are quieter. Audio is made on
demand for any stretch of time, so hours of it never sit in memory; the same seed always gives the
same samples, however the stretch is cut.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import wave
from collections import OrderedDict

import numpy as np

from sim.scenario import Scenario, Utterance

logger = logging.getLogger(__name__)

RATE = 16_000  # samples per second, mono float32 in [-1, 1]
SPEECH_MODES = ("auto", "espeak", "tones")
ROOM_TONE = 0.002  # amplitude of the background noise


def espeak_available() -> bool:
    """Whether the espeak-ng program is on the PATH."""
    return shutil.which("espeak-ng") is not None


class AudioTrack:
    """The microphone signal of an episode, made stretch by stretch."""

    def __init__(self, scenario: Scenario, speech: str = "auto", rate: int = RATE) -> None:
        if speech not in SPEECH_MODES:
            raise ValueError(f"speech={speech!r}: expected one of {SPEECH_MODES}")
        if speech == "espeak" and not espeak_available():
            raise RuntimeError("speech='espeak' but espeak-ng is not installed: apt-get install espeak-ng "
                               "(or use speech='tones')")
        self.mode = "espeak" if speech == "espeak" or (speech == "auto" and espeak_available()) else "tones"
        if speech == "auto" and self.mode == "tones":
            logger.info("espeak-ng is not installed: speech is rendered as tones (apt-get install espeak-ng for voices)")
        self.scenario, self.rate = scenario, rate
        self.lines = [u for u in scenario.utterances if u.heard]
        self._starts = np.array([u.start for u in self.lines])
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def duration(self) -> float:
        return self.scenario.duration

    def render(self, start: float, end: float) -> np.ndarray:
        """Samples from ``start`` to ``end`` seconds (start and end rounded to whole samples)."""
        i0, i1 = int(round(start * self.rate)), int(round(end * self.rate))
        out = self._room_tone(i0, i1)
        if not len(self.lines):
            return out
        first = max(int(np.searchsorted(self._starts, start - 60.0)), 0)  # no line lasts a minute
        for u in self.lines[first:]:
            if u.start >= end:
                break
            if u.end <= start:
                continue
            clip = self._clip(u)
            c0 = int(round(u.start * self.rate))
            lo, hi = max(i0, c0), min(i1, c0 + len(clip))
            if hi > lo:
                out[lo - i0:hi - i0] += clip[lo - c0:hi - c0]
        np.clip(out, -1.0, 1.0, out=out)
        return out

    def _room_tone(self, i0: int, i1: int) -> np.ndarray:
        """Seeded noise, made per whole second so that any cut of the track gives the same samples."""
        out = np.empty(i1 - i0, np.float32)
        second = i0 // self.rate
        while second * self.rate < i1:
            s0 = second * self.rate
            rng = np.random.default_rng([self.scenario.seed, 3, second])
            noise = (rng.standard_normal(self.rate) * ROOM_TONE).astype(np.float32)
            lo, hi = max(i0, s0), min(i1, s0 + self.rate)
            out[lo - i0:hi - i0] = noise[lo - s0:hi - s0]
            second += 1
        return out

    def _clip(self, u: Utterance) -> np.ndarray:
        if u.id in self._cache:
            self._cache.move_to_end(u.id)
            return self._cache[u.id]
        person = self.scenario.world.get(u.speaker)
        n = int(round((u.end - u.start) * self.rate))
        samples = None
        if self.mode == "espeak":
            samples = _espeak(u.text, person.voice, _espeak_pitch(person.pitch), self.rate)
        if samples is None:
            samples = _tones(u.text, person.pitch, n, self.rate)
        samples = _fit(samples, n, self.rate)
        gain = 1.0 / (1.0 + 0.25 * u.distance)
        if u.room != self.scenario.agent_room(u.start):
            gain *= 0.5  # heard through a door
        clip = (samples * gain).astype(np.float32)
        self._cache[u.id] = clip
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return clip


def _espeak(text: str, voice: str, pitch: int, rate: int) -> np.ndarray | None:
    """espeak-ng's rendering of ``text`` at ``rate``; None (with a warning) when it fails."""
    try:
        result = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "165", "--stdout", text],
                                capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as err:
        logger.warning("espeak-ng failed on %r (%s): using tones for this line", text, err)
        return None
    try:
        with wave.open(io.BytesIO(result.stdout)) as wav:
            source_rate = wav.getframerate()
            data = np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768.0
            if wav.getnchannels() > 1:
                data = data.reshape(-1, wav.getnchannels()).mean(axis=1)
    except (wave.Error, EOFError) as err:
        logger.warning("espeak-ng gave unreadable audio for %r (%s): using tones for this line", text, err)
        return None
    if source_rate != rate and len(data):
        from scipy.signal import resample_poly
        from math import gcd

        g = gcd(rate, source_rate)
        data = resample_poly(data, rate // g, source_rate // g).astype(np.float32)
    peak = float(np.abs(data).max()) if len(data) else 0.0
    return data * (0.5 / peak) if peak > 0 else data


def _espeak_pitch(hz: float) -> int:
    """espeak-ng's pitch setting (0-99) for a speaking pitch in Hz."""
    return int(np.clip((hz - 90.0) / 170.0 * 99, 0, 99))


def _tones(text: str, pitch: float, n: int, rate: int) -> np.ndarray:
    """One tone per word at the speaker's pitch (rising a little through the line), with gaps."""
    words = text.split()
    out = np.zeros(n, np.float32)
    if not words or n <= 0:
        return out
    step = n / len(words)
    for k, word in enumerate(words):
        length = int(step * 0.75)
        t = np.arange(length) / rate
        freq = pitch * (1.0 + 0.06 * (k % 3)) * (1.0 + 0.02 * (len(word) % 4))
        envelope = np.sin(np.pi * np.arange(length) / max(length, 1)) ** 2
        tone = 0.35 * envelope * (np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t))
        s = int(k * step)
        out[s:s + length] = tone[: n - s]
    return out


def _fit(samples: np.ndarray, n: int, rate: int) -> np.ndarray:
    """Cut or pad a clip to n samples, fading out a cut end."""
    if len(samples) >= n:
        clip = samples[:n].astype(np.float32).copy()
        fade = min(n, int(0.03 * rate))
        if fade:
            clip[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        return clip
    return np.pad(samples.astype(np.float32), (0, n - len(samples)))
