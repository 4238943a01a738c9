"""Open spans from noisy open/closed readings: table-driven, against the spans the readings were made from."""

from __future__ import annotations

import numpy as np
import pytest

from memory.perceived import Sighting, add_sightings
from planners.builtin import BuiltinAnswerer
from planners.opens import OpenSpan, open_spans
from tests.planners.test_world import STREAM, _store

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


def test_answers_about_opening_read_the_states(tmp_path):
    """A fridge read open 20-23 s and 60-64 s (a misreading at 40 s), Alice standing at it both times:
    two openings, the last by Alice, open about 4 s; visits alone would not say it was opened."""
    path = [(t, 3.2, 4.0) for t in np.arange(18.0, 25.0, 0.2)] + [(t, 3.2, 4.0) for t in np.arange(58.0, 66.0, 0.2)]
    store = _store(tmp_path, path)
    times = np.arange(0.0, 90.0, 0.2)
    rows = [Sighting(STREAM, float(t), 5, "furniture", "fridge", 0.9, 4.0, 4.5,
                     state="open" if (20.0 <= t < 23.0 or 60.0 <= t < 64.0 or abs(t - 40.0) < 0.01) else "closed")
            for t in times]
    add_sightings(store, rows)
    answerer = BuiltinAnswerer(store)
    assert answerer.answer("How many times did you see someone open the fridge?", 80.0).value == 2
    assert answerer.answer("How many times did you see someone open the fridge?", 50.0).value == 1
    assert answerer.answer("When did you last see someone open the fridge?", 80.0).value == pytest.approx(60.0, abs=0.3)
    duration = answerer.answer("The last time you saw the fridge opened, how long did it stay open?", 80.0).value
    assert duration == pytest.approx(4.0, abs=0.3)
    assert answerer.answer("Who last opened the fridge?", 80.0).value == "person 1"
    store.close()
