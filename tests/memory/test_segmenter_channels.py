"""Side surprise channels (speech, place) fused with the vision surprise, on synthetic streams."""

from __future__ import annotations

import io

import numpy as np
import pytest

from memory.segmenter import Segment, SegmenterConfig, SurpriseSegmenter

RATE = 2.0  # observations per second


def still_stream(seed: int, seconds: float = 120.0, dim: int = 32):
    """One picture with a little noise; a side reading (speech-like, NaN in silences) that jumps
    for a few observations at known change times."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, seconds, 1.0 / RATE)
    centre = rng.standard_normal(dim)
    vectors = centre + 0.05 * rng.standard_normal((len(times), dim))
    readings = 1.0 + 0.2 * rng.standard_normal(len(times))
    readings[(times % 37.0) < 3.0] = np.nan  # pauses: no reading
    changes = [25.0, 52.0, 81.0, 104.0]
    for change in changes:
        near = np.abs(times - change) <= 1.0
        readings[near] = 2.5 - 0.5 * np.abs(times[near] - change)  # peaks at the change
    return times, vectors.astype(np.float32), readings, changes


def run(seg: SurpriseSegmenter, times, vectors, readings) -> list[Segment]:
    out: list[Segment] = []
    for t, x, r in zip(times, vectors, readings):
        out += seg.push(float(t), x, {"speech": float(r)})
    return out + seg.flush()


def test_a_side_channel_cuts_a_still_stream_at_its_peaks() -> None:
    times, vectors, readings, changes = still_stream(1)
    assert len(run(SurpriseSegmenter(SegmenterConfig()), times, vectors, readings)) == 1  # vision alone: none
    segments = run(SurpriseSegmenter(SegmenterConfig(channels={"speech": 1.0})), times, vectors, readings)
    cuts = [s.start for s in segments[1:]]
    assert len(cuts) == len(changes) and all(abs(c - t) <= 0.5 for c, t in zip(cuts, changes)), cuts


def test_readings_of_unweighted_channels_are_ignored() -> None:
    times, vectors, readings, _ = still_stream(2)
    config = SegmenterConfig(channels={"screen": 1.0})
    assert len(run(SurpriseSegmenter(config), times, vectors, readings)) == 1


def test_resume_with_a_channel_reproduces_the_rest() -> None:
    times, vectors, readings, _ = still_stream(3)
    config = SegmenterConfig(channels={"speech": 1.0})
    full = run(SurpriseSegmenter(config), times, vectors, readings)
    assert len(full) >= 4
    for cut in full[:-1]:
        with np.load(io.BytesIO(cut.state), allow_pickle=False) as z:
            assert "channel_speech" in z.files
        start = cut.end_index
        rest = run(SurpriseSegmenter.from_state(config, cut.state), times[start:], vectors[start:], readings[start:])
        later = full[full.index(cut) + 1:]
        assert [(s.start_index, s.end_index, s.start, s.end) for s in rest] == \
               [(s.start_index, s.end_index, s.start, s.end) for s in later]
        np.testing.assert_allclose([s.surprise for s in rest], [s.surprise for s in later], rtol=0, atol=1e-9)


def test_a_state_without_channels_resumes_with_empty_channel_histories() -> None:
    times, vectors, readings, _ = still_stream(4, seconds=200.0)
    vectors[200:] += 3.0  # a picture change at 100 s gives a vision boundary
    plain = run(SurpriseSegmenter(SegmenterConfig()), times, vectors, readings)
    assert len(plain) >= 2
    seg = SurpriseSegmenter.from_state(SegmenterConfig(channels={"speech": 1.0}), plain[0].state)
    assert seg.push(float(times[plain[0].end_index]), vectors[plain[0].end_index], {"speech": 1.0}) == []


@pytest.mark.parametrize("channels", [{"speech": -1.0}, {"speech": float("inf")}, {"not a name": 1.0},
                                      {"speech": "high"}, ["speech"]])
def test_bad_channels_are_clear_errors(channels) -> None:
    with pytest.raises(ValueError, match="channels"):
        SegmenterConfig(channels=channels)
