"""Which object tracks are one thing, and what colour to call it.

A tracker starts a new track each time a thing comes back into view. The re-identification vectors
of a track's crops (perception's appearance vectors) say which tracks are one thing: the tracks of a
label are joined greedily, longest first, each to the thing whose mean vector is nearest when their
cosine is SAME_THING or more (a track's mean over a few noisy crops sits about 0.96 from its thing's,
0.87 or more for 95% of tracks, and 0.6-0.8 from another thing of the label; from 0.8 to 0.9 the
things found are the same, below 0.8 look-alikes merge). Tracks without vectors stay things of their own.

A thing is named by the colour read most often from its pixels, with the ways such reading slips put
right, so that all its tracks bear one name:
- colours fade: a small, far or dim thing reads grey, white or black (a phone's dark screen, a thin
  pen against the floor). Read mostly so, with a colour in FADED of its reads, it is that colour.
- black lifts to grey in light: read mostly grey with black in LIFTED of its reads, it is black.
- people say what things are called. A thing whose name nobody said takes a name of its label that was
  said and that no thing seen bears, when that colour is among its reads (HEARD_READS of them).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

import numpy as np

SAME_THING = 0.85  # cosine between a track's mean vector and a thing's from which the track is that thing
ACHROMATIC = ("grey", "white", "black")  # what colours fade to
FADED = 0.15  # share of reads a colour needs to name a thing read mostly achromatic
LIFTED = 0.25  # share of black reads that make a thing read mostly grey black
HEARD_READS = 0.03  # share of reads a colour said aloud needs to name a thing whose read name nobody said
NAMED_READS = 10  # colour reads a thing needs before a name said aloud may replace its read one


def join_tracks(vectors: Sequence[np.ndarray | None], weights: Sequence[float],
                same: float = SAME_THING) -> list[int]:
    """Thing index per track: tracks taken longest (heaviest) first, each joined to the thing whose
    weighted mean vector has cosine >= ``same`` with the track's (the nearest), else a new thing.
    A track without a vector is a thing of its own."""
    sums: list[np.ndarray] = []
    owners: list[int] = []  # thing index per entry of sums
    out = [-1] * len(vectors)
    things = 0
    for i in sorted(range(len(vectors)), key=lambda k: -weights[k]):
        v = vectors[i]
        if v is None:
            out[i], things = things, things + 1
            continue
        v = v / max(float(np.linalg.norm(v)), 1e-9)
        if sums:
            means = np.stack(sums)
            cos = means @ v / np.maximum(np.linalg.norm(means, axis=1), 1e-9)
            best = int(np.argmax(cos))
            if cos[best] >= same:
                sums[best] = sums[best] + weights[i] * v
                out[i] = owners[best]
                continue
        sums.append(weights[i] * v)
        owners.append(things)
        out[i], things = things, things + 1
    return out


def read_colour(votes: Counter) -> str | None:
    """The colour a thing most likely is from the colours its sightings were read as (None: none read)."""
    votes = Counter({c: n for c, n in votes.items() if c and n > 0})
    if not votes:
        return None
    total = sum(votes.values())
    top = votes.most_common(1)[0][0]
    if top in ACHROMATIC:
        n, colour = max(((n, c) for c, n in votes.items() if c not in ACHROMATIC), default=(0, None))
        if colour is not None and n >= FADED * total:
            return colour
    if top == "grey" and votes.get("black", 0) >= LIFTED * total:
        return "black"
    return top


def name_things(tracks: list[tuple[str, list[tuple]]], vectors: dict[int, np.ndarray],
                heard: Sequence[str] = ()) -> list[tuple[str, list[tuple]]]:
    """(name, sightings) per object track, the tracks of one thing under one name ("orange box").
    ``tracks``: (label, sighting rows) per track, a row's [3] its track id and [6] its colour read;
    ``vectors``: a track's mean appearance vector by track id; ``heard``: the lines heard."""
    by_label: dict[str, list[list[tuple]]] = {}
    for label, items in tracks:
        by_label.setdefault(label, []).append(items)
    palette = {r[6] for _, items in tracks for r in items if r[6]}
    text = " ".join(heard).lower()
    out = []
    for label, group in by_label.items():
        owner = join_tracks([vectors.get(items[0][3]) for items in group], [float(len(items)) for items in group])
        members: list[list[list[tuple]]] = [[] for _ in range(max(owner) + 1)]
        for items, k in zip(group, owner):
            members[k].append(items)
        votes = [Counter(r[6] for items in m for r in items if r[6]) for m in members]
        colours = _with_said_names([read_colour(v) for v in votes], votes, _said(label, palette, text))
        for m, colour in zip(members, colours):
            out += [(f"{colour} {label}" if colour else label, items) for items in m]
    return out


def _said(label: str, palette: set[str], text: str) -> set[str]:
    """The colours said aloud before the label ("the red keys")."""
    return set(re.findall(rf"\b([a-z]+) {re.escape(label)}\b", text)) & palette


def _with_said_names(colours: list[str | None], votes: list[Counter], said: set[str]) -> list[str | None]:
    """The colours of a label's things, those whose name nobody said given a said colour no other bears
    when it is among their reads: the pair of thing and colour with the largest share of reads first."""
    colours = list(colours)
    free = said - set(colours)
    totals = [sum(v.values()) for v in votes]
    open_ = {k for k, c in enumerate(colours) if c is not None and c not in said and totals[k] >= NAMED_READS}
    while True:
        options = [(votes[k][c] / totals[k], k, c) for k in open_ for c in free
                   if votes[k][c] > 0 and votes[k][c] >= HEARD_READS * totals[k]]
        if not options:
            return colours
        _, k, c = max(options)
        colours[k] = c
        open_.discard(k)
        free.discard(c)
