"""Frames that show what the last looked-at frame showed: their detections are that frame's.

Slides, a parked robot, a fixed camera on an empty room: long stretches of video change nothing a
detector would see differently. A frame is compared with the last frame the detectors ran on, both
shrunk to a 32x18 grey glance; when the mean absolute difference is under ``still`` grey levels (sensor
noise and compression are about 1) the earlier detections are reused at the new time. Drift cannot
build up: the reference is always the last frame detected on, and detection runs again at least every
``refresh_s`` seconds of media time whatever the glance says.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import cv2
import numpy as np

from perception.detection.base import Detection

GLANCE = (32, 18)  # width, height of the grey thumbnail frames are compared at


class StillFrames:
    """Runs ``detect`` only on frames that changed since the last one it ran on."""

    def __init__(self, still: float = 1.0, refresh_s: float = 10.0) -> None:
        if not still >= 0 or not refresh_s > 0:
            raise ValueError(f"StillFrames(still={still!r}, refresh_s={refresh_s!r}): expected still >= 0 grey "
                             "levels and refresh_s > 0 seconds")
        self.still = float(still)
        self.refresh_s = float(refresh_s)
        self._glance: np.ndarray | None = None  # of the last frame detected on
        self._time = float("-inf")
        self._found: list[Detection] = []
        self.detected = 0  # frames the detectors ran on
        self.reused = 0  # frames that took the last detections

    def detect(self, images: Sequence[np.ndarray], times: Sequence[float],
               detect: Callable[[list[np.ndarray], list[float]], list[list[Detection]]]) -> list[list[Detection]]:
        """Per frame, its detections: ``detect`` on the changed frames, in one batch; the others reuse."""
        glances = [_glance(image) for image in images]
        source: list[int] = []  # per frame: the index in the batch it takes its detections from, -1: earlier
        fresh: list[int] = []
        reference, since = self._glance, self._time
        for i, (glance, time) in enumerate(zip(glances, times)):
            if glance is not None and reference is not None and time - since < self.refresh_s and \
                    float(np.abs(glance - reference).mean()) < self.still:
                source.append(source[-1] if source else -1)
                continue
            fresh.append(i)
            source.append(i)
            reference, since = glance, float(time)
        found = detect([images[i] for i in fresh], [float(times[i]) for i in fresh]) if fresh else []
        by_frame = dict(zip(fresh, found))
        out = []
        for i, s in enumerate(source):
            if s == i:
                out.append(by_frame[i])
                continue
            earlier = self._found if s < 0 else by_frame[s]
            out.append([dataclasses.replace(d, time=float(times[i])) for d in earlier])
        if fresh:
            self._glance, self._time, self._found = glances[fresh[-1]], float(times[fresh[-1]]), by_frame[fresh[-1]]
        self.detected += len(fresh)
        self.reused += len(images) - len(fresh)
        return out


def _glance(image: np.ndarray | None) -> np.ndarray | None:
    if image is None:  # a backend that needs no pixels (the simulator's): nothing to compare
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, GLANCE, interpolation=cv2.INTER_AREA).astype(np.float32)
