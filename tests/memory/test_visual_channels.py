"""The segmenter's visual channels (trend, place): gradual transitions and sustained changes of view."""

from __future__ import annotations

import numpy as np
import pytest

from memory.segmenter import Segment, SegmenterConfig, SurpriseSegmenter
from memory.visual_channels import VisualChannels

RATE = 2.0  # observations per second


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def dissolve_stream(seed: int, seconds: float = 120.0, dim: int = 64, fade_s: float = 6.0):
    """Pictures that dissolve into the next one over ``fade_s`` seconds (a blend, step by step), with
    a little noise; returns times, vectors and the dissolves' middles."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, seconds, 1.0 / RATE)
    middles = [30.0, 62.0, 95.0]
    scenes = _unit(rng.standard_normal((len(middles) + 1, dim)))
    vectors = np.empty((len(times), dim))
    for i, t in enumerate(times):
        k = int(np.searchsorted(middles, t + fade_s / 2))  # the scene dissolving out (or shown)
        mix = 0.0 if k == len(middles) else float(np.clip((t - (middles[k] - fade_s / 2)) / fade_s, 0.0, 1.0))
        nxt = scenes[min(k + 1, len(scenes) - 1)]
        vectors[i] = (1 - mix) * scenes[k] + mix * nxt
    vectors += 0.08 * rng.standard_normal(vectors.shape)
    return times, vectors.astype(np.float32), middles


def run(seg: SurpriseSegmenter, times, vectors) -> list[Segment]:
    out: list[Segment] = []
    for t, x in zip(times, vectors):
        out += seg.push(float(t), x)
    return out + seg.flush()


@pytest.mark.parametrize("noise", [0.08, 0.15])
def test_trend_cuts_slow_dissolves_inside_them_and_nowhere_else(noise) -> None:
    times, vectors, middles = dissolve_stream(1, fade_s=10.0)
    vectors += (noise - 0.08) * np.random.default_rng(5).standard_normal(vectors.shape).astype(np.float32)
    spans = [(m - 5.0 - 0.5, m + 5.0 + 0.5) for m in middles]  # a cut anywhere in a dissolve is right
    for channels in ({"trend": 1.0}, {"place": 1.0}):
        cuts = [s.start for s in run(SurpriseSegmenter(SegmenterConfig(channels=channels)), times, vectors)[1:]]
        assert all(any(lo <= c <= hi for c in cuts) for lo, hi in spans), (channels, cuts)
        assert all(any(lo <= c <= hi for lo, hi in spans) for c in cuts), (channels, cuts)


def test_waiting_for_a_visual_channel_changes_no_decision_of_vision() -> None:
    """A visual channel of weight 0 only delays the segments: the boundaries are vision's own."""
    times, vectors, _ = dissolve_stream(6, fade_s=4.0)
    vectors += 0.2 * np.random.default_rng(6).standard_normal(vectors.shape).astype(np.float32)
    vision = run(SurpriseSegmenter(SegmenterConfig()), times, vectors)
    waiting = run(SurpriseSegmenter(SegmenterConfig(channels={"trend": 0.0, "place": 0.0})), times, vectors)
    assert [(s.start_index, s.end_index) for s in waiting] == [(s.start_index, s.end_index) for s in vision]


def test_readings_of_a_cut_peak_at_the_cut() -> None:
    rng = np.random.default_rng(2)
    a, b = _unit(rng.standard_normal((2, 16)))
    channels = VisualChannels(["trend", "place"], window=4, memory=10)
    readings = {}
    for i in range(30):
        read = channels.push(i, a if i < 15 else b)
        if read is not None and read[1]:
            readings[read[0]] = read[1]
    assert channels.delay == 3 and max(readings) == 26  # the last observation read waits for three more
    for name in ("trend", "place"):
        peak = max(readings, key=lambda i: readings[i][name])
        assert peak == 15 and readings[peak][name] == pytest.approx(1.0 - float(a @ b)), (name, readings[peak])
        assert readings[10][name] == pytest.approx(0.0, abs=1e-6)  # a still picture reads nothing
    assert readings[17]["place"] < readings[15]["place"]  # the new picture is then in the recent window


@pytest.mark.parametrize("channels", [{"trend": 1.0}, {"place": 1.0}, {"trend": 1.0, "place": 0.5, "speech": 1.0}])
def test_resume_with_visual_channels_reproduces_the_rest(channels) -> None:
    times, vectors, _ = dissolve_stream(3, seconds=200.0)
    vectors[::7] += 0.3  # some jitter so that there are several boundaries to resume at
    config = SegmenterConfig(channels=channels, max_len=40.0)
    full = run(SurpriseSegmenter(config), times, vectors)
    assert len(full) >= 5
    for cut in full[:-1]:
        start = cut.end_index
        rest = run(SurpriseSegmenter.from_state(config, cut.state), times[start:], vectors[start:])
        later = full[full.index(cut) + 1:]
        assert [(s.start_index, s.end_index, s.start, s.end) for s in rest] == \
               [(s.start_index, s.end_index, s.start, s.end) for s in later]
        np.testing.assert_allclose([s.surprise for s in rest], [s.surprise for s in later], rtol=0, atol=1e-9)


def test_the_lag_grows_by_the_trend_window_and_memory_stays_bounded() -> None:
    config = SegmenterConfig(channels={"trend": 1.0, "place": 1.0}, trend_window=5, place_memory=12)
    assert config.lookahead == SegmenterConfig().lookahead + 4
    seg = SurpriseSegmenter(config)
    rng = np.random.default_rng(4)
    last_emitted = []
    for i in range(3000):
        out = seg.push(i / RATE, rng.standard_normal(8) + (3.0 if (i // 40) % 2 else 0.0))
        for s in out:  # a boundary is final at most lookahead observations after it
            assert i - s.end_index <= config.lookahead + config.refine_window
            last_emitted.append(s)
    assert last_emitted
    assert len(seg._history) <= config.history and len(seg._visual._vectors) <= 12 + 5 + config.history


@pytest.mark.parametrize("field, value", [("trend_window", 0), ("trend_window", 2.5), ("place_memory", 2),
                                          ("entity_window_s", 0.0), ("entity_window_s", float("inf"))])
def test_bad_visual_channel_settings_are_clear_errors(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        SegmenterConfig(**{field: value})
