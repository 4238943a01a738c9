"""Names for the people seen: each appearance cluster named by the voice heard while it alone was in view, or
the name called while it was the one near.

A voice speaking is evidence about who is in view, but weak: a speaker is often off camera, and someone
else is often in view (the one spoken to, above all). A line that calls nobody by name, heard while exactly
one cluster is in view and it is near the camera, is a vote for that cluster being the speaker (one seen
far is as often someone else while the speaker goes unseen: counting those put 4 more tracks under a wrong
name on dev seeds 1-6 and none more under the right one); a deed the voice tells of (putting something
somewhere, handing it over, heading for a room: planners/world_base.py reads them) that a cluster was seen
doing adds to it. Each cluster takes the voice with the most votes, when one leads; a voice may name several
clusters, since a tracker splits one person into many (10-18 clusters for 3 people on the 5-minute dev
episodes). A voice nobody was seen alone with names nobody: a person left unnamed is still a candidate for
a name asked after (planners/answer_base.py), a person wrongly named is not.

A line calling someone by name is said to someone, and a camera's wearer looks at whom they talk to: heard
while exactly one cluster is near (others may be seen far: the caller among them), it is a vote for that
cluster bearing the name called (spelt as a voice of that name is, when one is: names alike in sound are one,
planners/addressing.py). The cluster may be a bystander while the one called is off camera: then it is in view
during lines calling other names too, or spoken near by voices, and the votes tie or another leads, so one
call alone names a cluster only where nothing else is said of it.

This replaced a one-to-one assignment of every voice to a cluster by likelihood ratios against base rates,
which on dev seeds 1-6 put 23 person tracks under a wrong name and 15 under the right one (now 16 and 28).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from planners.addressing import VOICE_LABEL, same_name

NEAR = 2.5  # metres
WINDOW_PAD = 1.0  # seconds around a line in which a sighting counts as "in view while speaking"
DEED_VOTE = 2.0  # the weight of a told deed (planners/world_base.py DEED_WEIGHT) that counts as one line's vote


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
    calls: str = ""  # the name the line calls someone by ("" none): said to them, likelier in view than its speaker


def name_by_sight(people: list[Seen], lines: list[Line],
                  deeds: dict[tuple[str, int], float] | None = None) -> dict[int, str]:
    """Cluster index -> voice name: for each cluster, the voice that spoke most often while it was the one
    cluster in view and near the camera (lines calling nobody by name), or the name called most often while it
    was the one cluster near (lines whose ``calls`` is the name), ``deeds`` ((name, cluster) -> weight: what a
    voice said it did and the cluster was seen doing) adding to that; a cluster takes a name only when one
    voice (name) leads."""
    votes: dict[int, Counter] = defaultdict(Counter)
    voices = [line.speaker for line in lines if line.speaker]
    for line in lines:
        called = line.calls
        if not (called or line.speaker):
            continue
        states = {i: _state(seen, line.start - WINDOW_PAD, line.end + WINDOW_PAD) for i, seen in enumerate(people)}
        in_view = [i for i, state in states.items() if state != "out"]
        near = [i for i in in_view if states[i] == "near"]
        if called and len(near) == 1:  # said to the one near, whoever else is seen far
            votes[near[0]][_spelt(called, voices)] += 1.0
        elif not called and len(in_view) == 1 and near:
            votes[near[0]][line.speaker] += 1.0
    for (name, i), weight in (deeds or {}).items():
        if weight > 0:
            votes[i][name] += weight / DEED_VOTE
    out = {}
    for i, counted in votes.items():
        top = counted.most_common(2)
        if top[0][1] > (top[1][1] if len(top) > 1 else 0.0):
            out[i] = top[0][0]
    return out


def _spelt(name: str, voices: list[str]) -> str:
    """A called name as the voice of that name is spelt ("Karol" called, a voice named "Carol": "Carol")."""
    return next((v for v in voices if not VOICE_LABEL.match(v) and same_name(name, v)), name)


def _state(seen: Seen, a: float, b: float) -> str:
    lo, hi = np.searchsorted(seen.times, [a, b], side="left")
    if hi <= lo:
        return "out"
    return "near" if float(seen.distances[lo:hi].min()) < NEAR else "far"
