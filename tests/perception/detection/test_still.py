"""Unchanged frames reuse the last detections: the same as detecting on each, for a fraction of the cost."""

from __future__ import annotations

import numpy as np
import pytest

from perception.detection import Detection
from perception.detection.still import StillFrames


def _frames(rng: np.random.Generator) -> tuple[list[np.ndarray], list[float]]:
    """A static scene with sensor noise for 8 frames, then a bright square appears for 8 frames."""
    base = rng.integers(40, 200, (90, 160, 3)).astype(np.uint8)
    images = []
    for k in range(16):
        image = np.clip(base.astype(int) + rng.integers(-2, 3, base.shape), 0, 255).astype(np.uint8)
        if k >= 8:
            image[20:70, 60:110] = 255
        images.append(image)
    return images, [0.5 * k for k in range(16)]


class Counting:
    """Finds saturated white regions (their bounding box), counting the frames it was run on."""

    def __init__(self) -> None:
        self.frames = 0

    def __call__(self, images, times):
        self.frames += len(images)
        out = []
        for image, time in zip(images, times):
            ys, xs = np.nonzero(image.min(axis=2) == 255)
            out.append([Detection(time, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), 0.9, "object", "square")]
                       if len(xs) > 100 else [])
        return out


def test_only_changed_frames_are_detected_on_and_the_others_reuse_at_their_time():
    images, times = _frames(np.random.default_rng(0))
    counting = Counting()
    still = StillFrames(still=1.0, refresh_s=100.0)
    out = still.detect(images[:5], times[:5], counting) + still.detect(images[5:], times[5:], counting)
    assert counting.frames == still.detected == 2  # the first frame and the one the square appeared in
    assert still.reused == 14 and len(out) == 16
    every = Counting()
    direct = every(images, times)
    assert [[d.box for d in f] for f in out] == [[d.box for d in f] for f in direct[:1] * 8 + direct[8:9] * 8]
    assert [len(f) for f in out] == [0] * 8 + [1] * 8 and out[8][0].box == (60.0, 20.0, 110.0, 70.0)
    assert all(d.time == t for frame, t in zip(out, times) for d in frame)


def test_detection_runs_again_after_refresh_seconds_and_never_with_still_zero():
    images, times = _frames(np.random.default_rng(1))
    counting = Counting()
    StillFrames(still=1.0, refresh_s=2.0).detect(images, times, counting)
    assert counting.frames == 4  # 0 s, 2 s, 4 s (the square), 6 s
    counting = Counting()
    StillFrames(still=0.0).detect(images, times, counting)
    assert counting.frames == 16


def test_frames_without_pixels_are_always_detected_on():
    counting = []
    StillFrames().detect([None, None], [0.0, 1.0], lambda images, times: counting.append(len(images)) or [[], []])
    assert counting == [2]


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="still=-1"):
        StillFrames(still=-1)
