"""Surprise segmentation against synthetic streams whose boundaries are known."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

import numpy as np
import pytest

from memory.segmenter import Segment, SegmenterConfig, SurpriseSegmenter, centred, side_distance, split_modularity

RATE = 2.0  # observations per second


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@dataclass
class Stream:
    times: np.ndarray
    vectors: np.ndarray
    boundaries: list[float]  # time of the first observation of every segment but the first


def make_stream(seed: int, *, duration: float = 320.0, dim: int = 64, noise: float = 0.42,
                drift: float = 0.0, blend: float | None = None, lengths: tuple[float, float] = (5.0, 40.0)) -> Stream:
    """Piecewise-constant unit vectors + noise (within-segment cosine ~0.83 at noise 0.42).

    drift: radians per second the segment's centre rotates; blend: the first observation of
    a segment is blend * new + (1 - blend) * old (a cross-fade frame, makes surprise peak late).
    """
    rng = np.random.default_rng(seed)
    cuts = [0.0]
    while cuts[-1] < duration:
        cuts.append(cuts[-1] + rng.uniform(*lengths))
    times = np.arange(0.0, cuts[-1], 1.0 / RATE)
    segment_of = np.searchsorted(cuts, times, side="right") - 1
    vectors, boundaries = [], []
    centre = axis = previous = None
    for i, (t, s) in enumerate(zip(times, segment_of)):
        first = i == 0 or s != segment_of[i - 1]
        if first:
            previous = centre
            centre, axis, t0 = _unit(rng.standard_normal(dim)), _unit(rng.standard_normal(dim)), t
            if i:
                boundaries.append(float(t))
        c = np.cos(drift * (t - t0)) * centre + np.sin(drift * (t - t0)) * axis
        if first and blend is not None and previous is not None:
            c = blend * centre + (1 - blend) * previous
        vectors.append(_unit(_unit(c) + noise * rng.standard_normal(dim) / np.sqrt(dim)))
    return Stream(times, np.asarray(vectors, dtype=np.float32), boundaries)


def boundary_f1(predicted: list[float], truth: list[float], tolerance: float) -> float:
    """F1 of predicted boundary times, matched one-to-one greedily by distance within tolerance."""
    pairs = sorted((abs(p - t), i, j) for i, p in enumerate(predicted) for j, t in enumerate(truth)
                   if abs(p - t) <= tolerance)
    used_p, used_t = set(), set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
    if not predicted and not truth:
        return 1.0
    precision = len(used_p) / max(len(predicted), 1)
    recall = len(used_t) / max(len(truth), 1)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def run(seg: SurpriseSegmenter, times, vectors, end_time: float | None = None) -> list[Segment]:
    out: list[Segment] = []
    for t, x in zip(times, vectors):
        out += seg.push(float(t), x)
    return out + seg.flush(end_time)


def starts(segments: list[Segment]) -> list[float]:
    return [s.start for s in segments[1:]]


def test_boundary_f1_helper() -> None:
    assert boundary_f1([1.0, 5.0], [1.5, 5.0], 1.0) == 1.0
    assert boundary_f1([1.0, 1.2], [1.1], 1.0) == pytest.approx(2 / 3)  # one-to-one
    assert boundary_f1([3.0], [1.0], 1.0) == 0.0
    assert boundary_f1([], [], 1.0) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_piecewise_constant_stream_f1(seed: int) -> None:
    stream = make_stream(seed)
    segments = run(SurpriseSegmenter(SegmenterConfig()), stream.times, stream.vectors)
    assert boundary_f1(starts(segments), stream.boundaries, tolerance=1.0) >= 0.9


@pytest.mark.parametrize("seed", [3, 4])
def test_drift_within_segments_makes_no_false_cuts(seed: int) -> None:
    stream = make_stream(seed, drift=0.03)  # up to ~70 degrees over a 40 s segment
    segments = run(SurpriseSegmenter(SegmenterConfig()), stream.times, stream.vectors)
    assert boundary_f1(starts(segments), stream.boundaries, tolerance=1.0) >= 0.9
    one = make_stream(seed, drift=0.03, lengths=(400.0, 400.0))  # a single drifting segment
    assert one.boundaries == []
    config = SegmenterConfig(max_len=1000.0)
    assert len(run(SurpriseSegmenter(config), one.times, one.vectors)) == 1


def test_min_and_max_length_respected() -> None:
    stream = make_stream(5)
    config = SegmenterConfig(min_len=6.0, max_len=15.0)
    segments = run(SurpriseSegmenter(config), stream.times, stream.vectors)
    for s in segments[:-1]:
        assert config.min_len <= s.duration <= config.max_len, s
    for a, b in zip(segments, segments[1:]):  # contiguous, covering every observation
        assert (a.end_index, a.end) == (b.start_index, b.start)
    assert segments[0].start_index == 0 and segments[-1].end_index == len(stream.times)
    assert segments[0].surprise == 0.0


def test_max_len_forces_boundaries_in_a_static_stream() -> None:
    rng = np.random.default_rng(0)
    times = np.arange(0.0, 100.0, 0.5)
    vectors = _unit(np.ones(16) + 0.01 * rng.standard_normal((len(times), 16)))
    segments = run(SurpriseSegmenter(SegmenterConfig(max_len=20.0)), times, vectors, end_time=100.0)
    assert [s.duration for s in segments] == [20.0] * 5
    assert segments[-1].end == 100.0


def test_final_segment_ends_one_median_step_after_the_last_observation() -> None:
    times = [0.0, 0.5, 1.0, 1.5, 3.5]
    vectors = np.ones((5, 4), np.float32)
    segments = run(SurpriseSegmenter(), times, vectors)
    assert len(segments) == 1 and segments[0].end == 4.0 and segments[0].end_index == 5


def _restored_run(config: SegmenterConfig, stream: Stream, segment: Segment) -> list[Segment]:
    seg = SurpriseSegmenter.from_state(config, segment.state)
    return run(seg, stream.times[segment.end_index:], stream.vectors[segment.end_index:])


def _assert_same(a: list[Segment], b: list[Segment]) -> None:
    assert [(s.start_index, s.end_index, s.start, s.end) for s in a] == \
           [(s.start_index, s.end_index, s.start, s.end) for s in b]
    np.testing.assert_allclose([s.surprise for s in a], [s.surprise for s in b], rtol=0, atol=1e-9)


@pytest.mark.parametrize("config", [SegmenterConfig(), SegmenterConfig(k=8, tau=16, refine_window=4, min_len=3.0),
                                    SegmenterConfig(refine=False, min_modularity=None, max_len=12.0),
                                    SegmenterConfig(history_clip=None, gamma=0.5)])
def test_resume_from_any_boundary_reproduces_the_rest(config: SegmenterConfig) -> None:
    stream = make_stream(6, duration=240.0, drift=0.01)
    full = run(SurpriseSegmenter(config), stream.times, stream.vectors)
    assert len(full) > 6
    for i in [0, 1, 2, len(full) // 2, len(full) - 2]:
        _assert_same(_restored_run(config, stream, full[i]), full[i + 1:])


def _late_side_channel(stream: Stream, delay: float) -> list[dict[str, float]]:
    """A side channel reading 1 ``delay`` seconds after each change of the picture, 0 elsewhere: a pose log
    crossing into the room the camera saw through the door a moment before."""
    late = np.asarray(stream.boundaries) + delay
    return [{"pose": float(np.any(np.abs(late - t) < 0.25))} for t in stream.times]


def _run_signals(seg: SurpriseSegmenter, times, vectors, signals) -> list[Segment]:
    out: list[Segment] = []
    for t, x, s in zip(times, vectors, signals):
        out += seg.push(float(t), x, s)
    return out + seg.flush()


def test_a_side_channel_late_on_a_change_the_picture_shows_gives_one_boundary_not_two() -> None:
    stream = make_stream(11, duration=240.0, lengths=(12.0, 40.0))
    signals = _late_side_channel(stream, 2.5)
    config = SegmenterConfig(channels={"pose": 1.0}, anchor_gap=3.0)
    twice = starts(_run_signals(SurpriseSegmenter(dataclasses.replace(config, anchor_gap=2.0)), stream.times,
                                stream.vectors, signals))
    once = _run_signals(SurpriseSegmenter(config), stream.times, stream.vectors, signals)
    assert len(twice) > len(stream.boundaries) + 2  # the change, and again where the side channel reads it
    assert boundary_f1(starts(once), stream.boundaries, 1.0) > boundary_f1(twice, stream.boundaries, 1.0)
    assert boundary_f1(starts(once), stream.boundaries, 1.0) >= 0.9
    for segment in once[1:-1]:  # resumed after any boundary, the anchored ones included: the same events
        rest = SurpriseSegmenter.from_state(config, segment.state)
        k = segment.end_index
        _assert_same(_run_signals(rest, stream.times[k:], stream.vectors[k:], signals[k:]),
                     once[once.index(segment) + 1:])


def test_state_dict_is_the_state_at_the_last_emitted_boundary() -> None:
    stream = make_stream(7, duration=120.0)
    seg = SurpriseSegmenter()
    assert seg.state_dict() == b""
    for t, x in zip(stream.times, stream.vectors):
        emitted = seg.push(float(t), x)
        if emitted:
            assert seg.state_dict() == emitted[-1].state
    restored = SurpriseSegmenter.from_state(None, seg.state_dict())
    assert restored.state_dict() == seg.state_dict()


def test_resume_drops_observations_before_the_boundary() -> None:
    config = SegmenterConfig()
    stream = make_stream(8, duration=150.0)
    full = run(SurpriseSegmenter(config), stream.times, stream.vectors)
    cut = full[2]
    seg = SurpriseSegmenter.from_state(config, cut.state)
    early = cut.end_index - 5  # a seek that lands a little early
    _assert_same(run(seg, stream.times[early:], stream.vectors[early:]), full[3:])


def test_state_is_npz_without_pickle_and_bad_state_is_a_clear_error() -> None:
    stream = make_stream(9, duration=60.0)
    full = run(SurpriseSegmenter(), stream.times, stream.vectors)
    with np.load(io.BytesIO(full[0].state), allow_pickle=False) as z:
        assert z["predictor"].shape == (SegmenterConfig().k, 64)
    with pytest.raises(ValueError, match="segmenter state"):
        SurpriseSegmenter.from_state(None, b"not a state")


def test_memory_stays_bounded() -> None:
    rng = np.random.default_rng(10)
    config = SegmenterConfig()
    seg = SurpriseSegmenter(config)
    centre = _unit(rng.standard_normal(8))
    for i in range(10_000):
        if i % 37 == 0:
            centre = _unit(rng.standard_normal(8))
        seg.push(i * 0.5, centre + 0.3 * rng.standard_normal(8))
    assert len(seg._history) <= config.history
    assert len(seg._predictor) <= config.k
    assert len(seg._residuals) <= config.tau and len(seg._surprises) <= config.tau
    assert len(seg._steps) <= seg._steps.maxlen
    assert all(len(o.before[0]) <= config.k for o in seg._history)


def test_refinement_is_at_least_as_accurate_when_surprise_peaks_late() -> None:
    exact = {True: [], False: []}
    for seed in range(4):
        stream = make_stream(20 + seed, blend=0.6)  # the cross-fade frame belongs to the new segment
        for refine in (True, False):
            segments = run(SurpriseSegmenter(SegmenterConfig(refine=refine)), stream.times, stream.vectors)
            exact[refine].append(boundary_f1(starts(segments), stream.boundaries, tolerance=0.0))
    assert np.mean(exact[True]) >= np.mean(exact[False])
    assert np.mean(exact[True]) >= 0.9


@pytest.mark.parametrize("seed", [0, 1])
def test_a_huge_boundary_does_not_mask_the_next_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b, d = (_unit(rng.standard_normal(64)) for _ in range(3))
    c = _unit(b + 0.9 * d)  # a milder change (cosine ~0.7) 7 s after a complete one
    times = np.arange(0.0, 60.0, 0.5)
    vectors = [_unit(a if t < 20 else b if t < 27 else c) for t in times]
    vectors = _unit(np.asarray(vectors) + 0.3 * rng.standard_normal((len(times), 64)) / 8.0)
    found = {clip: starts(run(SurpriseSegmenter(SegmenterConfig(history_clip=clip)), times, vectors))
             for clip in (3.0, None)}
    assert found[3.0] == [20.0, 27.0]
    assert found[None] == [20.0]  # EM-LLM's plain window: the first spike inflates the std for tau steps


def test_split_modularity() -> None:
    a, b = np.eye(4)[0], np.eye(4)[1]
    vectors = np.stack([a, a, a, b, b, b])
    scores = split_modularity(vectors, [0, 2, 3, 4])
    assert scores[0] == pytest.approx(0.0)
    assert scores[2] == pytest.approx(0.5) and scores[2] == max(scores)


def test_a_gradual_change_under_a_shared_picture_splits_once_centred() -> None:
    """Frames that all share one strong component (every cosine ~0.9) hide a change of the rest from the
    plain graph; centred, the two rooms are two blocks, and their means lie further apart than their spread.
    Compression noise on a still picture gives centred blocks too, but not the distance."""
    rng = np.random.default_rng(5)
    shared, room_a, room_b = _unit(rng.normal(size=(3, 64)))
    noise = rng.normal(size=(12, 64)) * 0.06
    walk = _unit(np.stack([2.5 * shared + (room_a if i < 6 else room_b) for i in range(12)]) + noise)
    assert split_modularity(walk, [6])[0] < 0.0  # the plain graph: no block
    assert split_modularity(centred(walk), [6])[0] > 0.2
    distance, spread = side_distance(walk, 6)
    assert distance > 0.05 and distance > spread
    still = _unit(np.stack([shared] * 12) + np.r_[np.zeros((6, 64)), np.full((6, 64), 0.002)])
    assert split_modularity(centred(still), [6])[0] > 0.2  # blocks in the noise once centred ...
    assert side_distance(still, 6)[0] < 0.001  # ... but the same picture on both sides


def test_profile_yaml_lists_of_entity_labels_become_tuples() -> None:
    assert SegmenterConfig(entity_labels=["person"]).entity_labels == ("person",)


@pytest.mark.parametrize("field,value", [("gamma", -1.0), ("tau", 1), ("k", 0), ("min_len", 0.0),
                                         ("max_len", 1.0), ("refine_window", -1), ("warmup", 2.5),
                                         ("min_modularity", 2.0), ("history_clip", 0.0),
                                         ("tau", "32"), ("screen_interval_s", -1.0),
                                         ("centred_modularity", 1.5), ("anchor_gap", -1.0), ("centred_distance", -0.1),
                                         ("entity_labels", "person"), ("entity_arrivals", 1),
                                         ("entry_leaving_m", -0.2)])
def test_config_errors_name_the_field_and_value(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"SegmenterConfig\.{field} = {value!r}"):
        SegmenterConfig(**{field: value})


def test_bad_observations_are_clear_errors() -> None:
    seg = SurpriseSegmenter()
    seg.push(1.0, np.ones(4))
    with pytest.raises(ValueError, match="dim 3, expected 4"):
        seg.push(1.5, np.ones(3))
    with pytest.raises(ValueError, match="goes back"):
        seg.push(0.5, np.ones(4))
    with pytest.raises(ValueError, match="norm"):
        seg.push(2.0, np.zeros(4))
    seg.flush()
    with pytest.raises(RuntimeError, match="after flush"):
        seg.push(3.0, np.ones(4))


def test_flush_rejects_an_end_before_the_last_observation() -> None:
    seg = SurpriseSegmenter()
    seg.push(0.0, np.ones(4))
    seg.push(1.0, np.ones(4))
    with pytest.raises(ValueError, match="end_time 0.5 s is before"):
        seg.flush(0.5)
    assert seg.flush(2.0) == [Segment(0, 2, 0.0, 2.0, 0.0)]
