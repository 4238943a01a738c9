"""One body's walk across the seams between person clusters: a track that ends and another person
cluster's track that begins moments later, a walk away, with nobody else there to take either, are one
person walking on (a tracker breaks tracks, and re-identification splits one person's tracks between
clusters as their view changes: side, back, cut off by the frame).

Room entries read on a cluster's own sightings miss a crossing made across such a seam (the last sighting
in one room belongs to one cluster, the first in the next to another) and take the new cluster's first
sighting by the wall for someone just come in. ``stitched`` gives each cluster its sightings with the
seconds on either side of each seam borrowed from the other cluster, and who owns every sighting, so
that an entry read on it is credited once: to the cluster seen in the room just entered.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

SEGMENT_GAP = 2.0  # seconds without a sighting that end a stretch of one cluster's track (entries' LOST_GAP)
SEAM_GAP = 2.0  # seconds, at most, between one stretch's end and another cluster's stretch's start at a seam
SEAM_METRES = 1.0  # metres between them at a seam, plus a walk at SEAM_SPEED over the gap (position noise)
SEAM_SPEED = 1.5  # metres per second: a brisk walk indoors
BORROW = 3.0  # seconds of the other cluster's track either side of a seam lent to a cluster's


@dataclass(frozen=True)
class Stretch:
    """A run of one cluster's sightings, none SEGMENT_GAP apart: indices [first, last] into its arrays."""

    who: str
    first: int
    last: int


@dataclass(frozen=True)
class Track:
    """A cluster's sightings with the borrowed ones, by time; ``owner``: whose sighting each is."""

    times: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    owner: list[str]

    def owner_at(self, t: float) -> str:
        """Whose sighting is the first at or after t (the last one when none is): who was seen there then."""
        i = int(np.searchsorted(self.times, t - 1e-6))
        return self.owner[min(i, len(self.owner) - 1)]


def stretches(times: np.ndarray, who: str) -> list[Stretch]:
    breaks = np.flatnonzero(np.diff(times) > SEGMENT_GAP)
    starts = [0, *(breaks + 1).tolist()]
    ends = [*breaks.tolist(), len(times) - 1]
    return [Stretch(who, int(a), int(b)) for a, b in zip(starts, ends)]


def seams(people: dict) -> list[tuple[Stretch, Stretch]]:
    """(ending stretch, starting stretch) pairs of different clusters that are one walk: the second begins
    within SEAM_GAP s of the first's end, within reach of it, neither cluster seen in the other's part of
    the gap, and no other stretch's end or start could be the other half (two people: leave them be)."""
    runs = [s for who, p in people.items() if len(p.times) for s in stretches(p.times, who)]

    def fits(a: Stretch, b: Stretch) -> bool:
        pa, pb = people[a.who], people[b.who]
        te, ts = float(pa.times[a.last]), float(pb.times[b.first])
        if a.who == b.who or not 0.0 < ts - te <= SEAM_GAP:
            return False
        reach = SEAM_METRES + SEAM_SPEED * (ts - te)
        if np.hypot(pa.xs[a.last] - pb.xs[b.first], pa.ys[a.last] - pb.ys[b.first]) > reach:
            return False
        a_on = np.any((pa.times > te) & (pa.times <= ts + SEAM_GAP))  # the first cluster still seen on
        b_before = np.any((pb.times >= te - SEAM_GAP) & (pb.times < ts))  # the second seen already
        return not (a_on or b_before)

    ends = sorted(runs, key=lambda r: float(people[r.who].times[r.last]))
    end_times = [float(people[r.who].times[r.last]) for r in ends]
    pairs = []
    for b in runs:  # only stretches that ended within SEAM_GAP before b began can be its other half
        ts = float(people[b.who].times[b.first])
        lo, hi = bisect_left(end_times, ts - SEAM_GAP), bisect_left(end_times, ts)
        pairs += [(a, b) for a in ends[lo:hi] if fits(a, b)]
    out = []
    for a, b in pairs:
        if sum(1 for x, _ in pairs if x == a) == 1 and sum(1 for _, y in pairs if y == b) == 1:
            out.append((a, b))
    return out


def stitched(people: dict) -> dict[str, Track]:
    """Per person cluster (name -> record with times, xs, ys), its track with BORROW s of the other
    cluster's sightings on the far side of each of its seams."""
    borrowed: dict[str, list[tuple[str, np.ndarray]]] = {who: [] for who in people}
    for a, b in seams(people):
        pa, pb = people[a.who], people[b.who]
        te, ts = float(pa.times[a.last]), float(pb.times[b.first])
        tail = np.arange(a.first, a.last + 1)
        head = np.arange(b.first, b.last + 1)
        borrowed[b.who].append((a.who, tail[pa.times[tail] >= te - BORROW]))
        borrowed[a.who].append((b.who, head[pb.times[head] <= ts + BORROW]))
    out = {}
    for who, p in people.items():
        rows = [(float(t), float(x), float(y), who) for t, x, y in zip(p.times, p.xs, p.ys)]
        for other, idx in borrowed[who]:
            q = people[other]
            rows += [(float(q.times[i]), float(q.xs[i]), float(q.ys[i]), other) for i in idx]
        rows.sort(key=lambda r: r[0])
        out[who] = Track(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                         np.array([r[2] for r in rows]), [r[3] for r in rows])
    return out
