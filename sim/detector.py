"""The detector ``"sim"``: the simulator acting as an object detector on its rendered frames.

It plugs into perception's detector registry from the side: importing this module registers it
(``import sim.detector``), so that perception's core never imports the simulator. The simulator's
harness (mnemo/evaluation) imports it before a profile names it.

For a frame at media time t it reports what a detector would: boxes with a label and a score (and a
container's open/closed state, as a state classifier on the crop would read it), with EVAL.md's noise
(``sim.noise.SimPerception``: misses, persistent false boxes, look-alike labels, jittered boxes).
Nothing else: no track id, no identity, no appearance vector, no name, no position. Tracking,
re-identification, appearance (crops of the frame through the profile's frame encoder), colour and
position are ingest's to compute, as for any detector.
"""

from __future__ import annotations

import bisect
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from perception.detection import Detection, Detector, register_detector
from perception.detection.base import crop_box, with_appearance
from perception.encoders.base import FrameEncoder
from sim.noise import NoiseConfig, SimPerception
from sim.truth import Truth, load_truth

logger = logging.getLogger(__name__)


@register_detector("sim")
class SimDetector(Detector):
    """Boxes, labels, scores (and container states) of a simulated episode's frames."""

    kind = "object"  # people come out as kind "person", everything else as "object"

    def __init__(self, truth: Truth | str | Path | None = None, noise: NoiseConfig | None = None, seed: int = 0,
                 encoder: FrameEncoder | None = None, tolerance: float | None = None, crop_size: int = 128,
                 crop_pad: float = 0.1) -> None:
        if truth is None:
            raise TypeError("detector 'sim' needs truth=<Truth or path of the episode's truth.json>")
        if isinstance(truth, (str, Path)):
            truth = load_truth(truth)
        self._perception = SimPerception(truth, noise or NoiseConfig(), seed)
        self.width, self.height = int(truth.width), int(truth.height)
        self.encoder = encoder  # crop encoder for appearance vectors (the profile's frame encoder); None: none
        self.crop_size, self.crop_pad = int(crop_size), float(crop_pad)
        # frames within this many seconds of a sampled frame get its detections
        self.tolerance = 0.5 / float(truth.observation_rate) if tolerance is None else float(tolerance)
        by_time: dict[float, list[tuple]] = {}
        for d in self._perception.detections():  # only what a detector reports is kept
            by_time.setdefault(float(d.time), []).append((d.box, float(d.score), d.label, d.state))
        self._times = sorted(by_time)
        self._by_time = by_time

    @property
    def times(self) -> list[float]:
        """The media times the simulated detector can report on (its sampling instants)."""
        return list(self._times)

    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        if len(frames) != len(times):
            raise ValueError(f"detect: {len(frames)} frames but {len(times)} times")
        found = [self._at(float(t), frame) for frame, t in zip(frames, times)]
        return with_appearance(found, self.encoder) if self.encoder is not None else found

    def _at(self, time: float, frame: np.ndarray | None) -> list[Detection]:
        sampled = self._nearest(time)
        if sampled is None:
            return []
        sx = sy = 1.0
        if frame is not None:
            sx, sy = frame.shape[1] / self.width, frame.shape[0] / self.height
        out = []
        for (x0, y0, x1, y1), score, label, state in self._by_time[sampled]:
            box = (x0 * sx, y0 * sy, max(x1 * sx, x0 * sx + 1e-3), max(y1 * sy, y0 * sy + 1e-3))
            crop = crop_box(frame, box, self.crop_pad, self.crop_size) if frame is not None else None
            out.append(Detection(time, box, score, "person" if label == "person" else "object", label,
                                 crop=crop, state=state))
        return out

    def _nearest(self, time: float) -> float | None:
        i = bisect.bisect_left(self._times, time)
        near = [self._times[j] for j in (i - 1, i) if 0 <= j < len(self._times)]
        if not near:
            return None
        best = min(near, key=lambda t: abs(t - time))
        return best if abs(best - time) <= self.tolerance else None
