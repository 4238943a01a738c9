"""clip-objects: proposals scored against a vocabulary by an encoder with a text tower."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pytest

from perception.detection import create_detector, iou
from perception.detection.clip_regions import ClipRegionOptions, proposals
from perception.encoders.base import FrameEncoder, l2_normalize


class ColourEncoder(FrameEncoder):
    """A stand-in CLIP whose image and text vectors speak of colour only (an oracle for scoring)."""

    space, dim, frame_size = "colour", 4, 32
    _TEXT = {"red": [1, 0, 0, 0.3], "blue": [0, 0, 1, 0.3], "green": [0, 1, 0, 0.3]}

    @property
    def supports_text(self) -> bool:
        return True

    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        rows = []
        for image in images:
            mean = image.reshape(-1, 3).mean(axis=0) / 255.0
            rows.append(np.append(mean - mean.min(), 0.3))
        return l2_normalize(np.asarray(rows))

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        return l2_normalize(np.asarray([self._TEXT.get(t.split()[-1], [0, 0, 0, 1]) for t in texts], float))


def _scene() -> np.ndarray:
    image = np.full((240, 320, 3), 128, np.uint8)
    image[40:120, 30:110] = (220, 20, 20)  # a red square
    image[140:220, 200:300] = (20, 20, 220)  # a blue rectangle
    return image


def test_colour_oracle_finds_the_coloured_things():
    detector = create_detector("clip-objects", encoder=ColourEncoder(), labels=("red", "blue", "green"),
                               background=("grey",), min_score=0.5)
    (found,) = detector.detect([_scene()], [2.0])
    best = {}
    for d in found:
        best.setdefault(d.label, d)  # sorted best first
    assert set(best) == {"red", "blue"}
    assert iou(np.array([best["red"].box]), np.array([[30, 40, 110, 120]]))[0, 0] > 0.5
    assert iou(np.array([best["blue"].box]), np.array([[200, 140, 300, 220]]))[0, 0] > 0.5
    for d in found:
        assert d.kind == "object" and d.time == 2.0 and 0.5 <= d.score <= 1.0 and d.space == "colour"
        assert d.appearance.shape == (4,) and d.crop is not None
    for label in ("red", "blue"):  # non-maximum suppression within a label
        boxes = np.array([d.box for d in found if d.label == label])
        overlap = iou(boxes, boxes)
        assert (overlap[np.triu_indices(len(boxes), 1)] <= 0.3 + 1e-9).all()
    (grey,) = detector.detect([np.full((240, 320, 3), 128, np.uint8)], [0.0])
    assert grey == []  # only background


def test_tiny_clip_runs_the_real_code_path(tiny_clip, smooth_image, rng):
    detector = create_detector("clip-objects", encoder=tiny_clip, labels=("mug", "chair", "book"),
                               max_proposals=12, min_score=0.0, max_detections=5)
    frames = [smooth_image(rng, 120, 160), smooth_image(rng, 90, 160)]
    per_frame = detector.detect(frames, [0.0, 0.5])
    assert len(per_frame) == 2
    for frame, found in zip(frames, per_frame):
        assert len(found) <= 5
        for d in found:
            assert d.label in ("mug", "chair", "book") and d.space == tiny_clip.space
            assert d.appearance.shape == (tiny_clip.dim,)
            assert 0 <= d.box[0] < d.box[2] <= frame.shape[1] and 0 <= d.box[1] < d.box[3] <= frame.shape[0]


def test_proposals_cover_the_frame_and_respect_the_budget(smooth_image, rng):
    frame = smooth_image(rng, 240, 320)
    options = ClipRegionOptions(max_proposals=20)
    boxes = proposals(frame, options)
    assert 0 < len(boxes) <= 20
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= 320).all() and (boxes[:, 3] <= 240).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


def test_needs_a_text_tower_and_checks_options(tiny_clip):
    from perception.encoders.descriptor import DescriptorEncoder

    with pytest.raises(TypeError, match="text tower"):
        create_detector("clip-objects", encoder=DescriptorEncoder())
    with pytest.raises(TypeError, match="text tower"):
        create_detector("clip-objects")
    with pytest.raises(ValueError, match="labels"):
        create_detector("clip-objects", encoder=tiny_clip, labels=("mug", "mug"))
    with pytest.raises(ValueError, match="prompt"):
        create_detector("clip-objects", encoder=tiny_clip, prompt="a photo")
