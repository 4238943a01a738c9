"""Names for the people seen: the voices heard, matched to appearance clusters by likelihood.

A voice speaking is evidence about who is in view, but weak: a speaker is often off camera, and
someone else is often in view. For each heard line and each cluster, we compare how likely what the
camera saw then (the cluster near, in view but far, or out of view) is if that cluster is the
speaker against how often it is so anyway (its base rate over the episode); what a voice says it did
("I put the mug on the sofa", "Bob, here is the mug", "I am going to the office") and a cluster was
seen doing adds to that; the names get the one-to-one assignment of the highest total log-likelihood
ratio. Every voice gets a person when there are at least as many people as voices: a voice heard is a
person of the house.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

SPEAKER_IN_VIEW = 0.65  # chance a speaker is in view while speaking (the rest talk off camera)
SPEAKER_NEAR = 0.8  # chance a speaker in view is within NEAR metres of the camera
NEAR = 2.5  # metres
MAIN_SHARE = 0.05  # a cluster with less than this share of person sightings is a fragment, never named
WINDOW_PAD = 1.0  # seconds around a line in which a sighting counts as "in view while speaking"


@dataclass
class Seen:
    """One appearance cluster's sightings and their distances from the camera."""

    times: np.ndarray  # sorted
    distances: np.ndarray  # metres from the camera, per sighting


@dataclass
class Line:
    start: float
    end: float
    speaker: str


def name_people(people: list[Seen], lines: list[Line], span: tuple[float, float],
                deeds: dict[tuple[str, int], float] | None = None) -> dict[int, str]:
    """Cluster index -> voice name, for the clusters the voices heard are most likely to belong to.
    ``span`` is the (start, end) of the recording, over which base rates are measured; ``deeds`` adds
    log-likelihood ratios for (name, cluster) from what a voice said it did and a cluster was seen doing."""
    names = sorted({line.speaker for line in lines if line.speaker})
    total = sum(len(p.times) for p in people)
    main = [i for i, p in enumerate(people) if total and len(p.times) >= MAIN_SHARE * total]
    if not names or not main:
        return {}
    scores = np.zeros((len(names), len(main)))
    for line in lines:
        if line.speaker in names:
            n = names.index(line.speaker)
            for j, i in enumerate(main):
                scores[n, j] += line_score(people[i], line, span)
    for (name, i), weight in (deeds or {}).items():
        if name in names and i in main:
            scores[names.index(name), main.index(i)] += weight
    return {main[j]: names[n] for n, j in _best_assignment(scores).items()}


def line_score(seen: Seen, line: Line, span: tuple[float, float]) -> float:
    """log P(what was seen of this cluster during the line | it speaks) / P(same | someone else does)."""
    a, b = line.start - WINDOW_PAD, line.end + WINDOW_PAD
    state = _state(seen, a, b)
    q, r = _base_rates(seen, b - a, span)
    if state == "near":
        return math.log(SPEAKER_IN_VIEW * SPEAKER_NEAR / (q * r))
    if state == "far":
        return math.log(SPEAKER_IN_VIEW * (1 - SPEAKER_NEAR) / (q * (1 - r)))
    return math.log((1 - SPEAKER_IN_VIEW) / (1 - q))


def _state(seen: Seen, a: float, b: float) -> str:
    lo, hi = np.searchsorted(seen.times, [a, b], side="left")
    if hi <= lo:
        return "out"
    return "near" if float(seen.distances[lo:hi].min()) < NEAR else "far"


def _base_rates(seen: Seen, width: float, span: tuple[float, float]) -> tuple[float, float]:
    """(share of windows of this width in which the cluster is in view, share of those where it is near),
    both kept away from 0 and 1 so that one line never decides alone."""
    starts = np.arange(span[0], max(span[1] - width, span[0]) + 1e-9, 1.0)
    lo = np.searchsorted(seen.times, starts, side="left")
    hi = np.searchsorted(seen.times, starts + width, side="left")
    in_view = hi > lo
    near_times = seen.times[seen.distances < NEAR]
    near = np.searchsorted(near_times, starts + width) > np.searchsorted(near_times, starts)
    q = float(np.clip(in_view.mean(), 0.05, 0.95)) if len(starts) else 0.5
    r = float(np.clip(near[in_view].mean(), 0.05, 0.95)) if in_view.any() else 0.5
    return q, r


def _best_assignment(scores: np.ndarray) -> dict[int, int]:
    """Name row -> cluster column, one-to-one, maximising the total score. Every name is placed when
    there are enough columns; otherwise a name may stay unplaced (scoring 0)."""
    n, k = scores.shape
    options = list(range(k)) + ([] if n <= k else [-1])
    best, choice = -np.inf, {}
    for cols in itertools.product(options, repeat=n):
        placed = [c for c in cols if c >= 0]
        if len(placed) != len(set(placed)):
            continue
        total = sum(scores[r, c] for r, c in enumerate(cols) if c >= 0)
        if total > best:
            best, choice = total, {r: c for r, c in enumerate(cols) if c >= 0}
    return choice
