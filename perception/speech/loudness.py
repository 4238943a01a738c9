"""Online loudness normalisation of the audio a voice activity detector reads (not of what is kept).

Silero VAD's speech probability falls with the level of its input: a far or soft talker 20 dB
below the others, or a whole meeting recorded at -40 dBFS, is heard as less likely speech. The
normaliser raises each block so that the loudest recent audio (a peak follower: instant attack,
``release_db_s`` decay) reaches ``target_db``, by at most ``max_gain_db``, and never so far that the
quietest audio of the last ``window_s`` seconds (the noise floor, a running minimum of lightly
smoothed block levels) would pass ``ceiling_db``: noise is not raised into the range where speech
lives. It never turns audio down. The gain is constant within a block and changes slowly between
blocks (the peak decays at ``release_db_s``), so the detector sees no pumping within a word.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from streams.packets import AUDIO_RATE


class LoudnessNormaliser:
    """Per-block gain in dB, from the blocks seen since the last :meth:`reset` (causal)."""

    def __init__(self, target_db: float, max_gain_db: float = 30.0, release_db_s: float = 2.0,
                 ceiling_db: float = -55.0, window_s: float = 3.0, block: int = 512) -> None:
        self.target_db = target_db
        self.max_gain_db = max_gain_db
        self.ceiling_db = ceiling_db
        self._release = release_db_s * block / AUDIO_RATE  # dB the peak falls per block
        self._floor_blocks = max(1, round(window_s * AUDIO_RATE / block))
        self.reset()

    def reset(self) -> None:
        self._peak = -np.inf
        self._smoothed: float | None = None
        self._levels: deque[float] = deque(maxlen=self._floor_blocks)
        self.gain_db = 0.0  # the gain given to the last block

    def __call__(self, block: np.ndarray) -> np.ndarray:
        """``block`` (float32) with the gain its level and the recent audio call for."""
        level = 10.0 * float(np.log10(np.mean(np.square(block, dtype=np.float64)) + 1e-12))
        self._peak = max(level, self._peak - self._release)
        self._smoothed = level if self._smoothed is None else 0.5 * (self._smoothed + level)
        self._levels.append(self._smoothed)
        floor = min(self._levels)
        self.gain_db = max(0.0, min(self.target_db - self._peak, self.max_gain_db, self.ceiling_db - floor))
        if self.gain_db == 0.0:
            return block
        return np.clip(block * np.float32(10 ** (self.gain_db / 20)), -1.0, 1.0).astype(np.float32, copy=False)
