"""When a container was open, from the open/closed states perception read on its sightings.

A state classifier is wrong now and then, so a reading is taken with its neighbours: the majority of
SMOOTH readings around it. A span is a run of (smoothed) open readings without a gap of more than
STATE_GAP seconds in what was seen; it counts when its readings as read (not as smoothed) saying open
outnumber those saying closed by MIN_OPEN: with a share e of readings wrong, k open of n are
((1 - e) / e) ** (2k - n) times likelier from an open container than from a closed one misread, so
the margin 2k - n is the evidence. Three or four misreadings in four or five come up once or twice in
an episode's thousands of readings of a cupboard (a margin of 2-3); four straight open readings hardly
ever. Where the reading is sparse (a detector run once a second sees a two-second opening twice), a
span with a margin of ATTENDED_OPEN only is kept by the caller when someone was seen by the container
then (planners/world_acts.py). Its opening was seen when a closed reading comes shortly before it (then
it opened midway between the two), its closing when one comes shortly after; otherwise the container was
already open when it came into view, or still open when it went out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMOOTH = 3  # readings in the majority vote around each reading
MIN_OPEN = 4  # readings as read saying open, less those saying closed, that make an open span
ATTENDED_OPEN = 2  # ... that make one when a person was seen by the container then (the caller checks)
STATE_GAP = 3.0  # seconds without a reading after which the state is unknown


@dataclass(frozen=True)
class OpenSpan:
    start: float  # when it opened: midway from the last closed reading to the first open one, if seen
    end: float  # when it closed: midway from the last open reading to the next closed one, if seen
    opened_seen: bool  # a closed reading came within STATE_GAP before it
    closed_seen: bool  # a closed reading came within STATE_GAP after it
    margin: int = MIN_OPEN  # open readings as read less closed ones: the evidence that it was open at all


def open_spans(times: np.ndarray, is_open: np.ndarray, least: int = MIN_OPEN) -> list[OpenSpan]:
    """Open spans from readings at ``times`` (sorted) saying open (True) or closed (False), of a margin of
    ``least`` at least (MIN_OPEN: open beyond doubt; ATTENDED_OPEN: open if someone was there)."""
    times = np.asarray(times, float)
    is_open = np.asarray(is_open, bool)
    if len(times) == 0:
        return []
    smoothed = _majority(is_open)
    out: list[OpenSpan] = []
    run: list[int] = []
    for i in range(len(times) + 1):
        ends_run = i == len(times) or not smoothed[i] or (run and times[i] - times[run[-1]] > STATE_GAP)
        if run and ends_run:
            out += _span(times, is_open, smoothed, run, least)
            run = []
        if i < len(times) and smoothed[i]:
            run.append(i)
    return out


def _majority(is_open: np.ndarray) -> np.ndarray:
    half = SMOOTH // 2
    padded = np.pad(is_open.astype(int), half, mode="edge")
    votes = np.convolve(padded, np.ones(SMOOTH, int), mode="valid")
    return votes * 2 > SMOOTH


def _span(times: np.ndarray, is_open: np.ndarray, smoothed: np.ndarray, run: list[int], least: int) -> list[OpenSpan]:
    margin = 2 * int(is_open[run].sum()) - len(run)  # open readings as read, less closed ones
    if margin < least:
        return []
    first, last = run[0], run[-1]
    before = first > 0 and not smoothed[first - 1] and times[first] - times[first - 1] <= STATE_GAP
    after = last + 1 < len(times) and not smoothed[last + 1] and times[last + 1] - times[last] <= STATE_GAP
    start = (times[first - 1] + times[first]) / 2 if before else times[first]
    end = (times[last] + times[last + 1]) / 2 if after else times[last]
    return [OpenSpan(float(start), float(end), bool(before), bool(after), margin)]
