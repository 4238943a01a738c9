"""The `sim` detector (sim/detector.py, registered from the side): boxes, labels, scores and container states of
the rendered frames, nothing a detector does not give (no track id, identity, vector, name or position)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim.detector  # noqa: F401  (registers the detector "sim")
from perception.detection import Detection, create_detector, list_detectors
from perception.encoders.descriptor import DescriptorEncoder


@pytest.fixture(scope="module")
def episode():
    from sim.episode import RenderConfig, simulate

    # five minutes sampled twice a second, small frames: a couple of seconds to plan and observe
    return simulate(11, 5.0, render=RenderConfig(160, 120, fps=2.0, observation_rate=2.0), speech="tones")


def test_sim_detections_are_boxes_labels_scores_and_states_only(episode):
    detector = create_detector("sim", truth=episode.truth)
    raw = detector._perception.detections()
    t = raw[len(raw) // 2].time
    expected = [d for d in raw if d.time == t]
    (found,) = detector.detect([None], [t])
    assert len(found) == len(expected) > 0
    for d, e in zip(found, expected):
        assert d.box == pytest.approx(e.box) and d.label == e.label and d.score == e.score and d.state == e.state
        assert d.kind == ("person" if e.label == "person" else "object")
        # nothing a detector cannot know: no identity, vector, track or truth
        # (a position is only a 3-D detector's measurement: a camera's boxes have none)
        assert d.appearance is None and d.space is None and d.truth is None and d.crop is None and d.position is None
    fields = {f.name for f in dataclasses.fields(Detection)}
    assert not fields & {"track_hint", "track_id", "name"}
    (near,) = detector.detect([None], [t + 0.1])  # within half a sampling interval: the same frame
    assert len(near) == len(found) and near[0].time == t + 0.1
    assert detector.detect([None], [episode.truth.duration + 60.0]) == [[]]
    (scaled,) = detector.detect([np.zeros((240, 320, 3), np.uint8)], [t])  # boxes in the frame given
    assert scaled[0].box == pytest.approx(tuple(2 * v for v in found[0].box))


def test_appearance_comes_from_the_crop_through_the_profiles_encoder(episode):
    encoder = DescriptorEncoder()
    detector = create_detector("sim", truth=episode.truth, encoder=encoder)
    t = detector.times[len(detector.times) // 2]
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    (found,) = detector.detect([frame], [t])
    assert found and all(d.space == encoder.space and d.crop is not None for d in found)
    # the vector is the crop's: a changed frame gives other vectors at the same boxes
    (again,) = detector.detect([255 - frame], [t])
    assert not np.allclose(found[0].appearance, again[0].appearance)


def test_sim_needs_an_episode():
    with pytest.raises(TypeError, match="truth="):
        create_detector("sim")


def test_the_sim_detector_plugs_in_from_the_side():
    import subprocess
    import sys

    # perception's core does not know it: a fresh process lists no "sim" until sim.detector is imported
    probe = ("from perception.detection import list_detectors; before = 'sim' in list_detectors(); "
             "import sim.detector; print(before, 'sim' in list_detectors())")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "True"]
    assert "sim" in list_detectors()
