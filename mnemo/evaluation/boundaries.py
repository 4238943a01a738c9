"""Event boundaries against the simulator's truth: one-to-one greedy matching within a tolerance.

Which true boundaries count. ``truth.boundaries`` holds three kinds of scene change:

- ``room``: the agent (the camera) enters another room. The whole view changes, so every one
  counts, except the one at t = 0 (the start of the stream, not a change).
- ``person_enters``: someone enters the agent's room. That is in the agent's *room*, not
  necessarily in its *view*; it counts only when the person is in view within
  ``ENTER_WINDOW`` seconds of entering (the rule ``sim.truth`` uses for observed enter events).
- ``activity``: a person in the agent's room starts an activity; it counts only when the
  person is in view within ``ACTIVITY_WINDOW`` seconds of the start (sim's rule for observed
  actions).

Changes the camera could not see are left out: a video segmenter cannot be asked to find them.
True changes closer than ``merge`` seconds are one visible change (the segmenter's shortest
event is longer than that), and changes in the final ``tolerance`` seconds of the stream are
not counted on either side (the stream ends before the new scene can be told apart).
Recall is also reported per kind, with how many of each kind were seen and unseen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from sim import Truth
from sim.truth import SEEN_WINDOW, Boundary

logger = logging.getLogger(__name__)

DEFAULT_TOLERANCE = 2.0  # seconds either way for a predicted boundary to match a true one
DEFAULT_MERGE = 1.0  # seconds: true changes closer than this are one visible change
KINDS = ("room", "person_enters", "activity")  # the kinds of sim.truth.Boundary
ACTIVITY_WINDOW = SEEN_WINDOW  # seconds: the actor in view this close to an activity's start
ENTER_WINDOW = SEEN_WINDOW + 0.5  # seconds: the person in view this close to entering (as sim.truth)


@dataclass(frozen=True)
class BoundaryScore:
    """Counts of one matching and the ratios they give (None where a ratio is undefined)."""

    matched: int  # true positives
    predicted: int
    true: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.true if self.true else None

    @property
    def f1(self) -> float | None:
        """2 TP / (predicted + true): defined whenever either side has a boundary."""
        total = self.predicted + self.true
        return 2 * self.matched / total if total else None

    def __add__(self, other: "BoundaryScore") -> "BoundaryScore":
        return BoundaryScore(self.matched + other.matched, self.predicted + other.predicted, self.true + other.true)

    def to_dict(self) -> dict:
        return {"matched": self.matched, "predicted": self.predicted, "true": self.true,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class TrueBoundary:
    """A visible scene change: one or more truth boundaries less than ``merge`` seconds apart."""

    time: float  # the earliest of them
    kinds: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass
class KindCount:
    """How one kind of truth boundary fared: all of it, the visible part, and what was found."""

    true: int = 0  # boundaries of this kind in the truth (t > 0, before the end edge)
    counted: int = 0  # of which the camera could see
    found: int = 0  # of which a predicted boundary matched

    @property
    def recall(self) -> float | None:
        return self.found / self.counted if self.counted else None

    def to_dict(self) -> dict:
        return {"true": self.true, "counted": self.counted, "unseen": self.true - self.counted,
                "found": self.found, "recall": self.recall}


@dataclass
class BoundaryResult:
    """Boundary quality of one episode: overall and per kind."""

    score: BoundaryScore
    by_kind: dict[str, KindCount] = field(default_factory=dict)
    tolerance: float = DEFAULT_TOLERANCE

    def to_dict(self) -> dict:
        return {**self.score.to_dict(), "tolerance_s": self.tolerance,
                "by_kind": {k: c.to_dict() for k, c in self.by_kind.items()}}


def match_boundaries(predicted: Sequence[float], true: Sequence[float],
                     tolerance: float = DEFAULT_TOLERANCE) -> list[tuple[int, int]]:
    """Pairs (predicted index, true index), one-to-one, each within ``tolerance`` seconds.

    A greedy sweep in time order: each true boundary takes the earliest unused prediction in its
    window. With one tolerance for all, the windows are ordered, so this finds the largest
    possible number of matches (which a closest-pair-first greedy can miss)."""
    if not tolerance >= 0:
        raise ValueError(f"tolerance={tolerance!r}: expected seconds >= 0")
    p_order = sorted(range(len(predicted)), key=lambda i: predicted[i])
    matches = []
    k = 0
    for j in sorted(range(len(true)), key=lambda j: true[j]):
        while k < len(p_order) and predicted[p_order[k]] < true[j] - tolerance - 1e-9:
            k += 1  # too early for this true boundary, hence for every later one
        if k < len(p_order) and predicted[p_order[k]] <= true[j] + tolerance + 1e-9:
            matches.append((p_order[k], j))
            k += 1
    return sorted(matches)


def score_boundaries(predicted: Sequence[float], true: Sequence[float],
                     tolerance: float = DEFAULT_TOLERANCE) -> BoundaryScore:
    """Precision, recall and F1 of predicted boundary times against true ones."""
    return BoundaryScore(len(match_boundaries(predicted, true, tolerance)), len(predicted), len(true))


def combine(scores: Iterable[BoundaryScore]) -> BoundaryScore:
    """Micro-average: the counts of several matchings summed."""
    total = BoundaryScore(0, 0, 0)
    for s in scores:
        total = total + s
    return total


def combine_kinds(results: Iterable[BoundaryResult]) -> dict[str, KindCount]:
    """Per-kind counts of several episodes summed."""
    total = {kind: KindCount() for kind in KINDS}
    for result in results:
        for kind, c in result.by_kind.items():
            t = total.setdefault(kind, KindCount())
            t.true, t.counted, t.found = t.true + c.true, t.counted + c.counted, t.found + c.found
    return total


def split_visible(truth: Truth) -> tuple[list[Boundary], list[Boundary]]:
    """Truth boundaries after t = 0, split into those the camera could see and those it could not."""
    seen = _sightings(truth)
    visible: list[Boundary] = []
    unseen: list[Boundary] = []
    for b in truth.boundaries:
        if b.time > 0.0:
            (visible if _visible(b, seen) else unseen).append(b)
    return visible, unseen


def visible_boundaries(truth: Truth, merge: float = DEFAULT_MERGE,
                       edge: float = DEFAULT_TOLERANCE) -> tuple[list[TrueBoundary], dict[str, KindCount]]:
    """The scored truth: visible changes before the final ``edge`` seconds, merged; and per-kind counts."""
    visible, unseen = split_visible(truth)
    end = truth.duration - edge
    counts = {kind: KindCount() for kind in KINDS}
    for b in visible + unseen:
        if b.time <= end:
            counts.setdefault(b.kind, KindCount()).true += 1
    kept = [b for b in visible if b.time <= end]
    for b in kept:
        counts[b.kind].counted += 1
    return _merge(kept, merge), counts


def evaluate_boundaries(predicted: Sequence[float], truth: Truth, tolerance: float = DEFAULT_TOLERANCE,
                        merge: float = DEFAULT_MERGE) -> BoundaryResult:
    """Score predicted boundary times (event starts after the first) against the visible truth."""
    true, counts = visible_boundaries(truth, merge, edge=tolerance)
    scored = [t for t in predicted if 0.0 < t <= truth.duration - tolerance]
    matches = match_boundaries(scored, [b.time for b in true], tolerance)
    for _, j in matches:
        for kind in true[j].kinds:
            counts[kind].found += 1
    return BoundaryResult(BoundaryScore(len(matches), len(scored), len(true)), counts, tolerance)


def _sightings(truth: Truth) -> dict[str, np.ndarray]:
    times: dict[str, list[float]] = {}
    for obs in truth.observations:
        for s in obs.entities:
            times.setdefault(s.entity, []).append(obs.time)
    return {entity: np.asarray(ts) for entity, ts in times.items()}


def _in_view(seen: dict[str, np.ndarray], entity: str, t: float, window: float) -> bool:
    times = seen.get(entity)
    if times is None:
        return False
    i = int(np.searchsorted(times, t - window))
    return bool(i < len(times) and times[i] <= t + window)


def _visible(boundary: Boundary, seen: dict[str, np.ndarray]) -> bool:
    if boundary.kind == "room":
        return True
    window = ENTER_WINDOW if boundary.kind == "person_enters" else ACTIVITY_WINDOW
    return _in_view(seen, boundary.actor, boundary.time, window)


def _merge(boundaries: list[Boundary], merge: float) -> list[TrueBoundary]:
    """Group boundaries whose gap to the previous one is under ``merge`` seconds."""
    groups: list[list[Boundary]] = []
    for b in sorted(boundaries, key=lambda b: b.time):
        if groups and b.time - groups[-1][-1].time < merge:
            groups[-1].append(b)
        else:
            groups.append([b])
    return [TrueBoundary(g[0].time, tuple(b.kind for b in g), tuple(b.label for b in g)) for g in groups]
