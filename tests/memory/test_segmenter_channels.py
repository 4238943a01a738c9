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


# -- turn gate: the camera turning in place (the pose log's "turn" reading) ------------------------------

def scene_stream(seed: int, changes=(30.0, 60.0, 90.0), seconds: float = 120.0, dim: int = 32):
    """Pictures with a little noise that change at ``changes`` (clear vision boundaries)."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, seconds, 1.0 / RATE)
    scene = np.searchsorted(np.asarray(changes), times, side="right")
    centres = rng.standard_normal((len(changes) + 1, dim))
    vectors = centres[scene] + 0.05 * rng.standard_normal((len(times), dim))
    return times, vectors.astype(np.float32)


def run_signals(seg: SurpriseSegmenter, times, vectors, signals: list[dict]) -> list[Segment]:
    out: list[Segment] = []
    for t, x, s in zip(times, vectors, signals):
        out += seg.push(float(t), x, s)
    return out + seg.flush()


def turning_near(times, at: float, degrees: float = 60.0, within: float = 2.0) -> list[dict]:
    return [{"turn": degrees if abs(t - at) <= within else 0.0} for t in times]


def test_the_turn_gate_drops_picture_cuts_where_the_camera_turns_in_place() -> None:
    times, vectors = scene_stream(5)
    signals = turning_near(times, 60.0)
    plain = [s.start for s in run_signals(SurpriseSegmenter(SegmenterConfig()), times, vectors, signals)[1:]]
    assert len(plain) == 3 and all(abs(c - t) <= 1.0 for c, t in zip(plain, (30.0, 60.0, 90.0))), plain
    gated = SurpriseSegmenter(SegmenterConfig(turn_gate=20.0))
    cuts = [s.start for s in run_signals(gated, times, vectors, signals)[1:]]
    assert len(cuts) == 2 and abs(cuts[0] - 30.0) <= 1.0 and abs(cuts[1] - 90.0) <= 1.0, cuts
    below = SurpriseSegmenter(SegmenterConfig(turn_gate=90.0))  # a turn smaller than the gate changes nothing
    assert [s.start for s in run_signals(below, times, vectors, signals)[1:]] == plain


@pytest.mark.parametrize("swept", ["entities", "entries"])
def test_the_turn_gate_keeps_anchored_cuts_and_silences_people_arriving_while_turning(swept: str) -> None:
    times, vectors, readings, changes = still_stream(6)
    config = SegmenterConfig(channels={"speech": 1.0, swept: 1.0}, turn_gate=20.0)
    turning = [{"speech": float(r), "turn": 60.0 if abs(t - 52.0) <= 2.0 else 0.0} for t, r in zip(times, readings)]
    cuts = [s.start for s in run_signals(SurpriseSegmenter(config), times, vectors, turning)[1:]]
    assert len(cuts) == len(changes) and all(abs(c - t) <= 1.0 for c, t in zip(cuts, changes)), cuts  # anchored
    as_entities = [{swept: float(r), "turn": s["turn"]} for r, s in zip(readings, turning)]
    cuts = [s.start for s in run_signals(SurpriseSegmenter(config), times, vectors, as_entities)[1:]]
    kept = [t for t in changes if t != 52.0]  # people "arriving" while the camera turns are swept into view
    assert len(cuts) == len(kept) and all(abs(c - t) <= 1.0 for c, t in zip(cuts, kept)), cuts


@pytest.mark.parametrize("seed,turning", [(1, (29.5, 31.0)), (2, (29.0, 30.5)), (4, (30.0, 32.0))])
def test_refinement_does_not_move_a_cut_into_a_turn(seed: int, turning: tuple[float, float]) -> None:
    """A gradual change (28-32 s) whose proposal lies outside the turn: the split it is moved to does not either."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, 60.0, 1.0 / RATE)
    a, b = rng.standard_normal(32), rng.standard_normal(32)
    w = np.clip((times - 28.0) / 4.0, 0.0, 1.0)[:, None]
    vectors = ((1 - w) * a + w * b + 0.05 * rng.standard_normal((len(times), 32))).astype(np.float32)
    signals = [{"turn": 60.0 if turning[0] <= t <= turning[1] else 0.0} for t in times]
    plain = [s.start for s in run_signals(SurpriseSegmenter(SegmenterConfig()), times, vectors, signals)[1:]]
    assert any(28.0 <= c <= 32.0 for c in plain), plain
    gated = [s.start for s in run_signals(SurpriseSegmenter(SegmenterConfig(turn_gate=20.0)), times, vectors,
                                          signals)[1:]]
    assert any(27.0 <= c <= 33.0 for c in gated) and not any(turning[0] <= c <= turning[1] for c in gated), gated


def test_resume_with_the_turn_gate_reproduces_the_rest() -> None:
    times, vectors = scene_stream(7, changes=(20.0, 40.0, 60.0, 80.0, 100.0))
    signals = turning_near(times, 60.0)
    config = SegmenterConfig(turn_gate=20.0)
    full = run_signals(SurpriseSegmenter(config), times, vectors, signals)
    assert len(full) == 5
    _resumes_alike(config, times, vectors, signals, full)


def test_someone_moving_on_their_own_lifts_the_turn_gate() -> None:
    """A change inside a turn is cut where the "moving" reading says a person in view moved on their own (a box that
    grew or shrank at one bearing in the map); a moving reading outside the turn, or turn_movers off, changes nothing."""
    times, vectors = scene_stream(5)
    moving = [{**s, "moving": 1.0 if abs(t - 60.0) <= 1.0 else 0.0} for t, s in zip(times, turning_near(times, 60.0))]
    cuts = [s.start for s in run_signals(SurpriseSegmenter(SegmenterConfig(turn_gate=20.0)), times, vectors,
                                         moving)[1:]]
    assert len(cuts) == 3 and all(abs(c - t) <= 1.0 for c, t in zip(cuts, (30.0, 60.0, 90.0))), cuts
    off = SurpriseSegmenter(SegmenterConfig(turn_gate=20.0, turn_movers=False))
    assert [round(s.start) for s in run_signals(off, times, vectors, moving)[1:]] == [30, 90]
    elsewhere = [{**s, "moving": 1.0 if abs(t - 45.0) <= 1.0 else 0.0} for t, s in zip(times, turning_near(times, 60.0))]
    gated = SurpriseSegmenter(SegmenterConfig(turn_gate=20.0))
    assert [round(s.start) for s in run_signals(gated, times, vectors, elsewhere)[1:]] == [30, 90]
    with pytest.raises(ValueError, match="turn_movers"):
        SegmenterConfig(turn_movers=1)


@pytest.mark.parametrize("gate", [-1.0, float("inf"), "wide", True])
def test_a_bad_turn_gate_is_a_clear_error(gate) -> None:
    with pytest.raises(ValueError, match="turn_gate"):
        SegmenterConfig(turn_gate=gate)


# -- crossing gate: near a logged area crossing only the pose channel cuts ------------------------------

def test_the_crossing_gate_leaves_one_cut_at_the_crossing_where_the_picture_changes_around_it() -> None:
    times, vectors = scene_stream(8, changes=(28.0, 31.0, 60.0, 90.0))  # the doorway: views at 28 and 31 s
    signals = [{"pose": 1.0 if abs(t - 30.0) < 0.25 else 0.0, "crossing": abs(t - 30.0)} for t in times]
    config = SegmenterConfig(channels={"pose": 1.0}, anchor_gap=3.0)
    plain = [s.start for s in run_signals(SurpriseSegmenter(config), times, vectors, signals)[1:]]
    assert sum(1 for c in plain if 25.0 <= c <= 35.0) >= 2, plain  # the picture cuts at the door as well
    gated = SurpriseSegmenter(SegmenterConfig(channels={"pose": 1.0}, anchor_gap=3.0, crossing_gate=5.0))
    cuts = [s.start for s in run_signals(gated, times, vectors, signals)[1:]]
    # one cut for the doorway: the crossing's, anchored at the fused surprise's peak within refine_window
    assert len(cuts) == 3 and abs(cuts[0] - 30.0) <= 1.5 and abs(cuts[1] - 60.0) <= 1.0 \
        and abs(cuts[2] - 90.0) <= 1.0, cuts
    full = run_signals(SurpriseSegmenter(gated.config), times, vectors, signals)
    start = full[0].end_index  # resumed after the crossing's cut: the same rest
    rest = run_signals(SurpriseSegmenter.from_state(gated.config, full[0].state), times[start:], vectors[start:],
                       signals[start:])
    assert [(s.start_index, s.end_index) for s in rest] == [(s.start_index, s.end_index) for s in full[1:]]


def test_the_crossing_gate_is_inert_without_the_pose_channel() -> None:
    times, vectors = scene_stream(9, changes=(28.0, 60.0))
    signals = [{"crossing": abs(t - 30.0)} for t in times]  # nothing would cut at the crossing: keep the picture's
    gated = SurpriseSegmenter(SegmenterConfig(crossing_gate=5.0))
    plain = SurpriseSegmenter(SegmenterConfig())
    assert [s.start for s in run_signals(gated, times, vectors, signals)] == \
           [s.start for s in run_signals(plain, times, vectors, signals)]
    with pytest.raises(ValueError, match="crossing_gate"):
        SegmenterConfig(channels={"pose": 1.0}, crossing_gate=-1.0)


@pytest.mark.parametrize("margin", [0.0, -1.0, float("inf"), "1 m"])
def test_a_bad_entry_margin_is_a_clear_error(margin) -> None:
    with pytest.raises(ValueError, match="entry_margin_m"):
        SegmenterConfig(entry_margin_m=margin)


# -- still-view rescue: someone in a still view starts to do something ---------------------------------

def onset_stream(seed: int, onset: float = 30.0, still_noise: float = 0.003, seconds: float = 60.0, dim: int = 32):
    """A still view (one picture, a little noise) until ``onset``, then a picture that keeps changing, each view
    unlike the last and further from the still one (a person starts to walk off, the camera turns after them):
    no block after the onset, so no split there is modular."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, seconds, 1.0 / RATE)
    centre = rng.standard_normal(dim)
    centre /= np.linalg.norm(centre)
    vectors = centre + still_noise * rng.standard_normal((len(times), dim))
    after = times >= onset
    growth = np.minimum(0.3 * (times[after] - onset + 0.5), 1.5)[:, None]
    vectors[after] += growth * rng.standard_normal((int(after.sum()), dim)) / np.sqrt(dim)
    return times, vectors.astype(np.float32)


def cut_times(config: SegmenterConfig, times, vectors, people: float) -> list[float]:
    signals = [{"people": people} for _ in times]
    return [round(s.start, 1) for s in run_signals(SurpriseSegmenter(config), times, vectors, signals)[1:]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_still_view_rescue_cuts_where_a_still_view_with_someone_in_it_starts_to_change(seed: int) -> None:
    times, vectors = onset_stream(seed)
    plain = cut_times(SegmenterConfig(), times, vectors, 1.0)
    assert 30.0 not in plain  # the modularity check rejects the onset: nothing after it is a block
    rescued = cut_times(SegmenterConfig(still_spread=0.01), times, vectors, 1.0)
    assert rescued == sorted(plain + [30.0]), (plain, rescued)
    # nobody in view (0) or no person detector (NaN): a still view that changes may be the camera starting to move
    assert cut_times(SegmenterConfig(still_spread=0.01), times, vectors, 0.0) == plain
    assert cut_times(SegmenterConfig(still_spread=0.01), times, vectors, float("nan")) == plain


def test_the_still_view_rescue_needs_a_still_view() -> None:
    times, vectors = onset_stream(3, still_noise=0.04)  # a view that moves a little all along (spread ~0.02)
    plain = cut_times(SegmenterConfig(), times, vectors, 1.0)
    # the spread gate alone (any departure counts): a view that was never still is never "a still view ending"
    assert cut_times(SegmenterConfig(still_spread=0.01, still_ratio=1.0), times, vectors, 1.0) == plain
    loose = cut_times(SegmenterConfig(still_spread=0.1, still_ratio=1.0), times, vectors, 1.0)
    assert len(loose) > len(plain) + 3  # without it, its noise would be rescued all along


def test_resume_with_the_still_view_rescue_reproduces_the_rest() -> None:
    times, vectors = onset_stream(4)
    config = SegmenterConfig(still_spread=0.01)
    signals = [{"people": 1.0} for _ in times]
    full = run_signals(SurpriseSegmenter(config), times, vectors, signals)
    assert any(abs(s.start - 30.0) < 0.01 for s in full)
    _resumes_alike(config, times, vectors, signals, full)


@pytest.mark.parametrize("field,value", [("still_spread", 0.0), ("still_spread", 2.0), ("still_spread", "low"),
                                         ("still_ratio", 0.5), ("still_ratio", float("inf"))])
def test_bad_still_view_settings_are_clear_errors(field: str, value) -> None:
    with pytest.raises(ValueError, match=field):
        SegmenterConfig(**{field: value})


def _resumes_alike(config, times, vectors, signals, full) -> None:
    """A segmenter rebuilt from each emitted segment's state and fed the rest gives the rest of ``full``."""
    for cut in full[:-1]:
        start = cut.end_index
        rest = run_signals(SurpriseSegmenter.from_state(config, cut.state), times[start:], vectors[start:],
                           signals[start:])
        assert [(s.start_index, s.end_index) for s in rest] == \
               [(s.start_index, s.end_index) for s in full[full.index(cut) + 1:]]
