"""HOG people and Haar faces on the real documentary video; YuNet's missing-model failure.

seed-archive-documentary.mp4 (25 s, 704x576): shots of hands (0-2.8 s), a jar (2.8-6.8 s), two
women standing at a table (6.8-12.04 s, faces about 60 px), a glass jar and a hand (12.04-19.36 s),
hands (19.36-25 s). People (and their faces) are visible in the 6.8-12.04 s shot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perception import WeightsUnavailable
from perception.detection import create_detector
from perception.encoders.descriptor import DescriptorEncoder

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
VIDEO = DATA / "video" / "seed-archive-documentary.mp4"
PEOPLE = (6.8, 12.04)  # the shot where two women stand at a table, faces to the camera
HANDS = (19.36, 25.2)  # close-up of hands: no face, no standing person


@pytest.fixture(scope="module")
def documentary() -> tuple[list[np.ndarray], list[float]]:
    """One RGB frame per second of the documentary."""
    if not VIDEO.is_file():
        pytest.skip(f"real media not available: {VIDEO} is absent (a plain clone has no ../shared/data)")
    import av

    frames, times = [], []
    with av.open(str(VIDEO)) as container:
        for frame in container.decode(video=0):
            t = float(frame.time)
            if t + 1e-3 >= len(times):
                frames.append(frame.to_ndarray(format="rgb24"))
                times.append(t)
    return frames, times


def _inside(t: float, span: tuple[float, float]) -> bool:
    return span[0] + 0.1 < t < span[1] - 0.1


def test_haar_faces_where_people_are(documentary):
    frames, times = documentary
    per_frame = create_detector("haar-faces").detect(frames, times)
    in_shot = [faces for t, faces in zip(times, per_frame) if _inside(t, PEOPLE)]
    elsewhere = [faces for t, faces in zip(times, per_frame) if not _inside(t, PEOPLE)]
    assert len(in_shot) == 5
    assert sum(1 for faces in in_shot if faces) == len(in_shot)  # a face in every frame of the shot
    assert sum(len(f) for f in in_shot) >= 7  # two faces to see per frame: most of them found
    for faces in in_shot:  # the women's faces are in the upper middle of the frame, about 60 px
        for d in faces:
            x0, y0, x1, y1 = d.box
            assert 100 < (x0 + x1) / 2 < 420 and (y0 + y1) / 2 < 260 and 40 < x1 - x0 < 90
            assert d.kind == "face" and 0.45 <= d.score <= 1.0
    rate_elsewhere = sum(len(f) for f in elsewhere) / len(elsewhere)
    assert rate_elsewhere < 0.5 * sum(len(f) for f in in_shot) / len(in_shot)
    assert not any(faces for t, faces in zip(times, per_frame) if _inside(t, HANDS))


def test_hog_people_where_people_are(documentary):
    frames, times = documentary
    per_frame = create_detector("hog-people").detect(frames, times)
    in_shot = [people for t, people in zip(times, per_frame) if _inside(t, PEOPLE)]
    # the woman on the left (red jacket, x about 110-290) is found in most frames of the shot
    on_left = [any(100 < (d.box[0] + d.box[2]) / 2 < 300 and d.box[1] < 60 and d.box[3] - d.box[1] > 180
                   for d in people) for people in in_shot]
    assert sum(on_left) >= 3
    assert not any(people for t, people in zip(times, per_frame) if _inside(t, HANDS))


def test_boxes_are_in_pixels_of_the_frame_given(documentary):
    frames, times = documentary
    i = next(i for i, t in enumerate(times) if _inside(t, PEOPLE))
    import cv2

    smaller = cv2.resize(frames[i], (528, 432), interpolation=cv2.INTER_AREA)  # 3/4 of 704 x 576
    detector = create_detector("haar-faces", encoder=DescriptorEncoder())
    full, small = detector.detect([frames[i], smaller], [times[i]] * 2)
    assert full and small
    centre = lambda d: np.array([(d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2])  # noqa: E731
    for d in small:
        assert min(np.linalg.norm(centre(d) / 0.75 - centre(f)) for f in full) < 12
    assert all(d.appearance is not None and d.crop is not None for d in full + small)
    # a half-size frame has faces of about 30 px: enlarging it finds them again
    half = cv2.resize(frames[i], (352, 288), interpolation=cv2.INTER_AREA)
    assert create_detector("haar-faces", upscale=1.5).detect([half], [times[i]])[0]


def test_blank_and_tiny_frames_have_no_detections():
    hog, haar = create_detector("hog-people"), create_detector("haar-faces")
    blank = np.full((240, 320, 3), 128, np.uint8)
    assert hog.detect([blank], [0.0]) == [[]] and haar.detect([blank], [0.0]) == [[]]
    assert hog.detect([np.zeros((40, 30, 3), np.uint8)], [0.0]) == [[]]


def test_options_are_checked_by_name():
    with pytest.raises(ValueError, match="scale"):
        create_detector("hog-people", scale=0.9)
    with pytest.raises(TypeError, match="unknown option.*min_face"):
        create_detector("haar-faces", min_face=3)
    with pytest.raises(FileNotFoundError, match="no-such.xml"):
        create_detector("haar-faces", cascade="no-such.xml")


def test_yunet_without_a_model_file_says_how_to_fix_it(tmp_path):
    with pytest.raises(WeightsUnavailable, match="model=.*haar-faces"):
        create_detector("yunet-faces")
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        create_detector("yunet-faces", model=str(tmp_path / "face_detection_yunet.onnx"))
