"""The detector ``"sim"``: what the simulator's noisy perception reports, as detections of the frames asked for.

It plugs into perception's detector registry from the side: importing this module registers it
(``import sim.detector``), so that perception's core never imports the simulator. mnemo/evaluation
(the simulator's harness) imports it before it asks for ``create_detector("sim", ...)``.

The simulator's perception (``sim.noise.SimPerception``) gives, per sampled frame, detections with
the errors real detectors and trackers make (misses, false boxes, look-alike labels, identity
swaps, ambiguous appearance vectors). Its tracker's identity travels as ``track_hint`` and the
true entity as ``truth`` (for scoring only). Frames may be None: no pixels are looked at.
"""

from __future__ import annotations

import bisect
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from perception.detection import Detection, Detector, register_detector
from sim.noise import SimPerception
from sim.truth import load_truth

logger = logging.getLogger(__name__)


@register_detector("sim")
class SimDetector(Detector):
    """Detections of a simulated episode at the times asked for (nearest sampled frame)."""

    kind = "object"  # people come out as kind "person", everything else as "object"

    def __init__(self, perception: Any = None, truth: Any = None, noise: Any = None, seed: int = 0,
                 tolerance: float | None = None) -> None:
        if perception is None:
            if truth is None:
                raise TypeError("detector 'sim' needs perception=<sim.noise.SimPerception> or truth=<Truth or "
                                "path of truth.json>")
            if isinstance(truth, (str, Path)):
                truth = load_truth(truth)
            perception = SimPerception(truth, noise, seed)
        self.perception = perception
        truth = perception.truth
        self.width, self.height = int(truth.width), int(truth.height)
        self.space = f"sim:appearance:{perception.config.appearance_dim}"
        # frames within this many seconds of a sampled frame get its detections
        self.tolerance = 0.5 / float(truth.observation_rate) if tolerance is None else float(tolerance)
        by_time: dict[float, list[Any]] = {}
        for d in perception.detections():
            by_time.setdefault(float(d.time), []).append(d)
        self._times = sorted(by_time)
        self._by_time = by_time

    @property
    def times(self) -> list[float]:
        """The media times the simulated detector observed (its sampling instants)."""
        return list(self._times)

    def detect(self, frames: Sequence[np.ndarray | None], times: Sequence[float]) -> list[list[Detection]]:
        if len(frames) != len(times):
            raise ValueError(f"detect: {len(frames)} frames but {len(times)} times")
        return [self._at(float(t), frame) for frame, t in zip(frames, times)]

    def _at(self, time: float, frame: np.ndarray | None) -> list[Detection]:
        sampled = self._nearest(time)
        if sampled is None:
            return []
        sx = sy = 1.0
        if frame is not None:
            sx, sy = frame.shape[1] / self.width, frame.shape[0] / self.height
        out = []
        for d in self._by_time[sampled]:
            x0, y0, x1, y1 = d.box
            box = (x0 * sx, y0 * sy, max(x1 * sx, x0 * sx + 1e-3), max(y1 * sy, y0 * sy + 1e-3))
            out.append(Detection(time, box, float(d.score), "person" if d.label == "person" else "object",
                                 d.label, appearance=np.asarray(d.appearance, np.float32), space=self.space,
                                 track_hint=int(d.track_id), truth=d.true_id))
        return out

    def _nearest(self, time: float) -> float | None:
        i = bisect.bisect_left(self._times, time)
        near = [self._times[j] for j in (i - 1, i) if 0 <= j < len(self._times)]
        if not near:
            return None
        best = min(near, key=lambda t: abs(t - time))
        return best if abs(best - time) <= self.tolerance else None
