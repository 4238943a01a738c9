"""Voices to person clusters: simulated in-view patterns with known speakers, and the exhaustive
assignment checked against brute force over permutations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planners.naming import SPEAKER_IN_VIEW, Line, Seen, _best_assignment, name_people

SPAN = (0.0, 600.0)


def _episode(seed: int, n_people: int = 3, n_lines: int = 12):
    """Each person is in view in random stretches; each line's speaker is in view and near with the
    naming model's own odds, off camera otherwise. Returns clusters, lines and the true names."""
    rng = np.random.default_rng(seed)
    names = ["Alice", "Bob", "Carol", "Dave"][:n_people]
    times = [[] for _ in names]
    dists = [[] for _ in names]
    for p in range(n_people):  # background: stretches in view, near or far
        for start in rng.uniform(0, 590, 12):
            ts = np.arange(start, start + rng.uniform(2, 10), 0.2)
            times[p] += list(ts)
            dists[p] += list(np.full(len(ts), rng.uniform(0.5, 6.0)))
    lines = []
    for k in range(n_lines):
        speaker = int(rng.integers(n_people))
        start = 20.0 + 45.0 * k
        if rng.random() < SPEAKER_IN_VIEW:
            ts = np.arange(start, start + 3.0, 0.2)
            times[speaker] += list(ts)
            dists[speaker] += list(np.full(len(ts), rng.uniform(0.5, 2.0)))
        lines.append(Line(start, start + 3.0, names[speaker]))
    seen = []
    for ts, ds in zip(times, dists):
        order = np.argsort(ts)
        seen.append(Seen(np.asarray(ts)[order], np.asarray(ds)[order]))
    return seen, lines, names


@pytest.mark.parametrize("seed", range(8))
def test_names_follow_the_voices(seed):
    seen, lines, names = _episode(seed)
    naming = name_people(seen, lines, SPAN)
    heard = {line.speaker for line in lines}
    assert set(naming.values()) == heard  # every voice is placed, one person each
    right = sum(naming.get(i) == name for i, name in enumerate(names) if name in heard)
    assert right >= len(heard) - 1  # evidence is noisy, but not that noisy


def test_deeds_outweigh_a_voice_heard_off_camera():
    """Carol speaks once while only Bob (near the camera half the time) is in view; Carol's cluster did
    what the line told."""
    bob = Seen(np.arange(0.0, 300.0, 0.2), np.full(1500, 1.0))
    carol = Seen(np.arange(300.0, 400.0, 0.2), np.full(500, 1.0))
    lines = [Line(102.0, 105.0, "Carol")]
    assert name_people([bob, carol], lines, SPAN) == {0: "Carol"}
    assert name_people([bob, carol], lines, SPAN, deeds={("Carol", 1): 2.0}) == {1: "Carol"}


def test_fragments_are_never_named():
    main = Seen(np.arange(0.0, 100.0, 0.2), np.full(500, 1.0))
    fragment = Seen(np.array([50.0, 50.2]), np.array([0.5, 0.5]))
    assert name_people([main, fragment], [Line(50.0, 51.0, "Alice")], SPAN) == {0: "Alice"}


@pytest.mark.parametrize("shape", [(2, 3), (3, 3), (4, 3), (3, 5)])
def test_best_assignment_matches_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    scores = rng.normal(size=shape)
    n, k = shape
    best = -np.inf
    for perm in itertools.permutations(list(range(k)) + [-1] * max(n - k, 0), n):
        if n <= k and -1 in perm:
            continue
        best = max(best, sum(scores[r, c] for r, c in enumerate(perm) if c >= 0))
    got = _best_assignment(scores)
    assert len(set(got.values())) == len(got)
    assert sum(scores[r, c] for r, c in got.items()) == pytest.approx(best)
