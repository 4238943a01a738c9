"""The Detection record, box helpers, appearance vectors and the detector registry."""

from __future__ import annotations

import numpy as np
import pytest

from perception import UnknownComponent
from perception.detection import (
    Detection,
    FrameDetector,
    appearance,
    create_detector,
    crop_box,
    iou,
    list_detectors,
    nms,
    register_detector,
)
from perception.encoders.descriptor import DescriptorEncoder


def test_detection_validates_its_fields():
    d = Detection(1.0, (1, 2, 11, 22), 0.5, "person")
    assert d.box == (1.0, 2.0, 11.0, 22.0) and d.area == 200.0
    with pytest.raises(ValueError, match="kind"):
        Detection(1.0, (0, 0, 1, 1), 0.5, "voice")
    with pytest.raises(ValueError, match="box"):
        Detection(1.0, (5, 0, 1, 1), 0.5, "face")
    with pytest.raises(ValueError, match="score"):
        Detection(1.0, (0, 0, 1, 1), 1.5, "face")
    with pytest.raises(ValueError, match="space"):
        Detection(1.0, (0, 0, 1, 1), 0.5, "face", appearance=np.ones(4, np.float32))


def test_iou_and_nms_against_brute_force(rng):
    xs, ys = np.sort(rng.uniform(0, 100, (40, 2)), axis=1), np.sort(rng.uniform(0, 100, (40, 2)), axis=1)
    boxes = np.column_stack([xs[:, 0], ys[:, 0], xs[:, 1] + 1, ys[:, 1] + 1])
    scores = rng.uniform(size=40)
    matrix = iou(boxes, boxes)
    for i in range(40):
        for j in range(40):
            x0, y0 = max(boxes[i, 0], boxes[j, 0]), max(boxes[i, 1], boxes[j, 1])
            x1, y1 = min(boxes[i, 2], boxes[j, 2]), min(boxes[i, 3], boxes[j, 3])
            inter = max(0, x1 - x0) * max(0, y1 - y0)
            area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
            assert matrix[i, j] == pytest.approx(inter / (area(boxes[i]) + area(boxes[j]) - inter))
    kept = nms(boxes, scores, 0.3)
    # greedy oracle: walk by score, keep a box unless it overlaps a kept one by more than 0.3
    oracle = []
    for i in np.argsort(-scores):
        if all(matrix[i, k] <= 0.3 for k in oracle):
            oracle.append(i)
    assert list(kept) == oracle


def test_crop_box_pads_clips_and_shrinks(smooth_image, rng):
    frame = smooth_image(rng, 120, 160)
    crop = crop_box(frame, (10, 20, 50, 100), pad=0.0)
    assert crop.shape == (80, 40, 3) and np.array_equal(crop, frame[20:100, 10:50])
    assert crop_box(frame, (-30, -30, 20, 20), pad=0.5).shape == (45, 45, 3)
    assert max(crop_box(frame, (0, 0, 160, 120), max_side=32).shape[:2]) == 32
    assert crop_box(frame, (500, 500, 600, 600)).shape == (1, 1, 3)  # outside: its nearest pixel


def test_appearance_vectors_are_unit_and_tell_boxes_apart(smooth_image, rng):
    frame = smooth_image(rng, 120, 160)
    encoder = DescriptorEncoder()
    boxes = [(0, 0, 60, 60), (0, 0, 60, 60), (100, 60, 160, 120)]
    vectors = appearance(frame, boxes, encoder)
    assert vectors.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] == pytest.approx(1.0, abs=1e-5)
    assert vectors[0] @ vectors[2] < 0.99
    assert appearance(frame, [], encoder).shape == (0, encoder.dim)


def test_registry_lists_builtins_and_names_unknown_ones():
    assert {"hog-people", "haar-faces", "yunet-faces", "clip-objects"} <= set(list_detectors())
    with pytest.raises(UnknownComponent, match="available: .*haar-faces"):
        create_detector("no-such-detector")


def test_a_registered_frame_detector_gets_crops_and_vectors(smooth_image, rng):
    @register_detector("test-centre-box")
    class CentreBox(FrameDetector):
        kind = "object"

        def find(self, frame):
            h, w = frame.shape[:2]
            return [((w / 4, h / 4, 3 * w / 4, 3 * h / 4), 0.9, "thing")]

    encoder = DescriptorEncoder()
    detector = create_detector("test-centre-box", encoder=encoder, crop_size=16)
    frames = [smooth_image(rng, 120, 160), smooth_image(rng, 60, 80)]
    per_frame = detector.detect(frames, [0.0, 0.5])
    assert [len(f) for f in per_frame] == [1, 1]
    d = per_frame[1][0]
    assert d.time == 0.5 and d.label == "thing" and d.box == (20.0, 15.0, 60.0, 45.0)
    assert d.space == encoder.space and d.appearance.shape == (encoder.dim,)
    assert max(d.crop.shape[:2]) <= 16
    with pytest.raises(ValueError, match="2 frames but 1 times"):
        detector.detect(frames, [0.0])
    with pytest.raises(ValueError, match="frame 0"):
        detector.detect([np.zeros((10, 10), np.uint8)], [0.0])
