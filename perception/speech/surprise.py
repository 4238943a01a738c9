"""A cheap, online speech signal for the event segmenter: speech onsets and speaker changes.

At an instant t the audio just before it, [t - w, t), is compared with the audio just after it,
[t, t + w): speech that starts (silence before, speech after) is an onset; speech on both sides
whose spectral voice vectors are far apart is a change of speaker. The score is a pure function
of those 2w seconds of audio, so an ingest that resumes (and reads the audio again from t - w)
computes exactly the same scores. The segmenter z-scores it as one more surprise channel.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from perception.options import build_options
from perception.speech.voice import VoiceEmbedder, create_voice_embedder
from streams.packets import AUDIO_RATE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechSurpriseOptions:
    # seconds of audio on each side of an instant that are compared (a whole number of blocks)
    window_s: float = 1.5
    # audio is analysed once per block of this many seconds; readings fall on block boundaries
    block_s: float = 0.5
    # share of voiced frames (periodic, pitched) a side needs to hold speech
    min_voiced: float = 0.2
    # reading at an onset (speech after window_s without), in units of voice distance (a
    # same-speaker distance is about 1); 0: onsets give no reading
    onset_weight: float = 0.0
    # multiplies the distance of the two sides' voice vectors (standardised, per dimension)
    change_weight: float = 1.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.window_s <= 10.0:
            raise ValueError(f"SpeechSurpriseOptions.window_s={self.window_s!r}: expected seconds in [0.5, 10]")
        if not 0.0 <= self.min_voiced < 1.0:
            raise ValueError(f"SpeechSurpriseOptions.min_voiced={self.min_voiced!r}: expected a share in [0, 1)")
        for name in ("onset_weight", "change_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"SpeechSurpriseOptions.{name}={getattr(self, name)!r}: expected a number >= 0")
        if not 0.1 <= self.block_s <= self.window_s:
            raise ValueError(f"SpeechSurpriseOptions.block_s={self.block_s!r}: expected seconds in [0.1, window_s]")


class SpeechSurprise:
    """Scores instants of 16 kHz mono audio by how much the speech changes there.

    Audio is analysed once, in blocks of ``block_s`` on an absolute grid (frame features of the
    spectral voice embedding and voicing flags); a window is a run of blocks, so scoring an
    instant costs about one block's analysis however often it is asked.
    """

    def __init__(self, embedder: VoiceEmbedder | str = "spectral", **options) -> None:
        self.options = build_options(SpeechSurpriseOptions, "SpeechSurprise", options)
        self.embedder = create_voice_embedder(embedder) if isinstance(embedder, str) else embedder
        if not hasattr(self.embedder, "frame_features"):
            raise ValueError(f"SpeechSurprise needs a frame-level voice embedder such as 'spectral', "
                             f"not {self.embedder.space!r}")
        self.block = int(round(self.options.block_s * AUDIO_RATE))  # samples per block
        self.blocks_per_window = max(1, int(round(self.options.window_s / self.options.block_s)))
        self._cache: OrderedDict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()

    @property
    def window_s(self) -> float:
        """Seconds of audio used on each side of an instant."""
        return self.blocks_per_window * self.block / AUDIO_RATE

    def score(self, audio: RecentAudio, time: float) -> float:
        """The reading at media time ``time`` (taken at the block boundary nearest it).

        The voice distance of the two sides when both hold speech; ``onset_weight`` (when > 0)
        when only the side after does; NaN (no reading) otherwise.
        """
        edge = int(round(time * AUDIO_RATE / self.block))
        n = self.blocks_per_window
        speech_a, vector_a = self._describe([self._analyse(audio, b) for b in range(edge - n, edge)])
        speech_b, vector_b = self._describe([self._analyse(audio, b) for b in range(edge, edge + n)])
        opts = self.options
        if speech_b and not speech_a and opts.onset_weight > 0:
            return opts.onset_weight
        if speech_a and speech_b and vector_a is not None and vector_b is not None:
            distance = float(np.linalg.norm(vector_a - vector_b)) / np.sqrt(vector_a.size)
            return opts.change_weight * distance
        return math.nan

    def _analyse(self, audio: RecentAudio, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frame features, voicing energies, voicing flags) of block number ``block``."""
        samples = audio.window(block * self.block, (block + 1) * self.block) if block >= 0 else np.zeros(0, np.float32)
        key = (block, len(samples))
        if key not in self._cache:
            from perception.speech.spectral import voicing

            energy_db, periodic = voicing(samples, AUDIO_RATE)
            self._cache[key] = (self.embedder.frame_features(samples), energy_db, periodic)
            while len(self._cache) > 4 * self.blocks_per_window + 4:
                self._cache.popitem(last=False)
        return self._cache[key]

    def _describe(self, blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[bool, np.ndarray | None]:
        from perception.speech.spectral import loud_share

        features = np.concatenate([b[0] for b in blocks])
        energy_db = np.concatenate([b[1] for b in blocks])
        periodic = np.concatenate([b[2] for b in blocks])
        if len(features) < int(0.5 * AUDIO_RATE / 160) or loud_share(energy_db, periodic) < self.options.min_voiced:
            return False, None
        raw = self.embedder.pool(features)
        return raw is not None, None if raw is None else self.embedder.standardise(raw)


class RecentAudio:
    """The last few seconds of a stream's audio on media time, to read windows around an instant."""

    def __init__(self) -> None:
        self.start: float | None = None  # media time of samples[0]
        self.samples = np.zeros(0, np.float32)

    @property
    def end(self) -> float:
        """Media time just after the last sample held (``-inf`` before any audio)."""
        return float("-inf") if self.start is None else self.start + len(self.samples) / AUDIO_RATE

    def add(self, time: float, samples: np.ndarray) -> None:
        """Append a chunk beginning at media time ``time``; gaps become silence, overlaps are dropped."""
        samples = np.asarray(samples, dtype=np.float32)
        if self.start is None:
            self.start = float(time)
        offset = int(round((time - self.end) * AUDIO_RATE))
        if offset < 0:
            samples = samples[-offset:]
        elif offset > 0:
            samples = np.concatenate([np.zeros(offset, np.float32), samples])
        if len(samples):
            self.samples = np.concatenate([self.samples, samples])

    def index(self, time: float) -> int:
        """Absolute sample index (from media time 0) of ``time``."""
        return int(round(time * AUDIO_RATE))

    def window(self, first: int, last: int) -> np.ndarray:
        """Samples [first, last) by absolute index; the part not held is left out."""
        if self.start is None:
            return np.zeros(0, np.float32)
        origin = int(round(self.start * AUDIO_RATE))
        lo, hi = max(0, first - origin), max(0, min(len(self.samples), last - origin))
        return self.samples[lo:hi] if hi > lo else np.zeros(0, np.float32)

    def drop_before(self, time: float) -> None:
        """Forget samples before ``time``."""
        if self.start is None or time <= self.start:
            return
        count = min(len(self.samples), int(round((time - self.start) * AUDIO_RATE)))
        self.samples = self.samples[count:]
        self.start += count / AUDIO_RATE
