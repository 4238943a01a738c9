"""The `sim` detector (sim/detector.py, registered from the side), and the whole entity chain on a simulated episode with EVAL.md's noise:
sim detections -> tracks -> re-identification, scored by B-cubed against the true identities."""

from __future__ import annotations

import numpy as np
import pytest

import sim.detector  # noqa: F401  (registers the detector "sim")
from perception.detection import create_detector, list_detectors
from perception.reid import ReidClusterer, bcubed, reidentify
from perception.tracking import Tracker


@pytest.fixture(scope="module")
def episode():
    from sim.episode import RenderConfig, simulate

    # five minutes sampled twice a second, small frames: a couple of seconds to plan and observe
    return simulate(11, 5.0, render=RenderConfig(160, 120, fps=2.0, observation_rate=2.0), speech="tones")


def test_sim_detections_at_frame_times(episode):
    detector = create_detector("sim", truth=episode.truth)
    raw = detector.perception.detections()
    t = raw[len(raw) // 2].time
    expected = [d for d in raw if d.time == t]
    (found,) = detector.detect([None], [t])
    assert len(found) == len(expected) > 0
    for d, e in zip(found, expected):
        assert d.box == pytest.approx(e.box) and d.label == e.label and d.truth == e.true_id
        assert d.kind == ("person" if e.label == "person" else "object") and d.track_hint == e.track_id
        assert d.space == "sim:appearance:64" and np.allclose(d.appearance, e.appearance)
    (near,) = detector.detect([None], [t + 0.1])  # within half a sampling interval: the same frame
    assert len(near) == len(found) and near[0].time == t + 0.1
    assert detector.detect([None], [episode.truth.duration + 60.0]) == [[]]
    (scaled,) = detector.detect([np.zeros((240, 320, 3), np.uint8)], [t])  # boxes in the frame given
    assert scaled[0].box == pytest.approx(tuple(2 * v for v in found[0].box))


def test_sim_needs_an_episode():
    with pytest.raises(TypeError, match="perception=.*truth="):
        create_detector("sim")


def test_entities_of_a_simulated_episode(episode):
    """Default tracker and re-identification settings, default simulator noise."""
    detector = create_detector("sim", truth=episode.truth)
    tracker = Tracker("sim", min_detections=1)
    tracks = []
    for t in sorted({float(o.time) for o in episode.truth.observations}):
        tracks += tracker.update(t, detector.detect([None], [t])[0])
    tracks += tracker.flush()
    done = reidentify(tracks, ReidClusterer())
    for kind, floor in (("person", 0.8), ("object", 0.85)):
        pred = [e for track, e in done if track.kind == kind for _ in track.truths]
        true = [x or f"false:{track.track_id}" for track, _ in done if track.kind == kind for x in track.truths]
        precision, recall, f1 = bcubed(pred, true)
        assert f1 >= floor, (kind, precision, recall, f1)


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
