"""Surprise channels read from the frame vectors themselves, over a few seconds rather than frame to frame.

- ``trend``: gradual transitions (fades, dissolves, pans, a slow walk through a door). The mean
  vector of the next ``window`` observations against the mean of the ``window`` before:
  ``1 - cos``. A cut and a two-second dissolve give the same reading; frame-to-frame surprise
  sees only the cut.
- ``place``: visual place recognition without poses. The next ``window`` observations' mean
  against every single one of the last ``memory`` observations: ``1 - max cos``. High only
  when what comes is unlike anything seen in the recent window, i.e. a sustained change of
  view (a new room, a new shot), not a glance away and back.

A reading at observation i needs the vectors up to i + window - 1: the channels lag the
stream by ``window - 1`` observations (:attr:`VisualChannels.delay`). Readings are a pure
function of the vectors in [i - memory, i + window), so a segmenter that resumes at i with
the ``memory`` vectors before i (:meth:`VisualChannels.past`) reads exactly the same values.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable

import numpy as np

TREND = "trend"
PLACE = "place"
VISUAL_CHANNELS = (TREND, PLACE)  # the channel names the segmenter computes itself


class VisualChannels:
    """The ``trend`` and ``place`` readings of a stream of unit vectors, ``delay`` observations late."""

    def __init__(self, names: Iterable[str], window: int, memory: int, keep: int = 0):
        self.names = tuple(sorted(n for n in names if n in VISUAL_CHANNELS))
        self.window = window  # observations averaged on either side of the reading's instant
        self.memory = memory  # past observations the place channel compares with
        self._vectors: deque[tuple[int, np.ndarray]] = deque(maxlen=memory + window + keep)

    @property
    def delay(self) -> int:
        """Observations a reading waits for after its own (0 when no channel is on)."""
        return self.window - 1 if self.names else 0

    def push(self, index: int, vector: np.ndarray) -> tuple[int, dict[str, float]] | None:
        """Take observation ``index``; returns (the observation now read, its readings) once one is.

        The readings are empty while fewer than ``window`` observations precede it."""
        if not self.names:
            return None
        self._vectors.append((index, vector))
        target = index - self.delay
        if target < 0:
            return None
        upcoming = [v for i, v in self._vectors if i >= target]
        before = [v for i, v in self._vectors if target - self.memory <= i < target]
        if len(before) < self.window:
            return target, {}
        ahead = _unit(np.mean(upcoming, axis=0))
        readings: dict[str, float] = {}
        if TREND in self.names:
            recent = _unit(np.mean(before[-self.window:], axis=0))
            readings[TREND] = float(1.0 - recent @ ahead)
        if PLACE in self.names:
            readings[PLACE] = float(1.0 - np.max(np.stack(before) @ ahead))
        return target, readings

    def past(self, index: int) -> np.ndarray:
        """The vectors a resumed reader needs before observation ``index`` (n, dim)."""
        kept = [v for i, v in self._vectors if index - self.memory <= i < index]
        return np.stack(kept) if kept else np.zeros((0, 0), np.float32)

    def load(self, index: int, vectors: np.ndarray) -> None:
        """Resume before observation ``index`` with the vectors that preceded it."""
        self._vectors.clear()
        start = index - len(vectors)
        for offset, vector in enumerate(np.asarray(vectors, np.float32)):
            self._vectors.append((start + offset, vector))


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x / max(float(np.linalg.norm(x)), 1e-12)
