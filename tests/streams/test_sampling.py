"""SamplingPolicy validation and FrameClock's absolute time grid."""

from __future__ import annotations

import pytest

from streams import FrameClock, SamplingPolicy


def kept(times, fps):
    clock = FrameClock(fps)
    return [t for t in times if clock.keep(t)]


def test_clock_keeps_the_first_frame_of_each_slot():
    times = [i / 30 for i in range(90)]  # 3 s at 30 fps
    assert kept(times, 2.0) == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    assert kept(times, None) == times


def test_clock_on_25_fps_frames_takes_the_first_frame_at_or_after_each_half_second():
    times = [i / 25 for i in range(50)]
    assert kept(times, 2.0) == pytest.approx([0.0, 0.52, 1.0, 1.52])


def test_clock_is_independent_of_where_decoding_starts():
    times = [i / 25 for i in range(250)]
    full = kept(times, 3.0)
    for start_index in (7, 50, 133):
        slot_start = int(times[start_index] * 3.0) / 3.0  # decoding resumes from the slot's start
        resumed = kept([t for t in times if t >= slot_start - 1e-9], 3.0)
        assert [t for t in full if t >= times[start_index]] == [t for t in resumed if t >= times[start_index]]


def test_clock_tolerates_float_noise_at_slot_edges():
    assert kept([0.0, 0.49999999999, 0.5000000001, 0.999999999999], 2.0) == [0.0, 0.49999999999, 0.999999999999]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [("fps", 0, "fps"), ("fps", float("inf"), "fps"), ("frame_size", 8, "frame_size"), ("audio_chunk", 0, "audio_chunk")],
)
def test_policy_names_the_bad_field(field, value, words):
    with pytest.raises(ValueError, match=words):
        SamplingPolicy(**{field: value})
