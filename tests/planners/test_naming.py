"""Voices to person clusters: a voice names the one cluster near while it speaks; simulated in-view patterns
with known speakers."""

from __future__ import annotations

import numpy as np
import pytest

from planners.naming import Line, Seen, name_by_sight

SPEAKER_IN_VIEW = 0.65  # chance a speaker is in view while speaking (the rest talk off camera)


def _episode(seed: int, n_people: int = 3, n_lines: int = 12):
    """Each person is in view in random stretches, near or far; each line's speaker is in view and near
    with SPEAKER_IN_VIEW odds, off camera otherwise. Returns clusters, lines and the true names."""
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


def _stretch(start: float, end: float, distance: float = 1.0) -> Seen:
    times = np.arange(start, end, 1.0)
    return Seen(times, np.full(len(times), distance))


def test_a_voice_names_the_one_person_near_while_it_speaks():
    """Alice speaks twice while only cluster 0 is near, once with cluster 1 near too (no vote), and once calling
    Bob by name while cluster 2 is near (said to Bob: no vote for Alice, one for Bob); cluster 3, a fragment of
    Alice's track seen alone while she speaks again, takes her name too."""
    people = [_stretch(0, 30), _stretch(20, 30), _stretch(40, 50), _stretch(60, 63)]
    lines = [Line(5, 7, "Alice"), Line(12, 14, "Alice"), Line(22, 24, "Alice"), Line(42, 44, "Alice", calls="Bob"),
             Line(61, 62, "Alice")]
    assert name_by_sight(people, lines) == {0: "Alice", 2: "Bob", 3: "Alice"}


def test_a_cluster_takes_a_name_only_when_one_voice_leads():
    people = [_stretch(0, 100), _stretch(200, 220, distance=4.0)]  # cluster 1 is seen far only
    lines = [Line(10, 12, "Alice"), Line(30, 32, "Bob"), Line(205, 207, "Carol")]
    assert name_by_sight(people, lines) == {}  # a tie on 0; nobody near during Carol's line
    assert name_by_sight(people, lines + [Line(50, 52, "Bob")]) == {0: "Bob"}
    assert name_by_sight(people, lines, deeds={("Alice", 0): 4.0, ("Carol", 1): 2.0}) == {0: "Alice", 1: "Carol"}


@pytest.mark.parametrize("seed", range(4))
def test_voices_seen_alone_name_their_people(seed):
    """On the simulated pattern above (speakers in view with the naming model's odds, others in view at random),
    the clusters named are mostly the speakers'."""
    seen, lines, names = _episode(seed)
    naming = name_by_sight(seen, lines)
    right = sum(names[i] == name for i, name in naming.items())
    assert naming and right >= 0.75 * len(naming)


def test_a_name_called_names_the_one_person_near():
    """Bob, seen far, calls "Carol" while cluster 0 is the one near: cluster 0 is Carol. Cluster 1 is in view
    alone while Alice calls "Dave" and Carol calls "Alice" (a bystander: the ones called are off camera), a tie:
    unnamed. A called name alike in sound to a voice's name is spelt as the voice is ("Karol" -> "Carol")."""
    people = [_stretch(0, 20), _stretch(40, 80), _stretch(0, 20, distance=4.0)]
    lines = [Line(5, 7, "Bob", calls="Karol"), Line(45, 47, "Alice", calls="Dave"),
             Line(60, 62, "Carol", calls="Alice")]
    assert name_by_sight(people, lines) == {0: "Carol"}
    assert name_by_sight(people, lines[:1] + [Line(8, 10, "Bob", calls="Karol")]) == {0: "Karol"}
    # a call with two people near votes for neither
    assert name_by_sight(people[:2] + [_stretch(0, 20)], lines[:1]) == {}
