"""Reordering packets by time within a bounded buffer; merging sidecar cues."""

from __future__ import annotations

import numpy as np

from streams.ordering import in_time_order, merge_cues
from streams.packets import AudioChunk, TextCue, VideoFrame


def frame(t: float, side: int = 2) -> VideoFrame:
    return VideoFrame("s", t, np.zeros((side, side, 3), np.uint8))


def test_late_packets_are_put_back_in_order():
    packets = [frame(0.0), frame(0.5), AudioChunk("s", 0.0, np.zeros(16_000, np.float32)), frame(1.0), frame(1.5),
               AudioChunk("s", 1.0, np.zeros(16_000, np.float32)), frame(2.0)]
    out = list(in_time_order(packets, lag=2.0))
    assert [p.time for p in out] == [0.0, 0.0, 0.5, 1.0, 1.0, 1.5, 2.0]
    assert isinstance(out[0], VideoFrame)  # ties keep arrival order


def test_the_buffer_is_bounded_in_time_and_bytes():
    seen = []

    def source():
        for i in range(100):
            seen.append(i)
            yield frame(i / 10, side=100)

    out = in_time_order(source(), lag=0.5, max_bytes=10 * 100 * 100 * 3)
    first = next(out)
    assert first.time == 0.0 and len(seen) <= 7  # released once 0.5 s of newer media arrived
    assert len(list(out)) == 99
    big = list(in_time_order((frame(0.0, side=100) for _ in range(50)), lag=100.0, max_bytes=3 * 100 * 100 * 3))
    assert len(big) == 50


def test_merge_cues_slots_cues_before_later_packets():
    cues = [TextCue("s", 0.2, 0.8, "a"), TextCue("s", 1.0, 1.5, "b"), TextCue("s", 9.0, 9.5, "c")]
    out = list(merge_cues([frame(0.0), frame(1.0), frame(2.0)], cues))
    assert [(type(p).__name__, p.time) for p in out] == [
        ("VideoFrame", 0.0), ("TextCue", 0.2), ("TextCue", 1.0), ("VideoFrame", 1.0), ("VideoFrame", 2.0), ("TextCue", 9.0),
    ]
