"""Open spans from noisy open/closed readings: table-driven, against the spans the readings were made from."""

from __future__ import annotations

import numpy as np
import pytest

from planners.opens import OpenSpan, open_spans

RATE = 5.0


def _readings(start: float, end: float, spans: list[tuple[float, float]], flips: tuple[int, ...] = ()):
    times = np.arange(start, end, 1.0 / RATE)
    is_open = np.array([any(a <= t < b for a, b in spans) for t in times])
    is_open[list(flips)] = ~is_open[list(flips)]
    return times, is_open


@pytest.mark.parametrize("start, end, spans, flips, expected", [
    (0, 20, [], (), []),
    (0, 20, [], (30, 31, 60, 62), []),  # misreadings, two in a row at most: no opening
    (0, 20, [(5.0, 8.0)], (), [OpenSpan(4.9, 7.9, True, True)]),  # edges midway between readings
    (0, 20, [(5.0, 8.0)], (27, 33), [OpenSpan(4.9, 7.9, True, True)]),  # a misread inside it changes nothing
    (6, 20, [(5.0, 8.0)], (), [OpenSpan(6.0, 7.9, False, True)]),  # came into view already open
    (0, 7, [(5.0, 8.0)], (), [OpenSpan(4.9, 6.8, True, False)]),  # went out of view still open
    (0, 30, [(5.0, 8.0), (15.0, 17.0)], (), [OpenSpan(4.9, 7.9, True, True), OpenSpan(14.9, 16.9, True, True)]),
    (0, 20, [(5.0, 5.5)], (), []),  # three readings: too few to tell from misreadings
    (0, 20, [], (30, 31, 33, 34), []),  # four misreadings in five: the vote fills the fifth, still no opening
    (0, 20, [], (30, 31, 32, 34), []),  # four in six: as likely from a closed one misread
    (0, 20, [(5.0, 5.8)], (), [OpenSpan(4.9, 5.7, True, True)]),  # four open in a row: an opening
])
def test_open_spans(start, end, spans, flips, expected):
    times, is_open = _readings(start, end, spans, flips)
    found = open_spans(times, is_open)
    assert len(found) == len(expected)
    for got, want in zip(found, expected):
        assert got.start == pytest.approx(want.start, abs=0.06)
        assert got.end == pytest.approx(want.end, abs=0.06)
        assert (got.opened_seen, got.closed_seen) == (want.opened_seen, want.closed_seen)


def test_a_gap_in_view_ends_what_is_known():
    times = np.concatenate([np.arange(0, 3, 0.2), np.arange(10, 13, 0.2)])
    is_open = np.ones(len(times), bool)
    found = open_spans(times, is_open)
    assert [(s.opened_seen, s.closed_seen) for s in found] == [(False, False), (False, False)]
